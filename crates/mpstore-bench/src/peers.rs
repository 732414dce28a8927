//! The stores measured: the full stack and its peers (raw sled, SQLite, the disk itself), each
//! opened the way a fair comparison needs, plus the values and keys they are given.

use rusqlite::{params, Connection, OptionalExtension};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use storage_api::{Mpstore, DATA_DIR};
use storage_core::{block_on, Backend, Limits, Op};
use storage_crypto::{EncryptedBackend, RawKeyProvider};
use storage_sled::{Durability, SledBackend, SledOptions};

/// The master key of every benchmark store.
pub fn key_provider() -> RawKeyProvider {
    RawKeyProvider::new([7; 32])
}

/// sled's page cache in every store, full stack and raw alike: the full stack's default.
pub const CACHE_BYTES: u64 = SledOptions::DEFAULT_CACHE_CAPACITY_BYTES;

/// A value of `len` ASCII characters (so `len` bytes as UTF-8), varied so nothing is uniform.
pub fn value(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8))
        .collect()
}

/// A value of `len` bytes (at least 8) whose first 8 characters change with every call, so no
/// write repeats the bytes already stored: sled skips an insert of the value a key already holds
/// (`Tree::insert` short-circuits a no-op set), which would make raw sled look free.
pub struct Stamped {
    text: String,
}

impl Stamped {
    /// A value of `len` ASCII characters (at least 8).
    pub fn new(len: usize) -> Stamped {
        Stamped {
            text: value(len.max(8)),
        }
    }

    /// The value for call `i`: `i` in hexadecimal in its first 8 characters, and again at the
    /// start of every 4 KiB, so that no 4 KiB piece of it repeats the last write either (a
    /// store that split values into pieces, as storage-sled's format 3 did with 4 KiB chunks,
    /// would otherwise skip rewriting unchanged pieces, since sled skips an insert of the bytes a
    /// key already holds, and look cheaper than the bytes it was given).
    pub fn at(&mut self, i: u64) -> &str {
        let digits = format!("{:08x}", i as u32);
        for start in (0..=self.text.len() - 8).step_by(4096) {
            self.text.replace_range(start..start + 8, &digits);
        }
        &self.text
    }
}

/// The `i`th key: `key-000042`.
pub fn key(i: u64) -> String {
    format!("key-{i:06}")
}

/// A spread-out index in `0..n` for call `i` (a multiplicative hash), so reads do not walk the
/// keys in order.
pub fn spread(i: u64, n: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) % n
}

/// The full stack as a host opens it: `Mpstore::open_with` (encrypted sled in `dir`) with a raw
/// key provider.
pub fn full_stack(dir: &Path, durability: Durability) -> Mpstore {
    let options = SledOptions::default().durability(durability);
    Mpstore::open_with(dir, &key_provider(), options).expect("open the full stack")
}

/// The same stack as [`full_stack`], built by hand so that the sled underneath can be flushed:
/// for filling large stores in buffered mode and making them durable before they are reopened.
pub struct Filler {
    /// The store to fill.
    pub store: Mpstore,
    sled: Arc<SledBackend>,
}

impl Filler {
    /// Opens (or creates) the store in `dir`, buffered, laid out as [`Mpstore::open`] lays it.
    pub fn open(dir: &Path) -> Filler {
        let options = SledOptions::default().durability(Durability::Buffered);
        let sled =
            Arc::new(SledBackend::open_with(dir.join(DATA_DIR), options).expect("open sled"));
        let encrypted =
            block_on(EncryptedBackend::open(sled.clone(), &key_provider())).expect("open crypto");
        Filler {
            store: Mpstore::with_backend(encrypted),
            sled,
        }
    }

    /// Makes everything durable and closes the store.
    pub fn close(self) {
        self.sled.flush().expect("flush sled");
    }
}

/// The full stack's lower layers alone, for the breakdown rows of a set: storage-sled's
/// `SledBackend` by itself, and storage-crypto's `EncryptedBackend` over it, each writing one
/// `Op::Put` per call as the full stack does (charged like a WeChat string of the same length).
pub struct Layers {
    sled: SledBackend,
    encrypted: EncryptedBackend<SledBackend>,
}

