//! A namespace's writes: under its stripe (`crate::catalog`), the limits checked against its
//! usage in memory, the ops placed (`crate::values`), and only then what is known of it
//! updated. Waiting for the disk is the caller's (`crate::backend`'s two doors).

use crate::backend::SledBackend;
use crate::catalog::NsGuard;
use crate::layout::{entry_key, entry_key_buf, ns_prefix, EntryRecord, Header};
use crate::ns_state::{standings, NsState};
use crate::open::sled_error;
use crate::values::{self, New, Staged};
use std::collections::HashMap;
use storage_core::{Error, Limits, Op, Result, Usage};

/// A write, committed: what a door then acknowledges.
pub(crate) struct Committed {
    /// The namespace's usage after it.
    pub usage: Usage,
    /// The generation to wait for to make it durable; `None`: it changed nothing.
    pub generation: Option<u64>,
    /// The bytes it appended to the value log (what compaction then reclaims twice over).
    pub appended: u64,
}

/// What a write did under the stripe.
enum Wrote {
    /// Nothing changed (no ops, or deletes of absent keys): nothing to make durable.
    Nothing(Usage),
    /// sled accepted the write, which appended `appended` bytes to the value log.
    Changed { usage: Usage, appended: u64 },
}

impl SledBackend {
    /// The first half of `apply` and `apply_blocking`: the write, committed.
    pub(crate) fn committed_write(
        &self,
        ns: &[u8],
        ops: &[Op],
        limits: Limits,
    ) -> Result<Committed> {
        self.check_healthy()?;
        self.disk.space.admit(ops)?;
        let prefix = ns_prefix(ns)?;
        let (outcome, generation) = self
            .disk
            .commit
            .commit(|| self.write(ns, &prefix, ops, limits));
        Ok(match outcome? {
            Wrote::Nothing(usage) => Committed {
                usage,
                generation: None,
                appended: 0,
            },
            Wrote::Changed { usage, appended } => Committed {
                usage,
                generation: Some(generation),
                appended,
            },
        })
    }

    /// The state of the namespace whose range starts with `prefix`, read from its entries.
    pub(crate) fn scan_state(
        &self,
        prefix: &[u8],
        sled_error: impl Fn(sled::Error) -> Error,
    ) -> Result<NsState> {
        NsState::of(standings(self.entries.scan_prefix(prefix), sled_error))
    }

    /// The header of the entry stored under `ekey`, if any, and whether it was known in memory
    /// (see `crate::known_keys`); if not, it is read from sled (the write that asks then
    /// records what it leaves). sled failing here stops the store like a failed write: sled
    /// reports a failed write of its own buffers (say, a full disk) to every later call.
    fn header(&self, guard: &NsGuard<'_>, ekey: &[u8]) -> Result<(Option<Header>, bool)> {
        if let Some(known) = guard.known(ekey) {
            return Ok((known, true));
        }
        match self
            .entries
            .get(ekey)
            .map_err(|e| self.stop("cannot read the entry", e))?
        {
            Some(bytes) => Ok((Some(EntryRecord::decode_header(&bytes)?), false)),
            None => Ok((None, false)),
        }
    }

