//! The dialect-agnostic half of every facade: turn JS-shaped arguments into [`Store`] calls.
//!
//! Limits, quotas and record flags are the engine's ([`Store`], [`Policy`]); this module only
//! checks what the engine cannot see (the JavaScript type of a key, an absent `data`) and leaves
//! the shaping of results to the dialect modules.

use crate::call::Call;
use crate::options::KvItem;
use crate::results::{MyError, StorageInfo, TtError, WxError};
use std::future::Future;
use std::sync::Arc;
use storage_core::codes::ApiKind;
use storage_core::{
    block_on, Backend, EncodedNamespace, Error, JsType, JsValue, Policy, Result, SetOptions, Store,
};

/// How a dialect reports the failure of one of its APIs (all from the one table,
/// [`storage_core::codes::platform_error`]).
pub(crate) trait Report {
    fn report(api: &'static str, kind: ApiKind, err: &Error) -> Self;
}

impl Report for WxError {
    fn report(api: &'static str, kind: ApiKind, err: &Error) -> Self {
        WxError::new(api, kind, err)
    }
}

impl Report for TtError {
    fn report(api: &'static str, kind: ApiKind, err: &Error) -> Self {
        TtError::new(api, kind, err)
    }
}

impl Report for MyError {
    // Alipay's failures do not name the API.
    fn report(_api: &'static str, kind: ApiKind, err: &Error) -> Self {
        MyError::new(kind, err)
    }
}

/// Runs a Sync API: `op` on this thread, its failure reported as `api` of `kind`.
pub(crate) fn sync<T, E: Report>(
    api: &'static str,
    kind: ApiKind,
    op: impl Future<Output = Result<T>>,
) -> std::result::Result<T, E> {
    done(api, kind, block_on(op))
}

/// A Sync API's answer: `result`, its failure reported as `api` of `kind`.
pub(crate) fn done<T, E: Report>(
    api: &'static str,
    kind: ApiKind,
    result: Result<T>,
) -> std::result::Result<T, E> {
    result.map_err(|e| E::report(api, kind, &e))
}

/// One namespace of one store, as every facade of a [`crate::MiniProgram`] shares it.
#[derive(Clone)]
pub(crate) struct Local {
    pub(crate) store: Store<Arc<dyn Backend>>,
    /// Encoded once: every call names it by its bytes.
    pub(crate) ns: Arc<EncodedNamespace>,
    /// Limits that replace the dialect's own (a host testing quota handling).
    pub(crate) limits: LocalLimits,
    /// Whether values are kept exactly, in place of the dialect's
    /// [`Values`](storage_core::Values) rule.
    pub(crate) exact_values: bool,
}

/// Limits a host sets on a mini-program's local storage in place of the platform's, in the
/// dialect's own unit (UTF-16 units for `wx` and `my`, UTF-8 bytes for `tt`): to test how a
/// mini-program handles its quota, e.g. the ~512 KB total some Android devices enforce.
///
/// ```
/// use storage_api::{LocalLimits, Mpstore};
/// use storage_core::Scope;
/// let app = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap()
///     .with_limits(LocalLimits::new().total(512 * 1024).entry(1024));
/// let wx = app.wx();
/// assert_eq!(wx.set_storage_sync("k", "x".repeat(1024)).unwrap_err().err_msg, "setStorageSync:fail entry size limit reached");
/// assert_eq!(wx.get_storage_info_sync().unwrap().limit_size, 512);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LocalLimits {
    /// The largest entry (the dialect's own limit when `None`).
    pub entry: Option<u64>,
    /// The namespace's total quota (the dialect's own when `None`).
    pub total: Option<u64>,
}

impl LocalLimits {
    /// The platform's own limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// With the largest entry `units` long.
    pub fn entry(mut self, units: u64) -> Self {
        self.entry = Some(units);
        self
    }

    /// With a total quota of `units`.
    pub fn total(mut self, units: u64) -> Self {
        self.total = Some(units);
        self
    }

    /// `base` with these limits in place of its own.
    pub(crate) fn apply(self, base: &Policy) -> Policy {
        let mut policy = base.clone();
        if let Some(entry) = self.entry {
            policy.entry_limit = entry;
        }
        if let Some(total) = self.total {
            policy.quota = total;
            policy.limit_size_kb = total.div_ceil(1024);
        }
        policy
    }
}

/// The key as a `&str`, or the parameter error naming `param` and the type given.
fn key_str<'a>(param: &str, key: &'a JsValue) -> Result<&'a str> {
    match key {
        JsValue::String(s) => Ok(s),
        other => Err(Error::WrongType {
            param: param.to_owned(),
            expected: JsType::String,
            actual: other.js_type(),
        }),
    }
}

/// `data` must be present; `undefined` given explicitly is a value like any other.
fn required_data(data: Option<JsValue>) -> Result<JsValue> {
    data.ok_or_else(|| Error::InvalidParam("parameter.data is required".into()))
}

