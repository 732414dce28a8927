//! storage-crypto over storage-sled: the conformance suite, no plaintext in any file, tamper and
//! shredding on disk, a wrong key at open. (Kills during rotation: `crypto_sled_crash.rs`.)

use mpstore_tests::encrypted_sled::{key, open_encrypted, put};
use std::path::{Path, PathBuf};
use storage_core::{
    block_on, Backend, Error, JsObject, JsValue, Limits, Namespace, Policy, Scope, SetOptions,
    Store,
};
use storage_crypto::{is_wrong_master_key, EncryptedBackend};
use storage_sled::SledBackend;

#[test]
fn encrypted_sled_keeps_the_backend_contract() {
    let k = key(7);
    storage_core::testkit::conformance(|| {
        let sled = SledBackend::temporary().expect("a temporary sled store");
        block_on(EncryptedBackend::open(sled, &k)).expect("a fresh store opens")
    });
}

// ---------------------------------------------------------------------------------------------
// No plaintext on disk.

/// Distinctive strings, ASCII and CJK, one pair per thing that must never reach a file.
const MARKERS: &[&str] = &[
    "zqxKEYMARKERzqx",
    "钥匙标记甲乙丙丁",
    "zqxVALUEMARKERzqx",
    "数值标记戊己庚辛",
    "zqxNESTEDMARKERzqx",
    "嵌套标记壬癸子丑",
    "zqxUSERMARKERzqx",
    "用户标记寅卯辰巳",
    "zqxAPPMARKERzqx",
    "应用标记午未申酉",
    "zqxPLUGINMARKERzqx",
    "插件标记戌亥天地",
    "zqxGAMEMARKERzqx",
    "游戏标记玄黄宇宙",
    "zqxOPENIDMARKERzqx",
    "玩家标记洪荒日月",
];

/// Writes every marker through the store engine: in keys, values (plain and nested in objects
/// and arrays), user, app, plugin, game and player ids, under each dialect's policy.
fn write_markers<B: Backend>(store: &Store<B>) {
    let m = |i: usize| MARKERS[i];
    let namespaces = [
        Namespace::local(m(6), m(8), Scope::App).unwrap(),
        Namespace::local(m(7), m(9), Scope::WebView).unwrap(),
        Namespace::local(format!("u-{}", m(6)), m(9), Scope::Plugin(m(10).into())).unwrap(),
        Namespace::local(m(7), format!("app-{}", m(8)), Scope::Plugin(m(11).into())).unwrap(),
        Namespace::cloud(m(12), m(14)).unwrap(),
        Namespace::cloud(m(13), m(15)).unwrap(),
    ];
    let nested: JsObject = [
        (m(4), JsValue::from(m(5))),
        (
            "list",
            JsValue::from(vec![JsValue::from(m(4)), JsValue::from(m(5))]),
        ),
    ]
    .into_iter()
    .collect();
    for ns in &namespaces {
        for policy in [Policy::WX, Policy::MY, Policy::TT] {
            for (k, v) in [
                (m(0), JsValue::from(m(2))),
                (m(1), JsValue::from(m(3))),
                (&format!("{}/{}", m(0), m(1)), JsValue::from(nested.clone())),
            ] {
                block_on(store.set(ns, &policy, k, &v, SetOptions::default())).unwrap();
            }
        }
        let encrypt = SetOptions { encrypt: true };
        block_on(store.set(ns, &Policy::WX, "wx-encrypt", &m(3).into(), encrypt)).unwrap();
    }
    // A dropped namespace and a cleared one leave nothing readable either.
    block_on(store.drop_namespace(&namespaces[1])).unwrap();
    block_on(store.clear(&namespaces[2])).unwrap();
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The `(marker, encoding, file)` triples where a marker occurs in a file under `dir`, in UTF-8,
/// UTF-16LE or UTF-16BE.
fn find_markers(dir: &Path) -> Vec<(&'static str, &'static str, PathBuf)> {
    let mut found = Vec::new();
    for file in files(dir) {
        let bytes = std::fs::read(&file).unwrap();
        for marker in MARKERS {
            let utf16: Vec<u16> = marker.encode_utf16().collect();
            let encodings = [
                ("UTF-8", marker.as_bytes().to_vec()),
                (
                    "UTF-16LE",
                    utf16.iter().flat_map(|u| u.to_le_bytes()).collect(),
                ),
                (
                    "UTF-16BE",
                    utf16.iter().flat_map(|u| u.to_be_bytes()).collect(),
                ),
            ];
            for (name, needle) in encodings {
                if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                    found.push((*marker, name, file.clone()));
                }
            }
        }
    }
    found
}

