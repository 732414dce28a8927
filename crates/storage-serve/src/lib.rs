//! # storage-serve
//!
//! The platforms' server APIs of game cloud data as a local HTTP service, so that a game's
//! server (or its tests) can write and remove players' pairs as it would on the platform, and
//! the game's client reads them: WeChat's `POST /wxa/set_user_storage`,
//! `/wxa/remove_user_storage` and `/wxa/setuserinteractivedata` (`storage.setUserInteractiveData`,
//! the player's interactive values), and Douyin's `POST /mgplatform/api/apps/set_user_storage` and
//! `remove_user_storage` (also under the older `/api/apps/…`), each with the platform's query
//! (`access_token`, `openid`, `signature`, `sig_method`), body and answer. The rules, the
//! signature and the error codes are [`cloud_kv`]'s ([`cloud_kv::CloudKv::set_user_storage`]);
//! this crate adds HTTP and the host's registrations.
//!
//! **Registrations.** The platform knows each game by its access token and each player's
//! session key; here the host tells the server, through two admin requests that carry the
//! admin token ([`GameServer::admin_token`]) as `Authorization: Bearer <token>`:
//! `POST /mpstore/apps {"platform":"wx","game":"…","access_token":"…"}` and
//! `POST /mpstore/sessions {"platform":"wx","game":"…","openid":"…","session_key":"…"}`
//! (or [`GameServer::register_app`] / [`GameServer::register_session`] in process). A third,
//! `POST /mpstore/pairs {"platform":"tt","game":"…","openid":"…"}`, answers
//! `{"KVDataList":[…]}`: every pair the player holds, in insertion order, as the client would
//! read them (a test harness checking what the server wrote; the platforms have no such read).
//!
//! **Answers.** Every platform request is answered `200` with the platform's JSON (its `errcode`
//! says what failed), as the platforms do: an unknown access token is WeChat's `40001` and
//! Douyin's `40014`; a body over [`MAX_BODY_BYTES`] is a body error. Admin requests answer
//! `{"ok":true}`, or `401` / `400` with `{"error":"…"}`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use storage_core::MemoryBackend;
//! # async fn run() -> std::io::Result<()> {
//! let server = Arc::new(storage_serve::GameServer::new(Arc::new(MemoryBackend::new())));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("admin token {}", server.admin_token());
//! storage_serve::serve(listener, server, std::future::pending()).await
//! # }
//! ```

#![warn(missing_docs)]

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use cloud_kv::{CloudKv, Platform, ServerReply, ServerRequest};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use storage_core::server_codes::ServerFault;
use storage_core::Backend;
use subtle::ConstantTimeEq;

/// The largest request body read (a full player's 128 pairs of 1024 bytes take 140 KB as JSON;
/// a larger body is answered as a body error in the platform's shape).
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// The state of one service: the cloud data, the registered games and sessions, and the admin
/// token.
pub struct GameServer {
    cloud: CloudKv<Arc<dyn Backend>>,
    /// The game each platform's access tokens name.
    apps: RwLock<HashMap<(Platform, String), String>>,
    admin_token: String,
}

