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
//! | `entries` | `prefix(ns) ‖ key` (format 3 chunked value) | `seq \| 1<<63: u64 BE ‖ charge ‖ len: u64 BE ‖ n: u32 BE` (`n ≥ 2`) |
//! | `entries` | `FF FF FF FF ‖ prefix(ns) ‖ key ‖ i: u32 BE` | chunk `i` of a format 3 value: its bytes `c·i ..` (`c` the chunk size) |
//!
//! A record with the top bit of `seq` set holds no value: a chunk count of 0 marks a value in the
//! value log (a [`Pointer`]), a count of 2 or more a format 3 value in chunks. Format 4 writes
//! values above [`chunk_size`] bytes (4096) to the value log and no chunks; it reads and replaces
//! chunked values (a write over one or a clear removes its chunks).
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
//! ## Chunked values (format 3, read only)
//!
//! A value longer than the store's chunk size `c` ([`chunk_size`]) is not stored in its record:
//! the record's `seq` field has its top bit set ([`CHUNKED`]; a `seq` itself never exceeds
//! [`MAX_SEQ`]) and holds the value's length and chunk count instead, and the value is stored as
//! `n ≥ 2` chunks of `c` bytes (the last one shorter or equal) under keys of their own in the
//! *chunk space*, the keys starting
//! with `FF FF FF FF`. No namespace prefix starts so (a namespace of `u32::MAX` bytes is refused),
//! so namespace ranges, and so the scans that rebuild usage, list keys and walk namespaces, never
//! read chunk data; and each namespace's chunks are one contiguous range too
//! (`FF FF FF FF ‖ prefix(ns)`), which clearing removes.
//!
//! Why: sled 0.34's page cache counts a page written to a blob file (any page above a quarter of
//! a log segment: 128 KiB with sled's default 512 KiB segments, which a leaf of up to 17 values
//! of 100 KiB exceeds) as about 20 bytes, so such pages are never evicted and reading a store of
//! large values keeps all of it in memory. Chunks of 4096 bytes keep every leaf, at up to 17
//! entries, under that threshold (for keys up to about 3 KiB), so the cache bound holds.
//!
//! ## Chunk size
//!
//! The chunk size is the writer's choice, made per store when it opens ([`chunk_size`], from the
//! store's segment size): the record does not name it, and readers take it from the chunks
//! themselves (chunk 0's length; every chunk but the last has it, the last holds the rest, so the
//! record's `n` must be exactly what `len` takes at that size; see `crate::chunks`). Stores with
//! 8 MiB segments have a 2 MiB blob threshold, which would allow chunks of about 116 KiB, but the
//! page cache's shards (`cache_capacity / 256` each, never evicting their last page, evicting
//! only every 64 accesses) then hold leaves of up to 2 MiB and memory grows with the store
//! (measured: [`MAX_CHUNK`]), so this build writes 4096-byte chunks to every store it creates
//! or opens. The earlier format 3 builds wrote 4096-byte chunks too, under both segment sizes;
//! a build that writes another size reads their stores, and they would read its values back
//! only if they derived the size as this one does (they assumed 4096: so a build writing another
//! size must raise the format version).
//!
//! Format version 2 had inline values only, with `seq` below 2^63: its records are version 3's
//! inline records, so opening it only rewrites the format records (see `crate::open`); its large
//! values stay inline until they are next written.
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

/// The largest chunk this build writes: a leaf of sled 0.34 holds up to [`LEAF_ENTRIES`]
/// entries, and its page cache (256 shards, each `cache_capacity / 256`: 128 KiB with the default
/// 32 MiB) keeps memory bounded only while such a leaf of chunks fits in a shard. Measured (the
/// benchmark's memory suite, 100 KiB values, 8 MiB segments): reading every value of a 256 MiB
/// store peaks at 92 MiB with 4 KiB chunks (64 MiB store: 76), 102 MiB with 6 KiB (89; filling
/// the store 94 MiB against 68), 114 MiB with 8 KiB (88), 164 MiB with 16 KiB, 232 MiB with
/// 32 KiB, and 288 MiB with 116 KiB chunks, where a 100 KiB value is inline (raw sled storing
/// whole values: 275 MiB). 6 KiB chunks (17 for a 100 KiB value, not 26) wrote no measurably
/// faster on `SledBackend` alone (1.9–2.0× a raw insert either way, 12 rounds, a loaded
/// machine), so the smaller, flatter 4 KiB stays. See the module docs, *Chunk size*.
pub(crate) const MAX_CHUNK: usize = 4096;

