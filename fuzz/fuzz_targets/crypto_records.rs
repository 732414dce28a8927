//! Fuzz target `crypto_records`: see [`mpstore_fuzz::crypto_records`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mpstore_fuzz::crypto_records(data));
