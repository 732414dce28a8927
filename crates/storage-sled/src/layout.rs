//! The on-disk layout (format version 4): how namespaces and entries are laid out in sled, and
//! how each record is encoded and (defensively) decoded.
//!
//! One tree holds everything:
//!
//! | tree      | key                                | value                                             |
//! |-----------|------------------------------------|---------------------------------------------------|
//! | `entries` | `prefix(ns) ‖ key`                 | `seq: u64 BE ‖ charge: u64 BE ‖ value bytes`      |
//! | `entries` | `prefix(ns) ‖ key` (value in the log) | `seq \| 1<<63 ‖ charge ‖ len: u64 ‖ 0: u32 ‖ segment: u64 ‖ offset: u64 ‖ crc32: u32` ([`LOGGED_RECORD`] bytes) |
//! | `entries` | `FF×8 ‖ segment: u64 BE ‖ offset: u64 BE` | `len: u64 BE ‖ prefix(ns) ‖ key`: the value log's index ([`INDEX_SPACE`]) |
//!
//! A record with the top bit of `seq` set ([`LOGGED`]) holds no value but a [`Pointer`] into the
//! value log, where every value above [`INLINE_MAX`] bytes goes. (The zero after `len` is where
//! format 3 kept a chunk count; format 4 always writes 0 there, and a record with another count
//! is damage.)
//!
//! `prefix(ns)` is `len(ns): u32 BE ‖ ns`, so no namespace's keys can ever share a prefix with
//! another namespace's (a namespace that is a byte prefix of another still has a different
//! length), and one namespace's entries are a contiguous range: listing reads that range and
//! nothing else. Every namespace prefix sorts below [`NAMESPACE_END`] (a namespace of `u32::MAX`
//! bytes is refused), and the value log's index lies beyond it, so the scans that rebuild usage,
//! list keys and walk namespaces never read the index.
//!
//! Each record carries what a single write needs to keep the contract without touching another
//! record: `seq`, the key's place in its namespace's insertion order (listing sorts the range by
//! it), and `charge`, what it counts toward usage. A namespace's usage and the `seq` its next new
//! key takes are not stored: they are derived from its range (see `crate::ns_state`), so they can
//! never disagree with the entries.

use storage_core::{Error, Result};

/// Name of the tree holding entries.
pub(crate) const ENTRIES: &str = "mpstore/entries/v1";
/// Key, in sled's default tree, of the format version record.
pub(crate) const FORMAT_KEY: &[u8] = b"mpstore/format";

/// Values above this many bytes go to the value log. sled 0.34's page cache counts a page
/// written to one of its blob files (a leaf above a quarter of a log segment) as about 20 bytes,
/// so leaves of large inline values would never be evicted and memory would grow with the store;
/// leaves of values up to this size stay far below that threshold.
pub(crate) const INLINE_MAX: usize = 4096;

/// The first bytes no namespace prefix takes: every namespace's range ends before them, and the
/// value log's index ([`INDEX_SPACE`]) lies beyond.
pub(crate) const NAMESPACE_END: [u8; 4] = [0xff; 4];

/// The bit of a record's `seq` field marking a value in the value log.
pub(crate) const LOGGED: u64 = 1 << 63;

/// The largest `seq` a record can hold (the bit above marks logged values).
pub(crate) const MAX_SEQ: u64 = LOGGED - 1;

/// The length of a record whose value is in the value log.
pub(crate) const LOGGED_RECORD: usize = 48;

/// The prefix every record of `ns` starts with in `entries`; a namespace of `u32::MAX` bytes or
/// more is [`Error::InvalidParam`] (its prefix would reach [`NAMESPACE_END`]).
pub(crate) fn ns_prefix(ns: &[u8]) -> Result<KeyBuf> {
    let len = u32::try_from(ns.len())
        .ok()
        .filter(|&len| len < u32::MAX)
        .ok_or_else(|| {
            Error::InvalidParam(format!(
                "namespace of {} bytes is too long (at most {} bytes)",
                ns.len(),
                u32::MAX - 1
            ))
        })?;
    Ok(KeyBuf::concat(&[&len.to_be_bytes(), ns]))
}

/// Key of an entry: `prefix ‖ key`.
pub(crate) fn entry_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    [prefix, key].concat()
}

