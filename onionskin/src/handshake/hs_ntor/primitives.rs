//! rend-spec-v3's instantiation of hs-ntor (section 0.3 and [NTOR-WITH-EXTRA-DATA]):
//! `H` is SHA3-256, `KDF` is SHAKE-256, `MAC(k, m) = H(htonll(len(k)) | k | m)`, the cipher
//! is AES-256-CTR with an all-zero IV, and the curve is X25519.
//!
//! Each hash is absorbed piece by piece into a [`Job`], so no secret buffer
//! (`intro_secret_hs_input`, `rend_secret_hs_input`) is ever assembled.

use crate::ct::Wiped;
use crate::keccak::{Domain, JOB_CAPACITY, Job};

use super::{MAC_LEN, MAX_INTRODUCE_BODY_LEN, PUB_KEY_LEN};

/// A 32-byte secret that is wiped when dropped.
pub(super) type Secret32 = Wiped<32>;

/// `KDF(NTOR_KEY_SEED | m_hsexpand)`: the hs relay key stream, squeezed on demand.
pub(super) type KdfStream = crate::keccak::Squeeze;

/// `PROTOID` (rend-spec-v3 [NTOR-WITH-EXTRA-DATA]).
pub(super) const PROTOID: &[u8] = b"tor-hs-ntor-curve25519-sha3-256-1";
/// `t_hsenc = PROTOID | ":hs_key_extract"`.
const T_HSENC: &[u8] = b"tor-hs-ntor-curve25519-sha3-256-1:hs_key_extract";
/// `t_hsverify = PROTOID | ":hs_verify"`.
const T_HSVERIFY: &[u8] = b"tor-hs-ntor-curve25519-sha3-256-1:hs_verify";
/// `t_hsmac = PROTOID | ":hs_mac"`.
const T_HSMAC: &[u8] = b"tor-hs-ntor-curve25519-sha3-256-1:hs_mac";
/// `m_hsexpand = PROTOID | ":hs_key_expand"`.
const M_HSEXPAND: &[u8] = b"tor-hs-ntor-curve25519-sha3-256-1:hs_key_expand";

/// `len(rend_secret_hs_input)`: `EXP(X,y) | EXP(X,b) | AUTH_KEY | B | X | Y | PROTOID`.
const REND_SECRET_LEN: usize = 6 * 32 + PROTOID.len();
/// `len(auth_input)`: `verify | AUTH_KEY | B | Y | X | PROTOID | "Server"`.
const AUTH_INPUT_LEN: usize = 5 * 32 + PROTOID.len() + 6;

// Every hash's longest input must fit a job, so that no input is ever cut short.
const _: () = {
    let intro_kdf = 4 * 32 + PROTOID.len() + T_HSENC.len() + M_HSEXPAND.len() + 32;
    let intro_mac = 8 + 32 + MAX_INTRODUCE_BODY_LEN - MAC_LEN;
    let seed = 8 + REND_SECRET_LEN + T_HSENC.len() + T_HSVERIFY.len();
    let auth = 8 + AUTH_INPUT_LEN + T_HSMAC.len();
    let expand = 32 + M_HSEXPAND.len();
    assert!(intro_kdf < JOB_CAPACITY && intro_mac < JOB_CAPACITY && seed < JOB_CAPACITY);
    assert!(auth < JOB_CAPACITY && expand < JOB_CAPACITY);
};

/// The first 32 bytes of a finished job's output (a SHA3-256 digest), wiped on drop.
pub(super) fn digest(job: &Job) -> Secret32 {
    Wiped::new(job.digest())
}

/// AES-256-CTR with an all-zero IV, in place (and its own inverse).
pub(super) fn aes256_ctr(key: &[u8; 32], buf: &mut [u8]) {
    use aes::Aes256;
    use ctr::Ctr128BE;
    use ctr::cipher::{KeyIvInit, StreamCipher};
    let mut c = Ctr128BE::<Aes256>::new(key.into(), &[0u8; 16].into());
    c.apply_keystream(buf);
}

/// `EXP(P, k)`: X25519 of our secret with their public key.
pub(super) fn dh(secret: &[u8; 32], public: &[u8; 32]) -> Secret32 {
    Wiped::new(crate::x25519::x25519(secret, public))
}

/// `KEYGEN`'s public half: the X25519 public key of `secret`.
pub(super) fn public_key(secret: &[u8; 32]) -> [u8; 32] {
    crate::x25519::x25519_base(secret)
}

