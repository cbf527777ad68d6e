//! KDF-TOR (tor-spec 5.2.1) and HKDF-SHA256 (tor-spec 5.2.2) on secret input keys.

use crate::paths::{Ctx, check_eq, lib};
use crate::vg;
use onionskin::kdf;

/// KDF-TOR over a secret `K0` the size of TAP's `g^xy` (128 bytes), split in two pieces as
/// CREATE_FAST passes `X | Y`; output as long as TAP's `KH | keys` (20 + 72 bytes) plus a
/// partial block.
pub(crate) fn kdf_tor(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let k0: [u8; 128] = ctx.bytes();
        let mut want = [0u8; 100];
        lib(
            "kdf_tor (unmarked)",
            kdf::kdf_tor(&[&k0[..20], &k0[20..]], &mut want),
        )?;

        let mut secret = k0;
        vg::secret(&mut secret);
        let mut out = [0u8; 100];
        // The output length is public (fixed by the protocol), so its check may branch.
        lib(
            "kdf_tor",
            kdf::kdf_tor(&[&secret[..20], &secret[20..]], &mut out),
        )?;
        check_eq("KDF-TOR output", &mut out, &want)?;
    }
    Ok(())
}

/// HKDF-SHA256 with ntor's public salt (`t_key`) and info (`m_expand`) over a secret IKM the
/// size of ntor's `secret_input` (204 bytes) in pieces, expanded to 72 + 20 bytes.
pub(crate) fn hkdf_sha256(ctx: &mut Ctx) -> Result<(), String> {
    const T_KEY: &[u8] = b"ntor-curve25519-sha256-1:key_extract";
    const M_EXPAND: &[u8] = b"ntor-curve25519-sha256-1:key_expand";
    for _ in 0..ctx.runs {
        let ikm: [u8; 204] = ctx.bytes();
        let mut want = [0u8; 92];
        lib(
            "hkdf_sha256 (unmarked)",
            kdf::hkdf_sha256(T_KEY, &[&ikm[..64], &ikm[64..]], M_EXPAND, &mut want),
        )?;

        let mut secret = ikm;
        vg::secret(&mut secret);
        let mut out = [0u8; 92];
        lib(
            "hkdf_sha256",
            kdf::hkdf_sha256(T_KEY, &[&secret[..64], &secret[64..]], M_EXPAND, &mut out),
        )?;
        check_eq("HKDF output", &mut out, &want)?;
    }
    Ok(())
}
