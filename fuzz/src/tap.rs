//! TAP (tor-spec 5.1.3, 0.3, 0.4, 5.2.1): the relay's answer to an onion skin (RSA-OAEP
//! decryption, hybrid AES-CTR, DH) and the client's check of `g^y | KH`.
//!
//! The relay holds `tap.json` case `tap-1-0`'s onion key, with case `tap-1-1`'s as its
//! previous key (both are always tried). The server-side cases of `tap_reject.json` use the
//! same key, so they serve as seeds unchanged. The client of [`client_finish`] holds case
//! `tap-1-0`'s `x`.
//!
//! # The oracle
//! Every verdict and every key is predicted by a second, deliberately simple TAP written
//! here with num-bigint (variable time, which an oracle may be): RSA decryption with CRT,
//! OAEP decoding (RFC 8017 7.1.2, with the message length fixed at 86 bytes as TAP's is),
//! the `[2, p-2]` range check on `g^x` and `g^y`, `K0 = g^xy` in its minimal big-endian form
//! and KDF-TOR. The relay's `y` and the harness client's `x` are the first 40 bytes of their
//! RNG streams (`server_respond` and `ClientState::start` draw them first).
//!
//! # Mutated onion skins
//! A TAP skin is `RSA(OAEP(K | g^x[0..70])) | AES-128-CTR(K, g^x[70..128])`.
//! * A change to the RSA block (bytes 0..128) decrypts to an unrelated block whose OAEP
//!   check fails (except with probability about 2^-176): the relay must reject it.
//! * A change only to the AES-CTR part (bytes 128..186) passes straight through CTR mode
//!   into `g^x` (the hybrid encryption is malleable, tor-spec 0.4 calls it "bad"): the relay
//!   accepts exactly when the new `g^x` is in range, with `K0 = g^x'^y`. The original client
//!   then rejects the reply, unless `g^x'^y = g^x^y`, which for this safe prime happens only
//!   for `g^x' = p - g^x` with `y` even; then both sides hold the same keys. The target asserts
//!   exactly that.
//! * The same algebra means a client with an even `x` accepts `p - g^y` in place of `g^y`
//!   (same `K0`, so the same KH and keys). Case `tap-1-0`'s `x` is even, so the client
//!   oracle predicts acceptance from `K0`, not from the reply's bytes.

use super::support::{self, hex};
use aes::Aes128;
use ctr::cipher::{KeyIvInit, StreamCipher};
use num_bigint::BigUint;
use onionskin::handshake::CircuitHandshake;
use onionskin::handshake::tap::{
    self, ClientState, DH_LEN, DH_SEC_LEN, MODULUS_LEN, ONION_SKIN_LEN, REPLY_LEN, RelayKeys,
    RelaySecretKey, Tap, hazmat,
};
use onionskin::{HandshakeError, KeyMaterial};
use rand_core::RngCore;
use sha1::{Digest, Sha1};
use std::sync::OnceLock;

