//! Placeholder: filled in by issue 2.

pub mod extension;
