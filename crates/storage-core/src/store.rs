//! The store engine: behaviour §4's local-storage rules, enforced over any [`Backend`].
//!
//! The engine validates and measures each call with a [`Policy`], encodes values into records,
//! and hands the backend one atomic, limit-checked [`Backend::apply`] per write (or
//! [`Backend::apply_blocking`], for a write's `*_blocking` twin). It never reads before it
//! writes, so the quota holds under concurrent writers without a lock of its own.

use crate::backend::{Backend, Limits, Op, Usage};
use crate::buffers;
use crate::error::{Error, Result};
use crate::namespace::{Namespace, NamespaceBytes};
use crate::policy::{check_key, Policy};
use crate::value::{self, JsValue};

/// The first byte of every record this engine writes.
const RECORD_V1: u8 = 1;
/// Record flag: written by WeChat's `setStorage({encrypt: true})`.
const FLAG_ENCRYPT: u8 = 1;
/// The version and flags bytes in front of a record's body.
const HEADER: usize = 2;

/// Options of a single write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// WeChat's `encrypt: true`: charged 1.4×, and readable only with `encrypt: true`.
    pub encrypt: bool,
}

/// `getStorageInfo`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageInfo {
    /// Keys in insertion order.
    pub keys: Vec<String>,
    /// Usage in KB, rounded up.
    pub current_size: u64,
    /// The quota in KB.
    pub limit_size: u64,
}

/// What [`Store::check`] found in a namespace.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Checked {
    /// Entries that read whole.
    pub entries: u64,
    /// Entries that do not, by key, with why.
    pub damaged: Vec<(String, Error)>,
}

/// One entry of a namespace, as a host sees it ([`Store::entries`], [`Store::replace`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// The value, with its JavaScript type.
    pub value: JsValue,
    /// Whether WeChat's `encrypt: true` wrote it.
    pub encrypt: bool,
}

/// A namespace and what it holds, for host-level listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceUsage {
    /// The namespace.
    pub namespace: Namespace,
    /// What it holds.
    pub usage: Usage,
}

/// The local-storage engine over a backend.
///
/// ```
/// use storage_core::{block_on, JsValue, MemoryBackend, Namespace, Policy, Scope, Store};
/// let store = Store::new(MemoryBackend::new());
/// let ns = Namespace::local("u", "app", Scope::App).unwrap();
/// block_on(async {
///     store.set(&ns, &Policy::WX, "k", &JsValue::from("v"), Default::default()).await.unwrap();
///     assert_eq!(store.get(&ns, "k", false).await.unwrap(), Some(JsValue::from("v")));
///     let info = store.info(&ns, &Policy::WX).await.unwrap();
///     assert_eq!((info.keys, info.current_size, info.limit_size), (vec!["k".to_string()], 1, 10240));
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Store<B> {
    backend: B,
}

impl<B: Backend> Store<B> {
    /// An engine over `backend`.
    pub fn new(backend: B) -> Self {
        Store { backend }
    }

    /// The backend underneath.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// `setStorage`: stores `value` under `key`, or fails and changes nothing.
    pub async fn set(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        policy: &Policy,
        key: &str,
        value: &JsValue,
        options: SetOptions,
    ) -> Result<()> {
        self.write(ns, Write::set(policy, key, value, options)?)
            .await
    }

    /// [`set`](Self::set) on the calling thread, through [`Backend::apply_blocking`]: the
    /// `*Sync` APIs' door, the same effect and answer without a future.
    ///
    /// ```
    /// use storage_core::{JsValue, MemoryBackend, Namespace, Policy, Scope, Store};
    /// let store = Store::new(MemoryBackend::new());
    /// let ns = Namespace::local("u", "app", Scope::App).unwrap();
    /// store.set_blocking(&ns, &Policy::WX, "k", &JsValue::from("v"), Default::default()).unwrap();
    /// assert_eq!(storage_core::block_on(store.get(&ns, "k", false)).unwrap(), Some("v".into()));
    /// ```
    pub fn set_blocking(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        policy: &Policy,
        key: &str,
        value: &JsValue,
        options: SetOptions,
    ) -> Result<()> {
        self.write_blocking(ns, Write::set(policy, key, value, options)?)
    }

