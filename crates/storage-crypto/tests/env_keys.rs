//! `EnvKeyProvider` against real environment variables.
//!
//! Its own test binary with a single test: changing the environment while other threads may read
//! it (tempfile reads `TMPDIR`) is a data race in the C library, so nothing else runs here.

use storage_crypto::{EnvKeyProvider, KeyProvider};

/// Reads the key from the variable `MPSTORE_TEST_KEY_<case>` holding `value` (one variable per
/// case, since tests run on parallel threads): `Ok(key byte)` or a fragment of the error.
fn check_env(case: &str, value: Option<&str>, expected: Result<u8, &str>) {
    let var = format!("MPSTORE_TEST_KEY_{case}");
    match value {
        Some(v) => std::env::set_var(&var, v),
        None => std::env::remove_var(&var),
    }
    let got = EnvKeyProvider::new(&var).master_key();
    match expected {
        Ok(b) => assert_eq!(got.unwrap().as_bytes(), &[b; 32], "{case}"),
        Err(fragment) => {
            let err = got.unwrap_err().to_string();
            assert!(
                err.contains(fragment) && err.contains(&var),
                "{case}: {err}"
            );
            if let Some(v) = value.filter(|v| v.len() > 4) {
                assert!(
                    !err.contains(v.trim()),
                    "the error quotes the secret: {err}"
                );
            }
        }
    }
}

#[test]
fn environment_keys() {
    check_env("HEX", Some(&"07".repeat(32)), Ok(7));
    check_env(
        "PADDED",
        Some(&format!("  {}\n", "AB".repeat(32))),
        Ok(0xab),
    );
    check_env("UNSET", None, Err("is not set"));
    check_env("EMPTY", Some(""), Err("found 0 characters"));
    check_env("SHORT", Some(&"07".repeat(16)), Err("found 32 characters"));
    check_env(
        "NOT_HEX",
        Some(&"zz".repeat(32)),
        Err("not a hexadecimal digit"),
    );
    check_env("LONG", Some(&"07".repeat(33)), Err("found 66 characters"));
    assert_eq!(EnvKeyProvider::default().var(), "MPSTORE_MASTER_KEY");
}