/// The most entries sled 0.34 puts in a leaf (`Node::should_split`: more than 16).
const LEAF_ENTRIES: usize = 17;

/// What each entry of a leaf of chunks adds to the chunk's bytes: its key (the chunk space,
/// the entry's key, the chunk number) and sled's own framing, allowing keys of several hundred
/// bytes.
const KEY_ALLOWANCE: usize = 1024;

/// The smallest chunk this build writes, whatever the segment size.
const MIN_CHUNK: usize = 512;

/// The size of the chunks this build writes to a store whose sled log segments are
/// `segment_size` bytes; values up to this size are stored inline (see the module docs, *Chunk
/// size*): a power of two, at most [`MAX_CHUNK`], such that a leaf of [`LEAF_ENTRIES`] chunks and
/// their keys stays under sled's blob threshold (`segment_size / 4`): 4096 bytes for sled's
/// default 512 KiB segments and for this build's [`crate::SEGMENT_SIZE_BYTES`]. Readers never
/// depend on it: a chunked value's chunks say their own length.
pub(crate) fn chunk_size(segment_size: usize) -> usize {
    let blob_bound = (segment_size / 4 / LEAF_ENTRIES).saturating_sub(KEY_ALLOWANCE);
    let bound = blob_bound.min(MAX_CHUNK);
    match bound.checked_ilog2() {
        Some(log) => (1 << log).max(MIN_CHUNK),
        None => MIN_CHUNK,
    }
}

/// The first bytes of every chunk's key: a prefix no namespace's prefix can take.
pub(crate) const CHUNK_SPACE: [u8; 4] = [0xff; 4];

/// The bit of a record's `seq` field marking a chunked value.
pub(crate) const CHUNKED: u64 = 1 << 63;

/// The largest `seq` a record can hold (the bit above marks chunked values).
pub(crate) const MAX_SEQ: u64 = CHUNKED - 1;

/// The length of a record whose value is in the value log.
pub(crate) const LOGGED_RECORD: usize = 48;

/// The prefix every record of `ns` starts with in `entries`; a namespace of `u32::MAX` bytes or
/// more is [`Error::InvalidParam`] (its prefix would enter the chunk space).
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

/// Key of chunk `i` of the value of the entry whose key is `ekey`.
pub(crate) fn chunk_key(ekey: &[u8], i: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHUNK_SPACE.len() + ekey.len() + 4);
    out.extend_from_slice(&CHUNK_SPACE);
    out.extend_from_slice(ekey);
    out.extend_from_slice(&i.to_be_bytes());
    out
}

/// The prefix of the chunk keys of every entry of the namespace whose prefix is `prefix`.
pub(crate) fn chunk_range(prefix: &[u8]) -> Vec<u8> {
    [&CHUNK_SPACE[..], prefix].concat()
}

/// How many chunks of `chunk` bytes a value of `len` bytes takes when this build writes it (0:
/// stored inline, which a value of at most `chunk` bytes is); a value too long to count its
/// chunks in a `u32` is [`Error::InvalidParam`].
pub(crate) fn chunk_count(len: usize, chunk: usize) -> Result<u32> {
    if len <= chunk {
        return Ok(0);
    }
    u32::try_from(len.div_ceil(chunk))
        .map_err(|_| Error::InvalidParam(format!("a value of {len} bytes is too long")))
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

/// What a record says about its entry: enough for a write to replace it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Its place in the namespace's insertion order.
    pub seq: u64,
    /// What it counts toward usage.
    pub charge: u64,
    /// How many chunks hold its value (0: the value is inline or in the value log).
    pub chunks: u32,
    /// Where its value is in the value log, if it is there.
    pub logged: Option<Pointer>,
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

/// The first bytes of every key of the value log's index: no chunk key starts so (a chunk key's
/// next four bytes are a namespace's length, below `u32::MAX`), and no namespace prefix does.
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

/// An index entry's segment, offset, value length and entry key; damaged bytes give
/// [`Error::Corrupt`].
pub(crate) fn decode_index<'a>(key: &[u8], value: &'a [u8]) -> Result<(u64, u64, u64, &'a [u8])> {
    let damaged = || corrupt("value log index", key.len() + value.len());
    if key.len() != 24 || !key.starts_with(&INDEX_SPACE) {
        return Err(damaged());
    }
    let (segment, offset) = (
        take_u64(&key[8..], "index")?.0,
        take_u64(&key[16..], "index")?.0,
    );
    let (len, ekey) = take_u64(value, "value log index")?;
    Ok((segment, offset, len, ekey))
}