/// The service's three X25519 operations: `(Y, EXP(X,y), EXP(X,b))`, the two ladders over the
/// client's `X` run side by side with one shared inversion (the crate's paired relay path).
pub(super) fn service_dh(
    y: &[u8; 32],
    b: &[u8; 32],
    client_pk: &[u8; 32],
) -> ([u8; 32], Secret32, Secret32) {
    let (service_pk, xy, xb) = crate::x25519::x25519_base_and_pair(y, b, client_pk);
    (service_pk, Wiped::new(xy), Wiped::new(xb))
}

/// The public inputs of the introduction half, besides `EXP(B,x)` and the subcredential.
pub(super) struct IntroInputs<'a> {
    pub(super) auth_key: &'a [u8; PUB_KEY_LEN],
    pub(super) client_pk: &'a [u8; PUB_KEY_LEN],
    pub(super) service_pk: &'a [u8; PUB_KEY_LEN],
}

/// `KDF(intro_secret_hs_input | t_hsenc | info, 64)` with
/// `intro_secret_hs_input = EXP(B,x) | AUTH_KEY | X | B | PROTOID` and
/// `info = m_hsexpand | N_hs_subcred`, into `job`.
pub(super) fn intro_kdf(job: &mut Job, bx: &[u8; 32], intro: &IntroInputs<'_>, subcred: &[u8; 32]) {
    job.restart(Domain::Shake, true);
    job.absorb_all(&[
        bx,
        intro.auth_key,
        intro.client_pk,
        intro.service_pk,
        PROTOID,
        T_HSENC,
        M_HSEXPAND,
        subcred,
    ]);
}

/// `(ENC_KEY, MAC_KEY)`: the 64 bytes of a finished [`intro_kdf`].
pub(super) fn intro_keys(kdf: &Job) -> (Secret32, Secret32) {
    let mut enc_key = Wiped::new([0u8; 32]);
    let mut mac_key = Wiped::new([0u8; 32]);
    kdf.read_output(0, &mut *enc_key);
    kdf.read_output(32, &mut *mac_key);
    (enc_key, mac_key)
}

/// The INTRODUCE1 MAC, `MAC(MAC_KEY, header | X | ENCRYPTED_DATA)`, into `job`. The header is
/// every byte of the cell before ENCRYPTED, LEGACY_KEY_ID included: the prose of rend-spec-v3
/// 3.3.2 says "from AUTH_KEY", but its test vector (appendix G.1) and C tor
/// (`compute_introduce_mac`) cover the whole cell, and C tor is what clients meet.
pub(super) fn intro_mac(
    job: &mut Job,
    mac_key: &[u8; 32],
    header: &[u8],
    client_pk: &[u8; 32],
    ciphertext: &[u8],
) {
    job.restart(Domain::Sha3, true);
    job.absorb_encap(mac_key)
        .absorb_all(&[header, client_pk, ciphertext]);
}

/// The secret and public inputs of the rendezvous half.
pub(super) struct RendInputs<'a> {
    pub(super) xy: &'a [u8; 32],
    pub(super) xb: &'a [u8; 32],
    pub(super) auth_key: &'a [u8; PUB_KEY_LEN],
    pub(super) service_pk: &'a [u8; PUB_KEY_LEN],
    pub(super) client_pk: &'a [u8; PUB_KEY_LEN],
    pub(super) ephemeral_pk: &'a [u8; PUB_KEY_LEN],
}

/// `NTOR_KEY_SEED = MAC(rend_secret_hs_input, t_hsenc)` and
/// `verify = MAC(rend_secret_hs_input, t_hsverify)`, into two jobs, where
/// `rend_secret_hs_input = EXP(X,y) | EXP(X,b) | AUTH_KEY | B | X | Y | PROTOID` (the key of
/// these MACs is the long secret input, the message the tweak).
pub(super) fn key_seed_and_verify(key_seed: &mut Job, verify: &mut Job, r: &RendInputs<'_>) {
    for (job, tweak) in [(key_seed, T_HSENC), (verify, T_HSVERIFY)] {
        job.restart(Domain::Sha3, true);
        // usize is at most 64 bits on every supported target.
        job.absorb(&(REND_SECRET_LEN as u64).to_be_bytes())
            .absorb_all(&[
                r.xy,
                r.xb,
                r.auth_key,
                r.service_pk,
                r.client_pk,
                r.ephemeral_pk,
                PROTOID,
                tweak,
            ]);
    }
}