/// Case `tap-1-0`'s onion key, `private_der_pkcs1`.
const CURRENT_DER: &str = "3082025f02010002818100b4cf8aecdcf818768c4ad114a2e03bf79f227059886625de7c3f443173af9dd71e1ee4f5f03b89b383fd81cd23aa4ee41ce9d24bfd687ecfec6459118abcd337d0378f218341edb8c66d85063b33978ee1e1cd25d19d0abd96150591310b878e1a378695092dc47344e116b9e714da95e98e7aad203c54f02dba952924533921020301000102818100ab0c0392dbdf5fd51616d9003aad024dd89f4dc585418ce592888f4c70f25bd15b4f42ae5e9b14435cc3ff7d3f162817a83a92950c9f440812cb436f52de1ab9038a82daf6d7870d0cf94a478619ddd0c0fd9bb5148e5a0cb1a56881e5b8c4c44b4ad045327727c522363a2d9ed2e79dc0d6d0b6898c224cccd6a0e62c4b5db9024100eaa6f12759f002f083dcc20e82efee3bbeb47d13525b1b9797641c9513cb0fd66475a0dfc6c8c88d22ca032f5bdf2070d375bfa5b923024337e63cc2a3276cc7024100c542a1cd8f359113f07394697e44c07a82827a6295d692c86de3995e7eac2ff2c5f8e210ea602f56c2a6b85a738e4bc0c75bfcffc77aa8014e60ae22954832d7024100b087d774db5c8d59945a4843d28dde9463ec350c8c30ae9964f393ed336ed90359a084ded515c88b255904fc640980c660cf7cd6986996122bc3b2825b6c1591024100abe61808812f0601613de76c530be8cc19e5486f96f1c931fe892382f4526aea5e5937efd3bf0421d038e7587370e254d9a6310058be6b9fcfc4729b5289fb3b024100e91d18d66d229261636e9b40cbc31d0fce015c241bd3615b7a0bd158a06008f6dcdfb86a2dc0a1b9c2969c2b9d8739bb9838450bb805fb302b433dbedbc0f029";
/// Case `tap-1-1`'s onion key, `private_der_pkcs1`: the relay's previous key.
const PREVIOUS_DER: &str = "3082025c02010002818100bf6c79fa72c7ba1f7eeccbc61c19cf1a65a6d98fb952ca27a67317699fd59012e491c1e86e1a749c18422ad18233e394d4d80fb8082dcf81fceb65eae5e9fabde310be228dd70d9bce5eb816ff23f069e4ff591aeaf694d010a17c570680f7866681f0136672aed405d1e31d0c16aeeb3a6a29b46451f22e6c2539af6047d035020301000102818047d75a60183bc52a94e4220613fdcbb0487e3a20aa98dbadcdd65bef14417e74d8bbab5ea413e1b7c392f1a6f78aa9daed96b92f84424d22a7dd60beabd3087b1d51128cedaa7a275284353b542d65561ac3dac48248ad6b0b0e65e4b14809a46e19a7582fb26a6eac64b996b998315f7dd5f61c17ebaf614f867366692c2681024100e135812437a537163e53d2369337f2b42ae61765003970acfb2c431dc96c7adcf16342247fb736183cfbfb40eef0206f872fb8cdf1a055d32256f59cfa21d39d024100d99875ed23dde87d055e5fd2eafa415e4c0af5ef66a02af7bd39188d23229c96e45748f45d7bcafd13b2949997da8bbd1d0b30391c0eeac84b593f51178f877902400860bb2b23becbabd229c01a33a3d32d8ca2fe9fcd4055c6b9994deddfbe5f5bb4c72280c51785b5a51f229ba9c7d90d0d14636595e5870bd1ad3679de7c3fa9024020468e0f6bc789a9a9b732ed7d2f3bacfa08922c3d83ba7bded46e40d91a5431c992ecde5a53776b8c956b9750bff904471f96ba91dfe0916f23c0d18d761bb9024100aa406b22b9efbb6258c92ff33161b79d4fc9efb5cbf441ec46a2af120ea164528629e91d3e9b25da9d836ce5dd144e58a63b3d5a3f59896103c36c0c97d69bf9";
/// `n`, `p`, `q`, `d` of case `tap-1-0`'s key, for the oracle.
const CURRENT_NPQD: [&str; 4] = [
    "b4cf8aecdcf818768c4ad114a2e03bf79f227059886625de7c3f443173af9dd71e1ee4f5f03b89b383fd81cd23aa4ee41ce9d24bfd687ecfec6459118abcd337d0378f218341edb8c66d85063b33978ee1e1cd25d19d0abd96150591310b878e1a378695092dc47344e116b9e714da95e98e7aad203c54f02dba952924533921",
    "eaa6f12759f002f083dcc20e82efee3bbeb47d13525b1b9797641c9513cb0fd66475a0dfc6c8c88d22ca032f5bdf2070d375bfa5b923024337e63cc2a3276cc7",
    "c542a1cd8f359113f07394697e44c07a82827a6295d692c86de3995e7eac2ff2c5f8e210ea602f56c2a6b85a738e4bc0c75bfcffc77aa8014e60ae22954832d7",
    "ab0c0392dbdf5fd51616d9003aad024dd89f4dc585418ce592888f4c70f25bd15b4f42ae5e9b14435cc3ff7d3f162817a83a92950c9f440812cb436f52de1ab9038a82daf6d7870d0cf94a478619ddd0c0fd9bb5148e5a0cb1a56881e5b8c4c44b4ad045327727c522363a2d9ed2e79dc0d6d0b6898c224cccd6a0e62c4b5db9",
];
/// `n`, `p`, `q`, `d` of case `tap-1-1`'s key, for the oracle.
const PREVIOUS_NPQD: [&str; 4] = [
    "bf6c79fa72c7ba1f7eeccbc61c19cf1a65a6d98fb952ca27a67317699fd59012e491c1e86e1a749c18422ad18233e394d4d80fb8082dcf81fceb65eae5e9fabde310be228dd70d9bce5eb816ff23f069e4ff591aeaf694d010a17c570680f7866681f0136672aed405d1e31d0c16aeeb3a6a29b46451f22e6c2539af6047d035",
    "e135812437a537163e53d2369337f2b42ae61765003970acfb2c431dc96c7adcf16342247fb736183cfbfb40eef0206f872fb8cdf1a055d32256f59cfa21d39d",
    "d99875ed23dde87d055e5fd2eafa415e4c0af5ef66a02af7bd39188d23229c96e45748f45d7bcafd13b2949997da8bbd1d0b30391c0eeac84b593f51178f8779",
    "47d75a60183bc52a94e4220613fdcbb0487e3a20aa98dbadcdd65bef14417e74d8bbab5ea413e1b7c392f1a6f78aa9daed96b92f84424d22a7dd60beabd3087b1d51128cedaa7a275284353b542d65561ac3dac48248ad6b0b0e65e4b14809a46e19a7582fb26a6eac64b996b998315f7dd5f61c17ebaf614f867366692c2681",
];
/// The Oakley group 2 prime (RFC 2409 6.2).
const OAKLEY_P: &str = "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff";
/// `x` of case `tap-1-0`.
pub const X: [u8; DH_SEC_LEN] =
    hex("92123fd4fc7cab4b6bafb3d0be740ec59dbb773302d9abb823235cb55cdc56300acaafd333a5e104");
