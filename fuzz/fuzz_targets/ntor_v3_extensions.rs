//! typed ntor-v3 extension lists. The input format and the properties are documented on
//! `onionskin_fuzz::formats::ntor_v3_extensions`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::formats::ntor_v3_extensions(data));
