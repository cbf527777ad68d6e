//! The relay header (tor-spec 6.1) and relay-cell crypto on the relay side.

use onionskin::CircuitKeys;
use onionskin::codec::{PAYLOAD_LEN, RELAY_HEADER_LEN, RelayCell};
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};

/// Input: a 509-byte decrypted relay cell body (shorter inputs are padded with zeros).
///
/// A body that decodes re-encodes (zero-padded) to the same header and data, decodes to the
/// same view, and its message decoder returns a value or an error, never panics.
pub fn relay_cell(data: &[u8]) {
    let mut body = [0u8; PAYLOAD_LEN];
    let n = data.len().min(PAYLOAD_LEN);
    body[..n].copy_from_slice(&data[..n]);
    let Ok(cell) = RelayCell::decode(&body) else {
        return;
    };
    let _ = cell.msg();
    let mut out = [0xa5u8; PAYLOAD_LEN];
    let end = cell.encode_zero_padded(&mut out);
    assert_eq!(end, RELAY_HEADER_LEN + cell.data().len());
    assert_eq!(&out[..end], &body[..end]);
    assert!(out[end..].iter().all(|&b| b == 0));
    assert_eq!(RelayCell::decode(&out), Ok(cell));
}

/// Input: 32 bytes that seed the hop's keys, one byte choosing a bit to flip, then payloads
/// of 509 bytes (the last padded with zeros).
///
/// A relay hop decrypts every payload without panicking. A client with the same keys sends
/// each payload as a plaintext: the relay recognises it with the plaintext intact (digest
/// field aside) and the same SENDME tag, and answers with it backward, which the client
/// recognises. A second relay with the same keys gets each payload raw, as if forged: it
/// must not panic, and if it ever "recognises" one, the plaintext must carry `Recognized` 0.
/// Finally, the chosen bit of one more client cell is flipped: no relay recognises it.
pub fn relay_side(data: &[u8]) {
    if data.len() < 33 {
        return;
    }
    let (seed, rest) = data.split_at(32);
    let (&flip, payloads) = rest.split_first().unwrap();
    let material: [u8; 92] =
        core::array::from_fn(|i| seed[i % 32] ^ u8::try_from(i).unwrap_or(0).wrapping_mul(29));
    let keys = CircuitKeys::split_kh_last(&material);

    let mut client: ClientCircuit<1> = ClientCircuit::new();
    client.push(ClientHop::tor1(&keys)).unwrap();
    let mut relay = RelayHop::tor1(&keys);
    let mut forged_relay = RelayHop::tor1(&keys);
    for chunk in payloads.chunks(PAYLOAD_LEN) {
        let mut plain = [0u8; PAYLOAD_LEN];
        plain[..chunk.len()].copy_from_slice(chunk);

        let mut forged = plain;
        if forged_relay.decrypt_forward(&mut forged).is_some() {
            assert_eq!(&forged[1..3], &[0, 0]);
        }

        // The client sends it: recognised needs `Recognized` 0, which the client leaves as
        // given, so clear it as a real sender does.
        plain[1] = 0;
        plain[2] = 0;
        let mut p = plain;
        let tag = client.encrypt_forward(0, &mut p).unwrap();
        assert_eq!(relay.decrypt_forward(&mut p), Some(tag));
        assert_eq!(&p[..5], &plain[..5]);
        assert_eq!(&p[9..], &plain[9..]);
        let _ = RelayCell::decode(&p).map(|c| c.msg());

        let tag = relay.originate_backward(&mut p);
        assert_eq!(client.decrypt_backward(&mut p), Some((0, tag)));
    }

    // One flipped bit: never recognised.
    let mut p = [0u8; PAYLOAD_LEN];
    client.encrypt_forward(0, &mut p).unwrap();
    let bit = usize::from(flip) * 16 % (PAYLOAD_LEN * 8);
    p[bit / 8] ^= 1 << (bit % 8);
    assert_eq!(
        relay.decrypt_forward(&mut p),
        None,
        "bit {bit} flipped, still recognised"
    );
}
