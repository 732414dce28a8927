//! Who is calling: the game, the player's session, the calling context and the host.

use storage_core::{CloudRule, Dialect, Error, Namespace, Result};

/// The platform whose rules a call follows: the leaderboard field (`ttgame` / `wxgame`) and the
/// way failures are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// Douyin mini-games, `tt.*`.
    Tt,
    /// WeChat mini-games, `wx.*`.
    Wx,
}

impl Platform {
    /// The top-level field a leaderboard value must hold: `ttgame` or `wxgame`.
    pub fn leaderboard_field(self) -> &'static str {
        match self {
            Platform::Tt => "ttgame",
            Platform::Wx => "wxgame",
        }
    }

    /// The storage-core dialect whose error table reports this platform's failures.
    pub fn dialect(self) -> Dialect {
        match self {
            Platform::Tt => Dialect::Tt,
            Platform::Wx => Dialect::Wx,
        }
    }
}

/// Where in a mini-game the code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallContext {
    /// The game's main context: may write its player's data, may read nothing.
    Main,
    /// The open data context (开放数据域): may read its player's and their relations' data.
    OpenData,
}

/// What kind of program the host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// A mini-game: cloud data is available.
    Game,
    /// A mini-app (mini-program): every cloud call fails with `feature is not supported in app`.
    MiniApp,
}

/// One caller of the cloud API: which game, which logged-in player (if any), from which
/// context, in what kind of host, under which platform's rules.
///
/// ```
/// use cloud_kv::{CallContext, Caller, HostKind, Platform};
/// let caller = Caller::new(Platform::Tt, "tt-game-1").logged_in("openid-1").open_data();
/// assert_eq!(caller.openid.as_deref(), Some("openid-1"));
/// assert_eq!((caller.context, caller.host), (CallContext::OpenData, HostKind::Game));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    /// Whose rules apply.
    pub platform: Platform,
    /// The game's app id. An empty or over-long one (see
    /// [`storage_core::namespace::MAX_ID_BYTES`]) is the host's mistake and fails every call as a
    /// storage failure.
    pub game: String,
    /// The logged-in player's openid; `None` (or an empty string) when nobody is logged in. An
    /// over-long one fails like an over-long game id.
    pub openid: Option<String>,
    /// The calling context.
    pub context: CallContext,
    /// Whether the host is a game or a mini-app.
    pub host: HostKind,
}

impl Caller {
    /// A caller in `game`'s main context, in a game host, with nobody logged in.
    pub fn new(platform: Platform, game: impl Into<String>) -> Self {
        Caller {
            platform,
            game: game.into(),
            openid: None,
            context: CallContext::Main,
            host: HostKind::Game,
        }
    }

    /// The same caller with `openid` logged in.
    pub fn logged_in(mut self, openid: impl Into<String>) -> Self {
        self.openid = Some(openid.into());
        self
    }

    /// The same caller in the open data context.
    pub fn open_data(mut self) -> Self {
        self.context = CallContext::OpenData;
        self
    }

    /// The same caller in the main context.
    pub fn main(mut self) -> Self {
        self.context = CallContext::Main;
        self
    }

    /// The same caller inside a host of kind `host`.
    pub fn in_host(mut self, host: HostKind) -> Self {
        self.host = host;
        self
    }

    /// The gates every call passes first, in this order: the host is a game
    /// ([`CloudRule::NotAGame`]), a player is logged in ([`CloudRule::NotLoggedIn`]), and, for
    /// reads, the call comes from the open data context ([`CloudRule::NotOpenDataContext`]);
    /// for main-context APIs, from the main context ([`CloudRule::NotMainContext`]).
    /// Returns the player's openid.
    pub(crate) fn gate(&self, access: Access) -> Result<&str> {
        if self.host != HostKind::Game {
            return Err(CloudRule::NotAGame.into());
        }
        let openid = match self.openid.as_deref() {
            Some(id) if !id.is_empty() => id,
            _ => return Err(CloudRule::NotLoggedIn.into()),
        };
        if access == Access::Read && self.context != CallContext::OpenData {
            return Err(CloudRule::NotOpenDataContext.into());
        }
        if access == Access::Main && self.context != CallContext::Main {
            return Err(CloudRule::NotMainContext.into());
        }
        Ok(openid)
    }

    /// The namespace of `openid`'s data in this caller's game.
    pub(crate) fn namespace_of(&self, openid: &str) -> Result<Namespace> {
        Namespace::cloud(self.game.as_str(), openid)
            .map_err(|e| Error::InvalidParam(format!("cloud namespace: {e}")))
    }
}

/// Whether a call reads (open data context only), writes (any context), or belongs to the main
/// context only (ImRank's `setImRankData`, `getImRankList`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    Main,
}
