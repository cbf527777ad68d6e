//! Placeholder: fast relay-side X25519 (issue 9).
