//! The key hierarchy (see `docs/security.md`): master key → key-encryption key (HKDF) → the
//! store's root key and each namespace's data key (random, wrapped with AES-SIV) → the keys that
//! seal key names and values (HKDF).
//!
//! Every secret here lives in a [`Zeroizing`] buffer or a cipher that wipes itself on drop.

use crate::provider::MasterKey;
use aes::Aes256Enc;
use aes_siv::siv::CmacSiv;
use aes_siv::KeyInit;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::{Mutex, OnceLock};
use storage_core::{Error, Result};
use zeroize::{Zeroize, Zeroizing};

mod pmac_siv;
pub use pmac_siv::PmacSiv;

/// An AES-256-SIV key: 512 bits (one half for the MAC of S2V, one for CTR), in either mode.
pub(crate) const SIV_KEY_LEN: usize = 64;
/// The length of the tag AES-SIV puts in front of every ciphertext.
pub(crate) const SIV_TAG_LEN: usize = 16;
/// A namespace's opaque name in the inner backend: HMAC-SHA256 of its plaintext bytes.
pub(crate) type Tag = [u8; 32];

/// Fills `buf` from the operating system's generator.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf)
        .map_err(|e| Error::Backend(format!("the system random generator failed: {e}")))
}

/// The two SIV constructions this crate seals with, both under a 512-bit key: AES-256-SIV with
/// S2V over CMAC (`aes-siv`; RFC 5297: key names, key wraps, values of format 1) and
/// AES-256-PMAC-SIV, the same construction with PMAC in S2V (`pmac_siv.rs`, the bytes of
/// `aes-siv`'s; values of format 2), whose MAC pass runs through AES's parallel backend instead
/// of one block after another.
pub(crate) trait SivMode: Send {
    /// The cipher of `key`, expanded.
    fn expand(key: &[u8; SIV_KEY_LEN]) -> Self;
    /// Encrypts `text` in place; the SIV tag, or `None` if the crate refuses (too many headers).
    fn seal_detached(&mut self, headers: &[&[u8]], text: &mut [u8]) -> Option<aes_siv::Tag>;
    /// Decrypts `text` in place if it authenticates under `tag` and `headers` (and leaves it
    /// encrypted otherwise); whether it did.
    fn open_detached(&mut self, headers: &[&[u8]], text: &mut [u8], tag: &aes_siv::Tag) -> bool;
}

impl SivMode for NameSiv {
    fn expand(key: &[u8; SIV_KEY_LEN]) -> Self {
        NameSiv::new(&(*key).into())
    }
    fn seal_detached(&mut self, headers: &[&[u8]], text: &mut [u8]) -> Option<aes_siv::Tag> {
        self.encrypt_in_place_detached(headers, text).ok()
    }
    fn open_detached(&mut self, headers: &[&[u8]], text: &mut [u8], tag: &aes_siv::Tag) -> bool {
        self.decrypt_in_place_detached(headers, text, tag).is_ok()
    }
}

impl SivMode for ValueSiv {
    fn expand(key: &[u8; SIV_KEY_LEN]) -> Self {
        ValueSiv::new(key)
    }
    fn seal_detached(&mut self, headers: &[&[u8]], text: &mut [u8]) -> Option<aes_siv::Tag> {
        self.seal(headers, text).map(Into::into)
    }
    fn open_detached(&mut self, headers: &[&[u8]], text: &mut [u8], tag: &aes_siv::Tag) -> bool {
        self.open(headers, text, &(*tag).into())
    }
}

/// AES-256-SIV (RFC 5297; `aes-siv`'s `Aes256Siv`, the same bytes) over AES-256's encryption
/// half only: SIV never decrypts a block, so this skips expanding the decryption round keys that
/// `Aes256Siv` expands for its CTR pass on every call. Seals key names, key wraps and the head
/// record, and opens values of format 1.
pub(crate) type NameSiv = CmacSiv<Aes256Enc>;

