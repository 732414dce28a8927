//! The game server's half of cloud data: the platforms' server APIs that write and remove a
//! player's pairs (WeChat `storage.setUserStorage` / `removeUserStorage`, Douyin
//! `set_user_storage` / `remove_user_storage`), signed with the player's session key, under
//! the same rules as the client's `setUserCloudStorage` (behaviour §5).
//!
//! The host registers each player's session ([`Sessions::register`]): the key the platform's
//! `code2Session` would have handed the game's server. A request is then checked in this order:
//! `sig_method` is `hmac_sha256`; the player has a session and `signature` is the lowercase or
//! uppercase hex HMAC-SHA256 of the request body under the session key (compared in constant
//! time); the body is the API's JSON; then the rules of `setUserCloudStorage`. The reply is the
//! platform's: see [`ServerReply::to_json`].

use crate::caller::{Caller, Platform};
use crate::engine::CloudKv;
use crate::kv_data::KvData;
use crate::record;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use storage_core::server_codes::{server_error, ServerFault};
use storage_core::{Backend, Error, Limits, Namespace, Op, Result};

/// The players' session keys, by platform, game and openid: the one source both halves use (the
/// server checks signatures with them, the client seals WeChat's open data with them). Kept in
/// the backend, in a [`Namespace::GameHost`] namespace of each game (subject `sessions:wx` or
/// `sessions:tt`, key the openid), so every engine over the same store sees the same keys.
#[derive(Debug, Clone)]
pub struct Sessions<B> {
    backend: B,
}

impl<B: Backend> Sessions<B> {
    /// The sessions kept in `backend`.
    pub fn new(backend: B) -> Self {
        Sessions { backend }
    }

    fn namespace(platform: Platform, game: &str) -> Result<Vec<u8>> {
        let subject = match platform {
            Platform::Wx => "sessions:wx",
            Platform::Tt => "sessions:tt",
        };
        Ok(Namespace::game_host(game, subject)?.encode())
    }

    /// Records `openid`'s session key in `game` (replacing an older one, as a new login does).
    /// An empty openid is refused.
    pub async fn register(
        &self,
        platform: Platform,
        game: &str,
        openid: &str,
        session_key: &str,
    ) -> Result<()> {
        if openid.is_empty() {
            return Err(Error::InvalidParam("openid must not be empty".into()));
        }
        let value = record::raw(session_key.as_bytes());
        let op = Op::Put {
            key: openid.as_bytes().to_vec(),
            value,
            charge: 0,
        };
        let ns = Self::namespace(platform, game)?;
        self.backend
            .apply(&ns, &[op], Limits::NONE)
            .await
            .map(|_| ())
    }

    /// Forgets `openid`'s session in `game`: its requests fail as unsigned until it logs in again.
    pub async fn forget(&self, platform: Platform, game: &str, openid: &str) -> Result<()> {
        let op = Op::Delete {
            key: openid.as_bytes().to_vec(),
        };
        let ns = Self::namespace(platform, game)?;
        self.backend
            .apply(&ns, &[op], Limits::NONE)
            .await
            .map(|_| ())
    }

    /// `openid`'s session key in `game`, if it has one.
    pub async fn key(
        &self,
        platform: Platform,
        game: &str,
        openid: &str,
    ) -> Result<Option<String>> {
        let ns = Self::namespace(platform, game)?;
        self.backend
            .get(&ns, openid.as_bytes())
            .await?
            .map(|r| record::text(&r, "session key"))
            .transpose()
    }