/// [`entry_key`] in a [`KeyBuf`]: for the calls that only look it up or hand it to sled (a
/// single write, a read), not keep it.
pub(crate) fn entry_key_buf(prefix: &[u8], key: &[u8]) -> KeyBuf {
    KeyBuf::concat(&[prefix, key])
}

/// Bytes kept on the stack when they fit in [`KeyBuf::INLINE`] bytes (a namespace prefix or an
/// entry key of a short name almost always does: storage-crypto's are 37 and about 63 bytes),
/// on the heap otherwise. Every read and write builds one or two; a heap allocation for each
/// cost more than copying these few bytes.
pub(crate) enum KeyBuf {
    /// `len` bytes of `bytes`.
    Inline {
        len: u8,
        bytes: [u8; KeyBuf::INLINE],
    },
    Heap(Vec<u8>),
}

impl KeyBuf {
    /// The most bytes kept on the stack.
    pub(crate) const INLINE: usize = 128;

    /// The concatenation of `parts`.
    pub(crate) fn concat(parts: &[&[u8]]) -> KeyBuf {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > Self::INLINE {
            return KeyBuf::Heap(parts.concat());
        }
        let mut bytes = [0; Self::INLINE];
        let mut at = 0;
        for part in parts {
            bytes[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        KeyBuf::Inline {
            len: len as u8,
            bytes,
        }
    }
}

impl std::ops::Deref for KeyBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            KeyBuf::Inline { len, bytes } => &bytes[..usize::from(*len)],
            KeyBuf::Heap(v) => v,
        }
    }
}

impl AsRef<[u8]> for KeyBuf {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for KeyBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
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

/// An entry's standing in its namespace: its place in the insertion order and what it counts
/// toward usage (all that rebuilding a namespace's state reads of a record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Standing {
    /// Its place in the namespace's insertion order.
    pub seq: u64,
    /// What it counts toward usage.
    pub charge: u64,
}

/// What a record says about its entry: enough for a write to replace it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Its place in the namespace's insertion order.
    pub seq: u64,
    /// What it counts toward usage.
    pub charge: u64,
    /// Where its value is in the value log, if it is there.
    pub logged: Option<Pointer>,
}

impl Header {
    /// The entry's standing in its namespace.
    pub(crate) fn standing(&self) -> Standing {
        Standing {
            seq: self.seq,
            charge: self.charge,
        }
    }
}

/// Where a value is in the value log (format 4): `len` bytes at `offset` of segment `segment`,
/// whose CRC-32 is `crc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Pointer {
    /// The segment's number (its file is `values/<segment as 16 hex digits>.log`).
    pub segment: u64,
    /// Where the value starts in the segment.
    pub offset: u64,
    /// The value's length.
    pub len: u64,
    /// CRC-32 (IEEE) of the value's bytes.
    pub crc: u32,
}

impl Pointer {
    /// Where the value ends in its segment (saturating: a damaged pointer never overflows).
    pub(crate) fn end(&self) -> u64 {
        self.offset.saturating_add(self.len)
    }
}

/// The first bytes of every key of the value log's index: no namespace prefix starts so.
pub(crate) const INDEX_SPACE: [u8; 8] = [0xff; 8];

/// Key of the index entry of the value at `p`: `INDEX_SPACE ‖ segment ‖ offset` (big-endian),
/// so a segment's values are one contiguous range, in the order they were written.
pub(crate) fn index_key(p: &Pointer) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[..8].copy_from_slice(&INDEX_SPACE);
    out[8..16].copy_from_slice(&p.segment.to_be_bytes());
    out[16..].copy_from_slice(&p.offset.to_be_bytes());
    out
}

/// The prefix of the index keys of segment `segment`'s values.
pub(crate) fn index_range(segment: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&INDEX_SPACE);
    out[8..].copy_from_slice(&segment.to_be_bytes());
    out
}

/// The value of an index entry: `len ‖ entry key` (the length counts the segment's live bytes
/// at open; the entry key finds the record a relocation must rewrite).
pub(crate) fn index_value(len: u64, ekey: &[u8]) -> Vec<u8> {
    [&len.to_be_bytes()[..], ekey].concat()
}

/// One entry of the value log's index: where a value is and whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexEntry<'a> {
    /// The value's segment.
    pub segment: u64,
    /// Where the value starts in it.
    pub offset: u64,
    /// The value's length.
    pub len: u64,
    /// The key of the record pointing to it.
    pub ekey: &'a [u8],
}

