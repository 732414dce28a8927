//! The fuzz harnesses of mpstore: one function per target, shared by the cargo-fuzz binaries in
//! `fuzz_targets/` and by `tests/tests/fuzz_regressions.rs`, which runs every committed corpus
//! file and artifact through the very same function in the normal test run (no nightly needed).
//!
//! Each harness accepts any bytes. It panics only when it finds a bug: a panic in the code under
//! test, or a broken invariant that the harness checks after the call (a value that does not
//! round-trip, a read that returns bytes nobody wrote, a failed call that changed something).

use cloud_kv::{
    leaderboard_score, parse_key_list, parse_kv_data_list, Caller, CloudKv, KvData, Platform,
    RelationQuery,
};
use mpstore::bridge::Bridge;
use mpstore::tagged::from_tagged;
use serde_json::Value;
use std::sync::Arc;
use storage_api::Mpstore;
use storage_core::value::{decode, encode, MAX_DEPTH};
use storage_core::{block_on, Backend, Error, JsValue, Limits, MemoryBackend, Namespace, Op};
use storage_crypto::{EncryptedBackend, RawKeyProvider};

/// A fuzz harness: any bytes in, a panic only on a bug.
pub type Harness = fn(&[u8]);

/// Every target: its name (the file name in `fuzz_targets/` and the corpus directory) and its
/// harness.
pub const TARGETS: &[(&str, Harness)] = &[
    ("bridge_request", bridge_request),
    ("value_decode", value_decode),
    ("namespace_decode", namespace_decode),
    ("crypto_records", crypto_records),
    ("cloud_validation", cloud_validation),
];

/// The outcomes a bridge response may carry (`docs/bridge.md`).
const OUTCOMES: &[&str] = &["success", "fail", "return", "throw", "error"];

/// Bridge request decoding and dispatch: `data` is the bridge's input, lines of JSON requests.
///
/// Every line is answered through [`Bridge::serve`] over an in-memory store with a small line
/// cap (so the cap's path is reached too): exactly one well-formed response per line, none of
/// them the `internal` kind the bridge reports when a lower layer panicked, and afterwards every
/// namespace's usage agrees with its listing.
pub fn bridge_request(data: &[u8]) {
    let store = Mpstore::in_memory();
    let bridge = Bridge::new(store.clone()).max_line_bytes(4096);
    let mut output = Vec::new();
    let stats = bridge
        .serve(data, &mut output)
        .expect("in-memory input and output cannot fail");
    let text = std::str::from_utf8(&output).expect("responses are UTF-8 JSON");
    let responses: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each response line is JSON"))
        .collect();
    assert_eq!(responses.len() as u64, stats.lines, "one response per line");
    // Lines end at `\n`; a last line without one still counts, an empty input has none.
    let expected_lines = data.iter().filter(|&&b| b == b'\n').count()
        + usize::from(!data.is_empty() && !data.ends_with(b"\n"));
    assert_eq!(
        responses.len(),
        expected_lines,
        "one response per input line"
    );
    for r in &responses {
        let outcome = r["outcome"]
            .as_str()
            .expect("every response has an outcome");
        assert!(OUTCOMES.contains(&outcome), "unknown outcome in {r}");
        assert!(r.get("id").is_some(), "every response has an id: {r}");
        assert_ne!(
            r.pointer("/error/kind"),
            Some(&Value::from("internal")),
            "{r}"
        );
    }
    check_usage(store.backend().as_ref());
}

/// Every namespace's usage names as many entries as its listing shows.
fn check_usage(backend: &dyn Backend) {
    for (ns, usage) in block_on(backend.namespaces()).expect("memory namespaces") {
        let listing = block_on(backend.list(&ns)).expect("memory list");
        assert_eq!(listing.usage, usage, "usage at one instant");
        assert_eq!(
            listing.keys.len() as u64,
            usage.entries,
            "entries of {ns:?}"
        );
    }
}

/// The value model's decoding: `data` is a stored value record. A decoded value nests at most
/// [`MAX_DEPTH`] deep, can be measured and shown, and encodes to bytes that decode to it again.
pub fn value_decode(data: &[u8]) {
    let Ok(value) = decode(data) else { return };
    assert!(
        value.depth() <= MAX_DEPTH,
        "decoded a value nested too deeply"
    );
    let _ = value.serialized_size();
    let _ = value.serialized_text();
    let again = decode(&encode(&value)).expect("an encoded value decodes");
    assert_eq!(again, value, "round trip of {value:?}");
}

