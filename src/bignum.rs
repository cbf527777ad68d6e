//! Placeholder: constant-time Montgomery arithmetic for TAP (issue 4/9).
