//! # storage-inspect
//!
//! A local web page to see, edit, import and export every namespace of an [`Mpstore`], like the
//! Storage panel of WeChat DevTools: what `mpstore inspect` serves, and what the Node package's
//! `mp.host.inspect()` serves from inside the process that holds the store.
//!
//! [`Inspector::start`] binds `127.0.0.1` (never another interface), makes a random token and
//! serves, on a thread of its own with its own tokio runtime:
//!
//! - every namespace with its usage against the chosen dialect's quota; a namespace's entries in
//!   insertion order, typed (tagged JSON, so `undefined`, Dates and `NaN` stay what they are),
//!   each with its size in the dialect's unit, searched, filtered by type and paged;
//! - edits through [`storage_api::dispatch`], the same door a mini-program's calls take, so the
//!   limits hold and a refusal is the platform's own failure;
//! - export and import in the `mpstore dump` format (`docs/dump.md`);
//! - game cloud data: each player's KVDataList and a game's leaderboard, ranked as
//!   `getCloudStorageByRelation` ranks ([`cloud_kv::rank`]);
//! - live updates as server-sent events: the stream polls [`Mpstore::changes`], a counter of
//!   the writes that succeeded, and tells the page when it moved.
//!
//! Every request must carry the token (the `x-mpstore-token` header, or `?token=` where a
//! browser cannot set a header: the page itself, its script, the event stream) and name this
//! server as its `Host` (a page of another site that rebinds a name to 127.0.0.1 is refused).
//! No CORS header is ever sent, and the page renders every stored value as text under a
//! Content-Security-Policy that runs no inline script. `docs/inspector.md` has the rest.
//!
//! ```
//! use storage_api::Mpstore;
//! use storage_core::{Dialect, Scope};
//! use storage_inspect::{Inspector, Options};
//!
//! let store = Mpstore::in_memory();
//! store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
//! let inspector = Inspector::start(store, Options { port: 0, dialect: Dialect::Wx }).unwrap();
//! assert!(inspector.url().starts_with("http://127.0.0.1:"));
//! assert!(inspector.url().ends_with(inspector.token()));
//! inspector.stop();
//! ```

mod api;
mod assets;
mod cloud;
mod live;
mod safety;
mod view;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use storage_api::Mpstore;
use storage_core::Dialect;
use tokio::sync::oneshot;

pub use safety::Token;

/// How to serve.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The dialect the page opens with (sizes, quota, the APIs edits call); the page can switch.
    pub dialect: Dialect,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            dialect: Dialect::Wx,
        }
    }
}

/// A running inspector. Stop it with [`stop`](Inspector::stop) (or drop it); until then it
/// holds a clone of the store.
#[derive(Debug)]
pub struct Inspector {
    url: String,
    token: Token,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Inspector {
    /// Binds 127.0.0.1:`options.port` and serves `store` on a thread of its own. Fails when the
    /// port cannot be bound or the thread cannot start.
    pub fn start(store: Mpstore, options: Options) -> std::io::Result<Inspector> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, options.port)))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let token = Token::random()?;
        let app = router(store, &token, port, options.dialect);
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mpstore-inspect")
            .enable_io()
            .enable_time()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("mpstore-inspect".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    // Not graceful: an event stream never ends by itself, so stopping drops
                    // the connections (the runtime's drop cancels their tasks).
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stopped => {}
                    }
                });
                runtime.shutdown_background();
            })?;
        Ok(Inspector {
            url: format!("http://127.0.0.1:{port}/?token={}", token.as_str()),
            token,
            port,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The page's address, token included: what to open in a browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The token every request must carry.
    pub fn token(&self) -> &str {
        self.token.as_str()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops serving and waits for the server's thread: once this returns, the inspector holds
    /// no clone of the store.
    pub fn stop(mut self) {
        self.halt();
    }

    /// Blocks until the server's thread ends (it ends only when stopped, or if serving failed).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic in the server thread has nothing left to clean up here.
            let _ = thread.join();
        }
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The inspector's routes over `store`, for a server on 127.0.0.1:`port` whose requests must
/// carry `token`: what [`Inspector::start`] serves (tests call it without a socket).
pub fn router(store: Mpstore, token: &Token, port: u16, dialect: Dialect) -> axum::Router {
    let state = Arc::new(api::State::new(store, token.clone(), port, dialect));
    api::routes(state)
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
