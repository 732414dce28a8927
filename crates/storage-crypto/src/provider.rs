//! Where the master key comes from: [`KeyProvider`] and the providers shipped with the crate.

use crate::hex;
use storage_core::{Error, Result};
use zeroize::Zeroizing;

/// The length of a master key, in bytes (256 bits).
pub const MASTER_KEY_LEN: usize = 32;

/// The environment variable [`EnvKeyProvider::default`] reads.
pub const DEFAULT_KEY_VAR: &str = "MPSTORE_MASTER_KEY";

/// A master key: 32 secret bytes, wiped from memory when dropped, never printed.
///
/// The master key only ever wraps other keys (see `docs/security.md`): it encrypts no record
/// directly, so rotating it rewrites one small record per namespace, never the data.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; MASTER_KEY_LEN]>);

impl MasterKey {
    /// A master key made of these bytes.
    pub fn new(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A master key made of `bytes`, which must be exactly [`MASTER_KEY_LEN`] long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        if bytes.len() != MASTER_KEY_LEN {
            return Err(Error::InvalidParam(format!(
                "a master key is {MASTER_KEY_LEN} bytes, not {}",
                bytes.len()
            )));
        }
        key.copy_from_slice(bytes);
        Ok(MasterKey(key))
    }

    /// A fresh random master key from the operating system's generator.
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        crate::keys::fill_random(&mut key[..])?;
        Ok(MasterKey(key))
    }

    /// Reads the key's text form: 64 hexadecimal digits, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        hex::decode_into(text.trim(), &mut key[..]).map_err(|why| {
            Error::InvalidParam(format!(
                "a master key is written as {} hexadecimal digits: {why}",
                2 * MASTER_KEY_LEN
            ))
        })?;
        Ok(MasterKey(key))
    }

    /// The key's text form (64 lowercase hexadecimal digits), wiped when dropped.
    pub fn to_hex(&self) -> Zeroizing<String> {
        hex::encode(&self.0[..])
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; MASTER_KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Supplies the master key of an encrypted store.
///
/// # Contract
///
/// - [`master_key`](KeyProvider::master_key) returns the same key every time it is called, or a
///   clear error (a missing variable, an unreadable file); it never returns a made-up key
///   silently, since a different key would make the store refuse to open.
/// - [`existing_master_key`](KeyProvider::existing_master_key) is called when an existing store
///   opens, [`master_key`](KeyProvider::master_key) when a new store is created and when a store
///   rotates to this provider's key; the returned [`MasterKey`] is dropped (and so wiped) as soon
///   as the keys it wraps are unwrapped.
/// - A provider never prints or logs the key, in errors or in `Debug`.
pub trait KeyProvider: Send + Sync {
    /// The master key, made first if this provider makes keys (a key file on first use): used
    /// to create a store and to rotate to this provider's key.
    fn master_key(&self) -> Result<MasterKey>;

    /// The master key of a store that already exists: like
    /// [`master_key`](KeyProvider::master_key), except that a provider that makes keys must not
    /// make one here (a new key cannot open an existing store), and fails instead. By default,
    /// [`master_key`](KeyProvider::master_key).
    fn existing_master_key(&self) -> Result<MasterKey> {
        self.master_key()
    }
}

/// A master key held in memory, given by the caller (tests, hosts with their own key store).
///
/// ```
/// use storage_crypto::{KeyProvider, RawKeyProvider};
/// let provider = RawKeyProvider::new([7; 32]);
/// assert_eq!(provider.master_key().unwrap().as_bytes(), &[7; 32]);
/// assert!(RawKeyProvider::from_slice(&[7; 16]).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct RawKeyProvider {
    key: MasterKey,
}

impl RawKeyProvider {
    /// A provider of exactly these bytes.
    pub fn new(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        RawKeyProvider {
            key: MasterKey::new(bytes),
        }
    }

    /// A provider of `bytes`, which must be [`MASTER_KEY_LEN`] long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        MasterKey::from_slice(bytes).map(|key| RawKeyProvider { key })
    }

    /// A provider of a fresh random key (keep it: without it the store cannot be read again).
    pub fn generate() -> Result<Self> {
        MasterKey::generate().map(|key| RawKeyProvider { key })
    }
}

impl From<MasterKey> for RawKeyProvider {
    fn from(key: MasterKey) -> Self {
        RawKeyProvider { key }
    }
}

impl KeyProvider for RawKeyProvider {
    fn master_key(&self) -> Result<MasterKey> {
        Ok(self.key.clone())
    }
}

/// A master key read from an environment variable, as 64 hexadecimal digits.
///
/// The variable is read on every call, so a store opened and later rotated reads it twice; an
/// unset or malformed variable is a clear error naming the variable, never its value.
///
/// ```
/// use storage_crypto::{EnvKeyProvider, KeyProvider};
/// let provider = EnvKeyProvider::new("MPSTORE_DOC_EXAMPLE_KEY_THAT_IS_NOT_SET");
/// let err = provider.master_key().unwrap_err().to_string();
/// assert!(err.contains("MPSTORE_DOC_EXAMPLE_KEY_THAT_IS_NOT_SET"), "{err}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvKeyProvider {
    var: String,
}

impl EnvKeyProvider {
    /// A provider reading the variable `var`.
    pub fn new(var: impl Into<String>) -> Self {
        EnvKeyProvider { var: var.into() }
    }

    /// The variable this provider reads.
    pub fn var(&self) -> &str {
        &self.var
    }
}

impl Default for EnvKeyProvider {
    /// A provider reading [`DEFAULT_KEY_VAR`].
    fn default() -> Self {
        EnvKeyProvider::new(DEFAULT_KEY_VAR)
    }
}

impl KeyProvider for EnvKeyProvider {
    fn master_key(&self) -> Result<MasterKey> {
        let var = &self.var;
        let text = match std::env::var(var) {
            Ok(text) => Zeroizing::new(text),
            Err(std::env::VarError::NotPresent) => {
                return Err(Error::InvalidParam(format!(
                    "environment variable {var} is not set (it should hold the master key)"
                )))
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::InvalidParam(format!(
                    "environment variable {var} is not valid text"
                )))
            }
        };
        MasterKey::from_hex(&text).map_err(|e| match e {
            Error::InvalidParam(why) => {
                Error::InvalidParam(format!("environment variable {var}: {why}"))
            }
            other => other,
        })
    }
}
