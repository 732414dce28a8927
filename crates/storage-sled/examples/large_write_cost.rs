//! What a durable write of a large value costs, by part: `SledBackend` against raw sled and
//! against the value log's own steps done by hand (pwrite + `sync_file_range` into a preallocated
//! or a pre-written file, then a small sled insert + flush). Rounds are interleaved, and the
//! median of each is printed (timings belong to this machine; nothing is asserted).
//!
//! ```text
//! cargo run --release -p storage-sled --example large_write_cost [-- LEN ROUNDS]
//! ```

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};
use storage_core::{block_on, Backend, Limits, Op};
use storage_sled::{Durability, SledBackend, SledOptions, SEGMENT_SIZE_BYTES};

const KEYS: usize = 32;
const PER_ROUND: usize = 64;

fn values(len: usize, round: usize) -> Vec<Vec<u8>> {
    (0..PER_ROUND)
        .map(|i| {
            let mut x = (round * PER_ROUND + i) as u64 | 1;
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect()
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn sync_range(f: &std::fs::File, start: u64, len: u64) {
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: a descriptor owned by `f`.
    let r = unsafe { libc::sync_file_range(f.as_raw_fd(), start as i64, len as i64, flags) };
    assert_eq!(r, 0);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let len: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(100 << 10);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(15);
    let tmp = tempfile::tempdir_in(std::env::var("TMPDIR").unwrap_or_else(|_| ".".into())).unwrap();
    let backend = SledBackend::open_with(
        tmp.path().join("backend"),
        SledOptions::default().durability(Durability::Durable),
    )
    .unwrap();
    let raw = sled::Config::new()
        .path(tmp.path().join("raw"))
        .segment_size(SEGMENT_SIZE_BYTES)
        .mode(sled::Mode::LowSpace)
        .open()
        .unwrap();
    let small = sled::Config::new()
        .path(tmp.path().join("small"))
        .segment_size(SEGMENT_SIZE_BYTES)
        .mode(sled::Mode::LowSpace)
        .flush_every_ms(None)
        .open()
        .unwrap();
    let size = 3 * (rounds * PER_ROUND * len) as u64 + (1 << 20);
    let open = |name: &str| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(tmp.path().join(name))
            .unwrap()
    };
    let fallocated = open("fallocated");
    // SAFETY: a descriptor owned by `fallocated`.
    assert_eq!(
        unsafe { libc::fallocate(fallocated.as_raw_fd(), 0, 0, size as i64) },
        0
    );
    let appended = open("appended");
    let mut appended_at = 0u64;
    let written = open("written");
    written.write_all_at(&vec![0u8; size as usize], 0).unwrap();
    written.sync_all().unwrap();
    fallocated.sync_all().unwrap();
    let names = [
        "SledBackend durable apply",
        "raw sled insert + flush",
        "pwrite + sync_file_range (fallocated)",
        "pwrite + sync_file_range (pre-written)",
        "pwrite + sfr (fallocated) + small sled insert + flush",
        "small sled insert + flush",
        "pwrite + sfr (fallocated) + small sled batch + flush",
        "pwrite + sync_file_range (appending, no preallocation)",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    let mut offset = [0u64; 2];
    for round in 0..rounds {
        let vals = values(len, round);
        let only: Option<usize> = std::env::var("ONLY").ok().and_then(|v| v.parse().ok());
        for (which, series) in times.iter_mut().enumerate() {
            if only.is_some_and(|o| o != which) {
                series.push(Duration::ZERO);
                continue;
            }
            let start = Instant::now();
            for (i, v) in vals.iter().enumerate() {
                let key = format!("key{:04}", i % KEYS);
                match which {
                    0 => {
                        let op = Op::Put {
                            key: key.into_bytes(),
                            value: v.clone(),
                            charge: 1,
                        };
                        block_on(backend.apply(b"ns", &[op], Limits::NONE)).unwrap();
                    }
                    1 => {
                        raw.insert(key, v.as_slice()).unwrap();
                        raw.flush().unwrap();
                    }
                    2..=4 => {
                        let (f, o) = if which == 3 {
                            (&written, &mut offset[1])
                        } else {
                            (&fallocated, &mut offset[0])
                        };
                        f.write_all_at(v, *o).unwrap();
                        sync_range(f, *o, v.len() as u64);
                        *o += v.len() as u64;
                        if which == 4 {
                            small.insert(key, &[0u8; 48][..]).unwrap();
                            small.flush().unwrap();
                        }
                    }
                    5 => {
                        small.insert(key, &[1u8; 48][..]).unwrap();
                        small.flush().unwrap();
                    }
                    7 => {
                        appended.write_all_at(v, appended_at).unwrap();
                        sync_range(&appended, appended_at, v.len() as u64);
                        appended_at += v.len() as u64;
                    }
                    _ => {
                        let o = &mut offset[0];
                        fallocated.write_all_at(v, *o).unwrap();
                        sync_range(&fallocated, *o, v.len() as u64);
                        let mut batch = sled::Batch::default();
                        batch.insert(key.as_bytes(), &[2u8; 48][..]);
                        batch.insert(format!("index{o}").as_bytes(), &[3u8; 40][..]);
                        batch.remove(
                            format!("index{}", o.saturating_sub(v.len() as u64 * 32)).as_bytes(),
                        );
                        *o += v.len() as u64;
                        small.apply_batch(batch).unwrap();
                        small.flush().unwrap();
                    }
                }
            }
            series.push(start.elapsed() / PER_ROUND as u32);
        }
    }
    for (name, series) in names.iter().zip(times) {
        println!("{:>8.1} µs  {name}", median(series).as_secs_f64() * 1e6);
    }
}
