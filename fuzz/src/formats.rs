//! The parsers added for embedders: C tor's key files and descriptor keys
//! (`onionskin::key_formats`), typed ntor-v3 extension lists, and the one-call relay
//! dispatch by cell. Every input either parses into something that writes back to the same
//! bytes, or gives a typed error; nothing panics.

use super::support;
use onionskin::codec::extension::{
    CircuitExtension, Extension, ExtensionList, ExtensionWriter, SubprotocolRequest,
};
use onionskin::codec::{Command, PAYLOAD_LEN};
use onionskin::handshake::dispatch::{self, RelayOnionKeys};
use onionskin::handshake::{NtorOnionKey, ntor, ntor_v3};
use onionskin::key_formats::{self, RsaIdentity};
use onionskin::{HandshakeError, KeyFormatError};
use std::sync::OnceLock;

/// Standard base64 with padding, the reference the descriptor parser is checked against.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = usize::try_from((v >> (18 - 6 * i)) & 63).unwrap_or(0);
                s.push(char::from(A[index]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Key formats. Modes: 0, `secret_onion_key_ntor`; 1, `ed25519_master_id_public_key`;
/// 2, a descriptor's `ntor-onion-key` value; 3, an RSA key in PKCS#1 DER; 4, the same in PEM.
pub fn key_formats(data: &[u8]) {
    match support::mode(data, 5) {
        Some((0, file)) => match key_formats::read_secret_onion_key_ntor(file) {
            Ok(key) => assert_eq!(&key_formats::write_secret_onion_key_ntor(&key)[..], file),
            Err(e) => {
                if file.len() != key_formats::SECRET_ONION_KEY_NTOR_LEN {
                    assert!(matches!(e, KeyFormatError::WrongLength { .. }));
                }
            }
        },
        Some((1, file)) => match key_formats::read_ed25519_master_id_public_key(file) {
            Ok(id) => assert_eq!(
                &key_formats::write_ed25519_master_id_public_key(&id)[..],
                file
            ),
            Err(e) => assert!(matches!(
                e,
                KeyFormatError::WrongLength { .. } | KeyFormatError::WrongHeader
            )),
        },
        Some((2, text)) => {
            let Ok(text) = core::str::from_utf8(text) else {
                return;
            };
            if let Ok(key) = key_formats::parse_ntor_onion_key(text) {
                // What was parsed is what C tor would write, up to padding and the two bits
                // base64 leaves over at the end.
                let canonical = base64(&key);
                assert_eq!(key_formats::parse_ntor_onion_key(&canonical), Ok(key));
                assert_eq!(
                    key_formats::parse_ntor_onion_key(canonical.trim_end_matches('=')),
                    Ok(key)
                );
                assert_eq!(text.trim_ascii()[..42], canonical[..42]);
            }
        }
        Some((3, der)) => {
            if let Ok(id) = RsaIdentity::from_pkcs1_der(der) {
                assert_eq!(id.to_string().len(), 40);
            }
        }
        Some((_, pem)) => {
            if let Ok(pem) = core::str::from_utf8(pem) {
                let _ = RsaIdentity::from_pkcs1_pem(pem);
            }
        }
        None => {}
    }
}

/// Typed extension lists: a list read from the input and written back raw through
/// [`ExtensionWriter::push_raw`] gives the same bytes; each typed field is its raw field read
/// as C tor reads it ([`support::check_typed_field`]); the typed fields written through
/// [`ExtensionWriter::push`] read back as the same typed fields.
pub fn ntor_v3_extensions(data: &[u8]) {
    let Ok((list, _)) = ExtensionList::decode_prefix(data) else {
        return;
    };
    let mut raw_out = vec![0u8; list.encoded_len()];
    let mut raw_writer = ExtensionWriter::new(&mut raw_out).expect("room for the count");
    let mut typed_out = vec![0u8; list.encoded_len()];
    let mut typed_writer = ExtensionWriter::new(&mut typed_out).expect("room for the count");
    let mut typed_fields = Vec::new();
    for (typed, raw) in list.typed().zip(list.iter()) {
        raw_writer.push_raw(&raw).expect("fits: same size as read");
        if let Ok(field) = typed {
            support::check_typed_field(&field, &raw);
            if let CircuitExtension::SubprotocolRequest(r) = field {
                assert_eq!(r.iter().count() * 2, raw.body().len());
                assert_eq!(SubprotocolRequest::from_extension(&raw), Ok(r));
            }
            typed_writer
                .push(&field)
                .expect("canonical is no longer than read");
            typed_fields.push(field);
        }
    }
    assert_eq!(raw_writer.as_bytes(), list.as_bytes());
    let rewritten = ExtensionList::decode_exact(typed_writer.as_bytes()).expect("a list");
    let reread: Vec<_> = rewritten
        .typed()
        .collect::<Result<_, _>>()
        .expect("canonical fields read typed");
    assert_eq!(reread, typed_fields);
    // Unknown types stay unknown, known ones typed.
    for raw in &list {
        let unknown = matches!(
            CircuitExtension::from_extension(raw),
            Ok(CircuitExtension::Unknown(_))
        );
        assert_eq!(unknown, raw.ty().name().is_none());
    }
    let _ = Extension::new(onionskin::codec::extension::ExtensionType(0), data);
}

/// The keys of the dispatch target's relay: ntor and ntor-v3 sharing one onion key (the
/// ntor vector relay's), and CREATE_FAST.
fn relay() -> &'static (ntor::RelayKeys, ntor_v3::RelayKeys) {
    static KEYS: OnceLock<(ntor::RelayKeys, ntor_v3::RelayKeys)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = NtorOnionKey::from_bytes(&super::ntor::ONION_SECRET);
        (
            ntor::RelayKeys::new(super::ntor::NODE_ID, key.clone()),
            ntor_v3::RelayKeys::new(super::ntor_v3::ID, key),
        )
    })
}

