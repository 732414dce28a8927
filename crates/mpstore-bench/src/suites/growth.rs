//! Cost growth with the store's size: get and set in a namespace of 10 … 100,000 keys and in a
//! store of 1 … 100,000 namespaces, `getStorageInfo` of 10 … 10,000 keys, and opening a store
//! of 100,000 namespaces.

use super::{count_label, Ctx, Mode};
use crate::harness::{interleave, median, rotate, Contender, Samples};
use crate::peers::{full_stack, key, key_provider, raw_sled, spread, value, Filler};
use crate::plot::Series;
use crate::report::{Report, Row, Section, Target, Value};
use crate::suites::ops::{baseline_row, ratio_row};
use std::path::PathBuf;
use std::time::Instant;
use storage_api::{KvItem, Mpstore, Wx};
use storage_core::Scope;
use storage_sled::Durability;

/// Keys per namespace measured (the first is the baseline).
pub const KEYS: [u64; 4] = [10, 1_000, 10_000, 100_000];
/// Keys per namespace for `getStorageInfo`.
pub const INFO_KEYS: [u64; 3] = [10, 1_000, 10_000];
/// The value stored under every key: 16 characters, so 100,000 keys stay within WeChat's 10 MB.
const VALUE_LEN: usize = 16;

/// Adds the growth sections; returns the series of the cost-vs-size plot.
pub fn run(ctx: &Ctx, report: &mut Report) -> Vec<Series> {
    let mut series = keys(ctx, report);
    series.extend(namespaces(ctx, report));
    series
}

fn wx(store: &Mpstore, user: &str) -> Wx {
    store
        .mini_program(user, "bench-app", Scope::App)
        .expect("namespace")
        .wx()
}

fn fill(wx: &Wx, n: u64, v: &str) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        wx.batch_set_storage_sync(chunk.iter().map(|&i| KvItem::new(key(i), v)))
            .expect("fill");
        crate::harness::progress();
    }
}

/// Raw sled trees holding `counts[i]` entries each, keyed like the full stack's records (40
/// pseudo-random bytes, as sealed names are): the growth sled shows by itself.
fn raw_trees(ctx: &Ctx, name: &str, counts: &[u64]) -> (sled::Db, Vec<sled::Tree>) {
    let db = raw_sled(&ctx.dir(name));
    let v = value(VALUE_LEN);
    let trees = counts
        .iter()
        .map(|&n| {
            let tree = db.open_tree(format!("entries-{n}")).expect("tree");
            for i in 0..n {
                tree.insert(raw_key(i), v.as_bytes()).expect("fill raw");
            }
            crate::harness::progress();
            tree
        })
        .collect();
    db.flush().expect("flush raw");
    (db, trees)
}

/// A 40-byte key that looks random, as a sealed key name does.
fn raw_key(i: u64) -> Vec<u8> {
    (0..5u64)
        .flat_map(|j| spread(i * 5 + j, u64::MAX).to_be_bytes())
        .collect()
}

/// Raw sled gets over `trees` (`counts[i]` entries in `trees[i]`), interleaved.
fn raw_gets(ctx: &Ctx, trees: &[sled::Tree], counts: &[u64], labels: &[String]) -> Samples {
    let mut gets: Vec<Contender> = trees
        .iter()
        .zip(counts)
        .zip(labels)
        .map(|((tree, &n), l)| {
            Contender::new(format!("raw sled get, {l}"), move |i| {
                std::hint::black_box(tree.get(raw_key(spread(i, n))).expect("get"));
            })
        })
        .collect();
    interleave(ctx.fast, &mut gets)
}

/// Rows of a raw sled reference: ratios to its first contender, no target.
fn reference_rows(s: &Samples) -> Vec<Row> {
    (0..s.names.len())
        .map(|c| {
            if c == 0 {
                baseline_row(s, 0)
            } else {
                ratio_row(s, c, 0)
            }
        })
        .collect()
}

/// Which keys a growth measurement touches in a namespace of `n` keys.
#[derive(Clone, Copy)]
enum Keys {
    /// The same 10 keys, whatever the namespace holds: what the namespace's size costs.
    Hot,
    /// Keys scattered over the whole namespace: the working set grows with it.
    Scattered,
}

impl Keys {
    fn pick(self, i: u64, n: u64) -> String {
        match self {
            Keys::Hot => key(spread(i, 10.min(n))),
            Keys::Scattered => key(spread(i, n)),
        }
    }
}

/// Get/set contenders over `wxs`, one per size; `sizes[i]` keys in `wxs[i]`.
fn get_set(
    ctx: &Ctx,
    wxs: &[Wx],
    keys_in: &[u64],
    labels: &[String],
    which: Keys,
) -> (Samples, Samples) {
    let v = value(VALUE_LEN);
    let mut gets: Vec<Contender> = wxs
        .iter()
        .zip(keys_in)
        .zip(labels)
        .map(|((wx, &n), l)| {
            Contender::new(format!("get, {l}"), move |i| {
                std::hint::black_box(wx.get_storage_sync(which.pick(i, n)).expect("get"));
            })
        })
        .collect();
    let gets = interleave(ctx.fast, &mut gets);
    let mut sets: Vec<Contender> = wxs
        .iter()
        .zip(keys_in)
        .zip(labels)
        .map(|((wx, &n), l)| {
            let v = v.clone();
            Contender::new(format!("set, {l}"), move |i| {
                wx.set_storage_sync(which.pick(i, n), v.as_str())
                    .expect("set");
            })
        })
        .collect();
    let sets = interleave(ctx.fast, &mut sets);
    (gets, sets)
}

