//! Relay-cell crypto on the relay side, on arbitrary payloads. The input format and the
//! properties are documented on `onionskin_fuzz::relay_crypto::relay_side`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::relay_crypto::relay_side(data));
