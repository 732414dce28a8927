//! The command line's grammar (clap).

use crate::bridge::DEFAULT_MAX_LINE_BYTES;
use crate::exit;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Inspect and script an mpstore store, tour the platforms, or bridge a JavaScript host.
///
/// Every storage command runs the platform's own API through mpstore's facades and prints the
/// platform-shaped result as JSON on stdout: what `success` (or `fail`) would have received.
#[derive(Debug, Parser)]
#[command(name = "mpstore", version, after_help = exit::HELP)]
pub struct Cli {
    /// Which store, and how to open it.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Which mini-program's storage the local commands act on.
    #[command(flatten)]
    pub select: Selection,
    /// Print stored values in the bridge's type-tagged JSON (keeps undefined, Dates, NaN, -0)
    /// rather than as JSON.stringify shows them.
    #[arg(long, global = true)]
    pub tagged: bool,
    /// Pretty-print JSON output.
    #[arg(long, global = true)]
    pub pretty: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The store's location.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store's directory: an encrypted sled database in `data/` and its master key in
    /// `master.key`, created on first use. Default: `mpstore` under the user's data directory
    /// (e.g. ~/.local/share/mpstore); `tour` uses a fresh temporary directory instead.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// A platform dialect on the command line: any name [`storage_core::Dialect`] parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform(pub storage_core::Dialect);

impl Platform {
    /// The dialect.
    pub fn dialect(self) -> storage_core::Dialect {
        self.0
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse()
            .map(Platform)
            .map_err(|e: storage_core::Error| e.to_string())
    }
}

/// Which namespace the local commands use.
#[derive(Debug, Args)]
pub struct Selection {
    /// The platform whose APIs (and so limits, results and errors) to use.
    #[arg(long, global = true, default_value = "wx")]
    pub platform: Platform,
    /// The host's user id.
    #[arg(long, global = true, default_value = "user")]
    pub user: String,
    /// The mini-program's app id.
    #[arg(long, global = true, default_value = "app")]
    pub app: String,
    /// Use the storage of this plugin inside the mini-program.
    #[arg(long, global = true, value_name = "ID", conflicts_with = "webview")]
    pub plugin: Option<String>,
    /// Use the storage of the mini-program's web-view.
    #[arg(long, global = true)]
    pub webview: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// setStorage({key, data}): store a value (JSON; tagged JSON for undefined, Dates, NaN, -0).
    Set {
        /// The key.
        key: String,
        /// The value, as JSON (`'"text"'`, `42`, `'{"a":1}'`), or raw text with --string; `-`
        /// reads it from stdin (for values longer than a command line allows).
        value: String,
        /// Store VALUE as a String, as given.
        #[arg(long)]
        string: bool,
        /// WeChat's encrypt: true (charged 1.4x; readable only with get --encrypt).
        #[arg(long)]
        encrypt: bool,
    },
    /// getStorage({key}): read a value.
    Get {
        /// The key.
        key: String,
        /// WeChat's encrypt: true.
        #[arg(long)]
        encrypt: bool,
    },
    /// removeStorage({key}).
    Remove {
        /// The key.
        key: String,
    },
    /// clearStorage(): remove every key of the selected namespace.
    Clear,
    /// getStorageInfo(): keys in insertion order, currentSize and limitSize in KB.
    Info,
    /// WeChat's batch APIs: batchSetStorage / batchGetStorage.
    Batch {
        /// set or get.
        #[command(subcommand)]
        op: BatchOp,
    },
    /// Any local-storage API of --platform by name: `call getStorageInfoSync`, `call setStorage
    /// '{"key":"k","data":1}'`, `call setStorageSync '"k"' 1`.
    Call(ByName),
    /// Game cloud data (托管数据): setUserCloudStorage and its family.
    Cloud(CloudArgs),
    /// Host: an operation of the bridge's `host.*` by name (docs/bridge.md): configure games
    /// (`registerSession`, `setInteractiveKeys`, `joinGroup`, `setProfile`, …) or read what
    /// `imRankShown` drew.
    Host(ByName),
    /// Host: every namespace holding data, with its usage (bytes charged, entries).
    Namespaces,
    /// Host: read every namespace and entry once and report what is damaged (exit 6 if any).
    Verify,
    /// Host: copy the store into a new directory as of one point in time (writes wait while it
    /// copies); the copy opens as a store, with the same master key (copied, mode 0600).
    Backup {
        /// The directory of the copy: must not exist, or be empty.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Host: copy every readable namespace and entry of a damaged store into a new store and
    /// report what was lost (exit 6 if anything was); the damaged store is only read, even when
    /// it no longer opens.
    Salvage {
        /// The directory of the new store: must not exist, or be empty.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Host: remove one app's data for one user, every scope (--user, --app).
    PurgeApp,
    /// Host: remove all data of one user, every app (--user).
    PurgeUser,
    /// Host: the whole store (or one namespace) as JSON that keeps every JavaScript type
    /// (docs/dump.md), namespaces sorted, keys in insertion order.
    Dump {
        /// Only the local namespace chosen by --user, --app, --plugin / --webview.
        #[arg(long, conflicts_with = "game")]
        one: bool,
        /// Only this game's cloud data of --openid.
        #[arg(long, requires = "openid")]
        game: Option<String>,
        /// The player whose cloud data to dump (with --game).
        #[arg(long)]
        openid: Option<String>,
        /// Write the dump to this file rather than stdout.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Host: write a dump into the store: each namespace it holds then holds exactly its
    /// entries (others are left alone); local entries are measured as --platform measures them.
    Import {
        /// The dump file (`-` reads stdin).
        file: PathBuf,
    },
    /// Host: rotate the master key: a fresh random key replaces master.key; the old one no
    /// longer opens the store.
    RotateKey,
    /// Host: serve the storage inspector (docs/inspector.md), a web page on 127.0.0.1 to see,
    /// edit, import and export every namespace; sizes and edits follow --platform (the page can
    /// switch). Prints {"url", "token", "port"}; runs until stopped (Ctrl-C).
    Inspect {
        /// The port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Run each platform's documented scenario against the default store and show what the
    /// platform answers, limits included.
    Tour,
    /// Serve the platforms' server APIs of game cloud data over HTTP (WeChat setUserStorage,
    /// Douyin set_user_storage and their removals; see docs/serve.md) until stopped.
    Serve {
        /// The address to listen on: loopback by default; the port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8930", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// The admin token registrations must carry (default: a random one, printed).
        #[arg(long, value_name = "TOKEN")]
        admin_token: Option<String>,
        /// Serve the data of a Redis Cluster instead of the store in --data-dir: its nodes,
        /// `host:port,host:port,…`. Several services may share one cluster and its key file.
        #[arg(long, value_name = "NODES")]
        redis: Option<String>,
        /// With --redis: the key prefix of the data in the cluster.
        #[arg(
            long,
            default_value = "mpstore",
            value_name = "PREFIX",
            requires = "redis"
        )]
        redis_prefix: String,
        /// With --redis: how many replicas must confirm each write before it is acknowledged
        /// (1 keeps acknowledged writes through a master's failover; see docs/scaling.md).
        #[arg(long, default_value_t = 0, value_name = "N", requires = "redis")]
        replica_acks: u32,
        /// With --redis: the master key file (default: master.key in --data-dir, created on
        /// first use); services sharing a cluster share it.
        #[arg(long, value_name = "FILE", requires = "redis")]
        key_file: Option<PathBuf>,
    },
    /// Serve the JSON-lines bridge on stdin/stdout (see docs/bridge.md).
    Bridge {
        /// The longest request line accepted, in bytes; longer lines get an error response.
        #[arg(long, default_value_t = DEFAULT_MAX_LINE_BYTES)]
        max_line_bytes: usize,
        /// Faster buffered writes: a crash (not a clean exit) may lose the last moments of
        /// acknowledged writes.
        #[arg(long)]
        buffered: bool,
    },
}

/// A call by name: the method and its arguments, each one JSON value (tagged JSON for
/// undefined, Dates, NaN, -0).
#[derive(Debug, Args)]
pub struct ByName {
    /// The method, without its object: `setStorageSync`, not `wx.setStorageSync`.
    pub method: String,
    /// Its arguments, one JSON value each (`'"text"'`, `42`, `'{"key":"k"}'`).
    pub args: Vec<String>,
}

/// `batch set` / `batch get`.
#[derive(Debug, Subcommand)]
pub enum BatchOp {
    /// batchSetStorage({kvList}): all items or none.
    Set {
        /// The kvList as JSON, `[{"key": "a", "value": 1}, …]`; `-` reads it from stdin.
        kv_list: String,
    },
    /// batchGetStorage({keyList}): one value per key, "" for a missing one.
    Get {
        /// The keys.
        #[arg(required = true)]
        keys: Vec<String>,
    },
}

/// The game and caller of the cloud commands.
#[derive(Debug, Args)]
pub struct CloudArgs {
    /// The game's app id.
    #[arg(long, default_value = "game")]
    pub game: String,
    /// The logged-in player's openid (omit it to call as a player who is not logged in).
    #[arg(long)]
    pub openid: Option<String>,
    /// The calling context: reads need the open data context.
    #[arg(long, value_enum, default_value_t = CallContext::Open)]
    pub context: CallContext,
    /// Call as a mini-app rather than a mini-game (the platforms refuse).
    #[arg(long)]
    pub mini_app: bool,
    /// What to do.
    #[command(subcommand)]
    pub op: CloudOp,
}

/// Main or open data context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CallContext {
    /// The game's main context.
    Main,
    /// The open data context.
    Open,
}

/// The cloud commands.
#[derive(Debug, Subcommand)]
pub enum CloudOp {
    /// setUserCloudStorage({KVDataList}): KEY=VALUE pairs, all or none.
    Set {
        /// Pairs as KEY=VALUE (the value is a string, as the platforms require).
        #[arg(required = true, value_name = "KEY=VALUE")]
        pairs: Vec<String>,
    },
    /// getUserCloudStorage({keyList}).
    Get {
        /// The keys.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// removeUserCloudStorage({keyList}).
    Remove {
        /// The keys.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// getCloudStorageByRelation({type, keyList, extra}) (tt) / getFriendCloudStorage,
    /// getGroupCloudStorage (wx).
    Relation {
        /// friend, group or recommend.
        #[arg(long = "type", value_enum, default_value_t = RelationType::Friend)]
        kind: RelationType,
        /// The keys to read.
        #[arg(required = true)]
        keys: Vec<String>,
        /// Rank by this leaderboard key.
        #[arg(long)]
        sort_key: Option<String>,
        /// The group (type group).
        #[arg(long)]
        group_id: Option<String>,
    },
    /// Any game cloud API of --platform by name (`setImRankData`, `getImRankData`,
    /// `modifyFriendInteractiveStorage`, …) as this caller.
    Call(ByName),
    /// Host: declare the game's leaderboard keys (values must then hold ttgame / wxgame).
    Leaderboards {
        /// The keys.
        keys: Vec<String>,
    },
    /// Host: make --openid and these players friends (both ways).
    Friends {
        /// The friends' openids.
        #[arg(required = true)]
        openids: Vec<String>,
    },
}

/// Relation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RelationType {
    /// Friends.
    Friend,
    /// A group.
    Group,
    /// Players the platform recommends.
    Recommend,
}