/// AES-256-PMAC-SIV (`aes-siv`'s `Aes256PmacSiv`, the same bytes) over ciphers kept expanded
/// (`pmac_siv.rs`): seals values (format 2), the crypto of every set.
pub(crate) type ValueSiv = pmac_siv::PmacSiv;

/// An AES-SIV key and the two things done with it.
pub(crate) struct SivKey(Zeroizing<[u8; SIV_KEY_LEN]>);

impl SivKey {
    fn random() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; SIV_KEY_LEN]);
        fill_random(&mut key[..])?;
        Ok(SivKey(key))
    }

    /// HKDF-SHA256 (RFC 5869) of `ikm` with `salt`, expanded for `info`.
    fn derive(ikm: &[u8], salt: Option<&[u8]>, info: &[u8]) -> Self {
        let mut key = Zeroizing::new([0u8; SIV_KEY_LEN]);
        Hkdf::<Sha256>::new(salt, ikm)
            .expand(info, &mut key[..])
            .expect("64 bytes is far below HKDF-SHA256's limit of 8160");
        SivKey(key)
    }

    fn cipher<S: SivMode>(&self) -> S {
        S::expand(&self.0)
    }

    /// AES-SIV (RFC 5297) of `plaintext` with `headers` as associated data.
    pub(crate) fn seal(&self, headers: &[&[u8]], plaintext: &[u8]) -> Result<Vec<u8>> {
        self.cipher::<NameSiv>()
            .encrypt(headers, plaintext)
            .map_err(|_| Error::Backend("AES-SIV refused to encrypt".into()))
    }

    /// The plaintext of `sealed`, or `None` when it fails authentication with `headers`.
    pub(crate) fn open(&self, headers: &[&[u8]], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        self.cipher::<NameSiv>()
            .decrypt(headers, sealed)
            .ok()
            .map(Zeroizing::new)
    }
}

/// An AES-SIV key of mode `S` (AES-256-SIV, [`NameSiv`], unless said otherwise) with its cipher expanded once:
/// the keys used on every call (a namespace's name and value keys), so that no call pays for AES
/// key expansion or for copying the key.
pub(crate) struct SivCipher<S = NameSiv> {
    key: SivKey,
    /// The `aes-siv` ciphers take `&mut self` (they keep MAC state between the pieces of one
    /// S2V), so one call at a time uses it; a call that finds it busy (another thread on the same
    /// namespace) expands a cipher of its own rather than wait. Expanded when first used, or at
    /// once by [`new`](Self::new); boxed, so that one never expanded takes no room for it (an
    /// expanded AES-SIV cipher is 1 to 1.4 KiB).
    ready: OnceLock<Box<Mutex<S>>>,
}

impl<S: SivMode> SivCipher<S> {
    /// The cipher of `key`, expanded now.
    pub(crate) fn new(key: SivKey) -> Self {
        let ready = OnceLock::from(Box::new(Mutex::new(key.cipher())));
        SivCipher { key, ready }
    }

    /// The cipher of `key`, expanded only when first used (a key rarely needed: memory is spent
    /// on it only if it is).
    pub(crate) fn lazy(key: SivKey) -> Self {
        SivCipher {
            key,
            ready: OnceLock::new(),
        }
    }

    /// Whether its cipher has been expanded.
    #[cfg(test)]
    pub(crate) fn is_expanded(&self) -> bool {
        self.ready.get().is_some()
    }

    fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        let ready = self
            .ready
            .get_or_init(|| Box::new(Mutex::new(self.key.cipher())));
        match ready.try_lock() {
            Ok(mut cipher) => f(&mut cipher),
            // Busy; or poisoned, i.e. a panic left it in an unknown state: never used again.
            Err(_) => f(&mut self.key.cipher()),
        }
    }

    /// AES-SIV of `plaintext` with `headers` as associated data: the SIV tag followed by the
    /// ciphertext, as [`SivKey::seal`] makes it (in mode `S`).
    pub(crate) fn seal(&self, headers: &[&[u8]], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(SIV_TAG_LEN + plaintext.len());
        out.extend_from_slice(&[0; SIV_TAG_LEN]);
        out.extend_from_slice(plaintext);
        self.seal_in_place(headers, &mut out)?;
        Ok(out)
    }

    /// Seals in place: `buf` is a [`SIV_TAG_LEN`]-byte space for the tag followed by the
    /// plaintext, and becomes the tag followed by the ciphertext (so a caller can put its own
    /// prefix in front without another copy).
    pub(crate) fn seal_in_place(&self, headers: &[&[u8]], buf: &mut [u8]) -> Result<()> {
        let (tag, text) = buf
            .split_at_mut_checked(SIV_TAG_LEN)
            .ok_or_else(|| Error::Backend("no room for the AES-SIV tag".into()))?;
        let siv = self
            .with(|c| c.seal_detached(headers, text))
            .ok_or_else(|| Error::Backend("AES-SIV refused to encrypt".into()))?;
        tag.copy_from_slice(&siv);
        Ok(())
    }

    /// The plaintext of `sealed` (tag followed by ciphertext), or `None` when it fails
    /// authentication with `headers`. Copies the ciphertext once, into the result, and decrypts
    /// it there; what a failed check decrypted is wiped before it is dropped.
    pub(crate) fn open(&self, headers: &[&[u8]], sealed: &[u8]) -> Option<Vec<u8>> {
        let (tag, text) = sealed.split_at_checked(SIV_TAG_LEN)?;
        let tag = aes_siv::Tag::from_slice(tag);
        let mut out = text.to_vec();
        if self.with(|c| c.open_detached(headers, &mut out, tag)) {
            Some(out)
        } else {
            out.zeroize();
            None
        }
    }
}

/// Domain-separation labels: every derivation and every sealing says what it is for, so no
/// ciphertext or key made for one purpose is ever accepted for another.
mod label {
    pub const KEK: &[u8] = b"mpstore storage-crypto v1: key-encryption key";
    pub const HEAD: &[u8] = b"mpstore storage-crypto v1: root key";
    pub const NS_KEY: &[u8] = b"mpstore storage-crypto v1: namespace key";
    pub const TAGS: &[u8] = b"mpstore storage-crypto v1: namespace tags";
    pub const NAMES: &[u8] = b"mpstore storage-crypto v1: key names";
    /// Values of format 1 (AES-256-SIV): only opened, never written any more.
    pub const VALUES: &[u8] = b"mpstore storage-crypto v1: values";
    /// Values of format 2 (AES-256-PMAC-SIV): a key of its own, never the CMAC-SIV one.
    pub const VALUES_PMAC: &[u8] = b"mpstore storage-crypto v2: values (AES-PMAC-SIV)";
}

/// The first byte of every record this crate writes; a later format gets another. Head records,
/// key wraps and values written before format 2 are format 1.
pub(crate) const FORMAT_V1: u8 = 1;
/// The first byte of every value record written now: AES-256-PMAC-SIV (see `records.rs`).
pub(crate) const FORMAT_V2: u8 = 2;
const SALT_LEN: usize = 32;

/// The key-encryption key of one generation: derived from a master key and the generation's
/// salt. Rotation starts a new generation.
pub(crate) struct Kek {
    pub(crate) generation: u64,
    salt: [u8; SALT_LEN],
    key: SivKey,
}

impl Kek {
    /// A new generation's key, with a fresh salt.
    pub(crate) fn new(master: &MasterKey, generation: u64) -> Result<Self> {
        let mut salt = [0u8; SALT_LEN];
        fill_random(&mut salt)?;
        Ok(Self::with_salt(master, generation, salt))
    }

    fn with_salt(master: &MasterKey, generation: u64, salt: [u8; SALT_LEN]) -> Self {
        Kek {
            generation,
            salt,
            key: SivKey::derive(master.as_bytes(), Some(&salt), label::KEK),
        }
    }

