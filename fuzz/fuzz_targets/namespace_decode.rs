//! Fuzz target `namespace_decode`: see [`mpstore_fuzz::namespace_decode`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mpstore_fuzz::namespace_decode(data));
