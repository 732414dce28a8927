//! Encryption at rest for any mpstore backend: an AES-SIV decorator with per-namespace keys.
//!
//! [`EncryptedBackend`] wraps any [`storage_core::Backend`] and is one itself, so it composes
//! like a tower layer: `Store::new(EncryptedBackend::open(SledBackend::open(dir)?, &key).await?)`.
//! Everything the inner backend stores is sealed: key names, values and the names of namespaces
//! (so no user or app id reaches it). A record moved, altered or truncated reads as
//! [`storage_core::Error::Corrupt`]; a wrong master key fails at [`EncryptedBackend::open`];
//! [`EncryptedBackend::rotate`] changes the master key without re-encrypting data; dropping a
//! namespace destroys its key. Quotas are unaffected: charges pass through unchanged.
//!
//! The master key comes from a [`KeyProvider`]: [`RawKeyProvider`] (bytes in memory),
//! [`EnvKeyProvider`] (an environment variable) or [`KeyFileProvider`] (a file created with mode
//! `0600` on first use). All key material is wiped from memory when dropped.
//!
//! The threat model, cipher choices and key hierarchy are in `docs/security.md`.
//!
//! **Invariants.** No plaintext key name, value or namespace byte is ever handed to the inner
//! backend. The decorator owns the inner backend's whole namespace space (a keyring and one
//! opaque namespace per namespace), so the inner store holds nothing else. Charges pass through
//! unchanged. Only standard constructions are used: SIV (AES-256-SIV of RFC 5297 for key names and
//! keys, AES-256-PMAC-SIV for values), HMAC-SHA256, HKDF-SHA256.
//!
//! Code map: `backend.rs` (the decorator and its `Backend` impl), `cache.rs` (the bounded
//! caches of namespace keys and sealed names it keeps in memory), `rotate.rs` (rotation),
//! `keys.rs` (the key hierarchy: derivation, wrapping, the head record; `keys/pmac_siv.rs`, the
//! value cipher over kept AES ciphers), `records.rs` (sealing
//! key names and values), `layout.rs` (the inner namespace space), `provider.rs` and
//! `keyfile.rs` (where the master key comes from).

#![warn(missing_docs)]

mod backend;
mod cache;
mod hex;
mod keyfile;
mod keys;
mod layout;
mod provider;
mod records;
mod rotate;

pub use backend::{is_wrong_master_key, CacheSizes, EncryptedBackend, MAX_CACHED_NAME};
pub use keyfile::KeyFileProvider;
pub use keys::PmacSiv;
pub use provider::{
    EnvKeyProvider, KeyProvider, MasterKey, RawKeyProvider, DEFAULT_KEY_VAR, MASTER_KEY_LEN,
};

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