/// One-call dispatch: the first byte is the cell command, the rest the body (NUL-padded to
/// 509 bytes). The relay answers exactly the cells that create circuits with a handshake it
/// has keys for, writes a reply of the matching command, and pads it with NUL.
pub fn dispatch_relay_respond(data: &[u8]) {
    let Some((&command, rest)) = data.split_first() else {
        return;
    };
    let mut body = [0u8; PAYLOAD_LEN];
    for (dst, src) in body.iter_mut().zip(rest) {
        *dst = *src;
    }
    let (ntor_keys, ntor_v3_keys) = relay();
    let keys = RelayOnionKeys::new()
        .with_ntor(ntor_keys)
        .with_ntor_v3(ntor_v3_keys);
    let command = Command(command);
    let mut reply = [0xa5u8; PAYLOAD_LEN];
    let result = dispatch::relay_respond(
        &mut support::rng(support::RELAY),
        &keys,
        command,
        &body,
        |_, _| Ok(()),
        &mut reply,
    );
    match result {
        Ok(answer) => {
            let want = match command {
                Command::CREATE_FAST => Command::CREATED_FAST,
                Command::CREATE => Command::CREATED,
                Command::CREATE2 => Command::CREATED2,
                other => panic!("answered command {other:?}"),
            };
            assert_eq!(answer.command, want);
            assert!(answer.len <= PAYLOAD_LEN);
            assert!(reply[answer.len..].iter().all(|&b| b == 0), "NUL padding");
        }
        Err(e) => {
            if command == Command::CREATE_FAST {
                panic!("CREATE_FAST refused: {e:?}");
            }
            if !matches!(
                command,
                Command::CREATE | Command::CREATE2 | Command::CREATE_FAST
            ) {
                assert_eq!(e, HandshakeError::Malformed);
            }
        }
    }
}