impl GameServer {
    /// A service over `backend` (whose cloud data a client reads through the same backend), with
    /// a fresh random admin token.
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        let mut bytes = [0u8; 16];
        // No entropy means no safe token: refusing every admin request is the safe failure.
        let token = match getrandom::fill(&mut bytes) {
            Ok(()) => base16ct::lower::encode_string(&bytes),
            Err(_) => String::new(),
        };
        Self::with_admin_token(backend, token)
    }

    /// [`new`](Self::new) with the host's own admin token (an empty one refuses every admin
    /// request).
    pub fn with_admin_token(backend: Arc<dyn Backend>, admin_token: impl Into<String>) -> Self {
        GameServer {
            cloud: CloudKv::new(backend),
            apps: RwLock::default(),
            admin_token: admin_token.into(),
        }
    }

    /// The token admin requests must carry.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The cloud data served (to configure leaderboard keys, or read what was written).
    pub fn cloud(&self) -> &CloudKv<Arc<dyn Backend>> {
        &self.cloud
    }

    /// Makes `access_token` name `game` on `platform`.
    pub fn register_app(&self, platform: Platform, game: &str, access_token: &str) {
        let mut apps = self.apps.write().unwrap_or_else(|e| e.into_inner());
        apps.insert((platform, access_token.to_owned()), game.to_owned());
    }

    /// Records `openid`'s session key in `game`, in the store (see [`cloud_kv::Sessions`]): a
    /// client over the same store seals its open data with it.
    pub async fn register_session(
        &self,
        platform: Platform,
        game: &str,
        openid: &str,
        key: &str,
    ) -> storage_core::Result<()> {
        self.cloud
            .sessions()
            .register(platform, game, openid, key)
            .await
    }

    /// The game `access_token` names on `platform`.
    fn game_of(&self, platform: Platform, access_token: &str) -> Option<String> {
        let apps = self.apps.read().unwrap_or_else(|e| e.into_inner());
        apps.get(&(platform, access_token.to_owned())).cloned()
    }

    fn is_admin(&self, headers: &HeaderMap) -> bool {
        let given = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(token) if !self.admin_token.is_empty() => {
                bool::from(token.as_bytes().ct_eq(self.admin_token.as_bytes()))
            }
            _ => false,
        }
    }
}

/// The platforms' paths: which platform's API each one is.
const ROUTES: [(&str, Platform, Api); 7] = [
    ("/wxa/set_user_storage", Platform::Wx, Api::Set),
    (
        "/wxa/setuserinteractivedata",
        Platform::Wx,
        Api::SetInteractive,
    ),
    ("/wxa/remove_user_storage", Platform::Wx, Api::Remove),
    (
        "/mgplatform/api/apps/set_user_storage",
        Platform::Tt,
        Api::Set,
    ),
    (
        "/mgplatform/api/apps/remove_user_storage",
        Platform::Tt,
        Api::Remove,
    ),
    ("/api/apps/set_user_storage", Platform::Tt, Api::Set),
    ("/api/apps/remove_user_storage", Platform::Tt, Api::Remove),
];

/// The routes of the service.
pub fn router(server: Arc<GameServer>) -> Router {
    let platforms = ROUTES
        .iter()
        .fold(Router::new(), |router, &(path, platform, api)| {
            router.route(
                path,
                post(
                    move |state: State<Arc<GameServer>>,
                          query: Query<HashMap<String, String>>,
                          body| { handle(state, query, body, platform, api) },
                ),
            )
        });
    platforms
        .route("/mpstore/apps", post(register_app))
        .route("/mpstore/sessions", post(register_session))
        .route("/mpstore/pairs", post(player_pairs))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(server)
}

/// Serves `server` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    server: Arc<GameServer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(server))
        .with_graceful_shutdown(shutdown)
        .await
}

#[derive(Clone, Copy)]
enum Api {
    Set,
    Remove,
    SetInteractive,
}

async fn handle(
    State(server): State<Arc<GameServer>>,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Body,
    platform: Platform,
    api: Api,
) -> Json<Value> {
    let body = read_body(body).await;
    let reply = answer(&server, &query, body, platform, api)
        .await
        .unwrap_or_else(|fault| ServerReply::failed(platform, fault));
    Json(reply.to_json(platform))
}

/// The most bytes of a request body read before the connection is given up.
const DRAIN_MAX_BYTES: usize = 64 << 20;

/// A request's body, or `None` if it is over [`MAX_BODY_BYTES`] (or cannot be read). An
/// oversized body is still read to its end, up to [`DRAIN_MAX_BYTES`]: a reply sent while the
/// client is still sending would be lost with the connection, and the client must see the
/// platform's body error.
async fn read_body(body: axum::body::Body) -> Option<Bytes> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        total = total.saturating_add(chunk.len());
        if total > DRAIN_MAX_BYTES {
            return None;
        }
        if total <= MAX_BODY_BYTES {
            kept.extend_from_slice(&chunk);
        }
    }
    (total <= MAX_BODY_BYTES).then(|| Bytes::from(kept))
}

