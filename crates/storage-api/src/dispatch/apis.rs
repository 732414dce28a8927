//! The one table of the APIs a host can call by name, per dialect.

use storage_core::codes::ApiKind;
use storage_core::Dialect;

/// Which part of the platform an API belongs to, and so which context it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Local storage of a mini-program (`setStorage` and the rest): runs in a (user, app, scope).
    Local,
    /// A mini-game's cloud data (`setUserCloudStorage` and the rest): runs as a game's caller.
    Cloud,
}

/// One API of one dialect, by its JavaScript name.
///
/// ```
/// use storage_api::dispatch::{Api, Family};
/// use storage_core::Dialect;
/// let api = Api::find(Dialect::Wx, "batchGetStorageSync").unwrap();
/// assert!(api.is_sync() && api.family() == Family::Local);
/// assert!(Api::find(Dialect::My, "batchGetStorageSync").is_none());
/// assert_eq!(Api::all(Dialect::Tt).filter(|a| a.family() == Family::Cloud).count(), 9);
/// assert_eq!(api.since(), Some("2.25.0"));
/// assert!(!api.in_plugins() && Api::find(Dialect::Wx, "setStorage").unwrap().in_plugins());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Api {
    dialect: Dialect,
    family: Family,
    name: &'static str,
}

/// Local storage APIs every dialect has (each also as `…Sync`).
const LOCAL: [&str; 5] = [
    "setStorage",
    "getStorage",
    "removeStorage",
    "clearStorage",
    "getStorageInfo",
];
const LOCAL_SYNC: [&str; 5] = [
    "setStorageSync",
    "getStorageSync",
    "removeStorageSync",
    "clearStorageSync",
    "getStorageInfoSync",
];
/// WeChat's batch APIs.
const WX_BATCH: [&str; 4] = [
    "batchSetStorage",
    "batchGetStorage",
    "batchSetStorageSync",
    "batchGetStorageSync",
];
const TT_CLOUD: [&str; 9] = [
    "setUserCloudStorage",
    "getUserCloudStorage",
    "removeUserCloudStorage",
    "getCloudStorageByRelation",
    // User groups and ImRank leaderboards (behaviour §5.1).
    "setUserGroup",
    "setImRankData",
    "setImRankDataInOpenContext",
    "getImRankList",
    "getImRankData",
];
const WX_CLOUD: [&str; 9] = [
    "setUserCloudStorage",
    "getUserCloudStorage",
    "removeUserCloudStorage",
    "getUserCloudStorageKeys",
    "getFriendCloudStorage",
    "getGroupCloudStorage",
    "getUserInteractiveStorage",
    "modifyFriendInteractiveStorage",
    "onInteractiveStorageModified",
];
/// WeChat's interactive storage, with the base library each appeared in.
const WX_INTERACTIVE: [(&str, &str); 3] = [
    ("getUserInteractiveStorage", "2.7.7"),
    ("modifyFriendInteractiveStorage", "2.7.7"),
    ("onInteractiveStorageModified", "2.9.0"),
];

impl Api {
    /// Every API of `dialect`, local storage first.
    pub fn all(dialect: Dialect) -> impl Iterator<Item = Api> {
        let none: &[&'static str] = &[];
        let batch: &[&'static str] = if dialect.spec().batch {
            &WX_BATCH
        } else {
            none
        };
        let cloud: &[&'static str] = match dialect {
            Dialect::Wx => &WX_CLOUD,
            Dialect::Tt => &TT_CLOUD,
            _ => none,
        };
        let api = move |family, name| Api {
            dialect,
            family,
            name,
        };
        LOCAL
            .iter()
            .chain(&LOCAL_SYNC)
            .chain(batch)
            .map(move |n| api(Family::Local, *n))
            .chain(cloud.iter().map(move |n| api(Family::Cloud, *n)))
    }

    /// The API `name` of `dialect`, if it has one.
    pub fn find(dialect: Dialect, name: &str) -> Option<Api> {
        Api::all(dialect).find(|a| a.name == name)
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Local storage or cloud data.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The JavaScript name (`setStorage`, `getStorageSync`…).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether this is a `…Sync` form.
    pub fn is_sync(&self) -> bool {
        self.name.ends_with("Sync")
    }

    /// Whether the API writes (the durability of its success matters). Douyin's
    /// `getImRankList` does: it records what it would draw for the host.
    pub fn writes(&self) -> bool {
        self.kind() != ApiKind::LocalRead
            && !(self.family == Family::Cloud
                && ((self.name.starts_with("get") && self.name != "getImRankList")
                    || self.is_listener()))
    }

    /// Whether this registers a listener (`wx.onInteractiveStorageModified(callback)`) rather
    /// than calling the engine: the JavaScript hosts keep the listeners and call them with what
    /// the API named by [`fired_by`](Self::fired_by) succeeded with.
    pub fn is_listener(&self) -> bool {
        self.family == Family::Cloud && self.name.starts_with("on")
    }

    /// For a listener, the API whose every success fires it (`modifyFriendInteractiveStorage`,
    /// with its `key`, in the same game and player's main context).
    pub fn fired_by(&self) -> Option<&'static str> {
        (self.dialect == Dialect::Wx && self.name == "onInteractiveStorageModified")
            .then_some("modifyFriendInteractiveStorage")
    }

    /// The oldest base library that offers this API, where the platform documents one
    /// (WeChat's batch APIs: 2.25.0; Douyin's ImRank APIs: 2.70.0, in the open data context
    /// 2.74.0); `None` when every base library has it.
    pub fn since(&self) -> Option<&'static str> {
        match (self.dialect, self.name) {
            (Dialect::Wx, name) if WX_BATCH.contains(&name) => Some("2.25.0"),
            (Dialect::Wx, name) => WX_INTERACTIVE
                .iter()
                .find(|(api, _)| *api == name)
                .map(|(_, since)| *since),
            (Dialect::Tt, "setImRankDataInOpenContext") => Some("2.74.0"),
            (Dialect::Tt, "setImRankData" | "getImRankList" | "getImRankData") => Some("2.70.0"),
            _ => None,
        }
    }

    /// Whether a plugin may call this API: WeChat marks `clearStorage`, `getStorageInfo` and
    /// the batch APIs (and their Sync forms) "not supported in plugins".
    pub fn in_plugins(&self) -> bool {
        !(self.dialect == Dialect::Wx
            && (WX_BATCH.contains(&self.name)
                || self.name.starts_with("clearStorage")
                || self.name.starts_with("getStorageInfo")))
    }

    /// Whether the async form returns a Promise when called without callbacks. WeChat's
    /// mini-game cloud reads have none ("以 Promise 风格 调用：不支持"): they run, and return
    /// nothing.
    /// `getUserInteractiveStorage` has one; `modifyFriendInteractiveStorage` and listeners have
    /// none.
    pub fn has_promise(&self) -> bool {
        let wx_cloud = self.dialect == Dialect::Wx && self.family == Family::Cloud;
        !(self.is_listener()
            || wx_cloud
                && match self.name {
                    "getUserInteractiveStorage" => false,
                    "modifyFriendInteractiveStorage" => true,
                    name => name.starts_with("get"),
                })
    }

    /// The error table's family of this API.
    pub fn kind(&self) -> ApiKind {
        match self.family {
            Family::Cloud => ApiKind::Cloud,
            Family::Local if self.name.starts_with("get") || self.name.starts_with("batchGet") => {
                ApiKind::LocalRead
            }
            Family::Local => ApiKind::LocalWrite,
        }
    }
}
