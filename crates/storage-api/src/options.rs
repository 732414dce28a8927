//! The option objects of the asynchronous APIs, as a mini-program passes them.
//!
//! A mini-program passes arbitrary JavaScript, so keys are [`JsValue`]s (a bridge can hand over a
//! Number key and get the platform's parameter error) and `data` is an `Option` (an absent `data`
//! property is an error, while `data: undefined` stores `undefined`). The facades' `&str`-taking
//! methods build these for you.

use storage_core::JsValue;

/// `setStorage({key, data, encrypt})`.
///
/// ```
/// use storage_api::SetStorageOption;
/// let opt = SetStorageOption::new("key", "value").encrypt(true);
/// assert!(opt.encrypt);
/// let bridged = SetStorageOption { key: 42.into(), data: None, encrypt: false };
/// assert!(bridged.data.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SetStorageOption {
    /// The key; anything but a non-empty String is a parameter error.
    pub key: JsValue,
    /// The value; `None` when the `data` property is absent (a parameter error).
    pub data: Option<JsValue>,
    /// WeChat's `encrypt: true` (charged 1.4×, readable only with `encrypt: true`). The `my` and
    /// `tt` facades ignore it, as those platforms ignore options they do not know.
    pub encrypt: bool,
}

impl SetStorageOption {
    /// `{key, data}`.
    pub fn new(key: impl Into<JsValue>, data: impl Into<JsValue>) -> Self {
        SetStorageOption {
            key: key.into(),
            data: Some(data.into()),
            encrypt: false,
        }
    }

    /// Sets `encrypt`.
    pub fn encrypt(mut self, encrypt: bool) -> Self {
        self.encrypt = encrypt;
        self
    }
}

/// `getStorage({key, encrypt})`.
///
/// ```
/// use storage_api::GetStorageOption;
/// assert!(GetStorageOption::new("key").encrypt(true).encrypt);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GetStorageOption {
    /// The key; anything but a non-empty String is a parameter error.
    pub key: JsValue,
    /// WeChat's `encrypt: true`, required to read an entry written with it (and refused for one
    /// written without). The `my` and `tt` facades ignore it.
    pub encrypt: bool,
}

impl GetStorageOption {
    /// `{key}`.
    pub fn new(key: impl Into<JsValue>) -> Self {
        GetStorageOption {
            key: key.into(),
            encrypt: false,
        }
    }

    /// Sets `encrypt`.
    pub fn encrypt(mut self, encrypt: bool) -> Self {
        self.encrypt = encrypt;
        self
    }
}

/// One item of WeChat's `batchSetStorage({kvList})`: `{key, value}` (the field is `value`, not
/// `data`).
///
/// ```
/// use storage_api::KvItem;
/// let item = KvItem::new("key", 1);
/// assert_eq!(item.value, 1.into());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KvItem {
    /// The key; anything but a non-empty String is a parameter error.
    pub key: JsValue,
    /// The value (an absent `value` is `undefined`, and is stored as such).
    pub value: JsValue,
}

impl KvItem {
    /// `{key, value}`.
    pub fn new(key: impl Into<JsValue>, value: impl Into<JsValue>) -> Self {
        KvItem {
            key: key.into(),
            value: value.into(),
        }
    }
}
