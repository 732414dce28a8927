//! The quota and validation rules of behaviour §4 (local storage, per dialect) and §5 (game cloud
//! data), as data and pure functions.

use crate::backend::Limits;
use crate::error::{CloudRule, Error, Result};
use crate::value::{JsValue, Size, MAX_DEPTH};

pub use crate::dialect::Dialect;

/// The unit sizes are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// UTF-16 code units (JavaScript `string.length`).
    Utf16,
    /// UTF-8 bytes.
    Utf8,
}

impl Unit {
    /// `size` in this unit.
    pub fn of(self, size: Size) -> u64 {
        match self {
            Unit::Utf16 => size.utf16,
            Unit::Utf8 => size.utf8,
        }
    }
}

/// What a local-storage dialect's per-entry limit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryMeasure {
    /// The key's length plus the value's serialized length (WeChat).
    KeyAndValue,
    /// The value's serialized length alone (Alipay, Douyin).
    ValueOnly,
}

/// One dialect's local-storage rules (behaviour §4).
///
/// ```
/// use storage_core::{JsValue, Policy};
/// let big = JsValue::from("x".repeat(204_800));
/// assert!(Policy::MY.check_entry("k", &big, false).is_ok());
/// let bigger = JsValue::from("x".repeat(204_801));
/// assert!(Policy::MY.check_entry("k", &bigger, false).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Policy {
    /// The dialect these rules belong to.
    pub dialect: Dialect,
    /// The unit of every size below.
    pub unit: Unit,
    /// What the per-entry limit measures.
    pub entry_measure: EntryMeasure,
    /// The largest entry allowed.
    pub entry_limit: u64,
    /// The namespace's total quota: key + serialized value of every entry.
    pub quota: u64,
    /// Whether a write that makes the total exactly `quota` is refused (WeChat: "reach or pass").
    pub refuse_at_quota: bool,
    /// The charge factor of WeChat's `encrypt` option as (numerator, denominator), applied to both
    /// limits; `None` where the dialect has no such option.
    pub encrypt_factor: Option<(u64, u64)>,
    /// `getStorageInfo().limitSize`, in KB.
    pub limit_size_kb: u64,
}

/// 10 MB, the total quota of every dialect.
pub const TEN_MB: u64 = 10 * 1024 * 1024;

impl Policy {
    /// WeChat: key + value ≤ 1,048,576 UTF-16 units per entry; 10 MB total, refused on reaching
    /// it; `encrypt` charges 1.4×.
    pub const WX: Policy = Policy {
        dialect: Dialect::Wx,
        unit: Unit::Utf16,
        entry_measure: EntryMeasure::KeyAndValue,
        entry_limit: 1_048_576,
        quota: TEN_MB,
        refuse_at_quota: true,
        encrypt_factor: Some((7, 5)),
        limit_size_kb: 10_240,
    };

    /// Alipay: value ≤ 204,800 UTF-16 units per entry; 10 MB total, refused when passed.
    pub const MY: Policy = Policy {
        dialect: Dialect::My,
        unit: Unit::Utf16,
        entry_measure: EntryMeasure::ValueOnly,
        entry_limit: 204_800,
        quota: TEN_MB,
        refuse_at_quota: false,
        encrypt_factor: None,
        limit_size_kb: 10_240,
    };

    /// Douyin: value ≤ 1,048,576 UTF-8 bytes per entry; 10 MB of UTF-8 total, refused when
    /// passed.
    pub const TT: Policy = Policy {
        dialect: Dialect::Tt,
        unit: Unit::Utf8,
        entry_measure: EntryMeasure::ValueOnly,
        entry_limit: 1_048_576,
        quota: TEN_MB,
        refuse_at_quota: false,
        encrypt_factor: None,
        limit_size_kb: 10_240,
    };

    /// QQ: WeChat's runtime and rules, without `encrypt` (docs/api.md, "Sources").
    pub const QQ: Policy = Policy {
        dialect: Dialect::Qq,
        encrypt_factor: None,
        ..Policy::WX
    };

    /// Kuaishou: WeChat's rules (10 MB per user per game documented; the rest decided), without
    /// `encrypt`.
    pub const KS: Policy = Policy {
        dialect: Dialect::Ks,
        encrypt_factor: None,
        ..Policy::WX
    };

    /// Baidu: no per-entry limit; 10 MB of key + value in UTF-16 units, refused when passed.
    pub const SWAN: Policy = Policy {
        dialect: Dialect::Swan,
        unit: Unit::Utf16,
        entry_measure: EntryMeasure::KeyAndValue,
        entry_limit: u64::MAX,
        quota: TEN_MB,
        refuse_at_quota: false,
        encrypt_factor: None,
        limit_size_kb: 10_240,
    };

