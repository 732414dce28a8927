//! The on-disk layout: how namespaces, entries, order and usage are laid out in sled's trees,
//! and how each record is encoded and (defensively) decoded.
//!
//! Three trees, written together in one sled transaction by every write:
//!
//! | tree      | key                          | value                                        |
//! |-----------|------------------------------|----------------------------------------------|
//! | `entries` | `prefix(ns) ‖ key`           | `seq: u64 BE ‖ charge: u64 BE ‖ value bytes` |
//! | `order`   | `prefix(ns) ‖ seq: u64 BE`   | `key`                                        |
//! | `meta`    | `ns`                         | `bytes: u64 BE ‖ entries: u64 BE ‖ next_seq: u64 BE` |
//!
//! `prefix(ns)` is `len(ns): u32 BE ‖ ns`, so no namespace's keys can ever share a prefix with
//! another namespace's (a namespace that is a byte prefix of another still has a different
//! length), and one namespace's entries or order records are a contiguous range: listing reads
//! that range and nothing else.

use storage_core::{Error, Result, Usage};

/// Name of the tree holding entries.
pub(crate) const ENTRIES: &str = "mpstore/entries/v1";
/// Name of the tree holding the insertion order.
pub(crate) const ORDER: &str = "mpstore/order/v1";
/// Name of the tree holding each namespace's usage and sequence counter.
pub(crate) const META: &str = "mpstore/meta/v1";
/// Key, in sled's default tree, of the format version record.
pub(crate) const FORMAT_KEY: &[u8] = b"mpstore/format";

/// The prefix every record of `ns` starts with in `entries` and `order`.
pub(crate) fn ns_prefix(ns: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(ns.len())
        .map_err(|_| Error::InvalidParam(format!("namespace of {} bytes is too long", ns.len())))?;
    let mut out = Vec::with_capacity(4 + ns.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(ns);
    Ok(out)
}

/// Key of an entry: `prefix ‖ key`.
pub(crate) fn entry_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    [prefix, key].concat()
}

/// Key of an order record: `prefix ‖ seq`.
pub(crate) fn order_key(prefix: &[u8], seq: u64) -> Vec<u8> {
    [prefix, &seq.to_be_bytes()].concat()
}

/// A stored entry: `seq ‖ charge ‖ value` (see the module docs).
pub(crate) struct EntryRecord;

impl EntryRecord {
    /// The stored form.
    pub(crate) fn encode(seq: u64, charge: u64, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + value.len());
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&charge.to_be_bytes());
        out.extend_from_slice(value);
        out
    }

    /// The sequence and charge of a stored entry, without copying the value (the write path
    /// needs no more); damaged bytes give [`Error::Corrupt`], never a panic.
    pub(crate) fn decode_header(bytes: &[u8]) -> Result<(u64, u64)> {
        let (seq, rest) = take_u64(bytes, "entry")?;
        let (charge, _) = take_u64(rest, "entry")?;
        Ok((seq, charge))
    }

    /// The value of a stored entry; damaged bytes give [`Error::Corrupt`].
    pub(crate) fn decode_value(bytes: &[u8]) -> Result<&[u8]> {
        if bytes.len() < 16 {
            return Err(corrupt("entry", bytes.len()));
        }
        Ok(&bytes[16..])
    }
}

/// A namespace's usage and the sequence number its next new key takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MetaRecord {
    /// The namespace's usage.
    pub usage: Usage,
    /// The next insertion sequence number.
    pub next_seq: u64,
}

impl MetaRecord {
    /// The stored form (24 bytes).
    pub(crate) fn encode(&self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..8].copy_from_slice(&self.usage.bytes.to_be_bytes());
        out[8..16].copy_from_slice(&self.usage.entries.to_be_bytes());
        out[16..].copy_from_slice(&self.next_seq.to_be_bytes());
        out
    }

    /// Reads a stored record; anything but exactly 24 bytes is [`Error::Corrupt`].
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 24 {
            return Err(corrupt("usage", bytes.len()));
        }
        let (b, rest) = take_u64(bytes, "usage")?;
        let (e, rest) = take_u64(rest, "usage")?;
        let (next_seq, _) = take_u64(rest, "usage")?;
        Ok(Self {
            usage: Usage {
                bytes: b,
                entries: e,
            },
            next_seq,
        })
    }
}

