//! Primitives the handshakes take from dependencies, checked on their own with a secret key
//! or input, so that a finding in a dependency is named as such: AES-CTR (`aes` + `ctr`:
//! AES-128 for TAP's hybrid encryption, AES-256 for ntor-v3's messages). The `aes` backend
//! is whichever the CPU that valgrind presents selects (AES-NI when shown); see the README
//! (section "Constant-time check") for checking the bitsliced software one. ntor-v3's
//! SHA3-256 and SHAKE-256 are the crate's own (`src/keccak.rs`), checked on the ntor-v3 paths.

use crate::paths::{Ctx, check_eq};
use crate::vg;
use ctr::cipher::{KeyIvInit, StreamCipher};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;
type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// A message the size of a relay cell body, encrypted under a secret key (zero IV, as both
/// TAP and ntor-v3 use), and the plaintext marked secret as well.
fn ctr_run<C: KeyIvInit + StreamCipher, const K: usize>(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let key: [u8; K] = ctx.bytes();
        let plain: [u8; 509] = ctx.bytes();
        let iv = [0u8; 16];
        let mut want = plain;
        C::new_from_slices(&key, &iv)
            .map_err(|e| format!("key length: {e}"))?
            .apply_keystream(&mut want);

        let (mut k, mut got) = (key, plain);
        vg::secret(&mut k);
        vg::secret(&mut got);
        C::new_from_slices(&k, &iv)
            .map_err(|e| format!("key length: {e}"))?
            .apply_keystream(&mut got);
        check_eq("AES-CTR output", &mut got, &want)?;
    }
    Ok(())
}

pub(crate) fn aes128_ctr(ctx: &mut Ctx) -> Result<(), String> {
    ctr_run::<Aes128Ctr, 16>(ctx)
}

pub(crate) fn aes256_ctr(ctx: &mut Ctx) -> Result<(), String> {
    ctr_run::<Aes256Ctr, 32>(ctx)
}