/// Namespace decoding: `data` is a namespace's bytes as a backend stores them. The encoding is
/// injective, so a decoded namespace encodes back to exactly `data`.
pub fn namespace_decode(data: &[u8]) {
    if let Ok(ns) = Namespace::decode(data) {
        assert_eq!(ns.encode(), data, "{ns:?} has two encodings");
    }
}

/// A namespace's plaintext entries: (key, value).
type Entries = &'static [(&'static [u8], &'static [u8])];

/// The plaintext entries the crypto harness writes before damaging the records.
const PLAIN: &[(&[u8], Entries)] = &[
    (
        b"ns-a",
        &[(b"k1", b"value one"), (b"k2", b""), (b"k3", b"three")],
    ),
    (b"ns-b", &[(b"k1", b"b one")]),
];

/// The crypto decorator's record parsing: `data` is read as edits of the stored records (new
/// values, new keys, records copied onto other slots, a new keyring head), applied to the inner
/// backend under an [`EncryptedBackend`] holding a few entries. Reading through the decorator,
/// and opening a new one over the damaged records, must never panic, and must never return
/// bytes that were not written under that namespace and key: a damaged record is an error.
pub fn crypto_records(data: &[u8]) {
    let raw = Arc::new(MemoryBackend::new());
    let key = RawKeyProvider::new([7; 32]);
    let enc = block_on(EncryptedBackend::open(Arc::clone(&raw), &key)).expect("open");
    for (ns, entries) in PLAIN {
        let ops: Vec<Op> = entries
            .iter()
            .map(|(k, v)| Op::Put {
                key: k.to_vec(),
                value: v.to_vec(),
                charge: (k.len() + v.len()) as u64,
            })
            .collect();
        block_on(enc.apply(ns, &ops, Limits::NONE)).expect("fixture write");
    }
    damage(&raw, data);
    check_reads(&enc);
    // A decorator opened over the damaged records: refused at open, or the same guarantees.
    if let Ok(reopened) = block_on(EncryptedBackend::open(Arc::clone(&raw), &key)) {
        check_reads(&reopened);
        let _ = block_on(reopened.rotate(&RawKeyProvider::new([8; 32])));
        check_reads(&reopened);
    }
}

/// Every stored record of `raw`: (namespace, key).
fn records(raw: &MemoryBackend) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut namespaces = block_on(raw.namespaces()).expect("memory namespaces");
    namespaces.sort();
    let mut out = Vec::new();
    for (ns, _) in namespaces {
        for key in block_on(raw.list(&ns)).expect("memory list").keys {
            out.push((ns.clone(), key));
        }
    }
    out
}

/// Applies the edits `data` describes to `raw`: each edit is an opcode byte, a record index
/// byte, a length byte and that many bytes of payload.
fn damage(raw: &MemoryBackend, mut data: &[u8]) {
    let put = |ns: &[u8], key: &[u8], value: &[u8]| {
        let op = Op::Put {
            key: key.to_vec(),
            value: value.to_vec(),
            charge: 1,
        };
        block_on(raw.apply(ns, &[op], Limits::NONE)).expect("memory put");
    };
    while let [op, index, len, rest @ ..] = data {
        let len = usize::from(*len).min(rest.len());
        let (payload, tail) = rest.split_at(len);
        data = tail;
        let all = records(raw);
        if all.is_empty() {
            return;
        }
        let (ns, key) = &all[usize::from(*index) % all.len()];
        match op % 6 {
            // A new value for the record.
            0 => put(ns, key, payload),
            // The record moved to a new key in its namespace.
            1 => {
                let value = block_on(raw.get(ns, key)).unwrap().unwrap_or_default();
                block_on(raw.apply(ns, &[Op::Delete { key: key.clone() }], Limits::NONE)).unwrap();
                put(ns, payload, &value);
            }
            // Another record's value copied onto this one.
            2 => {
                let (other_ns, other_key) =
                    &all[usize::from(payload.first().copied().unwrap_or(0)) % all.len()];
                let value = block_on(raw.get(other_ns, other_key))
                    .unwrap()
                    .unwrap_or_default();
                put(ns, key, &value);
            }
            // A new record in the record's namespace.
            3 => put(ns, payload, payload),
            // The value truncated or with a bit flipped.
            4 => {
                let mut value = block_on(raw.get(ns, key)).unwrap().unwrap_or_default();
                match payload.first() {
                    Some(&at) if !value.is_empty() => {
                        let i = usize::from(at) % value.len();
                        value[i] ^= payload.get(1).copied().unwrap_or(1).max(1);
                    }
                    _ => value.truncate(len),
                }
                put(ns, key, &value);
            }
            // The record removed.
            _ => {
                block_on(raw.apply(ns, &[Op::Delete { key: key.clone() }], Limits::NONE)).unwrap();
            }
        }
    }
}

