//! The X25519 entry points on x25519-dalek (feature `reference-backends`), for embedders who
//! prefer an audited implementation to this crate's own ladders. Same signatures and results;
//! each multiplication is a separate `x25519_dalek::x25519` call, so nothing is shared between
//! the two ladders or the three results (see the README for what that costs).

use x25519_dalek::{X25519_BASEPOINT_BYTES, x25519 as dalek};

/// Two variable-base multiplications over one base: `(scalar_a * u, scalar_b * u)`.
///
/// ```
/// # #[cfg(feature = "hazmat")] {
/// # use onionskin::x25519::{x25519, x25519_pair};
/// let (a, b) = x25519_pair(&[1; 32], &[2; 32], &[9; 32]);
/// assert_eq!((a, b), (x25519(&[1; 32], &[9; 32]), x25519(&[2; 32], &[9; 32])));
/// # }
/// ```
#[must_use]
pub fn x25519_pair(scalar_a: &[u8; 32], scalar_b: &[u8; 32], u: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    (dalek(*scalar_a, *u), dalek(*scalar_b, *u))
}

/// One scalar over two bases: `(scalar * u1, scalar * u2)`.
///
/// ```
/// # #[cfg(feature = "hazmat")] {
/// # use onionskin::x25519::{x25519, x25519_two_bases};
/// let (a, b) = x25519_two_bases(&[1; 32], &[9; 32], &[5; 32]);
/// assert_eq!(b, x25519(&[1; 32], &[5; 32]));
/// # }
/// ```
#[must_use]
pub fn x25519_two_bases(scalar: &[u8; 32], u1: &[u8; 32], u2: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    (dalek(*scalar, *u1), dalek(*scalar, *u2))
}

/// One variable-base multiplication `scalar * u`, the plain RFC 7748 `X25519` function.
///
/// ```
/// # #[cfg(feature = "hazmat")] {
/// # use onionskin::x25519::x25519;
/// assert_eq!(x25519(&[0; 32], &[0; 32]), [0; 32]);
/// # }
/// ```
#[must_use]
pub fn x25519(scalar: &[u8; 32], u: &[u8; 32]) -> [u8; 32] {
    dalek(*scalar, *u)
}

/// Fixed-base multiplication `scalar * 9`: the public key of `scalar`.
///
/// ```
/// # #[cfg(feature = "hazmat")] {
/// # use onionskin::x25519::{x25519, x25519_base};
/// assert_eq!(x25519_base(&[3; 32]), x25519(&[3; 32], &{ let mut g = [0; 32]; g[0] = 9; g }));
/// # }
/// ```
#[must_use]
pub fn x25519_base(scalar: &[u8; 32]) -> [u8; 32] {
    dalek(*scalar, X25519_BASEPOINT_BYTES)
}

/// `(y * 9, y * X, b * X)`: what an ntor or ntor-v3 relay computes for a client's `X`.
///
/// ```
/// # #[cfg(feature = "hazmat")] {
/// # use onionskin::x25519::{x25519_base, x25519_base_and_pair, x25519_pair};
/// let (y_pub, yx, bx) = x25519_base_and_pair(&[1; 32], &[2; 32], &[9; 32]);
/// assert_eq!((y_pub, (yx, bx)), (x25519_base(&[1; 32]), x25519_pair(&[1; 32], &[2; 32], &[9; 32])));
/// # }
/// ```
#[must_use]
pub fn x25519_base_and_pair(
    y: &[u8; 32],
    b: &[u8; 32],
    x: &[u8; 32],
) -> ([u8; 32], [u8; 32], [u8; 32]) {
    (
        dalek(*y, X25519_BASEPOINT_BYTES),
        dalek(*y, *x),
        dalek(*b, *x),
    )
}