/// `onionskin` of case `tap-1-0`.
pub const ONION_SKIN: [u8; ONION_SKIN_LEN] = hex(
    "ab49535e63c3b11229c4e6e7adb7e84dbf128a8975721b5dbcefee61de77b27a88cb922daff6c18d0b75c5c23056ae1aec85fdba0b10532d2579144e2f7e26fe890fd10e0ce41349cd465f3eea09e2751ef283b74fee70940276a61e2433402c02cfab93009f669001520b18f6665c3eb3b00c4d618d9c910206bebbc02f38dd000255f36f8f933d6c3df263b0c23a876e0d2c62a34333ad29602da50a37d33a4eb6ef230b43f31214a6f2105655b9009a282832040dad0cf1c9",
);
/// `reply` of case `tap-1-0`.
pub const REPLY: [u8; REPLY_LEN] = hex(
    "71e5583b917e5c71f6010a46a7cee4e8c7c5b409df927d7c5f4518cf9bb00e9370c00294c985fd169441d4f5cd5ac5885f9a1737cc232e101fac1fd152d82c68b1506150530cee9eeee8955b73de5ef7425c13e458911411434af3b2749f89646712791de18c30f99a85b4a1f317fb54914f5eb41ff6073102d33bd83d26d5daae5a04a5ae38b53b005d8c438236d653e2845c18",
);
/// `key_material_72` of case `tap-1-0`.
pub const KEY_MATERIAL: [u8; 72] = hex(
    "979be4e5fce0fa7cc63cd19b569ed0dc5a98822583384d130c0df603231684f303ed677b6755d0a7e8ac6ef8c5f3eecce6d9499a1be9c43211b0a6bb0174375056406e7bad40f105",
);