    /// Douyin mini-apps: as Douyin's mini-games, value ≤ 1 MB of UTF-8, 10 MB total.
    pub const TT_APP: Policy = Policy {
        dialect: Dialect::TtApp,
        ..Policy::TT
    };

    /// Feishu / Lark: 1 MB per key, 10 MB total (UTF-8 of the value, decided).
    pub const LARK: Policy = Policy {
        dialect: Dialect::Lark,
        ..Policy::TT
    };

    /// DingTalk: Alipay's rules (10 MB documented; the rest decided as its runtime family's).
    pub const DD: Policy = Policy {
        dialect: Dialect::Dd,
        ..Policy::MY
    };

    /// Applies the encrypt charge (rounded up) to a size, when asked and supported.
    fn charged(&self, size: u64, encrypt: bool) -> u64 {
        match (encrypt, self.encrypt_factor) {
            (true, Some((num, den))) => (size * num).div_ceil(den),
            _ => size,
        }
    }

    /// Checks one entry against the key rule, the value rules and the per-entry limit, and
    /// returns what it charges toward the total quota.
    ///
    /// Fails with [`Error::EmptyKey`], [`Error::InvalidParam`] (a value nested deeper than
    /// [`MAX_DEPTH`], `encrypt` where the dialect has none) or [`Error::EntryTooLarge`].
    pub fn check_entry(&self, key: &str, value: &JsValue, encrypt: bool) -> Result<u64> {
        check_key(key)?;
        if encrypt && self.encrypt_factor.is_none() {
            return Err(Error::InvalidParam(format!(
                "{} has no encrypt option",
                self.dialect.name()
            )));
        }
        if value.depth() > MAX_DEPTH {
            return Err(Error::InvalidParam(format!(
                "data nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let key_size = self.unit.of(Size::of_str(key));
        let value_size = self.unit.of(value.serialized_size());
        let measured = match self.entry_measure {
            EntryMeasure::KeyAndValue => key_size + value_size,
            EntryMeasure::ValueOnly => value_size,
        };
        let measured = self.charged(measured, encrypt);
        if measured > self.entry_limit {
            return Err(Error::EntryTooLarge {
                size: measured,
                limit: self.entry_limit,
            });
        }
        Ok(self.charged(key_size + value_size, encrypt))
    }

    /// The ceilings to hand the backend with every write.
    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: if self.refuse_at_quota {
                self.quota - 1
            } else {
                self.quota
            },
            max_entries: u64::MAX,
        }
    }

    /// `getStorageInfo().currentSize`: usage in KB, rounded up.
    pub fn current_size_kb(&self, usage_bytes: u64) -> u64 {
        usage_bytes.div_ceil(1024)
    }
}

/// Checks a local-storage key: any non-empty string.
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::EmptyKey);
    }
    Ok(())
}

/// The rules of game cloud data (behaviour §5), all in UTF-8 bytes.
///
/// ```
/// use storage_core::{CloudPolicy, CloudRule};
/// let p = CloudPolicy::DEFAULT;
/// assert_eq!(p.check_pair(&"k".repeat(128), "v"), Ok(129));
/// assert_eq!(p.check_pair(&"k".repeat(129), "v"), Err(CloudRule::KeyTooLong));
/// assert_eq!(p.check_pair("k", &"v".repeat(1024)), Err(CloudRule::KeyValueTooLong));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloudPolicy {
    /// The longest key.
    pub max_key_bytes: u64,
    /// The longest key + value.
    pub max_pair_bytes: u64,
    /// The most pairs one user holds in one game.
    pub max_pairs: u64,
}

impl CloudPolicy {
    /// The platforms' limits: keys ≤ 128 bytes, key + value ≤ 1024 bytes, 128 pairs.
    pub const DEFAULT: CloudPolicy = CloudPolicy {
        max_key_bytes: 128,
        max_pair_bytes: 1024,
        max_pairs: 128,
    };

    /// Checks one pair and returns its charge (key + value bytes).
    pub fn check_pair(&self, key: &str, value: &str) -> Result<u64, CloudRule> {
        if key.is_empty() {
            return Err(CloudRule::InvalidItem);
        }
        let (k, v) = (key.len() as u64, value.len() as u64);
        if k > self.max_key_bytes {
            return Err(CloudRule::KeyTooLong);
        }
        if k + v > self.max_pair_bytes {
            return Err(CloudRule::KeyValueTooLong);
        }
        Ok(k + v)
    }

    /// The ceilings to hand the backend with every write: at most `max_pairs` entries.
    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: u64::MAX,
            max_entries: self.max_pairs,
        }
    }
}
