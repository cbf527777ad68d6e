//! hs_ntor: `service_respond_batch` against `service_respond` one cell at a time. The input
//! format and the properties are documented on `onionskin_fuzz::hs_ntor::service_respond_batch`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::hs_ntor::service_respond_batch(data));
