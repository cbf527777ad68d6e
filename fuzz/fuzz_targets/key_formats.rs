//! C tor's key files and the descriptor's ntor-onion-key. The input format and the properties are documented on
//! `onionskin_fuzz::formats::key_formats`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::formats::key_formats(data));
