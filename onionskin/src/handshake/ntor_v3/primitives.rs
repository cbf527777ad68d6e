//! Proposal 332 A.1's instantiation (SHA3-256, SHAKE-256, AES-256-CTR, X25519), and the
//! hashes that both sides of the handshake compute identically.
//!
//! Inputs are absorbed piece by piece, so no secret buffer (`secret_input`, `auth_input`)
//! is ever assembled.

use crate::ct::Wiped;
use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};

use super::{MAX_CLIENT_MESSAGE_LEN, MAX_SERVER_MESSAGE_LEN, MAX_VERIFICATION_LEN};
use crate::keccak::{Domain, JOB_CAPACITY, Job};

/// A 32-byte secret that is wiped when dropped.
pub(super) type Secret32 = Wiped<32>;

/// `KDF(.., t_final)` output after `ENC_KEY`: the circuit key stream, squeezed on demand.
pub(super) type KdfStream = crate::keccak::Squeeze;

/// `PROTOID` (proposal 332, "The handshake in detail").
pub(super) const PROTOID: &[u8] = b"ntor3-curve25519-sha3_256-1";
/// `t_msgkdf = PROTOID | ":kdf_phase1"`.
const T_MSGKDF: &[u8] = b"ntor3-curve25519-sha3_256-1:kdf_phase1";
/// `t_msgmac = PROTOID | ":msg_mac"`.
const T_MSGMAC: &[u8] = b"ntor3-curve25519-sha3_256-1:msg_mac";
/// `t_key_seed = PROTOID | ":key_seed"`.
const T_KEY_SEED: &[u8] = b"ntor3-curve25519-sha3_256-1:key_seed";
/// `t_verify = PROTOID | ":verify"`.
const T_VERIFY: &[u8] = b"ntor3-curve25519-sha3_256-1:verify";
/// `t_final = PROTOID | ":kdf_final"`.
const T_FINAL: &[u8] = b"ntor3-curve25519-sha3_256-1:kdf_final";
/// `t_auth = PROTOID | ":auth_final"`.
const T_AUTH: &[u8] = b"ntor3-curve25519-sha3_256-1:auth_final";

/// `ENCAP(t)` plus the inputs of the longest hash of each kind must fit a [`Job`]: checked
/// here, so that no input is ever cut short.
const _: () = {
    // Inside the block: Rust 1.85 counts a use in an anonymous const as no use at all.
    const fn encap(len: usize) -> usize {
        8 + len
    }
    let phase1 = encap(T_MSGKDF.len()) + 4 * 32 + PROTOID.len() + encap(MAX_VERIFICATION_LEN);
    let mac = encap(T_MSGMAC.len()) + encap(32) + 3 * 32 + MAX_CLIENT_MESSAGE_LEN;
    let seed = encap(T_KEY_SEED.len()) + 6 * 32 + PROTOID.len() + encap(MAX_VERIFICATION_LEN);
    let verify = encap(T_VERIFY.len()) + 6 * 32 + PROTOID.len() + encap(MAX_VERIFICATION_LEN);
    let auth = encap(T_AUTH.len()) + 6 * 32 + encap(MAX_SERVER_MESSAGE_LEN) + PROTOID.len() + 6;
    let final_kdf = encap(T_FINAL.len()) + 32;
    assert!(phase1 < JOB_CAPACITY && mac < JOB_CAPACITY && seed < JOB_CAPACITY);
    assert!(verify < JOB_CAPACITY && auth < JOB_CAPACITY && final_kdf < JOB_CAPACITY);
};

/// Starts `job` afresh as a SHA3-256 (`H`, `MAC`) or SHAKE-256 (`KDF`) computation with
/// `ENCAP(t)` absorbed. Jobs are filled in place: they are about a kilobyte each.
fn tweaked<'j>(job: &'j mut Job, domain: Domain, t: &[u8]) -> &'j mut Job {
    job.restart(domain, true);
    job.absorb_encap(t)
}

