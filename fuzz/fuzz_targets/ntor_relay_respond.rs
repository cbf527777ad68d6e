//! ntor: `relay_respond`. The input format and the properties are documented on
//! `onionskin_fuzz::ntor::relay_respond`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::ntor::relay_respond(data));
