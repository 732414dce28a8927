//! Game cloud key-value data for mini-games: Douyin's `tt.setUserCloudStorage` family and
//! WeChat's `wx.setUserCloudStorage` family, over the same store as local storage (so the data is
//! encrypted at rest and durable), with the rules of [`cloud_kv`].
//!
//! A [`MiniGame`] is one player's view of one game, from one context: it carries the game's app
//! id, the logged-in openid (or none), the calling context (main or open data) and whether the
//! host runs a game or a mini-app ([`GameContext`]). Its [`tt`](MiniGame::tt) and
//! [`wx`](MiniGame::wx) facades return [`Call`](crate::Call)s: await one for the Promise form, or add
//! `success` / `fail` / `complete` for the callback form (exactly one of `success` and `fail`,
//! then `complete`, each at most once).
//!
//! ```
//! use storage_api::cloud::{GameContext, SetUserCloudStorageOption};
//! use storage_api::Mpstore;
//! use storage_core::block_on;
//! use serde_json::json;
//!
//! let store = Mpstore::in_memory();
//! let cloud = store.cloud();
//! block_on(cloud.set_leaderboard_keys("tt-game", &["xxx"])).unwrap();
//! let tt = store.mini_game(GameContext::new("tt-game").logged_in("openid-1")).tt();
//! // tt.setUserCloudStorage({KVDataList: [{key: "xxx", value: JSON.stringify({...})}]})
//! let value = json!({"ttgame": {"score": 100, "update_time": 1557813466}, "progress": 10}).to_string();
//! let option: SetUserCloudStorageOption =
//!     serde_json::from_value(json!({"KVDataList": [{"key": "xxx", "value": value}]})).unwrap();
//! let ok = block_on(tt.set_user_cloud_storage_with(option)).unwrap();
//! assert_eq!(serde_json::to_value(ok).unwrap(), json!({"errMsg": "setUserCloudStorage:ok"}));
//! ```
//!
//! Failures carry `errMsg: "<api>:fail <reason>"`, the reason naming the rule broken (see
//! [`cloud_kv`] for the rules and their order), and on Douyin the seed's `errorCode`: 999998 not
//! logged in, 999999 any invalid argument, 999987 called from a mini-app, 999993 a storage
//! failure, 21102 an invalid ImRank option; all from the one table, [`storage_core::codes`].

mod options;
mod player;
mod results;
mod tt;
mod tt_rank;
mod wx;
mod wx_interactive;

pub use cloud_kv::{
    CallContext, HostKind, InteractiveKey, KvData, Platform, Profile, RelationProvider,
    StoredRelations, UserGameData,
};
pub use cloud_kv::{
    GetImRankOption, ImRankPage, ImRankShown, RankItem, SelfRank, SetImRankDataOption,
};
pub use options::{
    GetCloudStorageByRelationOption, GetGroupCloudStorageOption, KeyListOption,
    SetUserCloudStorageOption,
};
pub use results::{
    GetUserCloudStorageKeysResult, GetUserCloudStorageResult, RelationDataResult, TtCloudError,
};
pub use tt::TtGame;
pub use tt_rank::{GetImRankDataResult, SetUserGroupOption};
pub use wx::WxGame;
pub(crate) use wx_interactive::InteractiveListeners;
pub use wx_interactive::{
    GetUserInteractiveStorageResult, ModifyFriendInteractiveStorageOption, WxInteractiveError,
};

use crate::Mpstore;
use cloud_kv::{Caller, CloudKv};
use std::sync::Arc;
use storage_core::{Backend, Result};

/// The engine every facade of one [`Cloud`] shares.
pub(crate) type Engine = Arc<CloudKv<Arc<dyn Backend>>>;

