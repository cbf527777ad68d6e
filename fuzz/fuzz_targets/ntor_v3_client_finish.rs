//! ntor_v3: `client_finish`. The input format and the properties are documented on
//! `onionskin_fuzz::ntor_v3::client_finish`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::ntor_v3::client_finish(data));
