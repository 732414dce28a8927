//! `Mpstore::salvage` of a store damaged file by file: the new store holds every entry that
//! could be read, the report names what could not, and the damaged store is left as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use storage_api::Mpstore;
use storage_core::{JsValue, Scope};

const APPS: [&str; 3] = ["a1", "a2", "a3"];
/// The one value above 4096 bytes, so in the value log: the first bytes of its segment.
const LARGE: (&str, &str) = ("a2", "large");

/// A store written over three opens (so sled has written snapshots), its entries by (app, key).
fn store(dir: &Path) -> BTreeMap<(String, String), JsValue> {
    let mut written = BTreeMap::new();
    for round in 0..3 {
        let store = Mpstore::open_default(dir).unwrap();
        for app in APPS {
            let wx = store.mini_program("u", app, Scope::App).unwrap().wx();
            for i in 0..10 {
                let (key, value) = (
                    format!("k{round}-{i}"),
                    JsValue::from(format!("{app} {round} {i}")),
                );
                wx.set_storage_sync(key.as_str(), value.clone()).unwrap();
                written.insert((app.to_string(), key), value);
            }
            if round == 0 && app == LARGE.0 {
                let value = JsValue::from("L".repeat(20_000));
                wx.set_storage_sync(LARGE.1, value.clone()).unwrap();
                written.insert((app.to_string(), LARGE.1.to_string()), value);
            }
        }
    }
    written
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

/// Flips bit 0 of byte `at` of the first file in `data/` whose name starts with `name`.
fn flip(dir: &Path, name: &str, at: usize) {
    let data = dir.join("data");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .chain(std::fs::read_dir(data.join("values")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(name))
        .collect();
    found.sort();
    let path = found
        .first()
        .unwrap_or_else(|| panic!("no {name} in {}", data.display()));
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 1;
    std::fs::write(path, bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// (case, file damaged, byte flipped, a repair the copy needed, (app, key) lost)
type Case = (
    &'static str,
    &'static str,
    usize,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

#[test]
fn salvage_keeps_what_can_be_read_and_names_what_cannot() {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("original");
    let written = store(&original);
    let cases: [Case; 5] = [
        ("undamaged", "", 0, None, &[]),
        ("value log", "0000", 100, None, &[LARGE]),
        ("snapshot", "snap.", 30, Some("snapshots were removed"), &[]),
        ("conf", "conf", 3, Some("conf was written again"), &[]),
        (
            "format file",
            "MPSTORE_FORMAT",
            2,
            Some("format file was written again"),
            &[],
        ),
    ];
    for (case, file, at, repair, lost) in cases {
        let damaged = tmp.path().join(format!("damaged-{case}"));
        copy_dir(&original, &damaged);
        if !file.is_empty() {
            flip(&damaged, file, at);
        }
        let before = files(&damaged);
        let to = tmp.path().join(format!("saved-{case}"));
        let saved = Mpstore::salvage(&damaged, &to).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(files(&damaged), before, "{case}: the damaged store changed");
        match repair {
            Some(repair) => assert!(
                saved.repairs.iter().any(|r| r.contains(repair)),
                "{case}: {:?}",
                saved.repairs
            ),
            None => assert!(saved.repairs.is_empty(), "{case}: {:?}", saved.repairs),
        }
        let named: Vec<(String, String)> = saved
            .lost
            .iter()
            .map(|d| match &d.namespace {
                storage_core::Namespace::Local { app, .. } => {
                    (app.clone(), d.key.clone().unwrap_or_default())
                }
                other => panic!("{case}: {other:?}"),
            })
            .collect();
        let lost: Vec<(String, String)> = lost
            .iter()
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .collect();
        assert_eq!(named, lost, "{case}: lost");
        assert!(saved.unnamed.is_empty(), "{case}: {:?}", saved.unnamed);
        assert_eq!(saved.entries, (written.len() - lost.len()) as u64, "{case}");
        let copy = Mpstore::open_default(&to).unwrap();
        for ((app, key), value) in &written {
            let wx = copy
                .mini_program("u", app.as_str(), Scope::App)
                .unwrap()
                .wx();
            let held = wx.get_storage_sync(key.as_str()).unwrap();
            let expected = if lost.contains(&(app.clone(), key.clone())) {
                JsValue::from("")
            } else {
                value.clone()
            };
            assert_eq!(held, expected, "{case}: {app}/{key}");
        }
        assert!(
            storage_core::block_on(copy.verify())
                .unwrap()
                .damaged
                .is_empty(),
            "{case}"
        );
    }
}

#[test]
fn salvage_refuses_what_it_cannot_read_and_leaves_it_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("original");
    store(&original);
    let no_key = tmp.path().join("no-key");
    copy_dir(&original, &no_key);
    std::fs::remove_file(no_key.join("master.key")).unwrap();
    let wrong_key = tmp.path().join("wrong-key");
    copy_dir(&original, &wrong_key);
    let mut key = std::fs::read(wrong_key.join("master.key")).unwrap();
    key[0] ^= 1;
    std::fs::write(wrong_key.join("master.key"), key).unwrap();
    // (store, what the error says)
    for (dir, says) in [
        (&no_key, "holds no master.key"),
        (&wrong_key, "master key does not open them"),
    ] {
        let before = files(dir);
        let err = Mpstore::salvage(dir, tmp.path().join("to"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{}: {err}", dir.display());
        assert_eq!(files(dir), before);
        std::fs::remove_dir_all(tmp.path().join("to")).ok();
    }
}
