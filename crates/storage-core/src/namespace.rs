//! Namespaces of behaviour §2, and their byte encoding.
//!
//! Local storage is isolated per (user, app, scope); game cloud data per (game, openid); what a
//! game's host keeps about its players (relations, profiles, configuration) per (game, subject).
//! A namespace is encoded as a tag byte followed by length-prefixed fields, so the encoding is
//! injective and prefix-free: no choice of ids can make two namespaces share bytes, and no key
//! appended after a namespace's bytes can be mistaken for another namespace.

use crate::error::{Error, Result};
use std::borrow::Cow;

/// Where local storage lives inside one app, for one user (behaviour §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The mini-program itself.
    App,
    /// A web-view inside the mini-program: isolated from its host.
    WebView,
    /// A plugin inside the mini-program, by plugin id: isolated from its host and other plugins.
    Plugin(String),
}

/// A keyspace of its own: nothing written in one namespace is visible, countable or removable
/// from another.
///
/// ```
/// use storage_core::{Namespace, Scope};
/// let ns = Namespace::local("user-1", "app-1", Scope::Plugin("p".into())).unwrap();
/// assert_eq!(Namespace::decode(&ns.encode()).unwrap(), ns);
/// assert!(Namespace::local("", "app", Scope::App).is_err());
/// let host = Namespace::game_host("game-1", "player:openid-1").unwrap();
/// assert_eq!(Namespace::decode(&host.encode()).unwrap(), host);
/// assert_ne!(host.encode(), Namespace::cloud("game-1", "player:openid-1").unwrap().encode());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// A mini-program's local storage.
    Local {
        /// The host's user id.
        user: String,
        /// The mini-program's app id.
        app: String,
        /// App, web-view or plugin.
        scope: Scope,
    },
    /// A game's cloud key-value data for one player.
    Cloud {
        /// The game's app id.
        game: String,
        /// The player's openid.
        openid: String,
    },
    /// What a game's host keeps about its players rather than for them (who is whose friend,
    /// who is in which group, profiles, which keys are leaderboards). Kept by `cloud-kv`; no
    /// mini-program API reads or counts it as a player's data.
    GameHost {
        /// The game's app id.
        game: String,
        /// What the namespace is about, named by the crate that keeps it (e.g. `player:<openid>`).
        subject: String,
    },
}

const LOCAL: u8 = b'L';
const CLOUD: u8 = b'C';
const GAME_HOST: u8 = b'H';
const SCOPE_APP: u8 = 0;
const SCOPE_WEBVIEW: u8 = 1;
const SCOPE_PLUGIN: u8 = 2;

/// The longest id (user, app, plugin, game or openid) a namespace accepts, in UTF-8 bytes.
pub const MAX_ID_BYTES: usize = 4096;

fn non_empty(what: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::InvalidParam(format!("{what} must not be empty")));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Error::InvalidParam(format!(
            "{what} is longer than {MAX_ID_BYTES} bytes"
        )));
    }
    Ok(())
}

impl Namespace {
    /// A local-storage namespace; every id must be non-empty and at most [`MAX_ID_BYTES`] long
    /// (any Unicode is allowed).
    pub fn local(user: impl Into<String>, app: impl Into<String>, scope: Scope) -> Result<Self> {
        let (user, app) = (user.into(), app.into());
        non_empty("user id", &user)?;
        non_empty("app id", &app)?;
        if let Scope::Plugin(p) = &scope {
            non_empty("plugin id", p)?;
        }
        Ok(Namespace::Local { user, app, scope })
    }

    /// A game cloud-data namespace; both ids must be non-empty.
    pub fn cloud(game: impl Into<String>, openid: impl Into<String>) -> Result<Self> {
        let (game, openid) = (game.into(), openid.into());
        non_empty("game id", &game)?;
        non_empty("openid", &openid)?;
        Ok(Namespace::Cloud { game, openid })
    }

    /// A namespace of host-kept game data; both ids must be non-empty.
    pub fn game_host(game: impl Into<String>, subject: impl Into<String>) -> Result<Self> {
        let (game, subject) = (game.into(), subject.into());
        non_empty("game id", &game)?;
        non_empty("subject", &subject)?;
        Ok(Namespace::GameHost { game, subject })
    }

    /// The user this namespace belongs to (the openid for cloud data, the subject for host-kept
    /// game data).
    pub fn user(&self) -> &str {
        match self {
            Namespace::Local { user, .. } => user,
            Namespace::Cloud { openid, .. } => openid,
            Namespace::GameHost { subject, .. } => subject,
        }
    }

    /// The app (or game) this namespace belongs to.
    pub fn app(&self) -> &str {
        match self {
            Namespace::Local { app, .. } => app,
            Namespace::Cloud { game, .. } | Namespace::GameHost { game, .. } => game,
        }
    }

