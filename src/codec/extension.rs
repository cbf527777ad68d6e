//! Placeholder: the ntor-v3 extension list (issue 5 helper fills this in).
