//! The on-disk layout (format version 2): how namespaces and entries are laid out in sled, and
//! how each record is encoded and (defensively) decoded.
//!
//! One tree holds everything:
//!
//! | tree      | key                          | value                                        |
//! |-----------|------------------------------|----------------------------------------------|
//! | `entries` | `prefix(ns) ‖ key`           | `seq: u64 BE ‖ charge: u64 BE ‖ value bytes` |
//!
//! `prefix(ns)` is `len(ns): u32 BE ‖ ns`, so no namespace's keys can ever share a prefix with
//! another namespace's (a namespace that is a byte prefix of another still has a different
//! length), and one namespace's entries are a contiguous range: listing reads that range and
//! nothing else.
//!
//! Each record carries what a single write needs to keep the contract without touching another
//! record: `seq`, the key's place in its namespace's insertion order (listing sorts the range by
//! it), and `charge`, what it counts toward usage. A namespace's usage and the `seq` its next new
//! key takes are not stored: they are derived from its range (see `crate::ns_state`), so they can
//! never disagree with the entries.
//!
//! Format version 1 kept two more trees, `mpstore/order/v1` (`prefix ‖ seq → key`) and
//! `mpstore/meta/v1` (`ns → usage ‖ next_seq`), written in one transaction with the entry. Its
//! entries are exactly version 2's, so opening a version 1 store only drops those two trees (see
//! `crate::open`).

use storage_core::{Error, Result};

/// Name of the tree holding entries (the same in format versions 1 and 2).
pub(crate) const ENTRIES: &str = "mpstore/entries/v1";
/// Trees of format version 1 that version 2 no longer keeps (the insertion order, and each
/// namespace's usage and sequence counter); opening a store drops them if they are present.
pub(crate) const LEGACY_TREES: [&str; 2] = ["mpstore/order/v1", "mpstore/meta/v1"];
/// Key, in sled's default tree, of the format version record.
pub(crate) const FORMAT_KEY: &[u8] = b"mpstore/format";

/// The prefix every record of `ns` starts with in `entries`.
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

/// The namespace an entry's key belongs to, and the whole prefix of its range; a key too short
/// for its own length field is [`Error::Corrupt`].
pub(crate) fn split_entry_key(key: &[u8]) -> Result<(&[u8], &[u8])> {
    let damaged = || corrupt("entry key", key.len());
    let (len, rest) = key.split_first_chunk::<4>().ok_or_else(damaged)?;
    let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| damaged())?;
    if rest.len() < len {
        return Err(damaged());
    }
    Ok((&rest[..len], &key[..4 + len]))
}

/// The smallest key after every key starting with `prefix` (`None`: no key is), so that
/// `range(after_prefix(p)..)` skips a namespace's whole range.
pub(crate) fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
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
            for r in [
                EntryRecord::decode_header(&bytes).map(drop),
                EntryRecord::decode_value(&bytes).map(drop),
                split_entry_key(&bytes).map(drop),
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
    fn entry_keys_split_into_namespace_and_prefix() {
        for (ns, key) in [
            (&b""[..], &b""[..]),
            (b"ns", b"k"),
            (b"a\x00b", b""),
            (b"x", b"\xff\xff"),
        ] {
            let prefix = ns_prefix(ns).unwrap();
            let full = entry_key(&prefix, key);
            assert_eq!(split_entry_key(&full).unwrap(), (ns, &prefix[..]));
        }
    }

    #[test]
    fn after_prefix_bounds_exactly_the_prefix_range() {
        // (prefix, the bound)
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (b"\x00\x00\x00\x02ns", Some(b"\x00\x00\x00\x02nt")),
            (b"\x00\x00\x00\x01\xff", Some(b"\x00\x00\x00\x02")),
            (b"\x00\x00\x00\x00", Some(b"\x00\x00\x00\x01")),
            (b"\xff\xff", None),
            (b"", None),
        ];
        for (prefix, bound) in cases {
            assert_eq!(after_prefix(prefix).as_deref(), *bound, "{prefix:?}");
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
        for key in [
            &b""[..],
            b"\x00\x00\x00",
            b"\x00\x00\x00\x03ns",
            b"\xff\xff\xff\xffns",
        ] {
            assert!(matches!(split_entry_key(key), Err(Error::Corrupt(_))));
        }
    }
}
