//! Where a namespace lives: the Redis keys of its data, all in one hash slot.
//!
//! Every key of one namespace carries the same hash tag, `{p<prefix hex>.<namespace hex>}`, so
//! Redis Cluster keeps them in one slot and one script can change them together. Hex keeps any
//! namespace bytes (including `{`, `}` and the empty string) out of the tag's syntax, and is
//! injective, so two namespaces never share a key. The registry of namespaces has a tag of its
//! own, `{p<prefix hex>}`, which no namespace tag equals (those always hold a `.`).

/// The keys of one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamespaceKeys {
    /// Hash: entry key → value.
    pub values: Vec<u8>,
    /// Hash: entry key → charge (decimal).
    pub charges: Vec<u8>,
    /// Sorted set: entry keys scored by their insertion sequence.
    pub order: Vec<u8>,
    /// Hash: `b` bytes, `n` entries, `s` next sequence, `r` registration epoch, `f` fence.
    pub meta: Vec<u8>,
}

impl NamespaceKeys {
    /// The keys in the order the scripts take them.
    pub fn all(&self) -> [&[u8]; 4] {
        [&self.values, &self.charges, &self.order, &self.meta]
    }
}

/// The keys of the namespace registry of one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryKeys {
    /// Hash: namespace bytes → the epoch it was last registered under.
    pub registry: Vec<u8>,
    /// Counter handing out epochs.
    pub epoch: Vec<u8>,
}

/// The keys of one backend prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeySpace {
    prefix_hex: String,
}

impl KeySpace {
    pub fn new(prefix: &[u8]) -> Self {
        KeySpace {
            prefix_hex: hex(prefix),
        }
    }

    pub fn namespace(&self, ns: &[u8]) -> NamespaceKeys {
        let tag = self.tag(ns);
        let key = |suffix: &str| format!("{tag}{suffix}").into_bytes();
        NamespaceKeys {
            values: key("v"),
            charges: key("c"),
            order: key("o"),
            meta: key("m"),
        }
    }

    /// The key of `ns`'s values hash alone (what a batched read needs).
    pub fn values(&self, ns: &[u8]) -> Vec<u8> {
        // As `namespace` spells it, in one allocation: a batch makes one per namespace.
        let mut key = Vec::with_capacity(8 + self.prefix_hex.len() + 2 * ns.len());
        key.extend_from_slice(b"mps{p");
        key.extend_from_slice(self.prefix_hex.as_bytes());
        key.push(b'.');
        push_hex(&mut key, ns);
        key.extend_from_slice(b"}v");
        key
    }

    fn tag(&self, ns: &[u8]) -> String {
        format!("mps{{p{}.{}}}", self.prefix_hex, hex(ns))
    }

    pub fn registry(&self) -> RegistryKeys {
        let tag = format!("mps{{p{}}}", self.prefix_hex);
        RegistryKeys {
            registry: format!("{tag}ns").into_bytes(),
            epoch: format!("{tag}epoch").into_bytes(),
        }
    }
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.extend([DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]);
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash tag Redis Cluster hashes: between the first `{` and the next `}`.
    fn tag(key: &[u8]) -> &[u8] {
        let open = key.iter().position(|&b| b == b'{').expect("a tag");
        let close = open + key[open..].iter().position(|&b| b == b'}').expect("closed");
        &key[open + 1..close]
    }

    fn check_one_slot(prefix: &[u8], ns: &[u8]) {
        let keys = KeySpace::new(prefix).namespace(ns);
        let first = tag(&keys.values).to_vec();
        assert!(!first.is_empty(), "an empty tag would hash whole keys");
        for key in keys.all() {
            assert_eq!(tag(key), first, "{prefix:?} {ns:?}");
        }
    }

    #[test]
    fn a_namespace_has_one_tag() {
        check_one_slot(b"", b"");
        check_one_slot(b"", b"{}");
        check_one_slot(b"{", b"}x{");
        check_one_slot(b"p", &[0, 255, b'}']);
    }

    #[test]
    fn different_namespaces_have_different_keys() {
        let space = KeySpace::new(b"");
        let names: [&[u8]; 5] = [b"", b"a", b"ab", b"a.b", &[0]];
        for a in names {
            for b in names {
                assert_eq!(
                    a == b,
                    space.namespace(a) == space.namespace(b),
                    "{a:?} {b:?}"
                );
            }
        }
        assert_ne!(KeySpace::new(b"x").namespace(b""), space.namespace(b""));
        for ns in names {
            assert_eq!(space.values(ns), space.namespace(ns).values);
        }
    }

    #[test]
    fn the_registry_shares_its_slot_with_its_counter_only() {
        for prefix in [&b""[..], b"x", b"{}"] {
            let space = KeySpace::new(prefix);
            let reg = space.registry();
            assert_eq!(tag(&reg.registry), tag(&reg.epoch));
            assert!(!tag(&reg.registry).is_empty());
            assert_ne!(tag(&reg.registry), tag(&space.namespace(b"").meta));
        }
    }
}