/// An index entry, from its key and value in sled; damaged bytes give [`Error::Corrupt`].
pub(crate) fn decode_index<'a>(key: &[u8], value: &'a [u8]) -> Result<IndexEntry<'a>> {
    let damaged = || corrupt("value log index", key.len() + value.len());
    if key.len() != 24 || !key.starts_with(&INDEX_SPACE) {
        return Err(damaged());
    }
    let (segment, offset) = (
        take_u64(&key[8..], "index")?.0,
        take_u64(&key[16..], "index")?.0,
    );
    let (len, ekey) = take_u64(value, "value log index")?;
    Ok(IndexEntry {
        segment,
        offset,
        len,
        ekey,
    })
}

/// Where a record's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored<'a> {
    /// In the record itself.
    Inline(&'a [u8]),
    /// In the value log.
    Logged(Pointer),
}

/// A stored entry: `seq ‖ charge ‖ value`, or `seq | LOGGED ‖ charge ‖ len ‖ 0 ‖ pointer` (see
/// the module docs).
pub(crate) struct EntryRecord;

impl EntryRecord {
    /// `f` of the stored form of an entry whose value is inline, built in a buffer the thread
    /// keeps: sled copies what it is given anyway, so the hot path allocates nothing for it.
    pub(crate) fn with_encoded<R>(
        seq: u64,
        charge: u64,
        value: &[u8],
        f: impl FnOnce(&[u8]) -> R,
    ) -> R {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                buf.extend_from_slice(&seq.to_be_bytes());
                buf.extend_from_slice(&charge.to_be_bytes());
                buf.extend_from_slice(value);
                let out = f(&buf);
                // Larger values go to the value log: keep no more than an inline record.
                buf.shrink_to(16 + INLINE_MAX);
                out
            }
            // Re-entered from `f` (never, today): a buffer of its own.
            Err(_) => f(&Self::encode(seq, charge, value)),
        })
    }

    /// The stored form of an entry whose value is inline.
    pub(crate) fn encode(seq: u64, charge: u64, value: &[u8]) -> Vec<u8> {
        debug_assert!(seq <= MAX_SEQ);
        let mut out = Vec::with_capacity(16 + value.len());
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&charge.to_be_bytes());
        out.extend_from_slice(value);
        out
    }

    /// The stored form of an entry whose value is in the value log at `p`.
    pub(crate) fn encode_logged(seq: u64, charge: u64, p: &Pointer) -> Vec<u8> {
        debug_assert!(seq <= MAX_SEQ);
        let mut out = Vec::with_capacity(LOGGED_RECORD);
        out.extend_from_slice(&(seq | LOGGED).to_be_bytes());
        out.extend_from_slice(&charge.to_be_bytes());
        out.extend_from_slice(&p.len.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&p.segment.to_be_bytes());
        out.extend_from_slice(&p.offset.to_be_bytes());
        out.extend_from_slice(&p.crc.to_be_bytes());
        out
    }

    /// The standing of a stored entry, reading nothing else (the scans that rebuild usage need
    /// no more); damaged bytes give [`Error::Corrupt`], never a panic.
    pub(crate) fn decode_standing(bytes: &[u8]) -> Result<Standing> {
        let (seq, rest) = take_u64(bytes, "entry")?;
        let (charge, _) = take_u64(rest, "entry")?;
        Ok(Standing {
            seq: seq & MAX_SEQ,
            charge,
        })
    }

    /// The header of a stored entry; damaged bytes give [`Error::Corrupt`].
    pub(crate) fn decode_header(bytes: &[u8]) -> Result<Header> {
        let (seq, charge, stored) = Self::decode(bytes)?;
        let logged = match stored {
            Stored::Inline(_) => None,
            Stored::Logged(p) => Some(p),
        };
        Ok(Header {
            seq,
            charge,
            logged,
        })
    }

    /// The sequence, charge and value (or where it is in the value log) of a stored entry;
    /// damaged bytes give [`Error::Corrupt`]: a logged record must be exactly
    /// [`LOGGED_RECORD`] bytes, with a zero where format 3 kept a chunk count.
    pub(crate) fn decode(bytes: &[u8]) -> Result<(u64, u64, Stored<'_>)> {
        let (raw_seq, rest) = take_u64(bytes, "entry")?;
        let (charge, rest) = take_u64(rest, "entry")?;
        if raw_seq & LOGGED == 0 {
            return Ok((raw_seq, charge, Stored::Inline(rest)));
        }
        let (len, tail) = take_u64(rest, "logged entry")?;
        let [0, 0, 0, 0, place @ ..] = tail else {
            return Err(corrupt("logged entry", bytes.len()));
        };
        if place.len() != 20 {
            return Err(corrupt("logged entry", bytes.len()));
        }
        let (segment, place) = take_u64(place, "logged entry")?;
        let (offset, crc) = take_u64(place, "logged entry")?;
        let crc = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if usize::try_from(len).is_err() || offset.checked_add(len).is_none() {
            return Err(Error::Corrupt(format!(
                "sled logged entry record says {len} bytes at {offset}"
            )));
        }
        let p = Pointer {
            segment,
            offset,
            len,
            crc,
        };
        Ok((raw_seq & MAX_SEQ, charge, Stored::Logged(p)))
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
                EntryRecord::decode_standing(&bytes).map(drop),
                EntryRecord::decode_header(&bytes).map(drop),
                EntryRecord::decode(&bytes).map(drop),
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
            (MAX_SEQ, u64::MAX, &[0xff; 300][..]),
        ] {
            let bytes = EntryRecord::encode(seq, charge, value);
            assert_eq!(
                EntryRecord::decode_standing(&bytes).unwrap(),
                Standing { seq, charge }
            );
            let header = EntryRecord::decode_header(&bytes).unwrap();
            assert_eq!(
                (header.seq, header.charge, header.logged),
                (seq, charge, None)
            );
            let decoded = EntryRecord::decode(&bytes).unwrap();
            assert_eq!(decoded, (seq, charge, Stored::Inline(value)));
        }
        let p = Pointer {
            segment: 3,
            offset: 40,
            len: 100 << 10,
            crc: 7,
        };
        for (seq, charge) in [(0, 0), (MAX_SEQ, u64::MAX)] {
            let bytes = EntryRecord::encode_logged(seq, charge, &p);
            assert_eq!(bytes.len(), LOGGED_RECORD);
            assert_eq!(
                EntryRecord::decode_standing(&bytes).unwrap(),
                Standing { seq, charge }
            );
            let header = EntryRecord::decode_header(&bytes).unwrap();
            assert_eq!(
                (header.seq, header.charge, header.logged),
                (seq, charge, Some(p))
            );
            assert_eq!(
                EntryRecord::decode(&bytes).unwrap(),
                (seq, charge, Stored::Logged(p))
            );
        }
    }

    #[test]
    fn a_namespace_whose_prefix_would_reach_the_namespace_end_is_refused() {
        // Zeroed and never written: the allocator maps it lazily, so this costs no memory.
        let huge = vec![0u8; u32::MAX as usize];
        assert!(matches!(ns_prefix(&huge), Err(Error::InvalidParam(_))));
    }

    #[test]
    fn every_namespace_range_ends_before_the_namespace_end_and_the_index() {
        for ns in [&b""[..], b"a", b"\xff\xff\xff\xff", &[0xff; 300][..]] {
            let prefix = ns_prefix(ns).unwrap();
            let last = entry_key(&prefix, &[0xff; 64]);
            assert!(last[..] < NAMESPACE_END[..], "{ns:?}");
            assert!(NAMESPACE_END[..] < INDEX_SPACE[..]);
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
                EntryRecord::decode_standing(&bytes),
                Err(Error::Corrupt(_))
            ));
            assert!(matches!(
                EntryRecord::decode(&bytes),
                Err(Error::Corrupt(_))
            ));
        }
        // Logged records cut short, grown, or with a chunk count where format 4 writes 0 (a
        // format 3 chunked record).
        let p = Pointer {
            segment: 1,
            offset: 2,
            len: 5000,
            crc: 3,
        };
        let logged = EntryRecord::encode_logged(1, 1, &p);
        let mut chunked = logged[..28].to_vec();
        chunked[27] = 2;
        let mut counted = logged.clone();
        counted[27] = 1;
        let damaged = [
            logged[..LOGGED_RECORD - 1].to_vec(),
            [logged.clone(), vec![0]].concat(),
            chunked,
            counted,
        ];
        for bytes in damaged {
            assert!(
                matches!(EntryRecord::decode(&bytes), Err(Error::Corrupt(_))),
                "{bytes:?}"
            );
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