    /// `batchSetStorage`: all items or none (behaviour §4). Later items overwrite earlier ones of
    /// the same key.
    pub async fn batch_set(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        policy: &Policy,
        items: &[(String, JsValue)],
    ) -> Result<()> {
        self.write(ns, Write::batch_set(policy, items)?).await
    }

    /// [`batch_set`](Self::batch_set) on the calling thread (see [`set_blocking`](Self::set_blocking)).
    pub fn batch_set_blocking(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        policy: &Policy,
        items: &[(String, JsValue)],
    ) -> Result<()> {
        self.write_blocking(ns, Write::batch_set(policy, items)?)
    }

    /// `removeStorage`: removing a missing key succeeds.
    pub async fn remove(&self, ns: &(impl NamespaceBytes + ?Sized), key: &str) -> Result<()> {
        self.write(ns, Write::remove(key)?).await
    }

    /// [`remove`](Self::remove) on the calling thread (see [`set_blocking`](Self::set_blocking)).
    pub fn remove_blocking(&self, ns: &(impl NamespaceBytes + ?Sized), key: &str) -> Result<()> {
        self.write_blocking(ns, Write::remove(key)?)
    }

    async fn write<O: Ops>(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        write: Write<O>,
    ) -> Result<()> {
        let result = (self.backend)
            .apply(&ns.namespace_bytes(), write.ops.as_ref(), write.limits)
            .await;
        write.finish(result)
    }

    fn write_blocking<O: Ops>(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        write: Write<O>,
    ) -> Result<()> {
        let result =
            (self.backend).apply_blocking(&ns.namespace_bytes(), write.ops.as_ref(), write.limits);
        write.finish(result)
    }

    /// `getStorage`: the value under `key`, or `None`.
    ///
    /// `encrypt` says whether the caller reads with WeChat's `encrypt: true`; it must match how
    /// the entry was written, or the read fails with [`Error::EncryptMismatch`].
    pub async fn get(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        key: &str,
        encrypt: bool,
    ) -> Result<Option<JsValue>> {
        check_key(key)?;
        // Shared, so a value the read cache holds is neither copied nor, when it is a String or a
        // scalar, decoded again: its memo is cloned (see `StoredValue`), and a String's text is
        // the record's own bytes.
        match self
            .backend
            .get_shared(&ns.namespace_bytes(), key.as_bytes())
            .await?
        {
            None => Ok(None),
            Some(record) => {
                // Checked on every read: the memo is the same whichever way the caller reads.
                record_body(record.bytes(), encrypt)?;
                record
                    .decoded(|bytes| {
                        value::decode_shared(bytes, HEADER)
                            .map_err(|e| Error::Corrupt(e.to_string()))
                    })
                    .map(Some)
            }
        }
    }

