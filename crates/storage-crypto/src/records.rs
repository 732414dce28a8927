//! What a namespace's keys seal: key names (deterministically, so lookups work) and values
//! (with a fresh random nonce), each bound to where it belongs.

use crate::keys::{
    DataKey, NamespaceCiphers, SivCipher, Tag, ValueSiv, FORMAT_V1, FORMAT_V2, SIV_TAG_LEN,
};
use crate::layout::data_ns;
use rand::Rng;
use storage_core::{buffers, Error, Result};

const NAME_LABEL: &[u8] = b"mpstore storage-crypto v1: key name";
/// The first associated-data component of a value of format 1.
const VALUE_LABEL: &[u8] = b"mpstore storage-crypto v1: value";
/// What a value of format 2's associated data starts with: 32 bytes, fixed.
const VALUE_LABEL_V2: &[u8; 32] = b"mpstore storage-crypto v2: value";
const NONCE_LEN: usize = 16;
/// The fixed-length part of a value of format 2's associated data: label ‖ tag ‖ nonce.
const AD_FIXED: usize = VALUE_LABEL_V2.len() + 32 + NONCE_LEN;
/// Associated data up to this length is built on the stack (key names up to 176 bytes).
const AD_ON_STACK: usize = 256;
/// A value record's bytes before its sealed part: format ‖ nonce.
const PREFIX: usize = 1 + NONCE_LEN;

/// The keys of one namespace, unwrapped, their ciphers expanded, and its names in the inner
/// backend.
pub(crate) struct NamespaceKeys {
    pub(crate) tag: Tag,
    /// The inner namespace holding its data ([`data_ns`] of its tag).
    pub(crate) data_ns: Vec<u8>,
    names: SivCipher,
    /// Seals values (format 2) and opens them.
    values: SivCipher<ValueSiv>,
    /// Opens values of format 1, written before format 2 (expanded only when one is read).
    values_v1: SivCipher,
}

impl NamespaceKeys {
    pub(crate) fn new(tag: Tag, data: &DataKey) -> Self {
        let NamespaceCiphers {
            names,
            values,
            values_v1,
        } = data.split();
        NamespaceKeys {
            tag,
            data_ns: data_ns(&tag),
            names,
            values,
            values_v1,
        }
    }

    /// A key name as the inner backend stores it: AES-SIV with no nonce, so the same name always
    /// seals the same way within this namespace (and only within it: the data key is the
    /// namespace's own, and the tag is bound in too).
    pub(crate) fn seal_name(&self, key: &[u8]) -> Result<Vec<u8>> {
        self.names.seal(&[NAME_LABEL, &self.tag], key)
    }

    /// The key name sealed in `stored`; [`Error::Corrupt`] if it was not sealed here.
    pub(crate) fn open_name(&self, stored: &[u8]) -> Result<Vec<u8>> {
        self.names
            .open(&[NAME_LABEL, &self.tag], stored)
            .ok_or_else(|| Error::Corrupt("a key name failed authentication".into()))
    }

    /// A value as the inner backend stores it (format 2): `2 ‖ nonce ‖ AES-256-PMAC-SIV of the
    /// value`, with one associated-data component, `label ‖ tag ‖ nonce ‖ key name` (the
    /// fixed-length fields first, so it reads back one way only).
    pub(crate) fn seal_value(&self, key: &[u8], value: &[u8]) -> Result<Vec<u8>> {
        // From the thread's ChaCha generator (seeded, and reseeded every 64 KiB, from the
        // operating system's): a system call per value cost as much as a third of the sealing.
        // SIV asks only that nonces not repeat, and tolerates it if they do.
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        self.seal_value_with(&nonce, key, value)
    }

    /// [`seal_value`](Self::seal_value) with a given nonce.
    pub(crate) fn seal_value_with(
        &self,
        nonce: &[u8; NONCE_LEN],
        key: &[u8],
        value: &[u8],
    ) -> Result<Vec<u8>> {
        // One buffer, sealed in place behind its prefix.
        let mut out = buffers::take(PREFIX + SIV_TAG_LEN + value.len());
        out.push(FORMAT_V2);
        out.extend_from_slice(nonce);
        out.extend_from_slice(&[0; SIV_TAG_LEN]);
        out.extend_from_slice(value);
        self.with_value_ad(nonce, key, |ad| {
            self.values.seal_in_place(&[ad], &mut out[PREFIX..])
        })?;
        Ok(out)
    }