/// Where a record's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored<'a> {
    /// In the record itself.
    Inline(&'a [u8]),
    /// In `chunks` chunks holding `len` bytes in all.
    Chunked {
        /// The value's length.
        len: u64,
        /// How many chunks hold it.
        chunks: u32,
    },
    /// In the value log.
    Logged(Pointer),
}

/// A stored entry: `seq ‖ charge ‖ value`, or `seq | CHUNKED ‖ charge ‖ len ‖ n` (see the
/// module docs).
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
                buf.shrink_to(16 + MAX_CHUNK);
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

    /// The stored form of an entry whose value of `len` bytes is in `chunks` chunks.
    pub(crate) fn encode_chunked(seq: u64, charge: u64, len: u64, chunks: u32) -> Vec<u8> {
        debug_assert!(seq <= MAX_SEQ);
        let mut out = Vec::with_capacity(28);
        out.extend_from_slice(&(seq | CHUNKED).to_be_bytes());
        out.extend_from_slice(&charge.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&chunks.to_be_bytes());
        out
    }

    /// The stored form of an entry whose value is in the value log at `p`.
    pub(crate) fn encode_logged(seq: u64, charge: u64, p: &Pointer) -> Vec<u8> {
        debug_assert!(seq <= MAX_SEQ);
        let mut out = Vec::with_capacity(LOGGED_RECORD);
        out.extend_from_slice(&(seq | CHUNKED).to_be_bytes());
        out.extend_from_slice(&charge.to_be_bytes());
        out.extend_from_slice(&p.len.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&p.segment.to_be_bytes());
        out.extend_from_slice(&p.offset.to_be_bytes());
        out.extend_from_slice(&p.crc.to_be_bytes());
        out
    }

    /// The sequence and charge of a stored entry, reading nothing else (the scans that rebuild
    /// usage need no more); damaged bytes give [`Error::Corrupt`], never a panic.
    pub(crate) fn decode_seq_charge(bytes: &[u8]) -> Result<(u64, u64)> {
        let (seq, rest) = take_u64(bytes, "entry")?;
        let (charge, _) = take_u64(rest, "entry")?;
        Ok((seq & MAX_SEQ, charge))
    }

    /// The header of a stored entry; damaged bytes give [`Error::Corrupt`].
    pub(crate) fn decode_header(bytes: &[u8]) -> Result<Header> {
        let (seq, charge, stored) = Self::decode(bytes)?;
        let (chunks, logged) = match stored {
            Stored::Inline(_) => (0, None),
            Stored::Chunked { chunks, .. } => (chunks, None),
            Stored::Logged(p) => (0, Some(p)),
        };
        Ok(Header {
            seq,
            charge,
            chunks,
            logged,
        })
    }

    /// The sequence, charge and value (or where its chunks are) of a stored entry; damaged
    /// bytes give [`Error::Corrupt`]: a chunked record must say exactly `len ‖ n`, with at
    /// least two chunks and at least one byte in each (their length is checked as they are
    /// read).
    pub(crate) fn decode(bytes: &[u8]) -> Result<(u64, u64, Stored<'_>)> {
        let (raw_seq, rest) = take_u64(bytes, "entry")?;
        let (charge, rest) = take_u64(rest, "entry")?;
        if raw_seq & CHUNKED == 0 {
            return Ok((raw_seq, charge, Stored::Inline(rest)));
        }
        let (len, tail) = take_u64(rest, "chunked entry")?;
        let chunks = match tail {
            [a, b, c, d] => u32::from_be_bytes([*a, *b, *c, *d]),
            // A count of 0 marks a value in the value log: its place and checksum follow.
            [0, 0, 0, 0, place @ ..] if place.len() == 20 => {
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
                return Ok((raw_seq & MAX_SEQ, charge, Stored::Logged(p)));
            }
            _ => return Err(corrupt("chunked entry", bytes.len())),
        };
        // Whatever chunk size wrote it, a chunked value has at least two chunks (a value that
        // fits in one is stored inline) and each holds at least one byte; the chunks themselves
        // say their length (see `crate::chunks::read_value`).
        let possible = chunks >= 2 && len >= u64::from(chunks) && usize::try_from(len).is_ok();
        if !possible {
            return Err(Error::Corrupt(format!(
                "sled chunked entry record says {len} bytes in {chunks} chunks"
            )));
        }
        Ok((raw_seq & MAX_SEQ, charge, Stored::Chunked { len, chunks }))
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
                EntryRecord::decode_seq_charge(&bytes).map(drop),
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
                EntryRecord::decode_seq_charge(&bytes).unwrap(),
                (seq, charge)
            );
            let header = EntryRecord::decode_header(&bytes).unwrap();
            assert_eq!((header.seq, header.charge, header.chunks), (seq, charge, 0));
            let decoded = EntryRecord::decode(&bytes).unwrap();
            assert_eq!(decoded, (seq, charge, Stored::Inline(value)));
        }
        // (seq, charge, len, chunks)
        for (seq, charge, len, chunks) in [
            (0, 0, 4097, 2),
            (7, 9, 8192, 2),
            (MAX_SEQ, u64::MAX, 100 << 10, 25),
        ] {
            let bytes = EntryRecord::encode_chunked(seq, charge, len, chunks);
            assert_eq!(
                EntryRecord::decode_seq_charge(&bytes).unwrap(),
                (seq, charge)
            );
            let header = EntryRecord::decode_header(&bytes).unwrap();
            assert_eq!(
                (header.seq, header.charge, header.chunks),
                (seq, charge, chunks)
            );
            let stored = Stored::Chunked { len, chunks };
            assert_eq!(EntryRecord::decode(&bytes).unwrap(), (seq, charge, stored));
        }
    }

    #[test]
    fn values_above_the_threshold_take_whole_chunks() {
        // (value length, chunks)
        let cases = [
            (0, 0),
            (1, 0),
            (4095, 0),
            (4096, 0),
            (4097, 2),
            (8192, 2),
            (8193, 3),
            (100 << 10, 25),
        ];
        for (len, chunks) in cases {
            assert_eq!(chunk_count(len, 4096).unwrap(), chunks, "{len}");
        }
    }

    #[test]
    fn a_namespace_whose_prefix_would_enter_the_chunk_space_is_refused() {
        // Zeroed and never written: the allocator maps it lazily, so this costs no memory.
        let huge = vec![0u8; u32::MAX as usize];
        assert!(matches!(ns_prefix(&huge), Err(Error::InvalidParam(_))));
    }

    #[test]
    fn chunk_keys_lie_outside_every_namespace_range() {
        for ns in [&b""[..], b"a", b"\xff\xff\xff\xff", &[0xff; 300][..]] {
            let prefix = ns_prefix(ns).unwrap();
            let ekey = entry_key(&prefix, b"\xff");
            let chunk = chunk_key(&ekey, u32::MAX);
            assert!(!chunk.starts_with(&prefix), "{ns:?}");
            assert!(chunk.starts_with(&chunk_range(&prefix)), "{ns:?}");
            assert!(prefix[..] < CHUNK_SPACE[..], "{ns:?}");
            assert!(chunk_key(&ekey, 0) < chunk_key(&ekey, 1));
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
                EntryRecord::decode_seq_charge(&bytes),
                Err(Error::Corrupt(_))
            ));
            assert!(matches!(
                EntryRecord::decode(&bytes),
                Err(Error::Corrupt(_))
            ));
        }
        // Chunked records whose length and chunk count no chunk size can reconcile, or cut
        // short.
        let chunked = |len: u64, chunks: u32| EntryRecord::encode_chunked(1, 1, len, chunks);
        let damaged = [
            chunked(4097, 1),
            chunked(0, 0),
            chunked(4096, 1),
            chunked(0, 2),
            chunked(1, 2),
            chunked(9, 10),
            chunked(u64::from(u32::MAX) - 1, u32::MAX),
            chunked(8192, 2)[..27].to_vec(),
            [chunked(8192, 2), vec![0]].concat(),
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