    /// The head record: this generation's number and salt, and the root key sealed with this
    /// key. Opening it is the key check.
    pub(crate) fn seal_head(&self, root: &RootKey) -> Result<Vec<u8>> {
        let gen = self.generation.to_be_bytes();
        let sealed = self
            .key
            .seal(&[label::HEAD, &gen, &self.salt], &root.0 .0[..])?;
        let mut out = Vec::with_capacity(1 + 8 + SALT_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&gen);
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Wraps a namespace's data key, together with the namespace's plaintext bytes (which
    /// `namespaces` must give back), bound to this generation and the namespace's tag.
    pub(crate) fn wrap(&self, tag: &Tag, data: &DataKey, ns: &[u8]) -> Result<Vec<u8>> {
        let mut plain = Zeroizing::new(Vec::with_capacity(SIV_KEY_LEN + ns.len()));
        plain.extend_from_slice(&data.0 .0[..]);
        plain.extend_from_slice(ns);
        let gen = self.generation.to_be_bytes();
        let sealed = self.key.seal(&[label::NS_KEY, &gen, tag], &plain)?;
        let mut out = Vec::with_capacity(1 + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The data key and namespace bytes of a record made by [`wrap`](Self::wrap) for `tag`.
    pub(crate) fn unwrap(&self, tag: &Tag, record: &[u8]) -> Result<(DataKey, Vec<u8>)> {
        let gen = self.generation.to_be_bytes();
        let plain = match record {
            [FORMAT_V1, sealed @ ..] => self.key.open(&[label::NS_KEY, &gen, tag], sealed),
            _ => None,
        }
        .filter(|p| p.len() >= SIV_KEY_LEN)
        .ok_or_else(|| Error::Corrupt("a namespace key record failed authentication".into()))?;
        let mut key = Zeroizing::new([0u8; SIV_KEY_LEN]);
        key.copy_from_slice(&plain[..SIV_KEY_LEN]);
        Ok((DataKey(SivKey(key)), plain[SIV_KEY_LEN..].to_vec()))
    }
}

/// What a head record says before it is opened.
pub(crate) struct Head<'a> {
    pub(crate) generation: u64,
    salt: [u8; SALT_LEN],
    sealed: &'a [u8],
}

impl<'a> Head<'a> {
    /// Reads the head record's layout; `None` if it is not one.
    pub(crate) fn parse(record: &'a [u8]) -> Option<Self> {
        let (&format, rest) = record.split_first()?;
        if format != FORMAT_V1 || rest.len() != 8 + SALT_LEN + SIV_TAG_LEN + SIV_KEY_LEN {
            return None;
        }
        let (gen, rest) = rest.split_at(8);
        let (salt, sealed) = rest.split_at(SALT_LEN);
        Some(Head {
            generation: u64::from_be_bytes(gen.try_into().ok()?),
            salt: salt.try_into().ok()?,
            sealed,
        })
    }

    /// The generation's key from `master`, and the root key, or `None` when `master` is not the
    /// key this head was sealed with (or the head was altered).
    pub(crate) fn open(&self, master: &MasterKey) -> Option<(Kek, RootKey)> {
        let kek = Kek::with_salt(master, self.generation, self.salt);
        let gen = self.generation.to_be_bytes();
        let plain = kek
            .key
            .open(&[label::HEAD, &gen, &self.salt], self.sealed)?;
        let mut key = Zeroizing::new([0u8; SIV_KEY_LEN]);
        key.copy_from_slice(plain.get(..SIV_KEY_LEN)?);
        Some((kek, RootKey(SivKey(key))))
    }
}

/// The store's root key: random, made once when the store is created, sealed in the head
/// record. Rotation re-seals it; it never changes, so namespace tags never change.
pub(crate) struct RootKey(SivKey);

impl RootKey {
    pub(crate) fn random() -> Result<Self> {
        SivKey::random().map(RootKey)
    }

    /// The key that names namespaces in the inner backend.
    pub(crate) fn tagger(&self) -> Tagger {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, &self.0 .0[..])
            .expand(label::TAGS, &mut key[..])
            .expect("32 bytes is far below HKDF-SHA256's limit");
        let mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key[..])
            .expect("HMAC takes a key of any length");
        Tagger(mac)
    }
}

/// Names namespaces: HMAC-SHA256 under a key derived from the root key, so the inner backend's
/// namespace names reveal nothing and cannot be guessed from a user or app id.
///
/// Keeps the HMAC keyed (its inner and outer SHA-256 states, wiped on drop), so tagging a short
/// namespace costs two SHA-256 compressions, not four.
pub(crate) struct Tagger(Hmac<Sha256>);

impl Tagger {
    pub(crate) fn tag(&self, ns: &[u8]) -> Tag {
        let mut mac = self.0.clone();
        mac.update(ns);
        mac.finalize().into_bytes().into()
    }
}

/// A namespace's data key: random, made when the namespace is first written, stored only
/// wrapped, destroyed when the namespace is dropped.
pub(crate) struct DataKey(SivKey);

impl DataKey {
    pub(crate) fn random() -> Result<Self> {
        SivKey::random().map(DataKey)
    }