    /// Calls `f` with the associated data of a value of format 2 under `key` with `nonce`.
    fn with_value_ad<R>(&self, nonce: &[u8], key: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
        let fill = |ad: &mut [u8]| {
            let (label, rest) = ad.split_at_mut(VALUE_LABEL_V2.len());
            label.copy_from_slice(VALUE_LABEL_V2);
            let (tag, rest) = rest.split_at_mut(32);
            tag.copy_from_slice(&self.tag);
            let (n, name) = rest.split_at_mut(NONCE_LEN);
            n.copy_from_slice(nonce);
            name.copy_from_slice(key);
        };
        let len = AD_FIXED + key.len();
        if len <= AD_ON_STACK {
            let mut ad = [0u8; AD_ON_STACK];
            fill(&mut ad[..len]);
            f(&ad[..len])
        } else {
            let mut ad = vec![0u8; len];
            fill(&mut ad);
            f(&ad)
        }
    }

    /// The value sealed in `stored` for `key`, in either format; [`Error::Corrupt`] if it was
    /// altered, truncated or sealed for another key or namespace.
    pub(crate) fn open_value(&self, key: &[u8], stored: &[u8]) -> Result<Vec<u8>> {
        let opened = match stored {
            [FORMAT_V2 | FORMAT_V1, rest @ ..] if rest.len() >= NONCE_LEN + SIV_TAG_LEN => {
                let (nonce, sealed) = rest.split_at(NONCE_LEN);
                if stored[0] == FORMAT_V2 {
                    self.with_value_ad(nonce, key, |ad| self.values.open(&[ad], sealed))
                } else {
                    self.values_v1
                        .open(&[VALUE_LABEL, &self.tag, key, nonce], sealed)
                }
            }
            [FORMAT_V2 | FORMAT_V1, ..] => {
                return Err(Error::Corrupt("a value record is truncated".into()))
            }
            _ => {
                return Err(Error::Corrupt(
                    "a value record has an unknown format".into(),
                ))
            }
        };
        opened.ok_or_else(|| {
            Error::Corrupt("a value failed authentication (altered or moved)".into())
        })
    }