impl Local {
    /// The policy of a dialect whose own is `base`, with this namespace's limits.
    pub(crate) fn policy(&self, base: &Policy) -> Policy {
        self.limits.apply(base)
    }

    /// `data` as the dialect of `policy` stores it.
    fn stored(&self, policy: &Policy, data: JsValue) -> JsValue {
        match self.exact_values {
            true => data,
            false => policy.dialect.spec().values.stored(data),
        }
    }

    /// An asynchronous API: `op` on a clone of this namespace, its success shaped by `shape`,
    /// its failure reported as `api` of `kind`.
    pub(crate) fn call<T, S, E, Fut>(
        &self,
        api: &'static str,
        kind: ApiKind,
        op: impl FnOnce(Local) -> Fut,
        shape: impl FnOnce(T) -> S + Send + 'static,
    ) -> Call<S, E>
    where
        E: Report,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let fut = op(self.clone());
        Call::new(async move { fut.await.map(shape).map_err(|e| E::report(api, kind, &e)) })
    }

    pub(crate) async fn set(
        &self,
        policy: &Policy,
        key: &JsValue,
        data: Option<JsValue>,
        encrypt: bool,
    ) -> Result<()> {
        let key = key_str("key", key)?;
        let data = self.stored(policy, required_data(data)?);
        self.store
            .set(&*self.ns, policy, key, &data, SetOptions { encrypt })
            .await
    }

    /// [`set`](Self::set) on this thread (the Sync form, which has no `encrypt`).
    pub(crate) fn set_blocking(
        &self,
        policy: &Policy,
        key: &JsValue,
        data: Option<JsValue>,
    ) -> Result<()> {
        let key = key_str("key", key)?;
        let data = self.stored(policy, required_data(data)?);
        (self.store).set_blocking(&*self.ns, policy, key, &data, SetOptions::default())
    }

    pub(crate) async fn get(&self, key: &JsValue, encrypt: bool) -> Result<Option<JsValue>> {
        let key = key_str("key", key)?;
        self.store.get(&*self.ns, key, encrypt).await
    }

    /// Like [`get`](Self::get), but a missing key is [`Error::NotFound`].
    pub(crate) async fn get_found(&self, key: &JsValue, encrypt: bool) -> Result<JsValue> {
        match self.get(key, encrypt).await? {
            Some(v) => Ok(v),
            None => Err(Error::NotFound {
                key: key_str("key", key)?.to_owned(),
            }),
        }
    }

    pub(crate) async fn remove(&self, key: &JsValue) -> Result<()> {
        let key = key_str("key", key)?;
        self.store.remove(&*self.ns, key).await
    }

    /// [`remove`](Self::remove) on this thread.
    pub(crate) fn remove_blocking(&self, key: &JsValue) -> Result<()> {
        self.store.remove_blocking(&*self.ns, key_str("key", key)?)
    }

    pub(crate) async fn clear(&self) -> Result<()> {
        self.store.clear(&*self.ns).await
    }

    pub(crate) async fn info(&self, policy: &Policy) -> Result<StorageInfo> {
        self.store.info(&*self.ns, policy).await.map(Into::into)
    }

    /// All items or none: every key is checked before anything is written.
    pub(crate) async fn batch_set(&self, policy: &Policy, items: Vec<KvItem>) -> Result<()> {
        let items = self.kv_items(policy, items)?;
        self.store.batch_set(&*self.ns, policy, &items).await
    }

    /// [`batch_set`](Self::batch_set) on this thread.
    pub(crate) fn batch_set_blocking(&self, policy: &Policy, items: Vec<KvItem>) -> Result<()> {
        let items = self.kv_items(policy, items)?;
        self.store.batch_set_blocking(&*self.ns, policy, &items)
    }

    /// A batch's items with their keys as strings and their values as stored, or the parameter
    /// error naming the first key that is not a string.
    fn kv_items(&self, policy: &Policy, items: Vec<KvItem>) -> Result<Vec<(String, JsValue)>> {
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let key = key_str(&format!("kvList[{i}].key"), &item.key)?.to_owned();
                Ok((key, self.stored(policy, item.value)))
            })
            .collect()
    }

    /// One value per key, `""` for a missing one.
    pub(crate) async fn batch_get(&self, keys: Vec<JsValue>) -> Result<Vec<JsValue>> {
        let keys = keys
            .iter()
            .enumerate()
            .map(|(i, key)| key_str(&format!("keyList[{i}]"), key).map(str::to_owned))
            .collect::<Result<Vec<_>>>()?;
        let values = self.store.batch_get(&*self.ns, &keys).await?;
        Ok(values.into_iter().map(or_empty_string).collect())
    }
}

/// What WeChat's and Douyin's Sync reads return for a missing key: `""`.
pub(crate) fn or_empty_string(value: Option<JsValue>) -> JsValue {
    value.unwrap_or_else(|| JsValue::from(""))
}
