//! hs_ntor: `service_respond`. The input format and the properties are documented on
//! `onionskin_fuzz::hs_ntor::service_respond`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::hs_ntor::service_respond(data));