/// The host's side of game cloud data over one [`Mpstore`]: leaderboard configuration, the
/// relations of the default provider, and the [`MiniGame`]s it hands out. Cheap to clone.
///
/// ```
/// use storage_api::cloud::{Cloud, GameContext, Profile};
/// use storage_api::Mpstore;
/// use storage_core::block_on;
/// let store = Mpstore::in_memory();
/// let cloud = Cloud::new(&store);
/// let relations = cloud.stored_relations();
/// block_on(relations.add_friendship("game", "ann", "bob")).unwrap();
/// block_on(relations.set_profile("game", "bob", &Profile::new("Bob", "https://a/b.png"))).unwrap();
/// let game = cloud.mini_game(GameContext::new("game").logged_in("ann").open_data());
/// assert_eq!(game.context().openid.as_deref(), Some("ann"));
/// ```
#[derive(Clone)]
pub struct Cloud {
    engine: Engine,
    listeners: Arc<InteractiveListeners>,
}

impl std::fmt::Debug for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cloud").finish_non_exhaustive()
    }
}

impl Cloud {
    /// Cloud data in `store`'s backend, with relations kept there too ([`StoredRelations`]).
    pub fn new(store: &Mpstore) -> Cloud {
        Cloud {
            engine: Arc::new(CloudKv::new(store.backend()).with_clock(store.clock().clone())),
            listeners: store.listeners.clone(),
        }
    }

    /// Cloud data in `store`'s backend, with relations from the host's own `provider`.
    pub fn with_relations(store: &Mpstore, provider: Arc<dyn RelationProvider>) -> Cloud {
        Cloud {
            engine: Arc::new(
                CloudKv::with_relations(store.backend(), provider)
                    .with_clock(store.clock().clone()),
            ),
            listeners: store.listeners.clone(),
        }
    }

    /// The default provider's relations in this store, for the host to edit (friendships,
    /// groups, recommendations, profiles). Relation reads use them unless the [`Cloud`] was made
    /// [`with_relations`](Self::with_relations).
    pub fn stored_relations(&self) -> StoredRelations<Arc<dyn Backend>> {
        StoredRelations::new(self.engine.backend().clone())
    }

    /// Makes `keys` the leaderboard keys of `game` (replacing any earlier set): their values
    /// must then hold the `ttgame` / `wxgame` JSON.
    pub async fn set_leaderboard_keys<S: AsRef<str>>(&self, game: &str, keys: &[S]) -> Result<()> {
        self.engine.set_leaderboard_keys(game, keys).await
    }

    /// The leaderboard keys of `game`.
    pub async fn leaderboard_keys(&self, game: &str) -> Result<Vec<String>> {
        self.engine.leaderboard_keys(game).await
    }

    /// Makes `keys` the interactive keys of `game` (WeChat's interactive storage; replacing any
    /// earlier set): which keys friends may add to, how much at once, how much a day.
    pub async fn set_interactive_keys(&self, game: &str, keys: &[InteractiveKey]) -> Result<()> {
        self.engine.set_interactive_keys(game, keys).await
    }

    /// Records `openid`'s session key in `game` (as `wx.login` and the server's `code2Session`
    /// would agree on it), in the store: the server APIs check signatures with it and
    /// `wx.getUserInteractiveStorage` seals with it (a WeChat session key is base64 of 16
    /// bytes).
    pub async fn register_session(
        &self,
        platform: Platform,
        game: &str,
        openid: &str,
        session_key: &str,
    ) -> Result<()> {
        (self.engine.sessions())
            .register(platform, game, openid, session_key)
            .await
    }

    /// Removes all of `openid`'s key-value pairs in `game` (the `setUserCloudStorage` family;
    /// host-level). Local storage is removed with [`Mpstore::remove_user`]; what the host keeps
    /// of the game beside the pairs (relations, ImRank entries, interactive values, session
    /// keys) stays, for the host to edit.
    pub async fn remove_player(&self, game: &str, openid: &str) -> Result<()> {
        self.engine.remove_player(game, openid).await
    }

    /// The leaderboard `tt.getImRankList` last showed `openid` in `game` (the platform draws
    /// it in its own UI; mpstore records it), or `None`.
    pub async fn im_rank_shown(&self, game: &str, openid: &str) -> Result<Option<ImRankShown>> {
        self.engine.im_rank_shown(game, openid).await
    }

