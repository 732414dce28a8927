//! `mpstore backup` and `mpstore salvage` as real processes on an encrypted store on disk: what
//! they print, their exit codes, and that what they write reads back through the command line.

use mpstore::exit::{CORRUPT, INVALID, OK};

mod common;
use common::mpstore;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn a_backup_of_an_encrypted_store_reads_back_through_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, backup) = (tmp.path().join("store"), tmp.path().join("backup"));
    let large = format!("\"{}\"", "x".repeat(10_000));
    for (key, value) in [("city", "\"Hangzhou\""), ("large", large.as_str())] {
        assert_eq!(mpstore(&store, &["set", key, value]).0, OK);
    }
    let to = backup.to_str().unwrap();
    // (command, exit code)
    let runs: [(&[&str], i32); 2] = [
        (&["backup", "--to", to], OK),
        (&["backup", "--to", to], INVALID),
    ];
    for (args, code) in runs {
        assert_eq!(mpstore(&store, args).0, code, "{args:?}");
    }
    let (code, out) = mpstore(&backup, &["get", "city"]);
    assert_eq!((code, json(&out)["data"].clone()), (OK, "Hangzhou".into()));
    let (code, out) = mpstore(&backup, &["get", "large"]);
    assert_eq!(
        (code, json(&out)["data"].as_str().map(str::len)),
        (OK, Some(10_000))
    );
    let (code, out) = mpstore(&backup, &["verify"]);
    assert_eq!((code, json(&out)["entries"].clone()), (OK, 2.into()));
}

#[test]
fn salvage_reports_what_it_saved_and_lost_with_its_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    assert_eq!(mpstore(&store, &["set", "small", "1"]).0, OK);
    let large = format!("\"{}\"", "y".repeat(10_000));
    assert_eq!(mpstore(&store, &["set", "large", &large]).0, OK);
    let saved = tmp.path().join("saved");
    let (code, out) = mpstore(&store, &["salvage", "--to", saved.to_str().unwrap()]);
    let report = json(&out);
    assert_eq!(
        (code, report["entries"].clone(), report["lost"].clone()),
        (OK, 2.into(), serde_json::json!([]))
    );
    // The large value's bytes in the value log, damaged: salvage saves the rest and names it.
    let values = store.join("data/values");
    let segment = std::fs::read_dir(&values)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[50] ^= 0x10;
    std::fs::write(&segment, bytes).unwrap();
    let saved = tmp.path().join("saved-damaged");
    let (code, out) = mpstore(&store, &["salvage", "--to", saved.to_str().unwrap()]);
    let report = json(&out);
    assert_eq!((code, report["entries"].clone()), (CORRUPT, 1.into()));
    assert_eq!(report["lost"][0]["key"], "large", "{out}");
    assert_eq!(mpstore(&saved, &["get", "small"]).0, OK);
    assert_eq!(mpstore(&saved, &["verify"]).0, OK);
}