/// The sequence number at the end of an order key of `prefix`.
pub(crate) fn seq_of_order_key(prefix: &[u8], key: &[u8]) -> Result<u64> {
    match key.strip_prefix(prefix) {
        Some(rest) if rest.len() == 8 => Ok(take_u64(rest, "order")?.0),
        _ => Err(corrupt("order", key.len())),
    }
}

fn take_u64<'a>(bytes: &'a [u8], what: &str) -> Result<(u64, &'a [u8])> {
    match bytes.split_first_chunk::<8>() {
        Some((head, rest)) => Ok((u64::from_be_bytes(*head), rest)),
        None => Err(corrupt(what, bytes.len())),
    }
}

fn corrupt(what: &str, len: usize) -> Error {
    Error::Corrupt(format!("sled {what} record of {len} bytes is malformed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever bytes come back from disk, decoding gives a value or `Corrupt`, never a panic.
        #[test]
        fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let p = ns_prefix(b"ns").unwrap();
            for r in [
                EntryRecord::decode_header(&bytes).map(drop),
                EntryRecord::decode_value(&bytes).map(drop),
                MetaRecord::decode(&bytes).map(drop),
                seq_of_order_key(&p, &bytes).map(drop),
            ] {
                prop_assert!(matches!(r, Ok(()) | Err(Error::Corrupt(_))));
            }
        }
    }

    #[test]
    fn prefixes_of_related_namespaces_never_nest() {
        // (a, b): neither prefix may be a prefix of the other's records.
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b"a"),
            (b"a", b"ab"),
            (b"ab", b"a\x00"),
            (b"\x00", b""),
            (b"\x00\x00\x00\x01a", b"a"),
        ];
        for (a, b) in cases {
            let (pa, pb) = (ns_prefix(a).unwrap(), ns_prefix(b).unwrap());
            let (ra, rb) = (entry_key(&pa, b"k"), entry_key(&pb, b""));
            assert!(
                !rb.starts_with(&pa) && !ra.starts_with(&pb),
                "{a:?} / {b:?}"
            );
        }
    }

    #[test]
    fn entries_round_trip() {
        for (seq, charge, value) in [
            (0, 0, &b""[..]),
            (1, 2, b"v"),
            (u64::MAX, u64::MAX, &[0xff; 300][..]),
        ] {
            let bytes = EntryRecord::encode(seq, charge, value);
            assert_eq!(EntryRecord::decode_header(&bytes).unwrap(), (seq, charge));
            assert_eq!(EntryRecord::decode_value(&bytes).unwrap(), value);
        }
    }

    #[test]
    fn meta_round_trips() {
        for (bytes, entries, next_seq) in [(0, 0, 0), (5, 1, 9), (u64::MAX, u64::MAX, u64::MAX)] {
            let rec = MetaRecord {
                usage: Usage { bytes, entries },
                next_seq,
            };
            assert_eq!(MetaRecord::decode(&rec.encode()).unwrap(), rec);
        }
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        for len in [0, 1, 7, 8, 15] {
            let bytes = vec![7u8; len];
            assert!(matches!(
                EntryRecord::decode_header(&bytes),
                Err(Error::Corrupt(_))
            ));
            assert!(matches!(
                EntryRecord::decode_value(&bytes),
                Err(Error::Corrupt(_))
            ));
        }
        for len in [0, 8, 23, 25] {
            assert!(matches!(
                MetaRecord::decode(&vec![1u8; len]),
                Err(Error::Corrupt(_))
            ));
        }
        let p = ns_prefix(b"ns").unwrap();
        for key in [
            &b""[..],
            b"\x00\x00\x00\x02ns\x01",
            b"\x00\x00\x00\x02ns123456789",
        ] {
            assert!(matches!(seq_of_order_key(&p, key), Err(Error::Corrupt(_))));
        }
        assert_eq!(seq_of_order_key(&p, &order_key(&p, 42)).unwrap(), 42);
    }
}