/// Bytes of `g^x` inside the OAEP block (after `K`).
const GX_IN_RSA: usize = 70;
/// The OAEP message: `K | g^x[0..70]`.
const OAEP_MESSAGE_LEN: usize = 16 + GX_IN_RSA;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn big(s: &str) -> BigUint {
    BigUint::parse_bytes(s.as_bytes(), 16).expect("hex")
}

/// `x` as 128 big-endian bytes, left-padded.
fn be128(x: &BigUint) -> [u8; 128] {
    let bytes = x.to_bytes_be();
    let mut out = [0u8; 128];
    out[128 - bytes.len()..].copy_from_slice(&bytes);
    out
}

/// The fixed relay, built once (loading a key checks it with a 1024-bit exponentiation).
pub fn relay() -> &'static RelayKeys {
    static KEYS: OnceLock<RelayKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let current = RelaySecretKey::from_pkcs1_der(&unhex(CURRENT_DER)).expect("key 0");
        let previous = RelaySecretKey::from_pkcs1_der(&unhex(PREVIOUS_DER)).expect("key 1");
        RelayKeys::new(current).with_previous(previous)
    })
}

/// One RSA key for the oracle, in CRT form.
struct Rsa {
    n: BigUint,
    p: BigUint,
    q: BigUint,
    dp: BigUint,
    dq: BigUint,
    qinv: BigUint,
}

impl Rsa {
    fn new([n, p, q, d]: [&str; 4]) -> Self {
        let (n, p, q, d) = (big(n), big(p), big(q), big(d));
        let one = BigUint::from(1u8);
        let dp = &d % (&p - &one);
        let dq = &d % (&q - &one);
        let qinv = q.modpow(&(&p - 2u8), &p);
        Self {
            n,
            p,
            q,
            dp,
            dq,
            qinv,
        }
    }

    /// `c^e mod n`.
    fn encrypt(&self, em: &[u8; MODULUS_LEN]) -> [u8; MODULUS_LEN] {
        be128(&BigUint::from_bytes_be(em).modpow(&BigUint::from(65537u32), &self.n))
    }

    /// `c^d mod n`, or `None` for `c >= n` (not a ciphertext).
    fn decrypt(&self, c: &[u8]) -> Option<[u8; MODULUS_LEN]> {
        let c = BigUint::from_bytes_be(c);
        if c >= self.n {
            return None;
        }
        let m1 = c.modpow(&self.dp, &self.p);
        let m2 = c.modpow(&self.dq, &self.q);
        let h = (&self.qinv * ((&m1 + &self.p) - (&m2 % &self.p))) % &self.p;
        Some(be128(&(m2 + h * &self.q)))
    }
}

struct Oracle {
    current: Rsa,
    previous: Rsa,
    prime: BigUint,
}

fn oracle() -> &'static Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| Oracle {
        current: Rsa::new(CURRENT_NPQD),
        previous: Rsa::new(PREVIOUS_NPQD),
        prime: big(OAKLEY_P),
    })
}

/// MGF1-SHA1 (RFC 8017 B.2.1), XORed into `out`.
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (i, chunk) in out.chunks_mut(20).enumerate() {
        let mask = Sha1::new()
            .chain_update(seed)
            .chain_update(u32::try_from(i).expect("few blocks").to_be_bytes())
            .finalize();
        chunk.iter_mut().zip(mask).for_each(|(o, m)| *o ^= m);
    }
}