/// `AUTH_INPUT_MAC = MAC(auth_input, t_hsmac)` with
/// `auth_input = verify | AUTH_KEY | B | Y | X | PROTOID | "Server"`, into `job`.
pub(super) fn auth_input_mac(job: &mut Job, verify: &[u8; 32], r: &RendInputs<'_>) {
    job.restart(Domain::Sha3, true);
    job.absorb(&(AUTH_INPUT_LEN as u64).to_be_bytes())
        .absorb_all(&[
            verify,
            r.auth_key,
            r.service_pk,
            r.ephemeral_pk,
            r.client_pk,
            PROTOID,
            b"Server",
            T_HSMAC,
        ]);
}

/// `K = KDF(NTOR_KEY_SEED | m_hsexpand)` (rend-spec-v3 4.2.1), into `job`.
pub(super) fn expand(job: &mut Job, key_seed: &[u8; 32]) {
    job.restart(Domain::Shake, true);
    job.absorb_all(&[key_seed, M_HSEXPAND]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha3::digest::{Digest, ExtendableOutput, Update, XofReader};

    #[test]
    fn tweaks_spell_protoid() {
        for (t, suffix) in [
            (T_HSENC, ":hs_key_extract"),
            (T_HSVERIFY, ":hs_verify"),
            (T_HSMAC, ":hs_mac"),
            (M_HSEXPAND, ":hs_key_expand"),
        ] {
            assert_eq!(&t[..PROTOID.len()], PROTOID);
            assert_eq!(&t[PROTOID.len()..], suffix.as_bytes());
        }
    }

    /// Each hash against `sha3` fed the same bytes concatenated, the MAC's length prefix
    /// written out by hand.
    #[test]
    fn jobs_hash_the_concatenated_inputs() {
        let k = |b: u8| [b; 32];
        let mac = |key: &[u8], msg: &[u8]| {
            <[u8; 32]>::from(sha3::Sha3_256::digest(
                [&(key.len() as u64).to_be_bytes()[..], key, msg].concat(),
            ))
        };
        let (auth_key, client_pk, service_pk, eph) = (k(2), k(3), k(4), k(5));
        let r = RendInputs {
            xy: &k(0),
            xb: &k(1),
            auth_key: &auth_key,
            service_pk: &service_pk,
            client_pk: &client_pk,
            ephemeral_pk: &eph,
        };
        let rend_secret = [k(0), k(1), k(2), k(4), k(3), k(5)].concat();
        let rend_secret = [&rend_secret[..], PROTOID].concat();
        let (mut ks, mut v) = (Job::new(Domain::Sha3), Job::new(Domain::Sha3));
        key_seed_and_verify(&mut ks, &mut v, &r);
        assert_eq!(ks.run().digest(), mac(&rend_secret, T_HSENC));
        assert_eq!(v.run().digest(), mac(&rend_secret, T_HSVERIFY));

        let mut a = Job::new(Domain::Sha3);
        auth_input_mac(&mut a, &k(9), &r);
        let auth_input = [&k(9)[..], &k(2), &k(4), &k(5), &k(3), PROTOID, b"Server"].concat();
        assert_eq!(a.run().digest(), mac(&auth_input, T_HSMAC));

        let mut m = Job::new(Domain::Sha3);
        let header = [7u8; 300];
        intro_mac(&mut m, &k(8), &header, &k(3), b"ciphertext");
        let msg = [&header[..], &k(3), b"ciphertext"].concat();
        assert_eq!(m.run().digest(), mac(&k(8), &msg));

        let intro = IntroInputs {
            auth_key: &auth_key,
            client_pk: &client_pk,
            service_pk: &service_pk,
        };
        let mut kdf = Job::new(Domain::Shake);
        intro_kdf(&mut kdf, &k(1), &intro, &k(6));
        let (enc, mk) = intro_keys(kdf.run());
        let mut xof = sha3::Shake256::default();
        xof.update(
            &[
                &k(1)[..],
                &k(2),
                &k(3),
                &k(4),
                PROTOID,
                T_HSENC,
                M_HSEXPAND,
                &k(6),
            ]
            .concat(),
        );
        let mut want = [0u8; 64];
        xof.finalize_xof().read(&mut want);
        assert_eq!([*enc, *mk].concat(), want);

        let mut e = Job::new(Domain::Shake);
        expand(&mut e, &k(7));
        let mut got = [0u8; 300];
        e.run().output().read(&mut got);
        let mut xof = sha3::Shake256::default();
        xof.update(&[&k(7)[..], M_HSEXPAND].concat());
        let mut want = [0u8; 300];
        xof.finalize_xof().read(&mut want);
        assert_eq!(got, want);
    }
}
