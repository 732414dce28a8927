//! Fuzz target `bridge_request`: see [`mpstore_fuzz::bridge_request`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mpstore_fuzz::bridge_request(data));
