//! fast: `relay_respond`. The input format and the properties are documented on
//! `onionskin_fuzz::fast::relay_respond`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::fast::relay_respond(data));