    /// `batchGetStorage`: one answer per key, in order.
    pub async fn batch_get(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        keys: &[String],
    ) -> Result<Vec<Option<JsValue>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.get(ns, key, false).await?);
        }
        Ok(out)
    }

    /// `clearStorage`: empties this namespace only.
    pub async fn clear(&self, ns: &(impl NamespaceBytes + ?Sized)) -> Result<()> {
        self.backend.clear(&ns.namespace_bytes()).await
    }

    /// `getStorageInfo`: keys in insertion order and sizes in KB.
    pub async fn info(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        policy: &Policy,
    ) -> Result<StorageInfo> {
        let listing = self.backend.list(&ns.namespace_bytes()).await?;
        let keys = listing
            .keys
            .into_iter()
            .map(|k| String::from_utf8(k).map_err(|_| Error::Corrupt("key is not UTF-8".into())))
            .collect::<Result<_>>()?;
        Ok(StorageInfo {
            keys,
            current_size: policy.current_size_kb(listing.usage.bytes),
            limit_size: policy.limit_size_kb,
        })
    }

    /// Every namespace holding data, with its usage (host-level).
    pub async fn namespaces(&self) -> Result<Vec<NamespaceUsage>> {
        self.backend
            .namespaces()
            .await?
            .into_iter()
            .map(|(ns, usage)| {
                Ok(NamespaceUsage {
                    namespace: Namespace::decode(&ns)?,
                    usage,
                })
            })
            .collect()
    }

    /// Every entry of a namespace, in insertion order (host-level: a dump, a snapshot). Keys
    /// written or removed while it reads may or may not be seen; each entry is read whole.
    ///
    /// ```
    /// use storage_core::{block_on, JsValue, MemoryBackend, Namespace, Policy, Scope, Store};
    /// let store = Store::new(MemoryBackend::new());
    /// let ns = Namespace::local("u", "app", Scope::App).unwrap();
    /// block_on(store.set(&ns, &Policy::WX, "b", &JsValue::from(1), Default::default())).unwrap();
    /// block_on(store.set(&ns, &Policy::WX, "a", &JsValue::Undefined, Default::default())).unwrap();
    /// let keys: Vec<_> = block_on(store.entries(&ns)).unwrap().into_iter().map(|e| e.key).collect();
    /// assert_eq!(keys, ["b", "a"]);
    /// ```
    pub async fn entries(&self, ns: &(impl NamespaceBytes + ?Sized)) -> Result<Vec<Entry>> {
        let ns = ns.namespace_bytes();
        let listing = self.backend.list(&ns).await?;
        let mut entries = Vec::with_capacity(listing.keys.len());
        for key in listing.keys {
            // A key removed since the listing is simply not there any more.
            let Some(record) = self.backend.get(&ns, &key).await? else {
                continue;
            };
            let key =
                String::from_utf8(key).map_err(|_| Error::Corrupt("key is not UTF-8".into()))?;
            entries.push(decode_entry(key, &record)?);
        }
        Ok(entries)
    }

    /// One entry of a namespace, whatever its `encrypt` flag, or `None` (host-level: a page of
    /// an inspector, which lists keys first and reads only those it shows).
    ///
    /// ```
    /// use storage_core::{block_on, JsValue, MemoryBackend, Namespace, Policy, Scope, Store};
    /// let store = Store::new(MemoryBackend::new());
    /// let ns = Namespace::local("u", "app", Scope::App).unwrap();
    /// let secret = storage_core::SetOptions { encrypt: true };
    /// block_on(store.set(&ns, &Policy::WX, "k", &JsValue::from(1), secret)).unwrap();
    /// let entry = block_on(store.entry(&ns, "k")).unwrap().unwrap();
    /// assert_eq!((entry.value, entry.encrypt), (JsValue::from(1), true));
    /// assert_eq!(block_on(store.entry(&ns, "missing")).unwrap(), None);
    /// ```
    pub async fn entry(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        key: &str,
    ) -> Result<Option<Entry>> {
        match self
            .backend
            .get(&ns.namespace_bytes(), key.as_bytes())
            .await?
        {
            None => Ok(None),
            Some(record) => decode_entry(key.to_owned(), &record).map(Some),
        }
    }

    /// Reads every entry of a namespace once and decodes it (host-level: verifying a store):
    /// how many read whole, and each that does not (its key, lossily if not UTF-8) with why.
    /// A listing that cannot be read is the error.
    ///
    /// ```
    /// use storage_core::{block_on, Backend, JsValue, Limits, MemoryBackend, Namespace, Op, Policy, Scope, Store};
    /// let store = Store::new(MemoryBackend::new());
    /// let ns = Namespace::local("u", "app", Scope::App).unwrap();
    /// block_on(store.set(&ns, &Policy::WX, "good", &JsValue::from(1), Default::default())).unwrap();
    /// let junk = Op::Put { key: b"bad".to_vec(), value: b"\xffjunk".to_vec(), charge: 1 };
    /// block_on(store.backend().apply(&ns.encode(), &[junk], Limits::NONE)).unwrap();
    /// let checked = block_on(store.check(&ns)).unwrap();
    /// assert_eq!(checked.entries, 1);
    /// assert_eq!(checked.damaged[0].0, "bad");
    /// ```
    pub async fn check(&self, ns: &(impl NamespaceBytes + ?Sized)) -> Result<Checked> {
        let ns = ns.namespace_bytes();
        let listing = self.backend.list(&ns).await?;
        let mut checked = Checked::default();
        for key in listing.keys {
            let name = String::from_utf8_lossy(&key).into_owned();
            let read = async {
                let Some(record) = self.backend.get(&ns, &key).await? else {
                    return Ok(false);
                };
                let encrypt = matches!(record.as_slice(), [RECORD_V1, flags, ..] if flags & FLAG_ENCRYPT != 0);
                let body = record_body(&record, encrypt)?;
                value::decode(body).map_err(|e| Error::Corrupt(e.to_string()))?;
                if std::str::from_utf8(&key).is_err() {
                    return Err(Error::Corrupt("key is not UTF-8".into()));
                }
                Ok(true)
            };
            match read.await {
                Ok(true) => checked.entries += 1,
                // Removed since the listing.
                Ok(false) => {}
                Err(e) => checked.damaged.push((name, e)),
            }
        }
        Ok(checked)
    }

    /// Makes a namespace hold exactly `entries`, in that order, in one atomic write (host-level:
    /// restoring a snapshot, importing a dump). Each entry is measured by `policy` (and refused
    /// as a call of that dialect would refuse it); the namespace's quota is not applied, so a
    /// snapshot always restores.
    pub async fn replace(
        &self,
        ns: &(impl NamespaceBytes + ?Sized),
        policy: &Policy,
        entries: &[Entry],
    ) -> Result<()> {
        let ns = ns.namespace_bytes();
        let listing = self.backend.list(&ns).await?;
        let mut ops: Vec<Op> = listing
            .keys
            .into_iter()
            .map(|key| Op::Delete { key })
            .collect();
        for e in entries {
            let options = SetOptions { encrypt: e.encrypt };
            ops.push(put_op(policy, &e.key, &e.value, options)?);
        }
        self.backend.apply(&ns, &ops, Limits::NONE).await.map(drop)
    }

    /// Drops one namespace entirely (host-level).
    pub async fn drop_namespace(&self, ns: &(impl NamespaceBytes + ?Sized)) -> Result<()> {
        self.backend.drop_namespace(&ns.namespace_bytes()).await
    }

    /// Removes one app's local data for one user, every scope of it (the mini-program was
    /// deleted). Returns how many namespaces were dropped.
    ///
    /// Namespaces are dropped one at a time, each whole: after an error some may be gone and
    /// others untouched, never one half-dropped. Calling again finishes the job.
    pub async fn remove_app(&self, user: &str, app: &str) -> Result<usize> {
        self.drop_local_where(|u, a| u == user && a == app).await
    }

    /// Removes all local data of one user (logout or uninstall). Returns how many namespaces
    /// were dropped. Like [`remove_app`](Self::remove_app), safe to call again after an error.
    pub async fn remove_user(&self, user: &str) -> Result<usize> {
        self.drop_local_where(|u, _| u == user).await
    }

    async fn drop_local_where(&self, pick: impl Fn(&str, &str) -> bool) -> Result<usize> {
        let mut dropped = 0;
        for entry in self.namespaces().await? {
            if let Namespace::Local { user, app, .. } = &entry.namespace {
                if pick(user, app) {
                    self.drop_namespace(&entry.namespace).await?;
                    dropped += 1;
                }
            }
        }
        Ok(dropped)
    }
}

