//! Single operations by value size: get, buffered set and durable set through the full stack,
//! against raw sled (bare and with serde_json), SQLite at the same durability, and the disk's
//! fsync floor.

use super::{size_label, Ctx};
use crate::harness::{interleave, Contender, Plan, Samples};
use crate::peers::{full_stack, key, raw_sled, spread, value, FsyncFloor, Layers, Sqlite, Stamped};
use crate::report::{Report, Row, Section, Target, Value};
use crate::suites::crypto::value_ad;
use storage_api::Wx;
use storage_core::Scope;
use storage_crypto::PmacSiv;
use storage_sled::Durability;

/// The value sizes measured.
pub const SIZES: [usize; 3] = [100, 1024, 100 * 1024];

/// How many distinct keys each size cycles through: a working set that fits the namespace's
/// 10 MB quota (WeChat counts UTF-16 units, so 2 bytes per ASCII character).
pub(crate) fn keys_for(size: usize) -> u64 {
    if size > 10 * 1024 {
        32
    } else {
        1000
    }
}

/// Adds the get, buffered-set and durable-set sections for every size.
pub fn run(ctx: &Ctx, report: &mut Report) {
    for size in SIZES {
        run_size(ctx, report, size);
    }
}

fn wx_of(store: &storage_api::Mpstore) -> Wx {
    store
        .mini_program("bench-user", "bench-app", Scope::App)
        .expect("namespace")
        .wx()
}

