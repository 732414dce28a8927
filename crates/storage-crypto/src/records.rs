//! What a namespace's keys seal: key names (deterministically, so lookups work) and values
//! (with a fresh random nonce), each bound to where it belongs.

use crate::keys::{DataKey, SivCipher, Tag, FORMAT_V1, SIV_TAG_LEN};
use crate::layout::data_ns;
use rand::Rng;
use storage_core::{Error, Result};

const NAME_LABEL: &[u8] = b"mpstore storage-crypto v1: key name";
const VALUE_LABEL: &[u8] = b"mpstore storage-crypto v1: value";
const NONCE_LEN: usize = 16;

/// The keys of one namespace, unwrapped, their ciphers expanded, and its names in the inner
/// backend.
pub(crate) struct NamespaceKeys {
    pub(crate) tag: Tag,
    /// The inner namespace holding its data ([`data_ns`] of its tag).
    pub(crate) data_ns: Vec<u8>,
    names: SivCipher,
    values: SivCipher,
}

impl NamespaceKeys {
    pub(crate) fn new(tag: Tag, data: &DataKey) -> Self {
        let (names, values) = data.split();
        NamespaceKeys {
            tag,
            data_ns: data_ns(&tag),
            names,
            values,
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

    /// A value as the inner backend stores it: format byte ‖ nonce ‖ AES-SIV of the value, with
    /// the namespace's tag, the key name and the nonce as associated data.
    pub(crate) fn seal_value(&self, key: &[u8], value: &[u8]) -> Result<Vec<u8>> {
        // From the thread's ChaCha generator (seeded, and reseeded every 64 KiB, from the
        // operating system's): a system call per value cost as much as a third of the sealing.
        // SIV asks only that nonces not repeat, and tolerates it if they do.
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // One buffer, sealed in place behind its prefix.
        let mut out = Vec::with_capacity(1 + NONCE_LEN + SIV_TAG_LEN + value.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&[0; SIV_TAG_LEN]);
        out.extend_from_slice(value);
        self.values.seal_in_place(
            &[VALUE_LABEL, &self.tag, key, &nonce],
            &mut out[1 + NONCE_LEN..],
        )?;
        Ok(out)
    }

    /// The value sealed in `stored` for `key`; [`Error::Corrupt`] if it was altered, truncated
    /// or sealed for another key or namespace.
    pub(crate) fn open_value(&self, key: &[u8], stored: &[u8]) -> Result<Vec<u8>> {
        match stored {
            [FORMAT_V1, rest @ ..] if rest.len() >= NONCE_LEN + SIV_TAG_LEN => {
                let (nonce, sealed) = rest.split_at(NONCE_LEN);
                self.values
                    .open(&[VALUE_LABEL, &self.tag, key, nonce], sealed)
                    .ok_or_else(|| {
                        Error::Corrupt("a value failed authentication (altered or moved)".into())
                    })
            }
            [FORMAT_V1, ..] => Err(Error::Corrupt("a value record is truncated".into())),
            _ => Err(Error::Corrupt(
                "a value record has an unknown format".into(),
            )),
        }
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
}
