//! The relay header: decode → encode → decode. The input format and the properties are
//! documented on `onionskin_fuzz::relay_crypto::relay_cell`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::relay_crypto::relay_cell(data));