    /// The keys of a namespace, each derived for its own purpose (so no key serves two
    /// constructions): the one that seals key names, the one that seals values now (PMAC-SIV),
    /// and the one that sealed values of format 1 (CMAC-SIV), kept only to open them and so
    /// expanded only if one is read.
    pub(crate) fn split(&self) -> NamespaceCiphers {
        let ikm = &self.0 .0[..];
        NamespaceCiphers {
            names: SivCipher::new(SivKey::derive(ikm, None, label::NAMES)),
            values: SivCipher::new(SivKey::derive(ikm, None, label::VALUES_PMAC)),
            values_v1: SivCipher::lazy(SivKey::derive(ikm, None, label::VALUES)),
        }
    }
}

/// What [`DataKey::split`] gives: a namespace's ciphers.
pub(crate) struct NamespaceCiphers {
    /// Key names: AES-256-SIV, deterministic.
    pub(crate) names: SivCipher,
    /// Values of format 2: AES-256-PMAC-SIV.
    pub(crate) values: SivCipher<ValueSiv>,
    /// Values of format 1: AES-256-SIV, opened only.
    pub(crate) values_v1: SivCipher,
}

#[cfg(test)]
mod known_answers;

#[cfg(test)]
mod tests {
    use super::*;

    fn master(b: u8) -> MasterKey {
        MasterKey::new([b; 32])
    }

    #[test]
    fn head_opens_with_its_master_key_only() {
        let root = RootKey::random().unwrap();
        let record = Kek::new(&master(1), 7).unwrap().seal_head(&root).unwrap();
        let head = Head::parse(&record).unwrap();
        assert_eq!(head.generation, 7);
        let (kek, opened) = head.open(&master(1)).unwrap();
        assert_eq!(kek.generation, 7);
        assert_eq!(opened.0 .0, root.0 .0);
        assert!(head.open(&master(2)).is_none());
    }

    #[test]
    fn head_rejects_any_alteration() {
        let root = RootKey::random().unwrap();
        let record = Kek::new(&master(1), 0).unwrap().seal_head(&root).unwrap();
        for i in 0..record.len() {
            let mut bad = record.clone();
            bad[i] ^= 0x01;
            let opened = Head::parse(&bad).and_then(|h| h.open(&master(1)));
            assert!(opened.is_none(), "byte {i}");
        }
        assert!(Head::parse(&record[..record.len() - 1]).is_none());
        assert!(Head::parse(&[]).is_none());
    }

