//! The routes: the page and its assets, and the JSON API the page calls. Reads go to the store's
//! host-level reads ([`crate::view`], [`crate::cloud`]); every edit is one call of
//! [`storage_api::dispatch`], so it keeps the dialect's limits and answers its shapes.

use crate::{assets, cloud, live, safety, view};
use axum::extract::{DefaultBodyLimit, Query, State as With};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use storage_api::cloud::Cloud;
use storage_api::dispatch::{self, namespaces, Api, Args, LoneSurrogate};
use storage_api::Mpstore;
use storage_core::value::tagged::{from_tagged, TagError};
use storage_core::{Dialect, JsValue, Namespace};

/// What every handler shares.
pub struct State {
    pub(crate) store: Mpstore,
    pub(crate) cloud: Cloud,
    pub(crate) token: safety::Token,
    /// The `Host` values a request may name: this server by address and by `localhost`.
    pub(crate) hosts: [String; 2],
    pub(crate) dialect: Dialect,
    /// The page, with the token written into its script's address.
    index: String,
}

impl State {
    pub(crate) fn new(store: Mpstore, token: safety::Token, port: u16, dialect: Dialect) -> Self {
        State {
            cloud: store.cloud(),
            store,
            index: assets::index(&token, dialect),
            token,
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            dialect,
        }
    }
}

/// The largest request body a call takes: an entry's value as tagged JSON, with room for
/// escapes (axum's default would refuse a value near WeChat's per-entry limit).
const MAX_CALL_BYTES: usize = 64 << 20;
/// The largest dump an import takes: a whole store, not one value.
const MAX_IMPORT_BYTES: usize = 1 << 30;

/// Every route, each behind [`safety::guard`].
pub(crate) fn routes(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(|| async { assets::script() }))
        .route("/app.css", get(|| async { assets::style() }))
        .route("/api/namespaces", get(list_namespaces))
        .route("/api/entries", get(entries))
        .route("/api/leaderboard", get(leaderboard))
        .route(
            "/api/call",
            post(call).layer(DefaultBodyLimit::max(MAX_CALL_BYTES)),
        )
        .route("/api/export", get(export))
        .route(
            "/api/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/api/events", get(live::events))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            safety::guard,
        ))
        .with_state(state)
}

/// A refusal of the inspector's own (not a platform's): a status and a message, as JSON.
pub(crate) struct Refused(pub StatusCode, pub String);

impl Refused {
    pub(crate) fn bad(message: impl std::fmt::Display) -> Self {
        Refused(StatusCode::BAD_REQUEST, message.to_string())
    }
}

