//! `Mpstore::backup` while writers write, and `Mpstore::salvage` of stores damaged file by file.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use storage_api::{KvItem, Mpstore};
use storage_core::{block_on, JsValue, Scope};
use storage_sled::{Durability, SledOptions};

const WRITERS: u64 = 4;

fn buffered() -> SledOptions {
    SledOptions::default().durability(Durability::Buffered)
}

/// Step `n` of a writer: one batch setting `k{n}` and `last` to `n`, so a backup holding half a
/// batch, or a step without the ones before it, shows.
fn step(n: u64) -> [KvItem; 2] {
    [
        KvItem::new(format!("k{n}"), n as f64),
        KvItem::new("last", n as f64),
    ]
}

/// The step a writer's namespace holds, checking it holds exactly steps `0..=n` and nothing else.
fn steps_held(store: &Mpstore, writer: u64) -> Option<u64> {
    let wx = store
        .mini_program(format!("w{writer}"), "app", Scope::App)
        .unwrap()
        .wx();
    let keys = wx.get_storage_info_sync().unwrap().keys;
    if keys.is_empty() {
        return None;
    }
    let JsValue::Number(last) = wx.get_storage_sync("last").unwrap() else {
        panic!("writer {writer}: no last step");
    };
    let last = last as u64;
    let mut expected: Vec<String> = (0..=last).map(|n| format!("k{n}")).collect();
    expected.insert(1, "last".into());
    assert_eq!(keys, expected, "writer {writer}: not steps 0..={last}");
    for n in 0..=last {
        assert_eq!(
            wx.get_storage_sync(format!("k{n}")).unwrap(),
            (n as f64).into()
        );
    }
    Some(last)
}

#[test]
fn a_backup_taken_while_writers_write_holds_one_point_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mpstore::open_default_with(dir.path().join("store"), buffered()).unwrap();
    let acknowledged: Arc<Vec<AtomicU64>> =
        Arc::new((0..WRITERS).map(|_| AtomicU64::new(0)).collect());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, acknowledged, stop) = (store.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let wx = store
                    .mini_program(format!("w{w}"), "app", Scope::App)
                    .unwrap()
                    .wx();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    wx.batch_set_storage_sync(step(n)).unwrap();
                    n += 1;
                    // Steps 0..n are acknowledged.
                    acknowledged[w as usize].store(n, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for round in 0..3 {
        while acknowledged
            .iter()
            .any(|a| a.load(Ordering::SeqCst) < 20 * (round + 1))
        {
            std::thread::yield_now();
        }
        let before: Vec<u64> = acknowledged
            .iter()
            .map(|a| a.load(Ordering::SeqCst))
            .collect();
        let to = dir.path().join(format!("backup-{round}"));
        block_on(store.backup(&to)).unwrap();
        let after: Vec<u64> = acknowledged
            .iter()
            .map(|a| a.load(Ordering::SeqCst))
            .collect();
        let copy = Mpstore::open_default(&to).unwrap();
        for w in 0..WRITERS {
            let held = steps_held(&copy, w).map_or(0, |last| last + 1);
            let (lo, hi) = (before[w as usize], after[w as usize] + 1);
            assert!(
                (lo..=hi).contains(&held),
                "round {round}, writer {w}: {held} steps, acknowledged {lo} before and {hi} after"
            );
        }
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_backup_is_private_and_keeps_the_master_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Mpstore::open_default(dir.path().join("store")).unwrap();
    store
        .mini_program("u", "app", Scope::App)
        .unwrap()
        .tt()
        .set_storage_sync("k", "v")
        .unwrap();
    let to = dir.path().join("backup");
    block_on(store.backup(&to)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&to), 0o700);
    assert_eq!(mode(&to.join("master.key")), 0o600);
    assert_eq!(
        std::fs::read(to.join("master.key")).unwrap(),
        std::fs::read(dir.path().join("store/master.key")).unwrap()
    );
}

#[test]
fn a_backup_is_refused_where_it_cannot_be_made() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mpstore::open_default(dir.path().join("store")).unwrap();
    std::fs::create_dir(dir.path().join("full")).unwrap();
    std::fs::write(dir.path().join("full/file"), "x").unwrap();
    let file = dir.path().join("full/file");
    // (store, target, what the error says)
    let cases: [(&Mpstore, &Path, &str); 3] = [
        (&store, &dir.path().join("full"), "is not empty"),
        (&store, &file, "cannot back up into"),
        (
            &Mpstore::in_memory(),
            &dir.path().join("new"),
            "no files to back up",
        ),
    ];
    for (store, to, says) in cases {
        let err = block_on(store.backup(to)).unwrap_err().to_string();
        assert!(err.contains(says), "{}: {err}", to.display());
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}