    /// A value of format 1, as this crate wrote them before format 2: `1 ‖ nonce ‖ AES-256-SIV
    /// of the value`, with four associated-data components (label, tag, key name, nonce).
    #[cfg(test)]
    pub(crate) fn seal_value_v1(
        &self,
        nonce: &[u8; NONCE_LEN],
        key: &[u8],
        value: &[u8],
    ) -> Vec<u8> {
        let mut out = vec![FORMAT_V1];
        out.extend_from_slice(nonce);
        out.extend_from_slice(
            &self
                .values_v1
                .seal(&[VALUE_LABEL, &self.tag, key, nonce], value)
                .unwrap(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(tag: u8) -> NamespaceKeys {
        NamespaceKeys::new([tag; 32], &DataKey::random().unwrap())
    }

    #[test]
    fn names_are_deterministic_and_values_are_not() {
        let k = keys(1);
        assert_eq!(k.seal_name(b"a").unwrap(), k.seal_name(b"a").unwrap());
        assert_ne!(k.seal_name(b"a").unwrap(), k.seal_name(b"b").unwrap());
        assert_eq!(k.open_name(&k.seal_name(b"").unwrap()).unwrap(), b"");
        let (v1, v2) = (
            k.seal_value(b"a", b"v").unwrap(),
            k.seal_value(b"a", b"v").unwrap(),
        );
        assert_ne!(v1, v2);
        assert_eq!(k.open_value(b"a", &v1).unwrap(), b"v");
        assert_eq!(k.open_value(b"a", &v2).unwrap(), b"v");
    }

    #[test]
    fn records_are_bound_to_key_and_namespace() {
        let (k, other) = (keys(1), keys(2));
        let value = k.seal_value(b"a", b"v").unwrap();
        assert!(matches!(k.open_value(b"b", &value), Err(Error::Corrupt(_))));
        assert!(matches!(
            other.open_value(b"a", &value),
            Err(Error::Corrupt(_))
        ));
        let name = k.seal_name(b"a").unwrap();
        assert!(matches!(other.open_name(&name), Err(Error::Corrupt(_))));
        for cut in 0..value.len() {
            assert!(matches!(
                k.open_value(b"a", &value[..cut]),
                Err(Error::Corrupt(_))
            ));
        }
        for cut in 0..name.len() {
            assert!(matches!(k.open_name(&name[..cut]), Err(Error::Corrupt(_))));
        }
    }

    /// Both formats open; each is bound to its own format byte (a record relabelled as the
    /// other format, or as one unknown, is corrupt) and to its key and namespace.
    #[test]
    #[rustfmt::skip] // a table: one case a line
    fn both_formats_open_and_neither_passes_for_the_other() {
        let (k, other) = (keys(1), keys(2));
        let nonce = [7u8; NONCE_LEN];
        let v2 = k.seal_value(b"a", b"value").unwrap();
        let v1 = k.seal_value_v1(&nonce, b"a", b"value");
        assert_eq!((v2[0], v1[0]), (FORMAT_V2, FORMAT_V1));
        assert_eq!(v2.len(), v1.len());
        let relabel = |record: &[u8], format: u8| [&[format][..], &record[1..]].concat();
        type Case<'a> = (&'a str, &'a NamespaceKeys, &'a [u8], Vec<u8>, bool);
        let cases: &[Case] = &[
            ("v2", &k, b"a", v2.clone(), true),
            ("v1", &k, b"a", v1.clone(), true),
            ("v2 under another key", &k, b"b", v2.clone(), false),
            ("v1 under another key", &k, b"b", v1.clone(), false),
            ("v2 in another namespace", &other, b"a", v2.clone(), false),
            ("v1 in another namespace", &other, b"a", v1.clone(), false),
            ("v2 read as v1", &k, b"a", relabel(&v2, FORMAT_V1), false),
            ("v1 read as v2", &k, b"a", relabel(&v1, FORMAT_V2), false),
            ("v2, format 0", &k, b"a", relabel(&v2, 0), false),
            ("v2, format 3", &k, b"a", relabel(&v2, 3), false),
            ("v1, format 255", &k, b"a", relabel(&v1, 255), false),
            ("empty", &k, b"a", vec![], false),
        ];
        for (what, keys, name, record, opens) in cases {
            let got = keys.open_value(name, record);
            match opens {
                true => assert_eq!(got.as_deref(), Ok(&b"value"[..]), "{what}"),
                false => assert!(matches!(got, Err(Error::Corrupt(_))), "{what}: {got:?}"),
            }
        }
        for record in [&v2, &v1] {
            for at in 0..record.len() {
                for mask in [0x01, 0x80] {
                    let mut bad = record.clone();
                    bad[at] ^= mask;
                    assert!(matches!(k.open_value(b"a", &bad), Err(Error::Corrupt(_))), "{at}");
                }
            }
            for cut in 0..record.len() {
                assert!(matches!(k.open_value(b"a", &record[..cut]), Err(Error::Corrupt(_))));
            }
        }
    }

    /// The cipher of format 1 is expanded only once a record of format 1 is read.
    #[test]
    fn the_cipher_of_format_1_is_expanded_only_when_needed() {
        let data = DataKey::random().unwrap();
        let (writer, reader) = (
            NamespaceKeys::new([1; 32], &data),
            NamespaceKeys::new([1; 32], &data),
        );
        let (v2, v1) = (
            writer.seal_value(b"a", b"v").unwrap(),
            writer.seal_value_v1(&[0; NONCE_LEN], b"a", b"v"),
        );
        assert!(reader.names.is_expanded() && reader.values.is_expanded());
        assert_eq!(reader.open_value(b"a", &v2).unwrap(), b"v");
        assert!(!reader.values_v1.is_expanded());
        assert_eq!(reader.open_value(b"a", &v1).unwrap(), b"v");
        assert!(reader.values_v1.is_expanded());
    }

    /// Key names of every length, the associated data built on the stack or not, seal and open
    /// under their own name only.
    #[test]
    fn values_under_names_of_every_length_open() {
        let k = keys(1);
        for len in [
            0,
            1,
            15,
            16,
            17,
            AD_ON_STACK - AD_FIXED,
            AD_ON_STACK - AD_FIXED + 1,
            1000,
        ] {
            let name = vec![b'n'; len];
            let record = k.seal_value(&name, b"v").unwrap();
            assert_eq!(k.open_value(&name, &record).unwrap(), b"v", "{len}");
            let longer = vec![b'n'; len + 1];
            assert!(k.open_value(&longer, &record).is_err(), "{len}");
        }
    }
}
