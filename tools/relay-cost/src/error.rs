//! The report's error type: why it could not be made (a failing handshake, an unwritable
//! directory...).

use core::fmt;

/// An error, already rendered as text.
pub(crate) struct Error(String);

impl<E: fmt::Display> From<E> for Error {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
