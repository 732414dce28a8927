//! How the decorator uses the inner backend's namespace space, which it owns entirely.
//!
//! - `k`: the keyring, holding the head record (`h`), one wrapped data key per namespace and
//!   generation (`w` ‖ generation, 8 bytes big-endian ‖ tag), and, while a rotation is under
//!   way, the rotation marker (`r`).
//! - `d` ‖ tag: a namespace's data, the tag being the namespace's HMAC (see
//!   [`crate::keys::Tagger`]). Keys in it are sealed key names; values are sealed records.
//!
//! The two prefixes differ in their first byte and a data namespace is always 33 bytes, so the
//! keyring can never collide with data, whatever a caller's namespaces are.

use crate::keys::Tag;

/// The keyring's namespace.
pub(crate) const KEYRING: &[u8] = b"k";
/// The head record's key in the keyring.
pub(crate) const HEAD: &[u8] = b"h";
/// The rotation marker's key in the keyring: present from the start of a rotation to the end of
/// its cleanup, so an open knows when wraps of another generation may be left over.
pub(crate) const ROTATING: &[u8] = b"r";
const DATA: u8 = b'd';
const WRAP: u8 = b'w';

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
    }
}