    #[test]
    fn wraps_are_bound_to_generation_and_tag() {
        let kek = Kek::new(&master(1), 3).unwrap();
        let data = DataKey::random().unwrap();
        let record = kek.wrap(&[9; 32], &data, b"ns").unwrap();
        let (back, ns) = kek.unwrap(&[9; 32], &record).unwrap();
        assert_eq!((back.0 .0, ns.as_slice()), (data.0 .0, &b"ns"[..]));
        assert!(kek.unwrap(&[8; 32], &record).is_err());
        let other_gen = Kek::with_salt(&master(1), 4, kek.salt);
        assert!(other_gen.unwrap(&[9; 32], &record).is_err());
        assert!(kek.unwrap(&[9; 32], &record[..10]).is_err());
        assert!(kek.unwrap(&[9; 32], &[]).is_err());
    }

    #[test]
    fn a_kept_cipher_seals_and_opens_as_a_fresh_one_does() {
        check_kept::<NameSiv>(|key, headers, text| key.seal(headers, text).unwrap());
        check_kept::<ValueSiv>(|key, headers, text| {
            aes_siv::siv::Aes256PmacSiv::new(&(*key.0).into())
                .encrypt(headers, text)
                .unwrap()
        });
    }

    /// A kept cipher of mode `S`, expanded at once or lazily, idle or busy, seals as `fresh`
    /// (the mode's cipher expanded afresh) does, and opens only what it sealed.
    fn check_kept<S: SivMode>(fresh: impl Fn(&SivKey, &[&[u8]], &[u8]) -> Vec<u8>) {
        let key = || SivKey::derive(b"ikm", None, b"test");
        for cipher in [SivCipher::<S>::new(key()), SivCipher::<S>::lazy(key())] {
            for text in [&b""[..], b"a", &[7; 16], &[9; 100], &[1; 1000]] {
                let headers: &[&[u8]] = &[b"label", &text[..text.len().min(3)]];
                let sealed = fresh(&key(), headers, text);
                for busy in [false, true] {
                    // Held: the call finds the kept cipher busy and expands its own.
                    let ready = busy.then(|| {
                        cipher.with(|_| ());
                        cipher.ready.get().unwrap()
                    });
                    let _held = ready.map(|r| r.lock().unwrap());
                    assert_eq!(cipher.seal(headers, text).unwrap(), sealed, "busy {busy}");
                    assert_eq!(cipher.open(headers, &sealed).as_deref(), Some(text));
                    assert!(cipher.open(&[b"other"], &sealed).is_none());
                    for i in 0..sealed.len() {
                        let mut bad = sealed.clone();
                        bad[i] ^= 0x80;
                        assert!(cipher.open(headers, &bad).is_none(), "byte {i}");
                    }
                    for cut in 0..sealed.len() {
                        assert!(cipher.open(headers, &sealed[..cut]).is_none(), "cut {cut}");
                    }
                }
            }
            let mut no_room = [0u8; SIV_TAG_LEN - 1];
            assert!(cipher.seal_in_place(&[], &mut no_room).is_err());
        }
    }

    #[test]
    fn a_kept_tagger_tags_as_hmac_keyed_afresh_does() {
        let root = RootKey::random().unwrap();
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, &root.0 .0[..])
            .expand(label::TAGS, &mut key)
            .unwrap();
        let tagger = root.tagger();
        for ns in [&b""[..], b"ns", &[7; 55], &[8; 56], &[9; 200]] {
            let mut fresh = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key).unwrap();
            fresh.update(ns);
            let expected: Tag = fresh.finalize().into_bytes().into();
            assert_eq!(tagger.tag(ns), expected, "{} bytes", ns.len());
        }
    }

    #[test]
    fn tags_are_keyed() {
        let (a, b) = (RootKey::random().unwrap(), RootKey::random().unwrap());
        assert_eq!(a.tagger().tag(b"ns"), a.tagger().tag(b"ns"));
        assert_ne!(a.tagger().tag(b"ns"), a.tagger().tag(b"ns2"));
        assert_ne!(a.tagger().tag(b"ns"), b.tagger().tag(b"ns"));
    }
}
