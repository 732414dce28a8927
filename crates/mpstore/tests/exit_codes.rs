//! Every exit code of `mpstore` (`mpstore::exit`), proved by a command that ends in it: in
//! process through `cli::run_on` over stores that fail on purpose, and as real processes over a
//! damaged store on disk and a wrong master key.

use async_trait::async_trait;
use clap::Parser;
use mpstore::cli::args::Cli;
use mpstore::cli::{cloud, run_on};
use mpstore::exit::{CANNOT_OPEN, CORRUPT, FAILURE, INVALID, LIMIT, NOT_FOUND, OK};
use std::path::Path;
use storage_api::Mpstore;
use storage_core::{
    block_on, Backend, Error, Limits, Listing, MemoryBackend, Namespace, Op, ReadPair, Result,
    Scope, StoredValue, Usage,
};
use storage_crypto::{EncryptedBackend, KeyFileProvider};
use storage_sled::SledBackend;

mod common;
use common::mpstore;

/// A backend whose every call fails with `error`: a full disk (`Backend`) or a store whose
/// records all fail to authenticate (`Corrupt`).
struct Failing(Error);

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl Backend for Failing {
    async fn get(&self, _: &[u8], _: &[u8]) -> Result<Option<Vec<u8>>> {
        Err(self.0.clone())
    }
    async fn get_shared(&self, _: &[u8], _: &[u8]) -> Result<Option<StoredValue>> {
        Err(self.0.clone())
    }
    async fn get_many(&self, _: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        Err(self.0.clone())
    }
    async fn apply(&self, _: &[u8], _: &[Op], _: Limits) -> Result<Usage> {
        Err(self.0.clone())
    }
    fn apply_blocking(&self, _: &[u8], _: &[Op], _: Limits) -> Result<Usage> {
        Err(self.0.clone())
    }
    async fn list(&self, _: &[u8]) -> Result<Listing> {
        Err(self.0.clone())
    }
    async fn clear(&self, _: &[u8]) -> Result<()> {
        Err(self.0.clone())
    }
    async fn drop_namespace(&self, _: &[u8]) -> Result<()> {
        Err(self.0.clone())
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        Err(self.0.clone())
    }
}

fn cli(args: &[&str]) -> Cli {
    Cli::parse_from(std::iter::once("mpstore").chain(args.iter().copied()))
}

/// The exit code of `mpstore ARGS` run on `store`.
fn code(store: &Mpstore, args: &[&str]) -> i32 {
    let cli = cli(args);
    match &cli.command {
        mpstore::cli::args::Command::Cloud(c) => cloud::run_on(&cli, c, store),
        _ => run_on(&cli, store.clone()),
    }
}

fn broken() -> Mpstore {
    Mpstore::with_backend(Failing(Error::Backend("disk on fire".into())))
}

fn all_corrupt() -> Mpstore {
    Mpstore::with_backend(Failing(Error::Corrupt("bad tag".into())))
}

/// An in-memory store whose entry `k` of the default user and app holds bytes no engine wrote.
fn one_corrupt_record() -> Mpstore {
    let store = Mpstore::with_backend(MemoryBackend::new());
    let ns = Namespace::local("user", "app", Scope::App)
        .unwrap()
        .encode();
    plant_junk(&store, &ns);
    store
}

/// Like [`one_corrupt_record`], for the cloud data of player `ann` of game `g`.
fn one_corrupt_cloud_record() -> Mpstore {
    let store = Mpstore::with_backend(MemoryBackend::new());
    plant_junk(&store, &Namespace::cloud("g", "ann").unwrap().encode());
    store
}

fn plant_junk(store: &Mpstore, ns: &[u8]) {
    let junk = Op::Put {
        key: b"k".to_vec(),
        value: b"\xffjunk".to_vec(),
        charge: 2,
    };
    block_on(store.backend().apply(ns, &[junk], Limits::NONE)).unwrap();
}

const USER: [&str; 4] = ["--user", "user", "--app", "app"];

