//! the one-call relay dispatch by cell. The input format and the properties are documented on
//! `onionskin_fuzz::formats::dispatch_relay_respond`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::formats::dispatch_relay_respond(data));