/// The ops of a [`Write`]: one op held inline (every set and remove), or a batch.
trait Ops: AsRef<[Op]> + IntoIterator<Item = Op> {}
impl<O: AsRef<[Op]> + IntoIterator<Item = Op>> Ops for O {}

/// A write the engine has checked and encoded, ready for either of the backend's doors
/// ([`Backend::apply`] or [`Backend::apply_blocking`]).
struct Write<O> {
    ops: O,
    limits: Limits,
    /// The quota a refusal reports (the policy's), if the write has one.
    quota: Option<u64>,
}

impl Write<[Op; 1]> {
    fn set(policy: &Policy, key: &str, value: &JsValue, options: SetOptions) -> Result<Self> {
        Ok(Write::limited(
            policy,
            [put_op(policy, key, value, options)?],
        ))
    }

    fn remove(key: &str) -> Result<Self> {
        check_key(key)?;
        let mut key_bytes = buffers::take(key.len());
        key_bytes.extend_from_slice(key.as_bytes());
        Ok(Write {
            ops: [Op::Delete { key: key_bytes }],
            limits: Limits::NONE,
            quota: None,
        })
    }
}

impl Write<Vec<Op>> {
    fn batch_set(policy: &Policy, items: &[(String, JsValue)]) -> Result<Self> {
        let ops = items
            .iter()
            .map(|(k, v)| put_op(policy, k, v, SetOptions::default()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Write::limited(policy, ops))
    }
}

impl<O: Ops> Write<O> {
    fn limited(policy: &Policy, ops: O) -> Self {
        Write {
            ops,
            limits: policy.limits(),
            quota: Some(policy.quota),
        }
    }

