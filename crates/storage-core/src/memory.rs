//! [`MemoryBackend`]: the reference backend, kept in memory.

use crate::backend::{Backend, Limits, Listing, Op, Usage};
use crate::error::{Error, Result};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// A backend in memory: the reference every other backend is compared with, and the store for
/// tests and examples. Nothing survives the process.
///
/// One lock guards the whole map, which makes every call trivially serializable.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    namespaces: Mutex<HashMap<Vec<u8>, Space>>,
}

#[derive(Debug, Default)]
struct Space {
    entries: HashMap<Vec<u8>, Entry>,
    /// Insertion sequence → key: the order of `list`.
    order: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
    usage: Usage,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    charge: u64,
    value: Vec<u8>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Space>> {
        // No call panics while holding the lock, so a poisoned map is still consistent.
        self.namespaces.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The usage `ops` lead to, without touching the space.
fn usage_after(space: Option<&Space>, ops: &[Op]) -> Usage {
    let mut usage = space.map(|s| s.usage).unwrap_or_default();
    let mut pending: HashMap<&[u8], Option<u64>> = HashMap::new();
    for op in ops {
        let current = match pending.get(op.key()) {
            Some(c) => *c,
            None => space.and_then(|s| s.entries.get(op.key()).map(|e| e.charge)),
        };
        if let Some(old) = current {
            usage.bytes = usage.bytes.saturating_sub(old);
            usage.entries -= 1;
        }
        match op {
            Op::Put { key, charge, .. } => {
                usage.bytes = usage.bytes.saturating_add(*charge);
                usage.entries += 1;
                pending.insert(key, Some(*charge));
            }
            Op::Delete { key } => {
                pending.insert(key, None);
            }
        }
    }
    usage
}

impl Space {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Put { key, value, charge } => {
                let seq = match self.entries.remove(key) {
                    Some(old) => old.seq,
                    None => {
                        let seq = self.next_seq;
                        self.next_seq += 1;
                        self.order.insert(seq, key.clone());
                        seq
                    }
                };
                self.entries.insert(
                    key.clone(),
                    Entry {
                        seq,
                        charge: *charge,
                        value: value.clone(),
                    },
                );
            }
            Op::Delete { key } => {
                if let Some(old) = self.entries.remove(key) {
                    self.order.remove(&old.seq);
                }
            }
        }
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .lock()
            .get(ns)
            .and_then(|s| s.entries.get(key))
            .map(|e| e.value.clone()))
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.apply_blocking(ns, ops, limits)
    }

    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let mut map = self.lock();
        let before = map.get(ns).map(|s| s.usage).unwrap_or_default();
        let after = usage_after(map.get(ns), ops);
        if limits.refuses(before, after) {
            return Err(Error::LimitExceeded {
                before,
                after,
                limits,
            });
        }
        if ops.is_empty() {
            return Ok(before);
        }
        let space = map.entry(ns.to_vec()).or_default();
        for op in ops {
            space.apply(op);
        }
        space.usage = after;
        if space.entries.is_empty() {
            // Keep `namespaces` to those holding data; the order counter goes with it, which
            // the contract allows (an empty namespace has no places to keep).
            map.remove(ns);
        }
        Ok(after)
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        Ok(match self.lock().get(ns) {
            None => Listing::default(),
            Some(s) => Listing {
                keys: s.order.values().cloned().collect(),
                usage: s.usage,
            },
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
        Ok(self
            .lock()
            .iter()
            .map(|(ns, s)| (ns.clone(), s.usage))
            .collect())
    }
}
