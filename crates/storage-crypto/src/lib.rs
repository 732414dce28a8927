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

#![warn(missing_docs)]

mod backend;
mod hex;
mod keyfile;
mod keys;
mod layout;
mod provider;
mod records;
mod rotate;

pub use backend::{is_wrong_master_key, EncryptedBackend, WRONG_MASTER_KEY};
pub use keyfile::KeyFileProvider;
pub use provider::{
    EnvKeyProvider, KeyProvider, MasterKey, RawKeyProvider, DEFAULT_KEY_VAR, MASTER_KEY_LEN,
};
