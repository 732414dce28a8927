//! Writing a backend: a small one, in memory, with each namespace a plain list of entries, and
//! the proof that it keeps the `Backend` contract: one line of the conformance kit.
//!
//! `cargo run -p storage-core --features testkit --example write_a_backend`

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;
use storage_core::{Backend, Error, Limits, Listing, Op, Result, Usage};

/// One entry: key, value and the charge its writer gave it.
type Entry = (Vec<u8>, Vec<u8>, u64);

/// Namespaces as lists of entries in insertion order, behind one lock: every call runs alone,
/// which makes each one atomic and the whole serializable.
#[derive(Default)]
struct ListBackend {
    namespaces: Mutex<BTreeMap<Vec<u8>, Vec<Entry>>>,
}

fn usage(entries: &[Entry]) -> Usage {
    Usage {
        bytes: entries.iter().map(|(_, _, charge)| charge).sum(),
        entries: entries.len() as u64,
    }
}

impl ListBackend {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Vec<u8>, Vec<Entry>>> {
        self.namespaces.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Backend for ListBackend {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        let namespaces = self.lock();
        let entries = namespaces.get(ns).map_or(&[][..], Vec::as_slice);
        Ok(entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.clone()))
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let mut namespaces = self.lock();
        let before = namespaces.get(ns).cloned().unwrap_or_default();
        // Apply to a copy; keep it only if the limits allow the result.
        let mut after = before.clone();
        for op in ops {
            match op {
                Op::Put { key, value, charge } => {
                    match after.iter_mut().find(|(k, _, _)| k == key) {
                        // An overwrite keeps the key's place.
                        Some(entry) => *entry = (key.clone(), value.clone(), *charge),
                        None => after.push((key.clone(), value.clone(), *charge)),
                    }
                }
                Op::Delete { key } => after.retain(|(k, _, _)| k != key),
            }
        }
        let (was, now) = (usage(&before), usage(&after));
        if limits.refuses(was, now) {
            return Err(Error::LimitExceeded {
                before: was,
                after: now,
                limits,
            });
        }
        if after.is_empty() {
            namespaces.remove(ns);
        } else {
            namespaces.insert(ns.to_vec(), after);
        }
        Ok(now)
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        let namespaces = self.lock();
        let entries = namespaces.get(ns).map_or(&[][..], Vec::as_slice);
        Ok(Listing {
            keys: entries.iter().map(|(k, _, _)| k.clone()).collect(),
            usage: usage(entries),
        })
    }

    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.lock().remove(ns);
        Ok(())
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.lock().remove(ns);
        Ok(())
    }

    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        let namespaces = self.lock();
        Ok(namespaces
            .iter()
            .map(|(ns, e)| (ns.clone(), usage(e)))
            .collect())
    }
}

fn main() {
    // The proof, in one line: random call sequences against the kit's model, quota boundaries,
    // racing writers (MPSTORE_TESTKIT_CASES sets the cases per property).
    storage_core::testkit::conformance(ListBackend::default);
    println!("ListBackend keeps the Backend contract");
}