fn run_size(ctx: &Ctx, report: &mut Report, size: usize) {
    let label = size_label(size);
    let n = keys_for(size);
    let v = value(size);
    let json = serde_json::to_vec(&v).expect("json");
    let keys: Vec<String> = (0..n).map(key).collect();
    let dir = ctx.dir(&format!("ops-{size}"));

    let buffered = full_stack(&dir.join("full-buffered"), Durability::Buffered);
    let durable = full_stack(&dir.join("full-durable"), Durability::Durable);
    let wx_b = wx_of(&buffered);
    let wx_d = wx_of(&durable);
    let raw = raw_sled(&dir.join("raw"));
    let raw_json = raw.open_tree("json").expect("tree");
    let layers_b = Layers::open(&dir.join("layers-buffered"), Durability::Buffered);
    let layers_d = Layers::open(&dir.join("layers-durable"), Durability::Durable);
    let lite_normal = Sqlite::open(&dir.join("normal.sqlite"), Durability::Buffered);
    let lite_full = Sqlite::open(&dir.join("full.sqlite"), Durability::Durable);
    let mut floor = FsyncFloor::create(&dir.join("fsync-floor"));
    // sled's own log file, to fsync it after sled's flush (which only uses sync_file_range).
    let sled_log = std::fs::File::open(dir.join("raw").join("db")).expect("sled's log file");

    wx_b.batch_set_storage_sync(
        keys.iter()
            .map(|k| storage_api::KvItem::new(k.as_str(), v.as_str())),
    )
    .expect("fill full stack");
    for k in &keys {
        raw.insert(k, v.as_bytes()).expect("fill raw");
        raw_json.insert(k, json.as_slice()).expect("fill raw json");
        lite_normal.set(k, v.as_bytes());
    }
    raw.flush().expect("flush raw");
    let k = |i: u64| keys[spread(i, n) as usize].as_str();
    // Large values write a lot of bytes per slice; shorter slices keep the volume (and sled's
    // log garbage collection, which can stall under sustained writes) in check.
    let writes = |plan: Plan| {
        if size > 10 * 1024 {
            Plan {
                slice: plan.slice / 4,
                ..plan
            }
        } else {
            plan
        }
    };

    // get: the mode of the store does not matter to a read; the buffered one is read.
    let samples = interleave(
        ctx.fast,
        &mut [
            Contender::new("raw sled get", |i| {
                std::hint::black_box(raw.get(k(i)).expect("get"));
            }),
            Contender::new("full stack wx.getStorageSync", |i| {
                std::hint::black_box(wx_b.get_storage_sync(k(i)).expect("get"));
            }),
            Contender::new("raw sled get + serde_json", |i| {
                let bytes = raw_json.get(k(i)).expect("get").expect("present");
                std::hint::black_box(serde_json::from_slice::<String>(&bytes).expect("json"));
            }),
            Contender::new("SQLite get", |i| {
                std::hint::black_box(lite_normal.get(k(i)));
            }),
            // A raw get hands out sled's cached buffer without reading it; any API that returns
            // an owned value (a JavaScript String) must at least copy it once.
            Contender::new("raw sled get + copy of the value", |i| {
                let bytes = raw.get(k(i)).expect("get").expect("present");
                std::hint::black_box(bytes.to_vec());
            }),
        ],
    );
    let small = size <= 1024;
    report.sections.push(Section {
        title: format!("get, {label}"),
        baseline: format!(
            "Ratios to raw sled `get` of the same bytes, paired per round. {n} keys, read in a \
             scattered order."
        ),
        rows: vec![
            baseline_row(&samples, 0),
            ratio_row(&samples, 1, 0).target(Target::AtMost(2.0)),
            ratio_row(&samples, 2, 0),
            ratio_row(&samples, 3, 0),
            ratio_row(&samples, 4, 0),
            versus(&samples, 1, 3, "full stack ÷ SQLite", None),
        ],
    });

    // buffered set: every call writes new bytes (see `Stamped`).
    let [mut s0, mut s1, mut s2, mut s3, mut s4, mut s6, mut s7] =
        [0; 7].map(|_| Stamped::new(size));
    let mut siv = PmacSiv::new(&[7u8; 64]);
    let mut sealing = Vec::with_capacity(size);
    let ads: Vec<Vec<u8>> = keys
        .iter()
        .map(|key| value_ad(&[9; 32], &[3; 16], key.as_bytes()))
        .collect();
    let samples = interleave(
        writes(ctx.fast),
        &mut [
            Contender::new("raw sled insert", |i| {
                raw.insert(k(i), s0.at(i).as_bytes()).expect("insert");
            }),
            Contender::new("full stack wx.setStorageSync, buffered", |i| {
                wx_b.set_storage_sync(k(i), s1.at(i)).expect("set");
            }),
            Contender::new("raw sled insert + serde_json", |i| {
                raw_json
                    .insert(k(i), serde_json::to_vec(s2.at(i)).expect("json"))
                    .expect("insert");
            }),
            Contender::new("SQLite set, synchronous=NORMAL", |i| {
                lite_normal.set(k(i), s3.at(i).as_bytes());
            }),
            Contender::new("storage-sled alone (SledBackend::apply of one put)", |i| {
                layers_b.sled_set(k(i), s4.at(i).as_bytes());
            }),
            Contender::new("storage-crypto over storage-sled", |i| {
                layers_b.encrypted_set(k(i), s6.at(i).as_bytes());
            }),
            // The cipher's floor: the seal storage-crypto runs (format 2), with an associated
            // data component of the same length.
            Contender::new(
                "AES-PMAC-SIV seal of the same bytes alone (the cipher's floor)",
                |i| {
                    // Copied into a kept buffer and sealed in place, as storage-crypto seals
                    // into the record it writes.
                    let ad = &ads[spread(i, n) as usize];
                    sealing.clear();
                    sealing.extend_from_slice(s7.at(i).as_bytes());
                    let tag = siv.seal(&[ad], &mut sealing);
                    std::hint::black_box(tag.expect("seal"));
                },
            ),
        ],
    );
    report.sections.push(Section {
        title: format!("set, buffered, {label}"),
        baseline: "Ratios to raw sled `insert` of the same bytes (sled flushes in the background \
                   every 500 ms; so does the buffered full stack; SQLite WAL with \
                   synchronous=NORMAL does not fsync on commit)."
            .into(),
        rows: vec![
            baseline_row(&samples, 0),
            ratio_row(&samples, 1, 0).target(Target::AtMost(2.0)),
            ratio_row(&samples, 2, 0),
            ratio_row(&samples, 3, 0),
            ratio_row(&samples, 4, 0),
            ratio_row(&samples, 5, 0),
            ratio_row(&samples, 6, 0),
            versus(
                &samples,
                1,
                3,
                "full stack ÷ SQLite NORMAL",
                small.then_some(Target::AtMost(1.0)),
            ),
        ],
    });

    // durable set
    let mut s5 = Stamped::new(size);
    let samples = interleave(
        writes(ctx.durable),
        &mut [
            Contender::new(
                "raw sled insert + flush + fdatasync of sled's log file",
                |i| {
                    raw.insert(k(i), s5.at(i).as_bytes()).expect("insert");
                    raw.flush().expect("flush");
                    sled_log.sync_data().expect("fdatasync");
                },
            ),
            Contender::new("full stack wx.setStorageSync, durable (default)", |i| {
                wx_d.set_storage_sync(k(i), s1.at(i)).expect("set");
            }),
            Contender::new("SQLite set, synchronous=FULL", |i| {
                lite_full.set(k(i), s3.at(i).as_bytes());
            }),
            Contender::new("fsync floor: 4 KiB pwrite + fdatasync", |i| floor.write(i)),
            Contender::new("storage-sled alone, durable", |i| {
                layers_d.sled_set(k(i), s4.at(i).as_bytes());
            }),
            Contender::new("storage-crypto over storage-sled, durable", |i| {
                layers_d.encrypted_set(k(i), s6.at(i).as_bytes());
            }),
            Contender::new("raw sled insert + flush (not power-cut safe)", |i| {
                raw.insert(k(i), s0.at(i).as_bytes()).expect("insert");
                raw.flush().expect("flush");
            }),
        ],
    );
    report.sections.push(Section {
        title: format!("set, durable, {label}"),
        baseline: "Ratios to raw sled `insert` + `flush` + `fdatasync` of its log file (durable \
                   on return through a power cut, like the default full stack and SQLite WAL \
                   with synchronous=FULL). One writer."
            .into(),
        rows: vec![
            baseline_row(&samples, 0),
            ratio_row(&samples, 1, 0).target(Target::AtMost(1.25)),
            ratio_row(&samples, 2, 0),
            ratio_row(&samples, 3, 0),
            ratio_row(&samples, 4, 0),
            ratio_row(&samples, 5, 0),
            ratio_row(&samples, 6, 0),
            versus(
                &samples,
                1,
                2,
                "full stack ÷ SQLite FULL",
                Some(Target::AtMost(1.25)),
            ),
        ],
    });
}

/// The baseline's row: its time, ratio 1.
pub fn baseline_row(s: &Samples, c: usize) -> Row {
    Row::plain(s.names[c].clone(), Value::Time(s.median(c)))
}

/// Contender `c`'s row with its ratio to `base`.
pub fn ratio_row(s: &Samples, c: usize, base: usize) -> Row {
    Row::ratio(
        s.names[c].clone(),
        Value::Time(s.median(c)),
        s.ratio(c, base),
    )
}

/// A derived row: `c` against another contender than the section's baseline.
fn versus(s: &Samples, c: usize, other: usize, label: &str, target: Option<Target>) -> Row {
    let row = Row::ratio(label, Value::Time(s.median(c)), s.ratio(c, other));
    match target {
        Some(t) => row.target(t),
        None => row,
    }
}