impl From<storage_core::Error> for Refused {
    fn from(e: storage_core::Error) -> Self {
        Refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// Runs storage work that may block (the dispatch's Sync machinery, sled) off the runtime's
/// threads, so the event streams keep flowing meanwhile.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refused> + Send + 'static,
) -> Result<T, Refused> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Refused(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

/// A dialect by name, or the one the inspector started with.
pub(crate) fn dialect_of(state: &State, name: Option<&str>) -> Result<Dialect, Refused> {
    match name {
        None | Some("") => Ok(state.dialect),
        Some(n) => n.parse().map_err(Refused::bad),
    }
}

/// A namespace named by its JSON text (`docs/dump.md`'s form).
pub(crate) fn namespace_of(text: &str) -> Result<Namespace, Refused> {
    let json: Value = serde_json::from_str(text).map_err(Refused::bad)?;
    namespaces::from_json(&json).map_err(Refused::bad)
}

async fn index(With(state): With<Arc<State>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        state.index.clone(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct DialectQuery {
    dialect: Option<String>,
}

async fn list_namespaces(
    With(state): With<Arc<State>>,
    Query(q): Query<DialectQuery>,
) -> Result<Json<Value>, Refused> {
    let dialect = dialect_of(&state, q.dialect.as_deref())?;
    let state = state.clone();
    blocking(move || view::overview(&state, dialect))
        .await
        .map(Json)
}

async fn entries(
    With(state): With<Arc<State>>,
    Query(q): Query<view::PageQuery>,
) -> Result<Json<Value>, Refused> {
    let dialect = dialect_of(&state, q.dialect.as_deref())?;
    let ns = namespace_of(&q.ns)?;
    let state = state.clone();
    blocking(move || view::page(&state, &ns, dialect, &q))
        .await
        .map(Json)
}

#[derive(Deserialize)]
struct LeaderboardQuery {
    game: String,
    dialect: Option<String>,
    #[serde(rename = "sortKey")]
    sort_key: Option<String>,
}

async fn leaderboard(
    With(state): With<Arc<State>>,
    Query(q): Query<LeaderboardQuery>,
) -> Result<Json<Value>, Refused> {
    let dialect = dialect_of(&state, q.dialect.as_deref())?;
    let state = state.clone();
    blocking(move || cloud::leaderboard(&state, &q.game, dialect, q.sort_key.as_deref()))
        .await
        .map(Json)
}

/// One API call, as a mini-program would make it.
#[derive(Deserialize)]
struct CallRequest {
    /// The namespace, as in a dump: a mini-program's (local APIs) or a player's (cloud APIs).
    ns: Value,
    dialect: Option<String>,
    /// The API's JavaScript name (`setStorage`, `removeUserCloudStorage`…).
    api: String,
    /// Its arguments, as tagged JSON.
    #[serde(default)]
    args: Vec<Value>,
}

async fn call(
    With(state): With<Arc<State>>,
    Json(request): Json<CallRequest>,
) -> Result<Json<Value>, Refused> {
    let dialect = dialect_of(&state, request.dialect.as_deref())?;
    let ns = namespaces::from_json(&request.ns).map_err(Refused::bad)?;
    let api = Api::find(dialect, &request.api).ok_or_else(|| {
        Refused::bad(dispatch::Refusal::unknown_api(&format!(
            "{}.{}",
            dialect.name(),
            request.api
        )))
    })?;
    let args = match request
        .args
        .iter()
        .map(from_tagged)
        .collect::<Result<Vec<JsValue>, _>>()
    {
        Ok(values) => Ok(Args(values)),
        Err(TagError::LoneSurrogate) => Err(LoneSurrogate),
        Err(e) => return Err(Refused::bad(e)),
    };
    let state = state.clone();
    blocking(move || {
        let outcome = match &ns {
            Namespace::Local { user, app, scope } => {
                let mp = state
                    .store
                    .mini_program(user.as_str(), app.as_str(), scope.clone())
                    .map_err(Refused::bad)?;
                dispatch::local::call(&mp, api, args)
            }
            Namespace::Cloud { game, openid } => {
                // The player's own main context: the one that may write its data.
                let ctx =
                    dispatch::cloud::game_context(game.clone(), Some(openid.clone()), false, true);
                dispatch::cloud::call(&state.cloud.mini_game(ctx), api, args)
            }
            Namespace::GameHost { .. } => {
                return Err(Refused::bad("a game's host records take no API calls"))
            }
        }
        .map_err(Refused::bad)?;
        if api.writes() && !outcome.is_failure() {
            // A store opened buffered (the Node package's) keeps an edit like an acknowledged
            // write of the program's; a durable one has nothing to do.
            state.store.flush()?;
        }
        Ok(json!({
            "ending": outcome.ending().name(),
            "failed": outcome.is_failure(),
            "result": outcome.tagged(),
        }))
    })
    .await
    .map(Json)
}

#[derive(Deserialize)]
struct ExportQuery {
    ns: Option<String>,
}

async fn export(
    With(state): With<Arc<State>>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Refused> {
    let only = q.ns.as_deref().map(namespace_of).transpose()?;
    let store = state.store.clone();
    let dump = blocking(move || Ok(storage_core::block_on(store.dump(only.as_ref()))?)).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"mpstore-dump.json\"",
        )],
        Json(dump),
    )
        .into_response())
}

async fn import(
    With(state): With<Arc<State>>,
    Query(q): Query<DialectQuery>,
    Json(dump): Json<Value>,
) -> Result<Json<Value>, Refused> {
    let dialect = dialect_of(&state, q.dialect.as_deref())?;
    let store = state.store.clone();
    blocking(move || {
        let n = storage_core::block_on(store.import(&dump, dialect)).map_err(Refused::bad)?;
        store.flush()?;
        Ok(json!({ "namespaces": n }))
    })
    .await
    .map(Json)
}
