//! Deterministic randomness, vector constants and the mutation used by every target.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The RNG stream a harness client draws from.
pub const CLIENT: u64 = 1;
/// The RNG stream a harness relay draws from.
pub const RELAY: u64 = 2;

/// ChaCha20 keyed with a constant and a fresh instance per call: every run of a target
/// draws the same "random" bytes, so a failure reproduces from its input alone. `stream`
/// keeps the client's ephemeral keys apart from the relay's.
#[must_use]
pub fn rng(stream: u64) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::from_seed(*b"onionskin fuzz: constant seed 01");
    rng.set_stream(stream);
    rng
}

/// Decodes a hex literal at compile time (a bad literal fails the build).
#[must_use]
pub const fn hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let s = s.as_bytes();
    assert!(s.len() == 2 * N, "hex literal has the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nibble(s[2 * i]) << 4) | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// Splits an input into its mode (modulo `modes`) and the mode's data.
#[must_use]
pub fn mode(data: &[u8], modes: u8) -> Option<(u8, &[u8])> {
    let (&m, rest) = data.split_first()?;
    Some((m % modes, rest))
}

/// The mutation every "mutate" mode applies: the result is as long as `mask` (so a short
/// mask truncates `valid`, a long one extends it), byte `i` is `valid[i] ^ mask[i]`, and bytes
/// past the end of `valid` are the mask's own. An all-zero mask exactly as long as `valid`
/// leaves it unchanged; every other mask changes it.
#[must_use]
pub fn mutate(valid: &[u8], mask: &[u8]) -> Vec<u8> {
    mask.iter()
        .enumerate()
        .map(|(i, m)| valid.get(i).copied().unwrap_or(0) ^ m)
        .collect()
}

/// Checks a typed extension field against the raw field it was read from. Typed reading is
/// C tor's: a congestion-control request's body and the bytes after a response's
/// `sendme_inc` are ignored, so the typed field writes the canonical form, a prefix of the raw
/// body, of the same type; reading that back gives the same typed field.
pub fn check_typed_field(
    field: &onionskin::codec::extension::CircuitExtension<'_>,
    raw: &onionskin::codec::extension::Extension<'_>,
) {
    use onionskin::codec::extension::CircuitExtension;
    let canonical = field
        .to_extension()
        .expect("a field that was read fits one");
    assert_eq!(canonical.ty(), raw.ty());
    assert!(
        raw.body().starts_with(canonical.body()),
        "typed field is not a prefix of the raw one"
    );
    assert_eq!(
        CircuitExtension::from_extension(canonical).as_ref(),
        Ok(field)
    );
}