/// EME-OAEP encoding (RFC 8017 7.1.1) with an empty label and no padding string.
fn oaep_encode(message: &[u8; OAEP_MESSAGE_LEN], seed: &[u8; 20]) -> [u8; MODULUS_LEN] {
    let mut em = [0u8; MODULUS_LEN];
    let (masked_seed, db) = em[1..].split_at_mut(20);
    db[..20].copy_from_slice(&Sha1::digest(b""));
    db[20] = 1;
    db[21..].copy_from_slice(message);
    mgf1_xor(seed, db);
    masked_seed.copy_from_slice(seed);
    mgf1_xor(db, masked_seed);
    em
}

/// EME-OAEP decoding (RFC 8017 7.1.2) of a block that must carry exactly 86 bytes.
fn oaep_decode(em: &[u8; MODULUS_LEN]) -> Option<[u8; OAEP_MESSAGE_LEN]> {
    let mut seed = [0u8; 20];
    seed.copy_from_slice(&em[1..21]);
    let mut db = [0u8; MODULUS_LEN - 21];
    db.copy_from_slice(&em[21..]);
    mgf1_xor(&db, &mut seed);
    mgf1_xor(&seed, &mut db);
    let ok = em[0] == 0 && db[..20] == Sha1::digest(b"")[..] && db[20] == 1;
    ok.then(|| db[21..].try_into().expect("86 bytes"))
}

fn aes_ctr(key: &[u8], data: &mut [u8]) {
    ctr::Ctr128BE::<Aes128>::new(key.into(), &[0u8; 16].into()).apply_keystream(data);
}

fn in_range(x: &BigUint) -> bool {
    *x >= BigUint::from(2u8) && *x <= &oracle().prime - 2u8
}

/// KDF-TOR(K0), 92 bytes: `KH | Df | Db | Kf | Kb`.
fn kdf_tor(k0: &[u8]) -> [u8; 100] {
    let mut out = [0u8; 100];
    for (i, chunk) in out.chunks_mut(20).enumerate() {
        chunk.copy_from_slice(
            &Sha1::new()
                .chain_update(k0)
                .chain_update([u8::try_from(i).expect("five blocks")])
                .finalize(),
        );
    }
    out
}

/// What a DH handshake with secret `secret` and peer value `peer` gives: `None` if `peer` is
/// out of range, else KDF-TOR over the minimal encoding of `peer^secret mod p`.
fn dh_kdf(secret: &[u8; DH_SEC_LEN], peer: &[u8]) -> Option<[u8; 100]> {
    let peer = BigUint::from_bytes_be(peer);
    in_range(&peer).then(|| {
        let k0 = peer.modpow(&BigUint::from_bytes_be(secret), &oracle().prime);
        kdf_tor(&k0.to_bytes_be())
    })
}

/// The first 40 bytes of an RNG stream: the DH secret a harness side draws first.
fn first_secret(stream: u64) -> [u8; DH_SEC_LEN] {
    let mut s = [0u8; DH_SEC_LEN];
    support::rng(stream).fill_bytes(&mut s);
    s
}

/// The relay's result as the oracle predicts it.
struct Expected {
    gx: [u8; DH_LEN],
    reply: [u8; REPLY_LEN],
    keys: [u8; 72],
}

fn expected_relay(skin: &[u8]) -> Result<Expected, HandshakeError> {
    let Ok(skin) = <&[u8; ONION_SKIN_LEN]>::try_from(skin) else {
        return Err(HandshakeError::Malformed);
    };
    let (c, tail) = skin.split_at(MODULUS_LEN);
    let o = oracle();
    // Current key first, as the relay (and C tor) prefers it.
    let message = [&o.current, &o.previous]
        .into_iter()
        .find_map(|k| k.decrypt(c).and_then(|em| oaep_decode(&em)))
        .ok_or(HandshakeError::Failed)?;
    let (k, head) = message.split_at(16);
    let mut gx = [0u8; DH_LEN];
    gx[..GX_IN_RSA].copy_from_slice(head);
    gx[GX_IN_RSA..].copy_from_slice(tail);
    aes_ctr(k, &mut gx[GX_IN_RSA..]);
    let y = first_secret(support::RELAY);
    let kdf = dh_kdf(&y, &gx).ok_or(HandshakeError::Failed)?;
    let mut reply = [0u8; REPLY_LEN];
    reply[..DH_LEN].copy_from_slice(&be128(
        &BigUint::from(2u8).modpow(&BigUint::from_bytes_be(&y), &o.prime),
    ));
    reply[DH_LEN..].copy_from_slice(&kdf[..20]);
    Ok(Expected {
        gx,
        reply,
        keys: kdf[20..92].try_into().expect("72 bytes"),
    })
}

