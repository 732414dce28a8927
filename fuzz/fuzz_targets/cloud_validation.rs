//! Fuzz target `cloud_validation`: see [`mpstore_fuzz::cloud_validation`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mpstore_fuzz::cloud_validation(data));