    /// Applies `ops` to `ns` under its stripe: checks the limits against the in-memory usage,
    /// writes (plain sled operations for a single op, one atomic batch for several), and only
    /// then updates the state, the known headers and the value log's accounting.
    fn write(&self, ns: &[u8], prefix: &[u8], ops: &[Op], limits: Limits) -> Result<Wrote> {
        let mut guard = self.catalog.lock(ns);
        let before = guard
            .state(|| self.scan_state(prefix, |e| self.stop("cannot read the namespace", e)))?;
        let refused = |after: NsState| Error::LimitExceeded {
            before: before.usage,
            after: after.usage,
            limits,
        };
        if let [op] = ops {
            let ekey = entry_key_buf(prefix, op.key());
            let (old, was_known) = self.header(&guard, &ekey)?;
            let (after, seq) = before.after(old.map(|h| h.standing()), op)?;
            if limits.refuses(before.usage, after.usage) {
                return Err(refused(after));
            }
            let new = replacement(op, seq);
            if new.is_none() && old.is_none() {
                guard.remember(&ekey, None);
                return Ok(Wrote::Nothing(after.usage));
            }
            let (header, appended) = self.place(&ekey, old, new)?;
            // Found in memory and unchanged (an overwrite by a value of the same charge, inline
            // both times): memory already says so, and nothing else writes this key while the
            // stripe is held (evicted meanwhile, it is read from sled next time).
            if !was_known || header != old {
                guard.remember(&ekey, header);
            }
            guard.set_state(after)?;
            return Ok(Wrote::Changed {
                usage: after.usage,
                appended,
            });
        }
        // Several ops: first what each leaves (absent: as stored), so nothing is appended to the
        // value log for a batch the limits refuse.
        let mut pending: HashMap<Vec<u8>, Option<Header>> = HashMap::new();
        let mut stored: HashMap<Vec<u8>, Option<Header>> = HashMap::new();
        let mut planned = Vec::with_capacity(ops.len());
        let mut after = before;
        for op in ops {
            let ekey = entry_key(prefix, op.key());
            let old = match pending.get(&ekey) {
                Some(header) => *header,
                None => {
                    let header = self.header(&guard, &ekey)?.0;
                    stored.insert(ekey.clone(), header);
                    header
                }
            };
            let (next, seq) = after.after(old.map(|h| h.standing()), op)?;
            after = next;
            let new = replacement(op, seq);
            // What the key holds after this op, as far as the next op on it needs to know (the
            // value log pointer is filled in when staging).
            let placeholder = new.map(|n| Header {
                seq: n.seq,
                charge: n.charge,
                logged: None,
            });
            pending.insert(ekey.clone(), placeholder);
            planned.push((ekey, new));
        }
        if limits.refuses(before.usage, after.usage) {
            return Err(refused(after));
        }
        // Then stage them in order: each op removes what the version before it (on disk or
        // earlier in the batch) left, so the batch leaves exactly the last version's.
        pending.clear();
        let mut staged = Staged::default();
        let mut changed = false;
        for (ekey, new) in &planned {
            let old = match pending.get(ekey) {
                Some(header) => *header,
                None => stored.get(ekey).copied().flatten(),
            };
            if new.is_none() && old.is_none() {
                pending.insert(ekey.clone(), None);
                continue;
            }
            match self.stage(&mut staged, ekey, old, *new) {
                Ok(header) => {
                    pending.insert(ekey.clone(), header);
                    changed = true;
                }
                Err(e) => {
                    self.abandon_staged(staged);
                    return Err(e);
                }
            }
        }
        let known = || pending.iter().map(|(ekey, h)| (ekey.as_slice(), *h));
        if !changed {
            // Only deletes of absent keys: that they hold nothing is worth keeping.
            guard.remember_all(known());
            return Ok(Wrote::Nothing(after.usage));
        }
        let appended = staged.appended();
        let ekeys: Vec<&[u8]> = pending.keys().map(Vec::as_slice).collect();
        self.apply_staged(ns, staged, &ekeys)?;
        guard.remember_all(known());
        guard.set_state(after)?;
        Ok(Wrote::Changed {
            usage: after.usage,
            appended,
        })
    }

    /// Removes every entry of `ns` in one atomic batch, and forgets its state and its keys'
    /// headers.
    ///
    /// Every record in the namespace's range goes, without being decoded, so clearing also gets
    /// rid of records damaged on disk. Every key known in memory holds a record on disk (or is
    /// known to hold none, which stays true), so forgetting the keys of the range's records
    /// forgets every header of the namespace.
    ///
    /// Returns the generation to wait for, if anything was removed.
    pub(crate) fn remove_all(&self, ns: &[u8]) -> Result<Option<u64>> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let (wrote, generation) = self.disk.commit.commit(|| -> Result<bool> {
            let mut guard = self.catalog.lock(ns);
            let mut staged = Staged::default();
            let mut records = Vec::new();
            for item in self.entries.scan_prefix(&prefix) {
                let (key, record) = item.map_err(|e| sled_error("cannot list keys", e))?;
                // A value in the value log takes its index entry with it (a damaged record has
                // none this can find; its segment's bytes then stay until compaction).
                staged.remove(key.clone(), values::logged(&record));
                records.push(key);
            }
            // Forgotten first: if sled fails below, nothing stale is left either.
            self.catalog.forget_keys(records.iter().map(|k| k.as_ref()));
            let any = !records.is_empty();
            if any {
                self.apply_staged(ns, staged, &[])?;
            }
            // An empty namespace needs no state: it is rebuilt (empty) on next use.
            guard.forget_state();
            Ok(any)
        });
        Ok(wrote?.then_some(generation))
    }
}

/// What `op` stores, given the `seq` its state change placed it at: the new value for a put,
/// `None` for a delete.
fn replacement(op: &Op, seq: Option<u64>) -> Option<New<'_>> {
    match (op, seq) {
        (Op::Put { value, charge, .. }, Some(seq)) => Some(New {
            seq,
            charge: *charge,
            value,
        }),
        _ => None,
    }
}
