//! TEMPORARY stand-ins for handshakes that have not landed on `main` yet, so the report's
//! machinery can be exercised end to end. Each does the same expensive work as the real
//! handshake (same primitives, same counts) but is not the crate's code; the report marks
//! their rows "stand-in". Delete a stand-in as soon as the real handshake lands.

#![allow(clippy::indexing_slicing)] // constant, in-range offsets into fixed-size arrays; throwaway code
use crate::Error;
use onionskin::handshake::{CircuitHandshake, HandshakeType};
use onionskin::{CircuitKeys, HandshakeError, KeyMaterial, kdf};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;

/// Key material from a stand-in handshake.
pub(crate) struct Seed {
    kh_first: bool,
    material: [u8; 92],
}

impl KeyMaterial for Seed {
    fn expand_into(self, out: &mut [u8]) -> Result<(), HandshakeError> {
        out.get_mut(..92).ok_or(HandshakeError::KeyMaterialTooLong)?.copy_from_slice(&self.material);
        Ok(())
    }
    fn circuit_keys(self) -> CircuitKeys {
        if self.kh_first {
            CircuitKeys::split_kh_first(&self.material)
        } else {
            CircuitKeys::split_kh_last(&self.material)
        }
    }
}

/// CREATE_FAST work: 20 random bytes, KDF-TOR(X|Y) for 20 + 72 bytes.
pub(crate) struct FastStandIn;

impl CircuitHandshake for FastStandIn {
    const HTYPE: HandshakeType = HandshakeType::FAST;
    type RelayPublicKey = ();
    type RelayKeys = ();
    type ClientState = [u8; 20];
    type OnionSkin = [u8; 20];
    type Reply = [u8; 40];
    type KeySeed = Seed;

    fn client_start<R: RngCore + CryptoRng>(
        rng: &mut R,
        _relay: &(),
        message: &[u8],
    ) -> Result<([u8; 20], [u8; 20]), HandshakeError> {
        if !message.is_empty() {
            return Err(HandshakeError::MessageNotSupported);
        }
        let mut x = [0u8; 20];
        rng.fill_bytes(&mut x);
        Ok((x, x))
    }

    fn relay_respond<R, F>(
        rng: &mut R,
        _keys: &(),
        onion_skin: &[u8],
        _reply_message: F,
    ) -> Result<(Seed, [u8; 40]), HandshakeError>
    where
        R: RngCore + CryptoRng,
        F: FnOnce(&[u8], &mut [u8]) -> Option<usize>,
    {
        let x: &[u8; 20] = onion_skin.try_into().map_err(|_| HandshakeError::BadLength)?;
        let mut y = [0u8; 20];
        rng.fill_bytes(&mut y);
        let mut k = [0u8; 112];
        kdf::kdf_tor(&[x, &y], &mut k)?;
        let mut reply = [0u8; 40];
        reply[..20].copy_from_slice(&y);
        reply[20..].copy_from_slice(&k[..20]);
        let mut material = [0u8; 92];
        material.copy_from_slice(&k[..92]);
        Ok((Seed { kh_first: true, material }, reply))
    }

    fn client_finish(
        state: [u8; 20],
        reply: &[u8],
        _message_out: &mut [u8],
    ) -> Result<(Seed, usize), HandshakeError> {
        let reply: &[u8; 40] = reply.try_into().map_err(|_| HandshakeError::BadLength)?;
        let mut k = [0u8; 112];
        kdf::kdf_tor(&[&state, &reply[..20]], &mut k)?;
        if !bool::from(k[..20].ct_eq(&reply[20..])) {
            return Err(HandshakeError::Failed);
        }
        let mut material = [0u8; 92];
        material.copy_from_slice(&k[..92]);
        Ok((Seed { kh_first: true, material }, 0))
    }
}

/// ntor work: relay does `Y = y·G`, `X·y`, `X·b`, HMAC-SHA256 ×3 and HKDF-SHA256.
pub(crate) struct NtorStandIn;

const PROTOID: &[u8] = b"ntor-curve25519-sha256-1";

