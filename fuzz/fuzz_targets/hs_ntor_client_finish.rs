//! hs_ntor: `client_finish`. The input format and the properties are documented on
//! `onionskin_fuzz::hs_ntor::client_finish`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::hs_ntor::client_finish(data));