fn growth_rows(s: &Samples) -> Vec<Row> {
    let last = s.names.len() - 1;
    (0..s.names.len())
        .map(|c| match c {
            0 => baseline_row(s, 0),
            c if c == last => ratio_row(s, c, 0).target(Target::AtMost(1.3)),
            c => ratio_row(s, c, 0),
        })
        .collect()
}

fn points(s: &Samples, xs: &[u64]) -> Vec<(f64, f64)> {
    xs.iter()
        .enumerate()
        .map(|(c, &x)| (x as f64, s.median(c) * 1e6))
        .collect()
}

fn keys(ctx: &Ctx, report: &mut Report) -> Vec<Series> {
    let dir = ctx.dir("growth-keys");
    let store = full_stack(&dir, Durability::Buffered);
    let v = value(VALUE_LEN);
    let wxs: Vec<Wx> = KEYS
        .iter()
        .map(|&n| {
            let wx = wx(&store, &format!("keys-{n}"));
            fill(&wx, n, &v);
            wx
        })
        .collect();
    let labels: Vec<String> = KEYS
        .iter()
        .map(|&n| format!("{} keys in the namespace", count_label(n)))
        .collect();
    let (gets, sets) = get_set(ctx, &wxs, &KEYS, &labels, Keys::Hot);
    let (spread_gets, spread_sets) = get_set(ctx, &wxs, &KEYS, &labels, Keys::Scattered);
    let (_raw_db, trees) = raw_trees(ctx, "growth-keys-raw", &KEYS);
    let raw = raw_gets(ctx, &trees, &KEYS, &labels);
    let hot = "Buffered full stack (so the fsync does not hide the growth), 16-character values, \
               all namespaces in one store; every namespace is read and written through the \
               same 10 keys, so only the namespace's size changes. Ratios to the 10-key \
               namespace, paired per round.";
    let scattered = "As above, but the keys are scattered over the whole namespace, so the \
                     working set grows with it (past the read cache, the key-name cache and the \
                     CPU's caches): compare with raw sled's own growth below. No target: this is \
                     the memory hierarchy, not the store's structure.";
    for (title, note, samples, target) in [
        ("get vs keys in the namespace", hot, &gets, true),
        ("set vs keys in the namespace", hot, &sets, true),
        (
            "get vs keys in the namespace, scattered keys",
            scattered,
            &spread_gets,
            false,
        ),
        (
            "set vs keys in the namespace, scattered keys",
            scattered,
            &spread_sets,
            false,
        ),
    ] {
        report.sections.push(Section {
            title: title.into(),
            baseline: note.into(),
            rows: if target {
                growth_rows(samples)
            } else {
                reference_rows(samples)
            },
        });
    }
    report.sections.push(Section {
        title: "reference: raw sled get vs entries in the tree".into(),
        baseline: "Raw sled (same cache) with one tree per size holding that many entries under \
                   40-byte pseudo-random keys, as the full stack's sealed names are, read in a \
                   scattered order: the part of the growth that is sled's own. Ratios to 10 \
                   entries, paired per round."
            .into(),
        rows: reference_rows(&raw),
    });

    let mut infos: Vec<Contender> = INFO_KEYS
        .iter()
        .map(|&n| {
            let wx = &wxs[KEYS.iter().position(|&k| k == n).expect("filled")];
            Contender::new(
                format!("getStorageInfoSync, {} keys", count_label(n)),
                move |_| {
                    std::hint::black_box(wx.get_storage_info_sync().expect("info"));
                },
            )
        })
        .collect();
    let infos = interleave(ctx.fast, &mut infos);
    report.sections.push(Section {
        title: "getStorageInfo vs keys in the namespace".into(),
        baseline:
            "`wx.getStorageInfoSync` returns every key, so its cost grows with the key count \
                   by nature; ratios to 10 keys, paired per round."
                .into(),
        rows: (0..INFO_KEYS.len())
            .map(|c| {
                if c == 0 {
                    baseline_row(&infos, 0)
                } else {
                    ratio_row(&infos, c, 0)
                }
            })
            .collect(),
    });
    vec![
        Series::new("get vs keys in the namespace", points(&gets, &KEYS)),
        Series::new("set vs keys in the namespace", points(&sets, &KEYS)),
        Series::new("get, scattered keys", points(&spread_gets, &KEYS)),
        Series::new("set, scattered keys", points(&spread_sets, &KEYS)),
        Series::new("getStorageInfo vs keys", points(&infos, &INFO_KEYS)),
        Series::new("raw sled get vs entries (reference)", points(&raw, &KEYS)),
    ]
}