/// Reads everything through `enc`: whatever succeeds must be what was written.
fn check_reads<B: Backend>(enc: &EncryptedBackend<B>) {
    for (ns, entries) in PLAIN {
        let written = |key: &[u8]| entries.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        if let Ok(listing) = block_on(enc.list(ns)) {
            for key in &listing.keys {
                assert!(
                    written(key).is_some(),
                    "listed a key never written: {key:?}"
                );
            }
        }
        for (key, value) in entries.iter().copied().chain([(&b"other"[..], &b""[..])]) {
            if let Ok(Some(found)) = block_on(enc.get(ns, key)) {
                assert_eq!(
                    written(key),
                    Some(&found[..]),
                    "read bytes that were not written under {ns:?}/{key:?} (stored {value:?})"
                );
            }
        }
    }
    let _ = block_on(enc.namespaces());
    let put = Op::Put {
        key: b"k9".to_vec(),
        value: b"nine".to_vec(),
        charge: 6,
    };
    if block_on(enc.apply(b"ns-c", &[put], Limits::NONE)).is_ok() {
        assert_eq!(
            block_on(enc.get(b"ns-c", b"k9")).ok().flatten().as_deref(),
            Some(&b"nine"[..]),
            "a write acknowledged over damaged records reads back"
        );
    }
    let _ = block_on(enc.clear(b"ns-b"));
    let _ = block_on(enc.drop_namespace(b"ns-c"));
}

/// cloud-kv validation: `data` is JSON (tagged as the bridge tags values) standing for the
/// arguments of the cloud APIs; anything else is passed as a String. Every rule check returns a
/// value or a rule error; a write either stores exactly the pairs it was given or changes
/// nothing, and the player never holds more than 128 pairs.
pub fn cloud_validation(data: &[u8]) {
    let arg = match serde_json::from_slice::<Value>(data) {
        Ok(json) => match from_tagged(&json) {
            Ok(v) => v,
            Err(_) => return,
        },
        Err(_) => JsValue::from(String::from_utf8_lossy(data).into_owned()),
    };
    let field = |name: &str| match &arg {
        JsValue::Object(o) => o.get(name).cloned().unwrap_or(JsValue::Undefined),
        _ => arg.clone(),
    };
    let list = field("KVDataList");
    let keys = field("keyList");
    let _ = parse_kv_data_list(&list);
    let _ = parse_key_list(&keys);
    let _ = RelationQuery::from_tt(&field("type"), &keys, &field("extra"));
    if let JsValue::String(s) = &arg {
        for platform in [Platform::Tt, Platform::Wx] {
            let _ = leaderboard_score(platform, s);
        }
    }
    for platform in [Platform::Tt, Platform::Wx] {
        let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
        block_on(cloud.set_leaderboard_keys("game", &["score"])).expect("leaderboard keys");
        let player = Caller::new(platform, "game")
            .logged_in("player")
            .open_data();
        let seed = [KvData::new("kept", "1")];
        block_on(cloud.set_pairs(&player, &seed)).expect("seed pair");
        let stored = |cloud: &CloudKv<Arc<MemoryBackend>>| {
            let keys = block_on(cloud.get_user_cloud_storage_keys(&player)).expect("keys");
            let pairs = block_on(cloud.get_pairs(&player, &keys)).expect("pairs");
            assert!(pairs.len() <= 128, "more than 128 pairs stored");
            pairs
        };
        let before = stored(&cloud);
        match block_on(cloud.set_user_cloud_storage(&player, &list)) {
            Ok(()) => {
                let written = parse_kv_data_list(&list).expect("a stored list is valid");
                let after = stored(&cloud);
                // The later value of a repeated key wins.
                for pair in &written {
                    let last = written.iter().rev().find(|p| p.key == pair.key).unwrap();
                    assert!(after.contains(last), "pair {last:?} not stored");
                }
            }
            Err(Error::Cloud(_)) => {
                assert_eq!(stored(&cloud), before, "a refused write changed data")
            }
            Err(e) => panic!("setUserCloudStorage failed with a non-rule error: {e}"),
        }
        let before = stored(&cloud);
        match block_on(cloud.remove_user_cloud_storage(&player, &keys)) {
            Ok(()) => {}
            Err(Error::Cloud(_)) => {
                assert_eq!(stored(&cloud), before, "a refused removal changed data")
            }
            Err(e) => panic!("removeUserCloudStorage failed with a non-rule error: {e}"),
        }
        let _ = block_on(cloud.get_user_cloud_storage(&player, &keys));
        let _ = block_on(cloud.get_cloud_storage_by_relation(
            &player,
            &field("type"),
            &keys,
            &field("extra"),
        ));
    }
}