/// Runs the relay on `skin` and checks it against the oracle: the same verdict, and on
/// success the same reply and keys. Returns the oracle's view of a success.
fn check_relay(skin: &[u8]) -> Option<Expected> {
    let mut rng = support::rng(support::RELAY);
    // Both entry points take any slice: the inherent one for even lengths, the generic one
    // for odd, so each sees right and wrong lengths.
    let result = if skin.len().is_multiple_of(2) {
        tap::relay_respond(&mut rng, relay(), skin)
    } else {
        Tap::relay_respond(&mut rng, relay(), skin, |_, _| Ok(()))
    };
    match (result, expected_relay(skin)) {
        (Ok((seed, reply)), Ok(want)) => {
            assert_eq!(reply, want.reply, "relay reply differs from the oracle's");
            let mut keys = [0u8; 72];
            seed.expand_into(&mut keys).expect("72 bytes");
            assert_eq!(keys, want.keys, "relay keys differ from the oracle's");
            Some(want)
        }
        (Err(got), Err(want)) => {
            assert_eq!(got, want);
            None
        }
        (got, want) => panic!(
            "relay verdict {:?}, oracle verdict {:?}",
            got.map(|_| ()),
            want.map(|_| ())
        ),
    }
}

/// Relay side. Modes: 0, the input is the onion skin; 1, the input mutates a valid skin from
/// a deterministic client; 2, the input is `K | g^x | OAEP seed`, encrypted to the relay by
/// the oracle (fuzzes the DH range check and `K0`); 3, the input is an OAEP block and an
/// AES-CTR part, the block RSA-encrypted by the oracle (fuzzes OAEP decoding). Short inputs
/// are zero-padded in modes 2 and 3.
pub fn relay_respond(data: &[u8]) {
    match support::mode(data, 4) {
        Some((0, skin)) => {
            let _ = check_relay(skin);
        }
        Some((1, mask)) => mutated(mask),
        Some((2, input)) => {
            let mut buf = [0u8; 16 + DH_LEN + 20];
            buf.iter_mut().zip(input).for_each(|(b, i)| *b = *i);
            let (k, rest) = buf.split_at(16);
            let (gx, seed) = rest.split_at(DH_LEN);
            let mut message = [0u8; OAEP_MESSAGE_LEN];
            message[..16].copy_from_slice(k);
            message[16..].copy_from_slice(&gx[..GX_IN_RSA]);
            let em = oaep_encode(&message, seed.try_into().expect("20 bytes"));
            let mut skin = [0u8; ONION_SKIN_LEN];
            skin[..MODULUS_LEN].copy_from_slice(&oracle().current.encrypt(&em));
            skin[MODULUS_LEN..].copy_from_slice(&gx[GX_IN_RSA..]);
            aes_ctr(k, &mut skin[MODULUS_LEN..]);
            let accepted = check_relay(&skin).is_some();
            assert_eq!(accepted, in_range(&BigUint::from_bytes_be(gx)));
        }
        Some((_, input)) => {
            let mut buf = [0u8; ONION_SKIN_LEN];
            buf.iter_mut().zip(input).for_each(|(b, i)| *b = *i);
            let em: [u8; MODULUS_LEN] = buf[..MODULUS_LEN].try_into().expect("128 bytes");
            buf[..MODULUS_LEN].copy_from_slice(&oracle().current.encrypt(&em));
            let _ = check_relay(&buf);
        }
        None => {}
    }
}