/// The first 32 bytes of a finished job's output (a SHA3-256 digest), wiped on drop.
pub(super) fn digest(job: &Job) -> Secret32 {
    Wiped::new(job.digest())
}

/// `ENC(k, m)`: AES-256-CTR with an all-zero IV, in place (and its own inverse).
pub(super) fn aes256_ctr(key: &[u8; 32], buf: &mut [u8]) {
    let mut c = Ctr128BE::<Aes256>::new(key.into(), &[0u8; 16].into());
    c.apply_keystream(buf);
}

/// `EXP(P, k)`: X25519 of our (unclamped or clamped) secret with their public key.
pub(super) fn dh(secret: &[u8; 32], public: &[u8; 32]) -> Secret32 {
    Wiped::new(crate::x25519::x25519(secret, public))
}

/// The relay's three X25519 operations at once: `(Y, EXP(X,y), EXP(X,b))`, with the two
/// ladders over `X` run side by side and one shared inversion (the crate's fast relay path).
pub(super) fn relay_dh(
    y: &[u8; 32],
    b: &[u8; 32],
    client_pk: &[u8; 32],
) -> ([u8; 32], Secret32, Secret32) {
    let (relay_pk, xy, xb) = crate::x25519::x25519_base_and_pair(y, b, client_pk);
    (relay_pk, Wiped::new(xy), Wiped::new(xb))
}

/// `KEYGEN`'s public half: the X25519 public key of `secret`.
pub(super) fn public_key(secret: &[u8; 32]) -> [u8; 32] {
    crate::x25519::x25519_base(secret)
}

/// Phase 1: `KDF(EXP(B,x) | ID | X | B | PROTOID | ENCAP(VER), t_msgkdf)`, into `job`.
pub(super) fn phase1(
    job: &mut Job,
    bx: &[u8; 32],
    id: &[u8; 32],
    client_pk: &[u8; 32],
    onion_key: &[u8; 32],
    verification: &[u8],
) {
    tweaked(job, Domain::Shake, T_MSGKDF)
        .absorb_all(&[bx, id, client_pk, onion_key, PROTOID])
        .absorb_encap(verification);
}

/// `(ENC_K1, MAC_K1)`: the first 64 bytes of the finished phase-1 KDF.
pub(super) fn phase1_keys(phase1: &Job) -> (Secret32, Secret32) {
    let mut enc_k1 = Wiped::new([0u8; 32]);
    let mut mac_k1 = Wiped::new([0u8; 32]);
    phase1.read_output(0, &mut *enc_k1);
    phase1.read_output(32, &mut *mac_k1);
    (enc_k1, mac_k1)
}

/// `msg_mac = MAC(MAC_K1, ID | B | X | encrypted_msg, t_msgmac)`, into `job`, where
/// `MAC(k, msg, t) = H(ENCAP(t) | ENCAP(k) | msg)` (C tor; the proposal's text has a typo).
pub(super) fn msg_mac(
    job: &mut Job,
    mac_k1: &[u8; 32],
    id: &[u8; 32],
    onion_key: &[u8; 32],
    client_pk: &[u8; 32],
    encrypted_msg: &[u8],
) {
    tweaked(job, Domain::Sha3, T_MSGMAC)
        .absorb_encap(mac_k1)
        .absorb_all(&[id, onion_key, client_pk, encrypted_msg]);
}

/// The two hashes of `secret_input = EXP(X,y) | EXP(X,b) | ID | B | X | Y | PROTOID |
/// ENCAP(VER)`, into `key_seed` and `verify`: `KEY_SEED = H(secret_input, t_key_seed)` and
/// `verify = H(secret_input, t_verify)`.
#[allow(clippy::too_many_arguments)] // the spec's inputs, named as in proposal 332
pub(super) fn key_seed_and_verify(
    key_seed: &mut Job,
    verify: &mut Job,
    xy: &[u8; 32],
    xb: &[u8; 32],
    id: &[u8; 32],
    onion_key: &[u8; 32],
    client_pk: &[u8; 32],
    relay_pk: &[u8; 32],
    verification: &[u8],
) {
    for (job, tweak) in [(key_seed, T_KEY_SEED), (verify, T_VERIFY)] {
        tweaked(job, Domain::Sha3, tweak)
            .absorb_all(&[xy, xb, id, onion_key, client_pk, relay_pk, PROTOID])
            .absorb_encap(verification);
    }
}