    /// The call's answer from the backend's, once it is done with the ops (their buffers are
    /// given back): a refusal by the limits is the policy's quota error.
    fn finish(self, result: Result<Usage>) -> Result<()> {
        buffers::give_ops(self.ops);
        match (result, self.quota) {
            (Ok(_), _) => Ok(()),
            (Err(Error::LimitExceeded { after, .. }), Some(limit)) => Err(Error::QuotaExceeded {
                after: after.bytes,
                limit,
            }),
            (Err(e), _) => Err(e),
        }
    }
}

fn put_op(policy: &Policy, key: &str, value: &JsValue, options: SetOptions) -> Result<Op> {
    let charge = policy.check_entry(key, value, options.encrypt)?;
    let mut key_bytes = buffers::take(key.len());
    key_bytes.extend_from_slice(key.as_bytes());
    Ok(Op::Put {
        key: key_bytes,
        value: encode_record(value, options.encrypt),
        charge,
    })
}

/// A record: version byte, flags byte, then the value's binary encoding.
fn encode_record(value: &JsValue, encrypt: bool) -> Vec<u8> {
    // Encoded behind its header in one buffer, sized up front for the common String.
    let hint = match value {
        JsValue::String(s) => s.len() + 8,
        _ => 32,
    };
    let mut record = buffers::take(HEADER + hint);
    record.push(RECORD_V1);
    record.push(if encrypt { FLAG_ENCRYPT } else { 0 });
    value::encode_into(value, &mut record);
    record
}

/// An entry from its key and record, read as it was written (with or without `encrypt`).
fn decode_entry(key: String, record: &[u8]) -> Result<Entry> {
    let encrypt = matches!(record, [RECORD_V1, flags, ..] if flags & FLAG_ENCRYPT != 0);
    let body = record_body(record, encrypt)?;
    let value = value::decode(body).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok(Entry {
        key,
        value,
        encrypt,
    })
}

/// A record's body, once its header says it is a record read the way it was written.
fn record_body(record: &[u8], encrypt: bool) -> Result<&[u8]> {
    match record {
        [RECORD_V1, flags, body @ ..] if flags & !FLAG_ENCRYPT == 0 => {
            debug_assert_eq!(record.len() - body.len(), HEADER);
            if (flags & FLAG_ENCRYPT != 0) != encrypt {
                return Err(Error::EncryptMismatch);
            }
            Ok(body)
        }
        _ => Err(Error::Corrupt("unknown record format".into())),
    }
}
