//! [`SledBackend::copy_to`]: every record of a store written into a new store, the copy a
//! backup and a salvage make.
//!
//! The copy is logical: each namespace's records, read in insertion order with their charges,
//! are written into a fresh store (its own sled files and value log), so it carries no garbage
//! and no damage of sled's structures. Keys, values and charges are byte for byte the source's,
//! so whatever a layer above sealed into them (storage-crypto's records and keyring) reads back
//! the same. The copy is one point in time only if nothing writes the source meanwhile:
//! `storage_api::Mpstore::backup` keeps writes out with its store's write gate.

use crate::backend::SledBackend;
use crate::layout::{split_entry_key, EntryRecord, Stored, MAX_SEQ, NAMESPACE_END};
use crate::open::sled_error;
use crate::options::{Durability, SledOptions};
use crate::values::log::ValueLog;
use std::path::Path;
use storage_core::{Backend, Error, Limits, Op, Result};

/// At most this many value bytes go into one write of the copy, so a large namespace is not
/// held in memory whole.
const CHUNK_BYTES: usize = 4 << 20;

/// What [`SledBackend::copy_to`] copied.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Copied {
    /// Namespaces written into the copy.
    pub namespaces: u64,
    /// Entries copied whole.
    pub entries: u64,
    /// Entries whose value could not be read: each is in the copy with an empty value, which
    /// every layer mpstore puts above storage-sled reads as `Corrupt` (a sealed value, an engine
    /// record, are never empty), so the layer that can name the entry does.
    pub unreadable: Vec<Unreadable>,
    /// Records of the source's entry space whose key names no namespace: not copied.
    pub unplaced: u64,
    /// sled could not read the rest of the source's tree: entries after the point it stopped at
    /// are not in the copy.
    pub stopped: Option<Error>,
}

/// An entry whose value [`SledBackend::copy_to`] could not read.
#[derive(Debug)]
#[non_exhaustive]
pub struct Unreadable {
    /// The namespace's bytes.
    pub namespace: Vec<u8>,
    /// The key's bytes.
    pub key: Vec<u8>,
    /// Why.
    pub error: Error,
}

/// One entry of the source, read.
struct Item {
    seq: u64,
    key: Vec<u8>,
    charge: u64,
    value: Result<Vec<u8>>,
}

impl SledBackend {
    /// Writes every entry of this store into a new store at `path` (which must not exist or be
    /// an empty directory) and flushes it; returns what was copied. Reading goes on past damage:
    /// an entry whose value cannot be read is copied empty and listed
    /// ([`Copied::unreadable`]), and a tree sled cannot read to its end ends the copy there
    /// ([`Copied::stopped`]).
    ///
    /// The copy holds one point in time only if no write runs on this store meanwhile (the
    /// caller keeps them out).
    ///
    /// ```
    /// use storage_core::{block_on, Backend, Limits, Op};
    /// use storage_sled::SledBackend;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = SledBackend::open(dir.path().join("store")).unwrap();
    /// let put = Op::Put { key: b"k".to_vec(), value: vec![7; 10_000], charge: 3 };
    /// block_on(store.apply(b"ns", &[put], Limits::NONE)).unwrap();
    /// let copied = store.copy_to(dir.path().join("copy")).unwrap();
    /// assert_eq!((copied.namespaces, copied.entries), (1, 1));
    /// let copy = SledBackend::open(dir.path().join("copy")).unwrap();
    /// assert_eq!(block_on(copy.get(b"ns", b"k")).unwrap(), Some(vec![7; 10_000]));
    /// assert_eq!(block_on(copy.list(b"ns")).unwrap().usage.bytes, 3);
    /// ```
    pub fn copy_to(&self, path: impl AsRef<Path>) -> Result<Copied> {
        let path = path.as_ref();
        let fresh = match std::fs::read_dir(path) {
            Ok(mut listing) => listing.next().is_none(),
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        };
        if !fresh {
            return Err(Error::InvalidParam(format!(
                "cannot copy the store into {}: it exists and is not an empty directory",
                path.display()
            )));
        }
        let target = SledBackend::open_with(
            path,
            SledOptions::default().durability(Durability::Buffered),
        )?;
        let copied = self.copy_into(&target)?;
        target.flush()?;
        Ok(copied)
    }

    fn copy_into(&self, target: &SledBackend) -> Result<Copied> {
        let mut copied = Copied::default();
        let mut namespace: Option<(Vec<u8>, Vec<Item>)> = None;
        for item in self.entries.range(..NAMESPACE_END.to_vec()) {
            let (ekey, record) = match item {
                Ok(kv) => kv,
                Err(e) => {
                    copied.stopped = Some(sled_error("cannot read the rest of the store", e));
                    break;
                }
            };
            let Ok((ns, prefix)) = split_entry_key(&ekey) else {
                copied.unplaced += 1;
                continue;
            };
            if namespace.as_ref().is_some_and(|(n, _)| n.as_slice() != ns) {
                if let Some((n, items)) = namespace.take() {
                    write_namespace(target, &n, items, &mut copied)?;
                }
            }
            let items = &mut namespace.get_or_insert_with(|| (ns.to_vec(), Vec::new())).1;
            items.push(self.read_item(&ekey[prefix.len()..], &record));
        }
        if let Some((n, items)) = namespace {
            write_namespace(target, &n, items, &mut copied)?;
        }
        Ok(copied)
    }

    /// One entry's place in the order, charge and value, from its record.
    fn read_item(&self, key: &[u8], record: &[u8]) -> Item {
        let (seq, charge, value) = match EntryRecord::decode(record) {
            Ok((seq, charge, Stored::Inline(value))) => (seq, charge, Ok(value.to_vec())),
            Ok((seq, charge, Stored::Logged(p))) => {
                let value = match self.disk.log.file(p.segment) {
                    Some(file) => ValueLog::read(&file, &p, true),
                    None => Err(Error::Corrupt(format!(
                        "value log segment {:016x} is missing",
                        p.segment
                    ))),
                };
                (seq, charge, value)
            }
            // Last in the order: its place is lost with its record.
            Err(e) => (MAX_SEQ, 0, Err(e)),
        };
        Item {
            seq: seq & MAX_SEQ,
            key: key.to_vec(),
            charge,
            value,
        }
    }
}

/// Writes one namespace's entries into `target` in their insertion order.
fn write_namespace(
    target: &SledBackend,
    ns: &[u8],
    mut items: Vec<Item>,
    copied: &mut Copied,
) -> Result<()> {
    items.sort_by_key(|item| item.seq);
    copied.namespaces += 1;
    let (mut ops, mut bytes) = (Vec::new(), 0);
    for item in items {
        let value = match item.value {
            Ok(value) => {
                copied.entries += 1;
                value
            }
            Err(error) => {
                copied.unreadable.push(Unreadable {
                    namespace: ns.to_vec(),
                    key: item.key.clone(),
                    error,
                });
                Vec::new()
            }
        };
        bytes += value.len();
        ops.push(Op::Put {
            key: item.key,
            value,
            charge: item.charge,
        });
        if bytes >= CHUNK_BYTES {
            target.apply_blocking(ns, &std::mem::take(&mut ops), Limits::NONE)?;
            bytes = 0;
        }
    }
    if !ops.is_empty() {
        target.apply_blocking(ns, &ops, Limits::NONE)?;
    }
    Ok(())
}