impl Layers {
    /// Both layers in `dir`, with the full stack's sled options and `durability`.
    pub fn open(dir: &Path, durability: Durability) -> Layers {
        let options = SledOptions::default().durability(durability);
        let open = |name: &str| {
            SledBackend::open_with(dir.join(name), options.clone()).expect("open sled")
        };
        let encrypted = block_on(EncryptedBackend::open(open("encrypted"), &key_provider()))
            .expect("open crypto");
        Layers {
            sled: open("sled"),
            encrypted,
        }
    }

    fn put(key: &str, value: &[u8]) -> [Op; 1] {
        [Op::Put {
            key: key.as_bytes().to_vec(),
            value: value.to_vec(),
            charge: (key.len() + 2 * value.len()) as u64,
        }]
    }

    /// One put through storage-sled alone.
    pub fn sled_set(&self, key: &str, value: &[u8]) {
        block_on(
            self.sled
                .apply(b"bench", &Self::put(key, value), Limits::NONE),
        )
        .expect("set");
    }

    /// One put through storage-crypto over storage-sled.
    pub fn encrypted_set(&self, key: &str, value: &[u8]) {
        block_on(
            self.encrypted
                .apply(b"bench", &Self::put(key, value), Limits::NONE),
        )
        .expect("set");
    }
}

/// Raw sled configured as storage-sled configures it: the same cache budget and log segment
/// size, and sled's default background flush.
pub fn raw_sled(dir: &Path) -> sled::Db {
    sled::Config::new()
        .path(dir)
        .segment_size(storage_sled::SEGMENT_SIZE_BYTES)
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(Some(SledOptions::DEFAULT_FLUSH_EVERY_MS))
        .open()
        .expect("open raw sled")
}

/// SQLite in WAL mode with `synchronous` = `FULL` (durable on commit) or `NORMAL` (a crash may
/// lose the last commits), one autocommit statement per operation, statements prepared once.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path, durability: Durability) -> Sqlite {
        let conn = Connection::open(path).expect("open sqlite");
        // Several connections to one database wait for each other's writes.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .expect("busy timeout");
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .expect("WAL");
        assert_eq!(mode, "wal");
        let sync = match durability {
            Durability::Durable => "FULL",
            Durability::Buffered => "NORMAL",
            // A mode this bench does not know yet is compared like the durable default, the
            // safer assumption about what its writes cost.
            _ => "FULL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous={sync};
             CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);"
        ))
        .expect("create table");
        Sqlite { conn }
    }

    /// `INSERT OR REPLACE`.
    pub fn set(&self, key: &str, value: &[u8]) {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![key, value]))
            .expect("sqlite set");
    }

    /// `SELECT value`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.conn
            .prepare_cached("SELECT value FROM kv WHERE key = ?1")
            .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())
            .expect("sqlite get")
    }
}

/// The disk's floor for a durable write: rewrite one 4 KiB block and `fdatasync` it.
pub struct FsyncFloor {
    file: File,
    block: Vec<u8>,
}

impl FsyncFloor {
    /// Creates the file at `path`.
    pub fn create(path: &Path) -> FsyncFloor {
        let file = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(path)
            .expect("create fsync file");
        FsyncFloor {
            file,
            block: vec![0x5a; 4096],
        }
    }

    /// One durable 4 KiB write.
    pub fn write(&mut self, i: u64) {
        self.block[0] = i as u8;
        self.file.write_all_at(&self.block, 0).expect("write");
        self.file.sync_data().expect("fdatasync");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keys_and_spread() {
        assert_eq!(value(5), "ahovc");
        assert_eq!(value(100 * 1024).len(), 100 * 1024);
        assert_eq!(key(42), "key-000042");
        let mut v = Stamped::new(12);
        assert_eq!(v.at(0x2a), "0000002aelsz");
        assert_ne!(v.at(1).to_string(), v.at(2));
        let mut big = Stamped::new(3 * 4096 + 8);
        let (one, two) = (big.at(1).to_string(), big.at(2).to_string());
        for start in [0, 4096, 8192, 12288] {
            assert_ne!(one[start..start + 8], two[start..start + 8], "{start}");
        }
        assert!((0..1000).all(|i| spread(i, 7) < 7));
    }
}