fn mutated(mask: &[u8]) {
    let (state, valid) = ClientState::start(
        &mut support::rng(support::CLIENT),
        relay().current().public_key(),
    );
    let skin = support::mutate(&valid, mask);
    let relay_result = check_relay(&skin);
    let rsa_changed = skin.get(..MODULUS_LEN) != valid.get(..MODULUS_LEN);
    if skin.len() == ONION_SKIN_LEN && rsa_changed {
        assert!(relay_result.is_none(), "relay accepted a changed RSA block");
    }
    let Some(relay_view) = relay_result else {
        assert!(skin != valid, "relay rejected a valid onion skin");
        return;
    };
    let x = first_secret(support::CLIENT);
    let want = dh_kdf(&x, &relay_view.reply[..DH_LEN])
        .filter(|kdf| kdf[..20] == relay_view.reply[DH_LEN..]);
    match state.finish(&relay_view.reply) {
        Ok(seed) => {
            let mut keys = [0u8; 72];
            seed.expand_into(&mut keys).expect("72 bytes");
            assert_eq!(want.map(|k| k[20..92].to_vec()), Some(keys.to_vec()));
            assert_eq!(keys, relay_view.keys, "client and relay keys differ");
            if skin != valid {
                // Only g^x' = p - g^x (with y even) gives the same K0.
                let gx = BigUint::from_bytes_be(&hazmat::dh_public(&x));
                let gx_sent = BigUint::from_bytes_be(&relay_view.gx);
                assert_eq!(
                    gx + gx_sent,
                    oracle().prime.clone(),
                    "a mutated skin completed"
                );
            }
        }
        Err(e) => {
            assert!(want.is_none(), "client rejected a reply the oracle accepts");
            assert_eq!(e, HandshakeError::Failed);
            assert!(
                skin != valid,
                "client rejected the reply to its own onion skin"
            );
        }
    }
}

/// Client side, with case `tap-1-0`'s `x`. Modes: 0, the input is the reply; 1, the input
/// mutates the vector's reply; 2, the input is `g^y` (zero-padded), sent with the KH the
/// oracle computes for it. The client must accept exactly what the oracle accepts (`g^y` in
/// range and KH right for `K0 = g^y^x`), derive the oracle's keys, and accept the vector's
/// reply with the vector's keys.
pub fn client_finish(data: &[u8]) {
    let reply = match support::mode(data, 3) {
        Some((0, reply)) => reply.to_vec(),
        Some((1, mask)) => support::mutate(&REPLY, mask),
        Some((_, gy)) => {
            let mut reply = vec![0u8; REPLY_LEN];
            reply
                .iter_mut()
                .zip(gy.iter().take(DH_LEN))
                .for_each(|(r, g)| *r = *g);
            // Out of range: any KH; the client must reject on the range check alone.
            if let Some(kdf) = dh_kdf(&X, &reply[..DH_LEN]) {
                reply[DH_LEN..].copy_from_slice(&kdf[..20]);
            }
            reply
        }
        None => return,
    };
    let state = hazmat::client_state_from_secret(&X);
    let result = if reply.len() % 2 == 0 {
        state.finish(&reply)
    } else {
        Tap::client_finish(state, &reply).map(|(seed, _)| seed)
    };
    let want = if reply.len() == REPLY_LEN {
        dh_kdf(&X, &reply[..DH_LEN])
            .filter(|kdf| kdf[..20] == reply[DH_LEN..])
            .map(|kdf| kdf[20..92].to_vec())
            .ok_or(HandshakeError::Failed)
    } else {
        Err(HandshakeError::Malformed)
    };
    let got = result.map(|seed| {
        let mut keys = [0u8; 72];
        seed.expand_into(&mut keys).expect("72 bytes");
        keys.to_vec()
    });
    assert_eq!(got, want, "client verdict or keys differ from the oracle's");
    if reply == REPLY {
        assert_eq!(got, Ok(KEY_MATERIAL.to_vec()));
    }
}