/// `KDF(KEY_SEED, t_final)`, into `job`.
pub(super) fn final_kdf(job: &mut Job, key_seed: &[u8; 32]) {
    tweaked(job, Domain::Shake, T_FINAL).absorb(key_seed);
}

/// The final KDF into `fin`, keyed by the finished `KEY_SEED` job `key_seed` (the second
/// link of a [`crate::keccak::Chain`]).
pub(super) fn final_kdf_after(key_seed: &Job, fin: &mut Job) {
    final_kdf(fin, &digest(key_seed));
}

/// `ENC_KEY` (the first 32 bytes of the finished final KDF), and the stream positioned
/// after it, where the circuit keys start. One permutation covers `ENC_KEY` and the 92 bytes
/// of circuit keys.
pub(super) fn final_keys(final_kdf: &Job) -> (Secret32, KdfStream) {
    let mut stream = final_kdf.output();
    let mut enc_key = Wiped::new([0u8; 32]);
    stream.read(&mut *enc_key);
    (enc_key, stream)
}

/// The start of `AUTH = H(verify | ID | B | Y | X | msg_mac | ENCAP(encrypted_sm) | PROTOID |
/// "Server", t_auth)`, up to `msg_mac`, into `job`: everything known before the relay's
/// message is. Its full blocks can run before the message exists; [`auth_finish`] adds the
/// rest.
#[allow(clippy::too_many_arguments)] // the spec's inputs, named as in proposal 332
pub(super) fn auth_prefix(
    job: &mut Job,
    verify: &[u8; 32],
    id: &[u8; 32],
    onion_key: &[u8; 32],
    relay_pk: &[u8; 32],
    client_pk: &[u8; 32],
    msg_mac: &[u8; 32],
) {
    job.restart(Domain::Sha3, false);
    job.absorb_encap(T_AUTH)
        .absorb_all(&[verify, id, onion_key, relay_pk, client_pk, msg_mac]);
}

/// Completes an `AUTH` prefix (run or not) with what follows `msg_mac`:
/// `ENCAP(encrypted_sm) | PROTOID | "Server"`.
pub(super) fn auth_suffix(job: &mut Job, encrypted_sm: &[u8]) {
    job.resume();
    job.absorb_encap(encrypted_sm)
        .absorb_all(&[PROTOID, b"Server"]);
}

