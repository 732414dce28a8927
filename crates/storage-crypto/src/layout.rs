//! How the decorator uses the inner backend's namespace space, which it owns entirely.
//!
//! - `k`: the keyring, holding the head record (`h`), one wrapped data key per namespace and
//!   generation (`w` ‖ generation, 8 bytes big-endian ‖ tag), and, while a rotation is under
//!   way, the rotation marker (`r`).
//! - `d` ‖ tag: a namespace's data, the tag being the namespace's HMAC (see
//!   [`crate::keys::Tagger`]). Keys in it are sealed key names; values are sealed records.
//! - `c` ‖ generation ‖ tag, and `ch`: claims, each holding at most one entry. Processes sharing
//!   the inner backend race to create a namespace's data key (or a fresh store's head record);
//!   the first to put its candidate in the claim wins, and the others take the winner's (see
//!   `EncryptedBackend::claim`). A claim stays until its namespace is dropped or its generation
//!   rotated away, so a late creator can never win a second time.
//!
//! The prefixes differ in their first byte, a data namespace is always 33 bytes and a claim 41
//! or 2, so nothing can collide, whatever a caller's namespaces are.

use crate::keys::Tag;

/// The keyring's namespace.
pub(crate) const KEYRING: &[u8] = b"k";
/// The head record's key in the keyring.
pub(crate) const HEAD: &[u8] = b"h";
/// The rotation marker's key in the keyring: present from the start of a rotation to the end of
/// its cleanup, so an open knows when wraps of another generation may be left over.
pub(crate) const ROTATING: &[u8] = b"r";
/// The claim of a fresh store's head record.
pub(crate) const HEAD_CLAIM: &[u8] = b"ch";
const DATA: u8 = b'd';
const WRAP: u8 = b'w';
const CLAIM: u8 = b'c';

/// The inner namespace holding the data of the namespace with `tag`.
pub(crate) fn data_ns(tag: &Tag) -> Vec<u8> {
    let mut ns = Vec::with_capacity(1 + tag.len());
    ns.push(DATA);
    ns.extend_from_slice(tag);
    ns
}

/// The tag of an inner data namespace, or `None` if `ns` is not one.
pub(crate) fn parse_data_ns(ns: &[u8]) -> Option<Tag> {
    match ns.split_first() {
        Some((&DATA, tag)) => tag.try_into().ok(),
        _ => None,
    }
}

/// The claim of the data key of `tag` in generation `generation`.
pub(crate) fn claim_ns(generation: u64, tag: &Tag) -> Vec<u8> {
    let mut ns = Vec::with_capacity(1 + 8 + tag.len());
    ns.push(CLAIM);
    ns.extend_from_slice(&generation.to_be_bytes());
    ns.extend_from_slice(tag);
    ns
}

/// Whether `ns` is a claim (of a data key, or of the head).
pub(crate) fn is_claim(ns: &[u8]) -> bool {
    ns == HEAD_CLAIM || (ns.first() == Some(&CLAIM) && ns.len() == 1 + 8 + 32)
}

/// The generation of a data key's claim, or `None` if `ns` is not one.
pub(crate) fn claim_generation(ns: &[u8]) -> Option<u64> {
    match ns.split_first() {
        Some((&CLAIM, rest)) if rest.len() == 8 + 32 => {
            Some(u64::from_be_bytes(rest[..8].try_into().ok()?))
        }
        _ => None,
    }
}

/// The keyring key of the data key of `tag`, wrapped by generation `generation`.
pub(crate) fn wrap_key(generation: u64, tag: &Tag) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + 8 + tag.len());
    key.push(WRAP);
    key.extend_from_slice(&generation.to_be_bytes());
    key.extend_from_slice(tag);
    key
}

/// The generation and tag of a keyring key made by [`wrap_key`], or `None`.
pub(crate) fn parse_wrap_key(key: &[u8]) -> Option<(u64, Tag)> {
    match key.split_first() {
        Some((&WRAP, rest)) if rest.len() == 8 + 32 => {
            let (gen, tag) = rest.split_at(8);
            Some((
                u64::from_be_bytes(gen.try_into().ok()?),
                tag.try_into().ok()?,
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_never_collide() {
        let tag = [0xab; 32];
        assert_eq!(parse_data_ns(&data_ns(&tag)), Some(tag));
        assert_eq!(parse_wrap_key(&wrap_key(5, &tag)), Some((5, tag)));
        assert_eq!(parse_data_ns(KEYRING), None);
        assert_eq!(parse_data_ns(b"d"), None);
        assert_eq!(parse_wrap_key(HEAD), None);
        assert_eq!(parse_wrap_key(&wrap_key(5, &tag)[..40]), None);
        assert_ne!(KEYRING, &data_ns(&tag)[..1]);
        let claim = claim_ns(5, &tag);
        assert!(is_claim(&claim) && is_claim(HEAD_CLAIM));
        assert_eq!(claim_generation(&claim), Some(5));
        assert_eq!(claim_generation(HEAD_CLAIM), None);
        for other in [KEYRING, &data_ns(&tag)[..], b"c", &claim[..40]] {
            assert!(!is_claim(other), "{other:?}");
        }
        assert_eq!(parse_data_ns(&claim), None);
    }
}