    /// Whether `signature` signs `body` for the player of `request` (a player without a session,
    /// or a game id the store refuses, signs nothing).
    async fn verify(&self, request: &ServerRequest<'_>) -> Result<bool> {
        let key = match self
            .key(request.platform, request.game, request.openid)
            .await
        {
            Ok(Some(key)) => key,
            Ok(None) | Err(Error::InvalidParam(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let mut buf = [0u8; 32];
        let Ok(signature) = base16ct::mixed::decode(request.signature, &mut buf) else {
            return Ok(false);
        };
        Ok(mac(&key, request.body).verify_slice(signature).is_ok())
    }
}

/// The signature a game's server sends with `body` for a player whose session key is
/// `session_key`: the hex HMAC-SHA256 of the body under the key, as both platforms define it.
///
/// ```
/// // Douyin's documented example.
/// let signature = cloud_kv::sign("724edcafc423d167724edcbe", br#"{"foo":"bar"}"#);
/// assert_eq!(signature, "44b5092fa1c9adba03803239934d4958b8a1840adf0cee8d5e95c1cf5d495e0e");
/// ```
pub fn sign(session_key: &str, body: &[u8]) -> String {
    base16ct::lower::encode_string(&mac(session_key, body).finalize().into_bytes())
}

fn mac(session_key: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(session_key.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac
}

/// One server request, as the HTTP layer received it.
#[derive(Debug, Clone, Copy)]
pub struct ServerRequest<'a> {
    /// Whose API was called.
    pub platform: Platform,
    /// The game (the app whose access token the request carried).
    pub game: &'a str,
    /// The player, from the `openid` query parameter.
    pub openid: &'a str,
    /// The `sig_method` query parameter.
    pub sig_method: &'a str,
    /// The `signature` query parameter.
    pub signature: &'a str,
    /// The request body, byte for byte as signed.
    pub body: &'a [u8],
}

/// A server API's answer: `errcode` 0 on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerReply {
    /// The platform's `errcode`.
    pub errcode: i64,
    /// The platform's `errmsg` (`ok` or empty on success).
    pub errmsg: String,
}

impl ServerReply {
    pub(crate) fn ok(platform: Platform) -> Self {
        let errmsg = match platform {
            Platform::Wx => "ok",
            Platform::Tt => "",
        };
        ServerReply {
            errcode: 0,
            errmsg: errmsg.into(),
        }
    }

    /// How `platform` answers `fault` (for a host that finds one before the call, such as an
    /// unknown access token).
    pub fn failed(platform: Platform, fault: ServerFault<'_>) -> Self {
        let e = server_error(platform.dialect(), fault)
            .expect("both server platforms have a row for every fault");
        ServerReply {
            errcode: e.errcode,
            errmsg: e.errmsg.into(),
        }
    }

    /// The response body: WeChat's `{errcode, errmsg}`; Douyin's `{error, errcode, errmsg}`, with
    /// `error` 0 on success and 1 otherwise.
    pub fn to_json(&self, platform: Platform) -> Value {
        match platform {
            Platform::Wx => json!({"errcode": self.errcode, "errmsg": self.errmsg}),
            Platform::Tt => json!({
                "error": i64::from(self.errcode != 0),
                "errcode": self.errcode,
                "errmsg": self.errmsg,
            }),
        }
    }
}

impl<B: Backend> CloudKv<B> {
    /// `setUserStorage` / `set_user_storage`: the body `{"kv_list":[{"key":…,"value":…},…]}`
    /// written as `setUserCloudStorage` writes it (every pair or none).
    ///
    /// ```
    /// use cloud_kv::{sign, Caller, CloudKv, KvData, Platform, ServerRequest};
    /// use std::sync::Arc;
    /// use storage_core::{block_on, MemoryBackend};
    ///
    /// let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
    /// let sessions = cloud.sessions();
    /// block_on(sessions.register(Platform::Wx, "wx-game", "player-1", "session-key")).unwrap();
    /// let body = br#"{"kv_list":[{"key":"level","value":"3"}]}"#;
    /// let signature = sign("session-key", body);
    /// let request = ServerRequest {
    ///     platform: Platform::Wx, game: "wx-game", openid: "player-1",
    ///     sig_method: "hmac_sha256", signature: &signature, body,
    /// };
    /// let reply = block_on(cloud.set_user_storage(&request));
    /// assert_eq!((reply.errcode, reply.errmsg.as_str()), (0, "ok"));
    /// // The client reads what the server wrote.
    /// let player = Caller::new(Platform::Wx, "wx-game").logged_in("player-1").open_data();
    /// let read = block_on(cloud.get_pairs(&player, &["level".into()])).unwrap();
    /// assert_eq!(read, [KvData::new("level", "3")]);
    /// ```
    pub async fn set_user_storage(&self, request: &ServerRequest<'_>) -> ServerReply {
        self.serve(request, |body| {
            let items = body.get("kv_list")?.as_array()?;
            let pairs = items.iter().map(|item| {
                let text = |field: &str| item.get(field)?.as_str().map(str::to_owned);
                Some(KvData::new(text("key")?, text("value")?))
            });
            pairs.collect::<Option<Vec<_>>>().map(Write::Set)
        })
        .await
    }

    /// `removeUserStorage` / `remove_user_storage`: the body `{"key":["…",…]}` removed as
    /// `removeUserCloudStorage` removes it (missing keys are fine).
    pub async fn remove_user_storage(&self, request: &ServerRequest<'_>) -> ServerReply {
        self.serve(request, |body| {
            let keys = body.get("key")?.as_array()?;
            let keys = keys.iter().map(|k| k.as_str().map(str::to_owned));
            keys.collect::<Option<Vec<_>>>().map(Write::Remove)
        })
        .await
    }

    /// Checks the signature, reads the body with `parse`, then writes.
    async fn serve(
        &self,
        request: &ServerRequest<'_>,
        parse: impl FnOnce(&Value) -> Option<Write>,
    ) -> ServerReply {
        let platform = request.platform;
        if let Err(fault) = self.check_signature(request).await {
            return fault;
        }
        let parsed = serde_json::from_slice::<Value>(request.body).ok();
        let Some(write) = parsed.as_ref().and_then(parse) else {
            return ServerReply::failed(platform, ServerFault::Body);
        };
        let caller = Caller::new(platform, request.game).logged_in(request.openid);
        let done = match &write {
            Write::Set(pairs) => self.set_pairs(&caller, pairs).await,
            Write::Remove(keys) => self.remove_keys(&caller, keys).await,
        };
        match done {
            Ok(()) => ServerReply::ok(platform),
            Err(e) => ServerReply::failed(platform, ServerFault::Store(&e)),
        }
    }
}

impl<B: Backend> CloudKv<B> {
    /// The signature checks every server request passes first: `sig_method`, then the player's
    /// session and the signature. The reply to give when one fails.
    pub(crate) async fn check_signature(
        &self,
        request: &ServerRequest<'_>,
    ) -> std::result::Result<(), ServerReply> {
        let platform = request.platform;
        if request.sig_method != "hmac_sha256" {
            return Err(ServerReply::failed(platform, ServerFault::SigMethod));
        }
        match self.sessions().verify(request).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ServerReply::failed(platform, ServerFault::Signature)),
            Err(e) => Err(ServerReply::failed(platform, ServerFault::Store(&e))),
        }
    }
}

/// What a server request asks for.
enum Write {
    Set(Vec<KvData>),
    Remove(Vec<String>),
}
