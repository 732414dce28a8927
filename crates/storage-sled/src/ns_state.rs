//! Each namespace's usage and next insertion sequence number, kept in memory and derived from its
//! entries.
//!
//! Nothing of this is stored: the first time a namespace is used after opening (or after its
//! state was evicted), its state is rebuilt by reading the headers of its range of entries. So
//! usage always agrees with the entries on disk, whatever a crash left there.
//!
//! States live in the backend's lock stripes ([`NsStates`], one per stripe), so the lock that
//! serializes a namespace's writes also guards its state. A stripe keeps at most a bounded number
//! of states and evicts the least recently used one to make room; an evicted state is rebuilt on
//! the namespace's next use.

use crate::layout::{EntryRecord, Standing, MAX_SEQ};
use foldhash::quality::RandomState;
use hashbrown::hash_table::{Entry, HashTable};
use std::hash::BuildHasher;
use std::sync::LazyLock;
use storage_core::{Error, Op, Result, Usage};

/// What a namespace's writes need to know about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NsState {
    /// The sum of the charges of its entries, and their number.
    pub usage: Usage,
    /// The sequence number its next new key takes: one more than the largest it holds (or 0);
    /// `None` once the largest is [`MAX_SEQ`] (a new key then cannot be placed).
    pub next_seq: Option<u64>,
}

impl NsState {
    /// The state of an empty namespace.
    pub(crate) const EMPTY: NsState = NsState {
        usage: Usage {
            bytes: 0,
            entries: 0,
        },
        next_seq: Some(0),
    };

    /// The state of a namespace holding the entries whose standings `entries` yields.
    pub(crate) fn of(entries: impl IntoIterator<Item = Result<Standing>>) -> Result<Self> {
        let mut state = Self::EMPTY;
        for entry in entries {
            let Standing { seq, charge } = entry?;
            state.usage.bytes = state.usage.bytes.saturating_add(charge);
            state.usage.entries += 1;
            if let Some(next) = state.next_seq {
                if seq >= next {
                    state.next_seq = after(seq);
                }
            }
        }
        Ok(state)
    }

    /// The state after `op`, given the standing of the entry it replaces or removes; and, for
    /// a put, the `seq` its record stores (an overwrite keeps the old one).
    pub(crate) fn after(&self, old: Option<Standing>, op: &Op) -> Result<(Self, Option<u64>)> {
        let mut next = *self;
        if let Some(Standing { charge, .. }) = old {
            next.usage.bytes = next.usage.bytes.saturating_sub(charge);
            next.usage.entries = next.usage.entries.saturating_sub(1);
        }
        match op {
            Op::Put { charge, .. } => {
                let seq = match old {
                    Some(Standing { seq, .. }) => seq,
                    None => {
                        let seq = next.next_seq.ok_or_else(|| {
                            Error::Backend("the namespace's insertion sequence is exhausted".into())
                        })?;
                        next.next_seq = after(seq);
                        seq
                    }
                };
                next.usage.bytes = next.usage.bytes.saturating_add(*charge);
                next.usage.entries = next.usage.entries.saturating_add(1);
                Ok((next, Some(seq)))
            }
            Op::Delete { .. } => Ok((next, None)),
        }
    }
}

/// The sequence number after `seq`, if a record can hold it.
fn after(seq: u64) -> Option<u64> {
    (seq < MAX_SEQ).then(|| seq + 1)
}

/// The standings of the entries in a range (records as sled returns them); sled's errors become
/// what `sled_error` makes of them.
pub(crate) fn standings<'a>(
    range: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + 'a,
    sled_error: impl Fn(sled::Error) -> Error + 'a,
) -> impl Iterator<Item = Result<Standing>> + 'a {
    range.map(move |item| {
        let (_, value) = item.map_err(&sled_error)?;
        EntryRecord::decode_standing(&value)
    })
}

/// The hash of namespace `ns`: a seeded hash (foldhash, randomly seeded once per process), so
/// which namespaces share a stripe or a bucket cannot be arranged by callers. Computed once per
/// call: it picks the stripe ([`stripe_of`]) and finds the state in it ([`NsStates`]).
pub(crate) fn ns_hash(ns: &[u8]) -> u64 {
    static SEEDED: LazyLock<RandomState> = LazyLock::new(RandomState::default);
    SEEDED.hash_one(ns)
}

/// The lock stripe of the namespace whose [`ns_hash`] is `hash`, out of `stripes`: from the
/// hash's high bits, as a stripe's table buckets by its low ones.
pub(crate) fn stripe_of(hash: u64, stripes: usize) -> usize {
    ((hash >> 32) % stripes as u64) as usize
}

/// The states of the namespaces of one lock stripe, at most `bound` of them.
#[derive(Debug, Default)]
pub(crate) struct NsStates {
    slots: HashTable<Slot>,
    /// Counts uses, to find the least recently used slot.
    clock: u64,
}

#[derive(Debug)]
struct Slot {
    ns: Vec<u8>,
    /// [`ns_hash`] of `ns`.
    hash: u64,
    state: NsState,
    used: u64,
}

impl NsStates {
    /// The state of `ns`, whose [`ns_hash`] is `hash`, from memory or, if absent, from `load`;
    /// making room by evicting the least recently used state when `bound` are held. A failed
    /// `load` keeps nothing.
    pub(crate) fn get_or_load(
        &mut self,
        ns: &[u8],
        hash: u64,
        bound: usize,
        load: impl FnOnce() -> Result<NsState>,
    ) -> Result<&mut NsState> {
        self.clock += 1;
        let used = self.clock;
        let slots = match self.slots.find_entry(hash, |s| s.ns == ns) {
            Ok(found) => {
                let slot = found.into_mut();
                slot.used = used;
                return Ok(&mut slot.state);
            }
            Err(absent) => absent.into_table(),
        };
        let state = load()?;
        while slots.len() >= bound.max(1) {
            evict_one(slots);
        }
        let slot = Slot {
            ns: ns.to_vec(),
            hash,
            state,
            used,
        };
        Ok(&mut slots.insert_unique(hash, slot, |s| s.hash).into_mut().state)
    }

