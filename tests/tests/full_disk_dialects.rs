//! A full disk, as each dialect reports it: on a 2 MiB tmpfs (mounted by the test; where the
//! machine cannot, it says so, and fails under `CI=true`), an encrypted durable store is written
//! through `setStorage` until the disk is full. The failing call ends in the dialect's documented
//! storage failure (its row of the error table for a backend failure) and changes nothing;
//! reads and removals still work, and once space returns writes succeed without a reopen.

use powercut_fs::Tmpfs;
use storage_api::dispatch::{local, Api, Args, Ending, Outcome, Payload};
use storage_api::{MiniProgram, Mpstore};
use storage_core::codes::{platform_error_in, ApiKind};
use storage_core::{Dialect, Error, JsObject, JsValue, Scope};

fn call(mp: &MiniProgram, d: Dialect, api: &str, pairs: &[(&str, JsValue)]) -> Outcome {
    let api = Api::find(d, api).unwrap_or_else(|| panic!("{d:?} has no {api}"));
    let mut o = JsObject::new();
    for (k, v) in pairs {
        o.insert(*k, v.clone());
    }
    local::call(mp, api, Ok(Args(vec![JsValue::Object(o)]))).unwrap()
}

fn set(mp: &MiniProgram, d: Dialect, i: u32) -> Outcome {
    let value: String = format!("<{i}>").repeat(300);
    call(
        mp,
        d,
        "setStorage",
        &[("key", format!("k{i}").into()), ("data", value.into())],
    )
}

fn read(mp: &MiniProgram, d: Dialect, i: u32) -> Option<JsValue> {
    let got = call(mp, d, "getStorage", &[("key", format!("k{i}").into())]);
    match got.into_payload() {
        Payload::Shaped { values, .. } => values
            .into_iter()
            .find(|(n, _)| *n == "data")
            .map(|(_, v)| v),
        Payload::Value(v) => Some(v),
    }
}

#[test]
fn every_dialect_reports_a_full_disk_as_its_storage_failure_and_recovers() {
    for d in Dialect::ALL {
        let tmp = tempfile::tempdir().unwrap();
        let fs = match Tmpfs::mount(tmp.path(), "2m") {
            Ok(fs) => fs,
            Err(e) => {
                let why = format!("full disk NOT tested here: mounting a tmpfs failed ({e})");
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
                eprintln!("{why}");
                return;
            }
        };
        let store = Mpstore::open_default(tmp.path().join("data")).unwrap();
        let mp = store.mini_program("u", "app", Scope::App).unwrap();
        let mut n = 0;
        let failed = loop {
            let out = set(&mp, d, n);
            if out.is_failure() {
                break out;
            }
            n += 1;
            assert!(n < 50_000, "{d:?}: the disk never filled up");
        };
        assert!(n > 100, "{d:?}: only {n} writes before the disk was full");
        let cause = failed.cause().unwrap().clone();
        assert!(
            matches!(&cause, Error::Backend(m) if m.contains("is full")),
            "{d:?}: {cause:?}"
        );
        assert_eq!(failed.ending(), Ending::Fail, "{d:?}");
        let want = platform_error_in(d, ApiKind::LocalWrite, "setStorage", &cause);
        let Payload::Shaped { json, .. } = failed.payload() else {
            panic!("{d:?}: {failed:?}")
        };
        let shown = json.to_string();
        assert!(
            shown.contains(&want.message),
            "{d:?}: {shown} lacks {:?}",
            want.message
        );
        if let Some(code) = want.code {
            assert!(
                shown.contains(&code.to_string()),
                "{d:?}: {shown} lacks {code}"
            );
        }
        // Nothing changed; reads and removals go on.
        let absent = read(&mp, d, u32::MAX);
        assert_eq!(read(&mp, d, n), absent, "{d:?}: the refused write is there");
        assert_ne!(read(&mp, d, 0), absent, "{d:?}: a stored value is gone");
        assert!(!call(&mp, d, "removeStorage", &[("key", "k0".into())]).is_failure());
        // Space returns: writes succeed again without a reopen.
        fs.resize("64m").unwrap();
        assert!(
            !set(&mp, d, n).is_failure(),
            "{d:?}: still refused after space returned"
        );
        assert_ne!(read(&mp, d, n), absent, "{d:?}");
    }
}