/// `AUTH`, from its prefix (run or not) and the encrypted relay message. (The relay runs the
/// last blocks of its `AUTH` jobs in shared lanes instead.)
#[cfg(test)]
pub(super) fn auth_finish(prefix: &mut Job, encrypted_sm: &[u8]) -> [u8; 32] {
    auth_suffix(prefix, encrypted_sm);
    // AUTH is sent in the clear.
    prefix.run().digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tweaks_spell_protoid() {
        for (t, suffix) in [
            (T_MSGKDF, ":kdf_phase1"),
            (T_MSGMAC, ":msg_mac"),
            (T_KEY_SEED, ":key_seed"),
            (T_VERIFY, ":verify"),
            (T_FINAL, ":kdf_final"),
            (T_AUTH, ":auth_final"),
        ] {
            assert_eq!(&t[..PROTOID.len()], PROTOID);
            assert_eq!(&t[PROTOID.len()..], suffix.as_bytes());
        }
    }

    /// Each hash against `sha3` fed the same bytes concatenated, `ENCAP` written out by hand.
    #[test]
    fn jobs_hash_the_concatenated_encapsulated_inputs() {
        use sha3::digest::{Digest, ExtendableOutput, Update, XofReader};
        let k = |b: u8| [b; 32];
        let ver = b"circuit extend";
        let encap = |s: &[u8]| [&(s.len() as u64).to_be_bytes()[..], s].concat();

        let mut job = Job::new(Domain::Sha3);
        msg_mac(&mut job, &k(1), &k(2), &k(3), &k(4), b"encrypted");
        job.run();
        let want = sha3::Sha3_256::digest(
            [
                encap(T_MSGMAC),
                encap(&k(1)),
                k(2).to_vec(),
                k(3).to_vec(),
                k(4).to_vec(),
                b"encrypted".to_vec(),
            ]
            .concat(),
        );
        assert_eq!(job.digest(), <[u8; 32]>::from(want));

        let (mut ks, mut v) = (Job::new(Domain::Sha3), Job::new(Domain::Sha3));
        key_seed_and_verify(
            &mut ks,
            &mut v,
            &k(1),
            &k(2),
            &k(3),
            &k(4),
            &k(5),
            &k(6),
            ver,
        );
        ks.run();
        v.run();
        let secret_input = [k(1), k(2), k(3), k(4), k(5), k(6)].concat();
        for (job, t) in [(&ks, T_KEY_SEED), (&v, T_VERIFY)] {
            let want = sha3::Sha3_256::digest(
                [encap(t), secret_input.clone(), PROTOID.to_vec(), encap(ver)].concat(),
            );
            assert_eq!(job.digest(), <[u8; 32]>::from(want));
        }

        let mut p1 = Job::new(Domain::Shake);
        phase1(&mut p1, &k(1), &k(2), &k(3), &k(4), ver);
        p1.run();
        let (enc, mac) = phase1_keys(&p1);
        let mut xof = sha3::Shake256::default();
        xof.update(
            &[
                encap(T_MSGKDF),
                [k(1), k(2), k(3), k(4)].concat(),
                PROTOID.to_vec(),
                encap(ver),
            ]
            .concat(),
        );
        let mut want = [0u8; 64];
        xof.finalize_xof().read(&mut want);
        assert_eq!([*enc, *mac].concat(), want);

        let mut fin = Job::new(Domain::Shake);
        final_kdf(&mut fin, &k(9));
        fin.run();
        let (enc_key, mut stream) = final_keys(&fin);
        let mut rest = [0u8; 200];
        stream.read(&mut rest);
        let mut xof = sha3::Shake256::default();
        xof.update(&[encap(T_FINAL), k(9).to_vec()].concat());
        let mut want = [0u8; 232];
        xof.finalize_xof().read(&mut want);
        assert_eq!([&enc_key[..], &rest[..]].concat(), want);

        for sm_len in [0, 30, 200, MAX_SERVER_MESSAGE_LEN] {
            let sm = std::vec![7u8; sm_len];
            let want = sha3::Sha3_256::digest(
                [
                    encap(T_AUTH),
                    [k(1), k(2), k(3), k(4), k(5), k(6)].concat(),
                    encap(&sm),
                    PROTOID.to_vec(),
                    b"Server".to_vec(),
                ]
                .concat(),
            );
            // Run before the message is known, or not.
            for run_first in [true, false] {
                let mut prefix = Job::new(Domain::Sha3);
                auth_prefix(&mut prefix, &k(1), &k(2), &k(3), &k(4), &k(5), &k(6));
                if run_first {
                    prefix.run();
                }
                let got = auth_finish(&mut prefix, &sm);
                assert_eq!(got, <[u8; 32]>::from(want), "sm_len {sm_len}");
            }
        }
    }

    #[test]
    fn ctr_is_its_own_inverse_and_counts_big_endian() {
        let key = [7u8; 32];
        let mut buf = [0u8; 40];
        aes256_ctr(&key, &mut buf);
        assert_ne!(buf, [0u8; 40]);
        aes256_ctr(&key, &mut buf);
        assert_eq!(buf, [0u8; 40]);
    }
}