fn with(platform: &str, rest: &[&str]) -> Vec<String> {
    ["--platform", platform]
        .iter()
        .chain(USER.iter())
        .chain(rest)
        .map(|s| s.to_string())
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[rustfmt::skip]
#[test]
fn each_storage_failure_exits_with_its_code_in_every_dialect() {
    let big = format!("\"{}\"", "x".repeat(1_048_577));
    for p in ["wx", "my", "tt"] {
        let run = |store: &Mpstore, rest: &[&str]| code(store, &strs(&with(p, rest)));
        let mem = Mpstore::in_memory();
        assert_eq!(run(&mem, &["set", "k", "1"]), OK, "{p}");
        assert_eq!(run(&mem, &["get", "k"]), OK, "{p}");
        // Alipay answers a missing key with success and `data: null`.
        assert_eq!(run(&mem, &["get", "missing"]), if p == "my" { OK } else { NOT_FOUND }, "{p}");
        assert_eq!(run(&mem, &["set", "big", &big]), LIMIT, "{p}");
        assert_eq!(run(&mem, &["set", "", "1"]), INVALID, "{p}");
        assert_eq!(run(&mem, &["remove", ""]), INVALID, "{p}");
        assert_eq!(run(&one_corrupt_record(), &["get", "k"]), CORRUPT, "{p}");
        assert_eq!(run(&all_corrupt(), &["info"]), CORRUPT, "{p}");
        assert_eq!(run(&broken(), &["get", "k"]), FAILURE, "{p}");
        assert_eq!(run(&broken(), &["set", "k", "1"]), FAILURE, "{p}");
        assert_eq!(run(&broken(), &["clear"]), FAILURE, "{p}");
    }
    // WeChat's encrypt option: an entry must be read as it was written.
    let mem = Mpstore::in_memory();
    assert_eq!(code(&mem, &strs(&with("wx", &["set", "k", "1"]))), OK);
    assert_eq!(code(&mem, &strs(&with("wx", &["get", "--encrypt", "k"]))), INVALID);
    assert_eq!(code(&mem, &strs(&with("wx", &["batch", "get", "k"]))), OK);
    assert_eq!(code(&broken(), &strs(&with("wx", &["batch", "get", "k"]))), FAILURE);
    // Host commands.
    assert_eq!(code(&broken(), &["namespaces"]), FAILURE);
    assert_eq!(code(&all_corrupt(), &["namespaces"]), CORRUPT);
    assert_eq!(code(&broken(), &["--user", "u", "purge-user"]), FAILURE);
}

#[rustfmt::skip]
#[test]
fn each_cloud_failure_exits_with_its_code() {
    for p in ["tt", "wx"] {
        let cloud = |rest: &[&str]| -> Vec<String> {
            ["--platform", p, "cloud", "--game", "g", "--openid", "ann"].iter().chain(rest).map(|s| s.to_string()).collect()
        };
        let mem = Mpstore::in_memory();
        assert_eq!(code(&mem, &strs(&cloud(&["set", "level=3"]))), OK, "{p}");
        assert_eq!(code(&mem, &strs(&cloud(&["set", &format!("{}=1", "k".repeat(200))]))), LIMIT, "{p}");
        assert_eq!(code(&mem, &strs(&cloud(&["set", "notapair"]))), INVALID, "{p}");
        assert_eq!(code(&one_corrupt_cloud_record(), &strs(&cloud(&["get", "k"]))), CORRUPT, "{p}");
        assert_eq!(code(&broken(), &strs(&cloud(&["get", "k"]))), FAILURE, "{p}");
        // The host's game configuration, too.
        assert_eq!(code(&mem, &strs(&cloud(&["leaderboards", "level"]))), OK, "{p}");
        assert_eq!(code(&broken(), &strs(&cloud(&["leaderboards", "level"]))), FAILURE, "{p}");
        assert_eq!(code(&all_corrupt(), &strs(&cloud(&["friends", "bob"]))), CORRUPT, "{p}");
    }
}

/// Flips the last byte of every stored value of the store in `dir` that is charged to a
/// namespace (the records of mini-programs; the key records of the encryption layer are
/// charged nothing), opening it through its layers as `mpstore` does.
fn damage_records(dir: &Path) {
    let sled = SledBackend::open(dir.join(storage_api::DATA_DIR)).unwrap();
    let key = KeyFileProvider::new(dir.join(storage_api::KEY_FILE));
    // The key opens the store: the damage below is to records, not to the key.
    let encrypted = block_on(EncryptedBackend::open(sled, &key)).unwrap();
    let raw = encrypted.inner();
    let mut damaged = 0;
    for (ns, usage) in block_on(raw.namespaces()).unwrap() {
        if usage.bytes == 0 {
            continue;
        }
        let keys = block_on(raw.list(&ns)).unwrap().keys;
        assert_eq!(keys.len(), 1, "one record per namespace in this test");
        let mut value = block_on(raw.get(&ns, &keys[0])).unwrap().unwrap();
        *value.last_mut().unwrap() ^= 0x55;
        let put = Op::Put {
            key: keys[0].clone(),
            value,
            charge: usage.bytes,
        };
        block_on(raw.apply(&ns, &[put], Limits::NONE)).unwrap();
        damaged += 1;
    }
    assert_eq!(damaged, 2, "the records of both apps");
}

#[rustfmt::skip]
#[test]
fn a_damaged_record_on_disk_exits_corrupt_and_a_wrong_key_cannot_open() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(mpstore(d, &["--app", "a1", "set", "k", "1"]).0, OK);
    assert_eq!(mpstore(d, &["--app", "a2", "set", "k", "2"]).0, OK);
    damage_records(d);
    // The platforms word it as any storage failure; the exit code says corrupt.
    assert_eq!(mpstore(d, &["--app", "a1", "get", "k"]), (CORRUPT, r#"{"errMsg":"getStorage:fail internal error"}"#.into()));
    assert_eq!(mpstore(d, &["--platform", "tt", "--app", "a2", "get", "k"]), (CORRUPT, r#"{"errMsg":"getStorage:fail internal error","errNo":20000}"#.into()));
    assert_eq!(mpstore(d, &["--platform", "my", "--app", "a1", "get", "k"]), (CORRUPT, r#"{"error":3,"errorMessage":"存储读写失败"}"#.into()));
    // The damaged slot can be overwritten; the store is otherwise sound.
    assert_eq!(mpstore(d, &["--app", "a1", "set", "k", "3"]).0, OK);
    assert_eq!(mpstore(d, &["--app", "a1", "get", "k"]).0, OK);

    // A wrong master key: the store cannot be opened.
    let key = d.join(storage_api::KEY_FILE);
    let saved = std::fs::read(&key).unwrap();
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    assert_eq!(mpstore(d, &["--app", "a1", "get", "k"]).0, CANNOT_OPEN);
    assert_eq!(mpstore(d, &["namespaces"]).0, CANNOT_OPEN);
    std::fs::write(&key, saved).unwrap();
    assert_eq!(mpstore(d, &["--app", "a1", "get", "k"]).0, OK);
}

#[test]
fn rotate_key_goes_through_storage_api_and_refuses_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(mpstore(d, &["set", "k", "1"]).0, OK);
    let key = d.join(storage_api::KEY_FILE);
    let old = std::fs::read(&key).unwrap();
    assert_eq!(
        mpstore(d, &["rotate-key"]),
        (OK, r#"{"rotated":true}"#.into())
    );
    assert_ne!(std::fs::read(&key).unwrap(), old);
    assert!(!d.join(storage_api::NEW_KEY_FILE).exists());
    assert_eq!(
        mpstore(d, &["get", "k"]),
        (OK, r#"{"data":1,"errMsg":"getStorage:ok"}"#.into())
    );
    std::fs::write(&key, &old).unwrap();
    assert_eq!(mpstore(d, &["get", "k"]).0, CANNOT_OPEN);
    // A store not opened from a key file has none to rotate.
    assert_eq!(code(&Mpstore::in_memory(), &["rotate-key"]), FAILURE);
}

/// `mpstore verify` names each damaged entry, goes on past it, and exits corrupt; a sound store
/// verifies clean.
#[test]
fn verify_reports_what_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(mpstore(d, &["--app", "a1", "set", "k", "1"]).0, OK);
    assert_eq!(mpstore(d, &["--app", "a2", "set", "k", "2"]).0, OK);
    let (exit, clean) = mpstore(d, &["verify"]);
    assert_eq!(
        (exit, clean.as_str()),
        (OK, r#"{"namespaces":2,"entries":2,"damaged":[]}"#)
    );
    damage_records(d);
    let (exit, report) = mpstore(d, &["verify"]);
    assert_eq!(exit, CORRUPT, "{report}");
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        (report["namespaces"].as_u64(), report["entries"].as_u64()),
        (Some(2), Some(0))
    );
    let damaged = report["damaged"].as_array().unwrap();
    let apps: Vec<_> = damaged
        .iter()
        .map(|d| d["namespace"]["app"].as_str().unwrap())
        .collect();
    assert_eq!(apps, ["a1", "a2"], "{report}");
    assert!(
        damaged
            .iter()
            .all(|d| d["key"] == "k" && d["error"].as_str().unwrap().contains("corrupt")),
        "{report}"
    );
    // In memory, through every layer: a record no engine wrote, beside sound ones.
    let store = one_corrupt_record();
    store
        .mini_program("user", "app", Scope::App)
        .unwrap()
        .wx()
        .set_storage_sync("fine", 1)
        .unwrap();
    let found = block_on(store.verify()).unwrap();
    assert_eq!((found.entries, found.damaged.len()), (1, 1));
    assert_eq!(found.damaged[0].key.as_deref(), Some("k"));
    assert_eq!(code(&store, &["verify"]), CORRUPT);
}