    /// The state of `ns` if it is in memory (without counting a use).
    pub(crate) fn cached(&self, ns: &[u8]) -> Option<NsState> {
        self.slots
            .find(ns_hash(ns), |s| s.ns == ns)
            .map(|s| s.state)
    }

    /// Forgets the state of `ns` (it is rebuilt on next use).
    pub(crate) fn forget(&mut self, ns: &[u8]) {
        if let Entry::Occupied(slot) = self.slots.entry(ns_hash(ns), |s| s.ns == ns, |s| s.hash) {
            slot.remove();
        }
    }

    /// How many states are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// Evicts the least recently used state of `slots`.
fn evict_one(slots: &mut HashTable<Slot>) {
    let oldest = slots.iter().min_by_key(|slot| slot.used).map(|s| s.used);
    if let Some(oldest) = oldest {
        slots.retain(|slot| slot.used != oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, charge: u64) -> Op {
        Op::Put {
            key: key.into(),
            value: vec![],
            charge,
        }
    }

    fn del(key: &str) -> Op {
        Op::Delete { key: key.into() }
    }

    fn state(bytes: u64, entries: u64, next_seq: Option<u64>) -> NsState {
        NsState {
            usage: Usage { bytes, entries },
            next_seq,
        }
    }

    #[test]
    fn rebuilt_state_sums_charges_and_follows_the_largest_seq() {
        // (headers, state)
        let cases: &[(&[(u64, u64)], NsState)] = &[
            // (seq, charge) of each entry
            (&[], NsState::EMPTY),
            (&[(0, 5)], state(5, 1, Some(1))),
            (&[(7, 1), (2, 2), (4, 3)], state(6, 3, Some(8))),
            (&[(MAX_SEQ, 1), (3, 1)], state(2, 2, None)),
            (&[(1, u64::MAX), (2, 1)], state(u64::MAX, 2, Some(3))),
        ];
        for (headers, expected) in cases {
            let got = NsState::of(
                headers
                    .iter()
                    .map(|&(seq, charge)| Ok(Standing { seq, charge })),
            )
            .unwrap();
            assert_eq!(got, *expected, "{headers:?}");
        }
        let damaged = [
            Ok(Standing { seq: 0, charge: 1 }),
            Err(Error::Corrupt("x".into())),
        ];
        assert!(matches!(NsState::of(damaged), Err(Error::Corrupt(_))));
    }

    #[test]
    fn ops_move_usage_and_place_new_keys_last() {
        let s = state(10, 2, Some(5));
        // (old header, op, state after, seq stored)
        type Case = (Option<Standing>, Op, NsState, Option<u64>);
        let old = Some(Standing { seq: 1, charge: 4 });
        let cases: &[Case] = &[
            (None, put("k", 3), state(13, 3, Some(6)), Some(5)),
            (old, put("k", 3), state(9, 2, Some(5)), Some(1)),
            (old, del("k"), state(6, 1, Some(5)), None),
            (None, del("k"), s, None),
        ];
        for (old, op, after, seq) in cases {
            assert_eq!(s.after(*old, op).unwrap(), (*after, *seq), "{old:?} {op:?}");
        }
        let last = state(0, 0, Some(MAX_SEQ));
        assert_eq!(
            last.after(None, &put("k", 0)).unwrap(),
            (state(0, 1, None), Some(MAX_SEQ))
        );
        let exhausted = state(0, 1, None);
        assert!(exhausted.after(None, &put("k", 0)).is_err());
        let last = Some(Standing {
            seq: MAX_SEQ,
            charge: 0,
        });
        assert!(exhausted.after(last, &put("k", 0)).is_ok());
    }

    #[test]
    fn a_stripe_keeps_at_most_its_bound_evicting_the_least_recently_used() {
        let mut states = NsStates::default();
        let load = |n: u64| move || Ok(state(n, n, Some(n)));
        states.get_or_load(b"a", ns_hash(b"a"), 2, load(1)).unwrap();
        states.get_or_load(b"b", ns_hash(b"b"), 2, load(2)).unwrap();
        states.get_or_load(b"a", ns_hash(b"a"), 2, load(9)).unwrap(); // a use: "b" is now the oldest
        states.get_or_load(b"c", ns_hash(b"c"), 2, load(3)).unwrap();
        assert_eq!(states.len(), 2);
        assert_eq!(
            states.cached(b"a"),
            Some(state(1, 1, Some(1))),
            "kept, not reloaded"
        );
        assert_eq!(states.cached(b"b"), None, "evicted");
        assert_eq!(states.cached(b"c"), Some(state(3, 3, Some(3))));
        states
            .get_or_load(b"a", ns_hash(b"a"), 2, load(1))
            .unwrap()
            .usage
            .bytes = 42;
        assert_eq!(
            states.cached(b"a").unwrap().usage.bytes,
            42,
            "changes stick"
        );
        states.forget(b"a");
        assert_eq!(states.cached(b"a"), None);
        let failed = states.get_or_load(b"d", ns_hash(b"d"), 2, || Err(Error::Corrupt("x".into())));
        assert!(failed.is_err());
        assert_eq!((states.len(), states.cached(b"d")), (1, None));
    }
}