    /// The bytes a backend stores for this namespace.
    pub fn encode(&self) -> Vec<u8> {
        // Sized once: this runs on every call of the engine.
        let ids = match self {
            Namespace::Local { user, app, scope } => {
                let plugin = match scope {
                    Scope::Plugin(p) => 4 + p.len(),
                    Scope::App | Scope::WebView => 0,
                };
                user.len() + app.len() + plugin
            }
            Namespace::Cloud { game, openid } => game.len() + openid.len(),
            Namespace::GameHost { game, subject } => game.len() + subject.len(),
        };
        let mut out = Vec::with_capacity(ids + 10);
        match self {
            Namespace::Local { user, app, scope } => {
                out.push(LOCAL);
                put(user, &mut out);
                put(app, &mut out);
                match scope {
                    Scope::App => out.push(SCOPE_APP),
                    Scope::WebView => out.push(SCOPE_WEBVIEW),
                    Scope::Plugin(p) => {
                        out.push(SCOPE_PLUGIN);
                        put(p, &mut out);
                    }
                }
            }
            Namespace::Cloud { game, openid } => {
                out.push(CLOUD);
                put(game, &mut out);
                put(openid, &mut out);
            }
            Namespace::GameHost { game, subject } => {
                out.push(GAME_HOST);
                put(game, &mut out);
                put(subject, &mut out);
            }
        }
        out
    }

    /// Reads bytes written by [`encode`](Self::encode); anything else is [`Error::Corrupt`].
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = bytes;
        let ns = match take_byte(&mut r)? {
            LOCAL => {
                let user = take_str(&mut r)?;
                let app = take_str(&mut r)?;
                let scope = match take_byte(&mut r)? {
                    SCOPE_APP => Scope::App,
                    SCOPE_WEBVIEW => Scope::WebView,
                    SCOPE_PLUGIN => Scope::Plugin(take_str(&mut r)?),
                    _ => return Err(corrupt("unknown scope tag")),
                };
                Namespace::local(user, app, scope)
            }
            CLOUD => {
                let game = take_str(&mut r)?;
                Namespace::cloud(game, take_str(&mut r)?)
            }
            GAME_HOST => {
                let game = take_str(&mut r)?;
                Namespace::game_host(game, take_str(&mut r)?)
            }
            _ => return Err(corrupt("unknown namespace tag")),
        }
        .map_err(|_| corrupt("empty id"))?;
        if !r.is_empty() {
            return Err(corrupt("trailing bytes"));
        }
        Ok(ns)
    }
}

/// A namespace as the bytes a backend stores it under: what every [`Store`](crate::Store)
/// method takes. A [`Namespace`] is encoded on each call; an [`EncodedNamespace`] once.
pub trait NamespaceBytes: Sync {
    /// The bytes of [`Namespace::encode`].
    fn namespace_bytes(&self) -> Cow<'_, [u8]>;
}

impl NamespaceBytes for Namespace {
    fn namespace_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.encode())
    }
}

/// A [`Namespace`] with its bytes encoded once, for a handle that makes many calls on the same
/// namespace (a mini-program's storage facade): each call then skips building the bytes.
///
/// ```
/// use storage_core::{EncodedNamespace, Namespace, NamespaceBytes, Scope};
/// let ns = Namespace::local("user-1", "app-1", Scope::App).unwrap();
/// let encoded = EncodedNamespace::from(ns.clone());
/// assert_eq!(encoded.namespace_bytes(), ns.encode());
/// assert_eq!(*encoded, ns);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedNamespace {
    namespace: Namespace,
    bytes: Box<[u8]>,
}

impl From<Namespace> for EncodedNamespace {
    fn from(namespace: Namespace) -> Self {
        let bytes = namespace.encode().into();
        EncodedNamespace { namespace, bytes }
    }
}

impl std::ops::Deref for EncodedNamespace {
    type Target = Namespace;
    fn deref(&self) -> &Namespace {
        &self.namespace
    }
}

impl NamespaceBytes for EncodedNamespace {
    fn namespace_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("namespace encoding: {what}"))
}

fn put(s: &str, out: &mut Vec<u8>) {
    // A fixed 4-byte length: ids are short, and fixed width keeps the encoding obviously
    // prefix-free.
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn take_byte(r: &mut &[u8]) -> Result<u8> {
    let (&b, rest) = r.split_first().ok_or_else(|| corrupt("unexpected end"))?;
    *r = rest;
    Ok(b)
}

fn take_str(r: &mut &[u8]) -> Result<String> {
    if r.len() < 4 {
        return Err(corrupt("unexpected end"));
    }
    let (len, rest) = r.split_at(4);
    let len = u32::from_be_bytes(len.try_into().expect("split at 4")) as usize;
    if rest.len() < len {
        return Err(corrupt("unexpected end"));
    }
    let (s, rest) = rest.split_at(len);
    *r = rest;
    String::from_utf8(s.to_vec()).map_err(|_| corrupt("id is not UTF-8"))
}
