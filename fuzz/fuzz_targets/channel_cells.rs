//! The channel stream reader and every link-cell view. The input format and the properties
//! are documented on `onionskin_fuzz::channel::channel_cells`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onionskin_fuzz::channel::channel_cells(data));
