//! One error type for the whole check: every failure ends as a line of text in the report.

use core::fmt;

/// Why a step failed, in words for the report.
#[derive(Debug)]
pub(crate) struct Error(String);

impl Error {
    /// An error with this message.
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }

    /// The same error with `context` in front.
    #[must_use]
    pub(crate) fn context(self, context: &str) -> Self {
        Self(format!("{context}: {}", self.0))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for Error {}

macro_rules! from_error {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Self(e.to_string())
            }
        }
    )*};
}

from_error!(
    std::io::Error,
    rustls::Error,
    std::time::SystemTimeError,
    onionskin::DecodeError,
    onionskin::EncodeError,
    onionskin::HandshakeError,
    base64::DecodeError,
    onionskin::relay_crypto::RelayCryptoError,
    onionskin::KeyFormatError,
);

/// Results of this crate.
pub(crate) type Result<T> = core::result::Result<T, Error>;

/// Returns early with an [`Error`] made from a format string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// Returns early with an [`Error`] unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::error::bail!($($arg)*);
        }
    };
}
pub(crate) use ensure;