#[test]
fn no_key_value_or_id_appears_in_any_file_of_an_encrypted_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = Store::new(open_encrypted(&path, 1).unwrap());
    write_markers(&store);
    block_on(store.backend().rotate(&key(2))).unwrap();
    drop(store);
    assert!(files(dir.path()).len() > 1, "the store wrote its files");
    assert_eq!(find_markers(dir.path()), vec![]);

    // The data is there all the same.
    let store = Store::new(open_encrypted(&path, 2).unwrap());
    let ns = Namespace::local(MARKERS[6], MARKERS[8], Scope::App).unwrap();
    let got = block_on(store.get(&ns, MARKERS[1], false)).unwrap();
    assert_eq!(got, Some(JsValue::from(MARKERS[3])));
    // Six namespaces written, one dropped, one cleared (so it holds nothing).
    assert_eq!(block_on(store.namespaces()).unwrap().len(), 4);
}

/// The scan finds every marker when the same writes go to sled unencrypted: the test above can
/// fail.
#[test]
fn the_marker_scan_finds_every_marker_in_an_unencrypted_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(SledBackend::open(dir.path().join("store")).unwrap());
    write_markers(&store);
    drop(store);
    let found = find_markers(dir.path());
    for marker in MARKERS {
        assert!(
            found.iter().any(|(m, _, _)| m == marker),
            "{marker} not found"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tamper, shredding and the key check, on disk.

/// A store at `path` holding two namespaces of three entries; returns, per namespace, its inner
/// namespace and its entries' inner keys in the order written.
fn tamper_fixture(path: &Path) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
    let enc = open_encrypted(path, 1).unwrap();
    let mut inner = Vec::new();
    for ns in [&b"ns-a"[..], b"ns-b"] {
        let before = data_namespaces(enc.inner());
        for (k, v) in [(&b"k1"[..], &b"one"[..]), (b"k2", b"two"), (b"k3", b"")] {
            block_on(enc.apply(ns, &[put(k, v)], Limits::NONE)).unwrap();
        }
        let inner_ns = data_namespaces(enc.inner())
            .into_iter()
            .find(|n| !before.contains(n))
            .unwrap();
        let keys = block_on(enc.inner().list(&inner_ns)).unwrap().keys;
        inner.push((inner_ns, keys));
    }
    inner
}

fn data_namespaces<B: Backend>(raw: &B) -> Vec<Vec<u8>> {
    let all = block_on(raw.namespaces()).unwrap();
    all.into_iter()
        .map(|(n, _)| n)
        .filter(|n| n != b"k")
        .collect()
}

/// Every entry of the fixture, read after reopening from disk: `Ok(value)` or `Err(corrupt)`.
fn read_back(path: &Path) -> Vec<Result<Option<Vec<u8>>, String>> {
    let enc = open_encrypted(path, 1).unwrap();
    let mut out = Vec::new();
    for ns in [&b"ns-a"[..], b"ns-b"] {
        for k in [&b"k1"[..], b"k2", b"k3"] {
            out.push(match block_on(enc.get(ns, k)) {
                Ok(v) => Ok(v),
                Err(Error::Corrupt(_)) => Err("corrupt".to_string()),
                Err(e) => panic!("not a corrupt error: {e}"),
            });
        }
    }
    out
}

/// Tampers with the raw sled store at `path` (opened bare), then checks that exactly the entries
/// at the `corrupt` indexes (0..3 ns-a, 3..6 ns-b) read as corrupt after reopening, others as
/// written.
fn check_tamper(tamper: impl Fn(&SledBackend, &[(Vec<u8>, Vec<Vec<u8>>)]), corrupt: &[usize]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let inner = tamper_fixture(&path);
    {
        let raw = SledBackend::open(&path).unwrap();
        tamper(&raw, &inner);
    }
    let written: [&[u8]; 3] = [b"one", b"two", b""];
    let expected: Vec<_> = (0..6)
        .map(|i| match corrupt.contains(&i) {
            true => Err("corrupt".to_string()),
            false => Ok(Some(written[i % 3].to_vec())),
        })
        .collect();
    assert_eq!(read_back(&path), expected);
}

fn raw_get(raw: &SledBackend, ns: &[u8], k: &[u8]) -> Vec<u8> {
    block_on(raw.get(ns, k)).unwrap().unwrap()
}

fn raw_put(raw: &SledBackend, ns: &[u8], k: &[u8], v: &[u8]) {
    block_on(raw.apply(ns, &[put(k, v)], Limits::NONE)).unwrap();
}

#[test]
fn tampered_records_on_disk_read_as_corrupt_and_only_they() {
    check_tamper(|_, _| {}, &[]);
    // A flipped byte, at the start, in the nonce, in the tag and in the ciphertext.
    for at in [0, 5, 20, 34] {
        check_tamper(
            |raw, inner| {
                let (ns, keys) = &inner[0];
                let mut v = raw_get(raw, ns, &keys[0]);
                v[at] ^= 0x20;
                raw_put(raw, ns, &keys[0], &v);
            },
            &[0],
        );
    }
    // Truncated.
    // (k3's record is 33 bytes: format, nonce, tag, and an empty ciphertext.)
    for len in [0, 1, 17, 32] {
        check_tamper(
            |raw, inner| {
                let (ns, keys) = &inner[1];
                let v = raw_get(raw, ns, &keys[2]);
                raw_put(raw, ns, &keys[2], &v[..len]);
            },
            &[5],
        );
    }
    // Swapped between two keys.
    check_tamper(
        |raw, inner| {
            let (ns, keys) = &inner[0];
            let (v1, v2) = (raw_get(raw, ns, &keys[0]), raw_get(raw, ns, &keys[1]));
            raw_put(raw, ns, &keys[0], &v2);
            raw_put(raw, ns, &keys[1], &v1);
        },
        &[0, 1],
    );
    // Moved to another namespace, under the same key name.
    check_tamper(
        |raw, inner| {
            let v = raw_get(raw, &inner[0].0, &inner[0].1[1]);
            raw_put(raw, &inner[1].0, &inner[1].1[1], &v);
        },
        &[4],
    );
}

#[test]
fn a_dropped_namespace_restored_on_disk_stays_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let inner = tamper_fixture(&path);
    let (ns_a, keys_a) = &inner[0];
    let records: Vec<(Vec<u8>, Vec<u8>)> = {
        let raw = SledBackend::open(&path).unwrap();
        keys_a
            .iter()
            .map(|k| (k.clone(), raw_get(&raw, ns_a, k)))
            .collect()
    };
    {
        let enc = open_encrypted(&path, 1).unwrap();
        block_on(enc.drop_namespace(b"ns-a")).unwrap();
    }
    {
        let raw = SledBackend::open(&path).unwrap();
        let keyring = block_on(raw.list(b"k")).unwrap().keys;
        assert!(
            keyring.iter().all(|k| !k.ends_with(&ns_a[1..])),
            "the key is destroyed"
        );
        for (k, v) in &records {
            raw_put(&raw, ns_a, k, v);
        }
    }
    let corrupt = || Err("corrupt".to_string());
    let ok = |v: &[u8]| Ok(Some(v.to_vec()));
    assert_eq!(
        read_back(&path),
        vec![
            corrupt(),
            corrupt(),
            corrupt(),
            ok(b"one"),
            ok(b"two"),
            ok(b"")
        ]
    );
    let enc = open_encrypted(&path, 1).unwrap();
    let names: Vec<_> = block_on(enc.namespaces())
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec![b"ns-b".to_vec()]);
}

#[test]
fn a_wrong_key_on_disk_fails_at_open_and_the_right_key_opens_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    tamper_fixture(&path);
    let dump = |path: &Path| {
        let raw = SledBackend::open(path).unwrap();
        let mut all = Vec::new();
        let mut namespaces = block_on(raw.namespaces()).unwrap();
        namespaces.sort();
        for (ns, usage) in namespaces {
            let listing = block_on(raw.list(&ns)).unwrap();
            for k in listing.keys {
                all.push((ns.clone(), usage, raw_get(&raw, &ns, &k)));
            }
        }
        all
    };
    let before = dump(&path);
    for wrong in [2, 0, 255] {
        let err = open_encrypted(&path, wrong).unwrap_err();
        assert!(is_wrong_master_key(&err), "{err}");
        assert_eq!(dump(&path), before);
    }
    assert_eq!(read_back(&path).iter().filter(|r| r.is_ok()).count(), 6);
}