/// The stand-in ntor relay's keys: identity, `b`, `B`.
pub(crate) struct NtorKeys {
    id: [u8; 20],
    b: [u8; 32],
    pk: [u8; 32],
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::Mac;
    let Ok(mut m) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else { return [0; 32] };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Returns (secret-derived keys, auth) for the ntor transcript.
fn ntor_core(
    e1: &[u8; 32],
    e2: &[u8; 32],
    id: &[u8; 20],
    b: &[u8; 32],
    x: &[u8; 32],
    y: &[u8; 32],
) -> Result<([u8; 92], [u8; 32]), HandshakeError> {
    let si: [&[u8]; 7] = [e1, e2, id, b, x, y, PROTOID];
    let _key_seed = hmac(b"ntor-curve25519-sha256-1:key_extract", &si);
    let verify = hmac(b"ntor-curve25519-sha256-1:verify", &si);
    let auth = hmac(b"ntor-curve25519-sha256-1:mac", &[&verify, id, b, y, x, PROTOID, b"Server"]);
    let mut material = [0u8; 92];
    kdf::hkdf_sha256(
        b"ntor-curve25519-sha256-1:key_extract",
        &si,
        b"ntor-curve25519-sha256-1:key_expand",
        &mut material,
    )?;
    Ok((material, auth))
}

impl CircuitHandshake for NtorStandIn {
    const HTYPE: HandshakeType = HandshakeType::NTOR;
    type RelayPublicKey = ([u8; 20], [u8; 32]);
    type RelayKeys = NtorKeys;
    type ClientState = ([u8; 32], [u8; 84]);
    type OnionSkin = [u8; 84];
    type Reply = [u8; 64];
    type KeySeed = Seed;

    fn client_start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &Self::RelayPublicKey,
        message: &[u8],
    ) -> Result<(Self::ClientState, [u8; 84]), HandshakeError> {
        if !message.is_empty() {
            return Err(HandshakeError::MessageNotSupported);
        }
        let mut x = [0u8; 32];
        rng.fill_bytes(&mut x);
        let big_x = x25519_dalek::x25519(x, x25519_dalek::X25519_BASEPOINT_BYTES);
        let mut skin = [0u8; 84];
        skin[..20].copy_from_slice(&relay.0);
        skin[20..52].copy_from_slice(&relay.1);
        skin[52..].copy_from_slice(&big_x);
        Ok(((x, skin), skin))
    }

    fn relay_respond<R, F>(
        rng: &mut R,
        keys: &NtorKeys,
        onion_skin: &[u8],
        _reply_message: F,
    ) -> Result<(Seed, [u8; 64]), HandshakeError>
    where
        R: RngCore + CryptoRng,
        F: FnOnce(&[u8], &mut [u8]) -> Option<usize>,
    {
        let skin: &[u8; 84] = onion_skin.try_into().map_err(|_| HandshakeError::BadLength)?;
        let x: [u8; 32] = skin[52..].try_into().map_err(|_| HandshakeError::BadLength)?;
        let mut y = [0u8; 32];
        rng.fill_bytes(&mut y);
        let big_y = curve25519_dalek::EdwardsPoint::mul_base_clamped(y).to_montgomery().to_bytes();
        let xy = x25519_dalek::x25519(y, x);
        let xb = x25519_dalek::x25519(keys.b, x);
        let (material, auth) = ntor_core(&xy, &xb, &keys.id, &keys.pk, &x, &big_y)?;
        let mut reply = [0u8; 64];
        reply[..32].copy_from_slice(&big_y);
        reply[32..].copy_from_slice(&auth);
        Ok((Seed { kh_first: false, material }, reply))
    }

    fn client_finish(
        state: Self::ClientState,
        reply: &[u8],
        _message_out: &mut [u8],
    ) -> Result<(Seed, usize), HandshakeError> {
        let reply: &[u8; 64] = reply.try_into().map_err(|_| HandshakeError::BadLength)?;
        let (x, skin) = state;
        let big_y: [u8; 32] = reply[..32].try_into().map_err(|_| HandshakeError::BadLength)?;
        let b: [u8; 32] = skin[20..52].try_into().map_err(|_| HandshakeError::BadLength)?;
        let id: [u8; 20] = skin[..20].try_into().map_err(|_| HandshakeError::BadLength)?;
        let big_x: [u8; 32] = skin[52..].try_into().map_err(|_| HandshakeError::BadLength)?;
        let yx = x25519_dalek::x25519(x, big_y);
        let bx = x25519_dalek::x25519(x, b);
        let (material, auth) = ntor_core(&yx, &bx, &id, &b, &big_x, &big_y)?;
        if !bool::from(auth.ct_eq(&reply[32..])) {
            return Err(HandshakeError::Failed);
        }
        Ok((Seed { kh_first: false, material }, 0))
    }
}

/// Stand-in ntor relay keys.
pub(crate) fn ntor_keys(rng: &mut ChaCha20Rng) -> Result<(([u8; 20], [u8; 32]), NtorKeys), Error> {
    let mut id = [0u8; 20];
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut b);
    let pk = x25519_dalek::x25519(b, x25519_dalek::X25519_BASEPOINT_BYTES);
    Ok(((id, pk), NtorKeys { id, b, pk }))
}

/// CREATE_FAST needs no keys.
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn no_keys(_rng: &mut ChaCha20Rng) -> Result<((), ()), Error> {
    Ok(((), ()))
}