    /// The engine underneath, for host code that wants the typed API.
    pub fn engine(&self) -> &CloudKv<Arc<dyn Backend>> {
        &self.engine
    }

    /// One player's view of one game.
    pub fn mini_game(&self, context: GameContext) -> MiniGame {
        MiniGame {
            engine: self.engine.clone(),
            context,
            listeners: self.listeners.clone(),
        }
    }
}

/// Where a mini-game's call comes from: the game's app id, the logged-in player's openid (or
/// none), the calling context, and whether the host runs a game or a mini-app.
///
/// ```
/// use storage_api::cloud::{CallContext, GameContext, HostKind};
/// let ctx = GameContext::new("game").logged_in("openid-1").open_data();
/// assert_eq!((ctx.context, ctx.host), (CallContext::OpenData, HostKind::Game));
/// assert_eq!(GameContext::new("game").openid, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GameContext {
    /// The game's app id.
    pub game: String,
    /// The logged-in player's openid; `None` when nobody is logged in (calls then fail: Douyin
    /// `get session id failed`, WeChat `must login before calling`).
    pub openid: Option<String>,
    /// The calling context: reads need [`CallContext::OpenData`].
    pub context: CallContext,
    /// A game, or a mini-app (whose calls fail with `feature is not supported in app`).
    pub host: HostKind,
}

impl GameContext {
    /// `game`'s main context in a game host, nobody logged in.
    pub fn new(game: impl Into<String>) -> Self {
        GameContext {
            game: game.into(),
            openid: None,
            context: CallContext::Main,
            host: HostKind::Game,
        }
    }

    /// The same context with `openid` logged in.
    pub fn logged_in(mut self, openid: impl Into<String>) -> Self {
        self.openid = Some(openid.into());
        self
    }

    /// The same, in the open data context.
    pub fn open_data(mut self) -> Self {
        self.context = CallContext::OpenData;
        self
    }

    /// The same, in the main context.
    pub fn main(mut self) -> Self {
        self.context = CallContext::Main;
        self
    }

    /// The same, in a host of kind `host`.
    pub fn in_host(mut self, host: HostKind) -> Self {
        self.host = host;
        self
    }

    fn caller(&self, platform: Platform) -> Caller {
        Caller {
            platform,
            game: self.game.clone(),
            openid: self.openid.clone(),
            context: self.context,
            host: self.host,
        }
    }
}

/// One player's view of one game, from one context: hands out the [`tt`](Self::tt) and
/// [`wx`](Self::wx) cloud facades. Cheap to clone.
#[derive(Clone)]
pub struct MiniGame {
    engine: Engine,
    context: GameContext,
    listeners: Arc<InteractiveListeners>,
}

impl std::fmt::Debug for MiniGame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniGame")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl MiniGame {
    /// A view over `store` with the default stored relations (same as
    /// `Cloud::new(store).mini_game(context)`).
    pub fn new(store: &Mpstore, context: GameContext) -> MiniGame {
        Cloud::new(store).mini_game(context)
    }

    /// Where this view's calls come from.
    pub fn context(&self) -> &GameContext {
        &self.context
    }

    /// The Douyin facade: `tt.setUserCloudStorage` and its family.
    pub fn tt(&self) -> TtGame {
        TtGame::new(self.engine.clone(), self.context.caller(Platform::Tt))
    }

    /// The WeChat mini-game facade: `wx.setUserCloudStorage` and its family.
    pub fn wx(&self) -> WxGame {
        WxGame::new(
            self.engine.clone(),
            self.context.caller(Platform::Wx),
            self.listeners.clone(),
        )
    }
}

impl Mpstore {
    /// The host's side of game cloud data in this store (see [`Cloud`]).
    pub fn cloud(&self) -> Cloud {
        Cloud::new(self)
    }

    /// One player's view of one game in this store, with the default stored relations (see
    /// [`MiniGame`]).
    pub fn mini_game(&self, context: GameContext) -> MiniGame {
        MiniGame::new(self, context)
    }
}