/// Namespace counts of the stores measured (the first is the baseline).
fn namespace_counts(mode: Mode) -> Vec<u64> {
    match mode {
        Mode::Quick => vec![1, 1_000, 100_000],
        Mode::Full => vec![1, 1_000, 10_000, 100_000],
    }
}

fn namespaces(ctx: &Ctx, report: &mut Report) -> Vec<Series> {
    let counts = namespace_counts(ctx.mode);
    let v = value(VALUE_LEN);
    let dirs: Vec<PathBuf> = counts
        .iter()
        .map(|&n| {
            let dir = ctx.dir(&format!("growth-ns-{n}"));
            let filler = Filler::open(&dir);
            // The measured namespace holds 10 keys; every other namespace one.
            fill(&wx(&filler.store, "target"), 10, &v);
            for j in 1..n {
                wx(&filler.store, &format!("user-{j}"))
                    .set_storage_sync("k", v.as_str())
                    .expect("fill");
                if j % 1000 == 0 {
                    crate::harness::progress();
                }
            }
            filler.close();
            dir
        })
        .collect();

    let stores: Vec<Mpstore> = dirs
        .iter()
        .map(|d| full_stack(d, Durability::Buffered))
        .collect();
    let wxs: Vec<Wx> = stores.iter().map(|s| wx(s, "target")).collect();
    let labels: Vec<String> = counts
        .iter()
        .map(|&n| match n {
            1 => "1 namespace in the store".to_string(),
            n => format!("{} namespaces in the store", count_label(n)),
        })
        .collect();
    let (gets, sets) = get_set(ctx, &wxs, &[10; 4][..counts.len()], &labels, Keys::Hot);
    drop(wxs);
    drop(stores);
    let totals: Vec<u64> = counts.iter().map(|n| n + 9).collect();
    let raw = {
        let (_raw_db, trees) = raw_trees(ctx, "growth-ns-raw", &totals);
        let raw_labels: Vec<String> = totals
            .iter()
            .map(|&n| format!("{} entries in the tree", count_label(n)))
            .collect();
        // As in the full stack, the reads go to 10 of the entries.
        raw_gets(ctx, &trees, &[10; 4][..totals.len()], &raw_labels)
    };
    let note = "Buffered full stack; the measured namespace holds 10 keys, every other one 1 key; \
                one store per count, all open at once; ratios to the 1-namespace store, paired per \
                round.";
    report.sections.push(Section {
        title: "get vs namespaces in the store".into(),
        baseline: note.into(),
        rows: growth_rows(&gets),
    });
    report.sections.push(Section {
        title: "reference: raw sled get vs entries in the tree (namespace counts)".into(),
        baseline: "Raw sled (same cache), one tree per store size holding as many entries as that \
                   store (10 + one per other namespace), 40-byte pseudo-random keys, reads going to 10 \
                   of them. Ratios to the smallest tree, paired per round."
            .into(),
        rows: reference_rows(&raw),
    });
    report.sections.push(Section {
        title: "set vs namespaces in the store".into(),
        baseline: note.into(),
        rows: growth_rows(&sets),
    });

    // Opening: the default (durable) open of each store, closed again between rounds; then
    // sled alone opening the same directories (what the time is made of). Not interleaved with
    // each other: a close by sled alone leaves the directory quicker to open next time.
    let opens = rotate(ctx.rounds, &dirs, |dir| {
        let t = Instant::now();
        let store = Mpstore::open(dir, &key_provider()).expect("open");
        let took = t.elapsed().as_secs_f64();
        drop(store);
        took
    });
    let sled_opens = rotate(ctx.rounds, &dirs, |dir| {
        let t = Instant::now();
        let db = raw_sled(&dir.join(storage_api::DATA_DIR));
        let took = t.elapsed().as_secs_f64();
        drop(db);
        took
    });
    let mut rows = Vec::new();
    for (name, values) in [
        ("Mpstore::open", &opens),
        ("sled alone, same directory", &sled_opens),
    ] {
        rows.push(Row::plain(
            format!("{name}, {}", labels[0]),
            Value::Time(median(&values[0])),
        ));
        for c in 1..counts.len() {
            let ratios: Vec<f64> = values[c]
                .iter()
                .zip(&values[0])
                .map(|(a, b)| a / b)
                .collect();
            rows.push(Row::ratio(
                format!("{name}, {}", labels[c]),
                Value::Time(median(&values[c])),
                median(&ratios),
            ));
        }
    }
    report.sections.push(Section {
        title: "opening a store".into(),
        baseline: format!(
            "`Mpstore::open` (encrypted sled, default durable mode, key check) of a closed store, \
             {} rounds; ratios to the 1-namespace store, paired per round. Then, after those \
             rounds, raw sled opening the same directories (`sled::Config::open`, same cache).",
            ctx.rounds
        ),
        rows,
    });
    vec![
        Series::new("get vs namespaces in the store", points(&gets, &counts)),
        Series::new("set vs namespaces in the store", points(&sets, &counts)),
    ]
}
