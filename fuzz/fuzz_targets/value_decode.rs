//! Fuzz target `value_decode`: see [`mpstore_fuzz::value_decode`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mpstore_fuzz::value_decode(data));