/// The reply to one platform request, or the fault found before the call.
async fn answer(
    server: &GameServer,
    query: &HashMap<String, String>,
    body: Option<Bytes>,
    platform: Platform,
    api: Api,
) -> Result<ServerReply, ServerFault<'static>> {
    let param = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    let game = server
        .game_of(platform, param("access_token"))
        .ok_or(ServerFault::AccessToken)?;
    let body = body.ok_or(ServerFault::Body)?;
    let request = ServerRequest {
        platform,
        game: &game,
        openid: param("openid"),
        sig_method: param("sig_method"),
        signature: param("signature"),
        body: &body,
    };
    Ok(match api {
        Api::Set => server.cloud.set_user_storage(&request).await,
        Api::Remove => server.cloud.remove_user_storage(&request).await,
        Api::SetInteractive => server.cloud.set_user_interactive_data(&request).await,
    })
}

/// An admin request's body: the platform, and the rest of the request's fields.
#[derive(Deserialize)]
struct Admin<T> {
    platform: String,
    #[serde(flatten)]
    fields: T,
}

#[derive(Deserialize)]
struct AppRegistration {
    game: String,
    access_token: String,
}

#[derive(Deserialize)]
struct SessionRegistration {
    game: String,
    openid: String,
    session_key: String,
}

async fn register_app(
    State(server): State<Arc<GameServer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    admin(
        &server,
        &headers,
        &body,
        |app: AppRegistration, platform| {
            server.register_app(platform, &app.game, &app.access_token);
        },
    )
}

async fn register_session(
    State(server): State<Arc<GameServer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut asked = None;
    let checked = admin(
        &server,
        &headers,
        &body,
        |s: SessionRegistration, platform| {
            asked = Some((s, platform));
        },
    );
    let Some((s, platform)) = asked else {
        return checked;
    };
    match (server.register_session(platform, &s.game, &s.openid, &s.session_key)).await {
        Ok(()) => checked,
        Err(e) => failure(&e),
    }
}

/// A store failure of an admin request: a backend that may answer later (a failover) is the
/// service's; anything else, the request's (an empty game or openid).
fn failure(e: &storage_core::Error) -> Response {
    let status = match e.is_retryable() {
        true => StatusCode::SERVICE_UNAVAILABLE,
        false => StatusCode::BAD_REQUEST,
    };
    (status, Json(json!({ "error": e.to_string() }))).into_response()
}

#[derive(Deserialize)]
struct PlayerId {
    game: String,
    openid: String,
}

async fn player_pairs(
    State(server): State<Arc<GameServer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut asked = None;
    let checked = admin(&server, &headers, &body, |p: PlayerId, platform| {
        asked = Some((p, platform));
    });
    let Some((player, platform)) = asked else {
        return checked;
    };
    let caller = cloud_kv::Caller::new(platform, player.game)
        .logged_in(player.openid)
        .open_data();
    let read = async {
        let keys = server.cloud.get_user_cloud_storage_keys(&caller).await?;
        server.cloud.get_pairs(&caller, &keys).await
    };
    match read.await {
        Ok(pairs) => {
            let list: Vec<Value> = pairs
                .iter()
                .map(|p| json!({"key": p.key, "value": p.value}))
                .collect();
            Json(json!({ "KVDataList": list })).into_response()
        }
        Err(e) => failure(&e),
    }
}

/// An admin request: the token checked, the body read as `T` with a known `platform`, then
/// `apply`.
fn admin<T: for<'de> Deserialize<'de>>(
    server: &GameServer,
    headers: &HeaderMap,
    body: &[u8],
    apply: impl FnOnce(T, Platform),
) -> Response {
    let refuse = |status, error: &str| (status, Json(json!({ "error": error }))).into_response();
    if !server.is_admin(headers) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "admin requests need `Authorization: Bearer <admin token>`",
        );
    }
    let request: Admin<T> = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &format!("bad body: {e}")),
    };
    let platform = match request.platform.as_str() {
        "wx" => Platform::Wx,
        "tt" => Platform::Tt,
        other => {
            let error = format!("platform {other:?} has no server APIs here: use \"wx\" or \"tt\"");
            return refuse(StatusCode::BAD_REQUEST, &error);
        }
    };
    apply(request.fields, platform);
    Json(json!({"ok": true})).into_response()
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
