//! What the page shows of the store: the namespaces with their usage against a dialect's quota,
//! and one namespace's entries, a page at a time.
//!
//! A page lists the namespace's keys (in insertion order) and reads only the entries it shows,
//! so its cost grows with the page, not with the namespace; a search or a type filter has to
//! read every entry.

use crate::api::{Refused, State};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use storage_api::dispatch::namespaces::to_json;
use storage_core::value::tagged::to_tagged;
use storage_core::{
    block_on, CloudPolicy, Dialect, Entry, JsValue, Namespace, Policy, Size, Store, Unit,
};

/// The most entries one page holds.
pub const MAX_PAGE: usize = 500;

/// A page's request: which namespace, from where, how many, and what to match.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// The namespace's JSON text (`docs/dump.md`).
    pub ns: String,
    /// Whose sizes: a dialect's name.
    pub dialect: Option<String>,
    /// The first entry (of those matched) to return.
    #[serde(default)]
    pub offset: usize,
    /// How many, at most [`MAX_PAGE`].
    pub limit: Option<usize>,
    /// Text the key or the value's JSON must contain (case-insensitive).
    pub q: Option<String>,
    /// A type name the value must have (`String`, `Date`… as [`storage_core::JsType`] names).
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// The unit's name, for the page.
fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Utf16 => "UTF-16 units",
        Unit::Utf8 => "bytes",
    }
}

/// Every namespace with its usage: mini-programs' local storage against `dialect`'s quota, and
/// each game's players against the cloud rules.
pub(crate) fn overview(state: &State, dialect: Dialect) -> Result<Value, Refused> {
    let policy = dialect.policy();
    let mut listed = block_on(state.store.namespaces())?;
    listed.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    let mut local = Vec::new();
    let mut games: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for n in &listed {
        match &n.namespace {
            Namespace::Local { .. } => local.push(json!({
                "ns": to_json(&n.namespace),
                "bytes": n.usage.bytes,
                "entries": n.usage.entries,
                "quota": policy.quota,
            })),
            Namespace::Cloud { game, openid } => {
                games.entry(game.clone()).or_default().push(json!({
                    "ns": to_json(&n.namespace),
                    "openid": openid,
                    "bytes": n.usage.bytes,
                    "entries": n.usage.entries,
                    "quota": CloudPolicy::DEFAULT.max_pairs,
                }))
            }
            Namespace::GameHost { game, .. } => {
                games.entry(game.clone()).or_default();
            }
        }
    }
    let games = games
        .into_iter()
        .map(|(game, players)| json!({"game": game, "players": players}))
        .collect::<Vec<_>>();
    Ok(json!({
        "dialect": dialect.name(),
        "dialects": Dialect::ALL.iter().map(|d| d.name()).collect::<Vec<_>>(),
        "cloudDialects": ["wx", "tt"],
        "unit": unit_name(policy.unit),
        "quota": policy.quota,
        "entryLimit": policy.entry_limit,
        "changes": state.store.changes(),
        "local": local,
        "games": games,
    }))
}

/// One page of a namespace's entries, each with its type and its size in `dialect`'s unit.
pub(crate) fn page(
    state: &State,
    ns: &Namespace,
    dialect: Dialect,
    q: &PageQuery,
) -> Result<Value, Refused> {
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let search =
        q.q.as_deref()
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
    let kind = q.kind.as_deref().filter(|s| !s.is_empty());
    let (total, matched, entries) = match ns {
        Namespace::Local { .. } => {
            let store = Store::new(state.store.backend());
            let keys = local_keys(&store, ns)?;
            let total = keys.len();
            if search.is_none() && kind.is_none() {
                let mut shown = Vec::new();
                for key in keys.iter().skip(q.offset).take(limit) {
                    // A key removed since the listing is simply not shown.
                    if let Some(e) = block_on(store.entry(ns, key))? {
                        shown.push(e);
                    }
                }
                (total, total, shown)
            } else {
                let all = block_on(store.entries(ns))?;
                let hits: Vec<Entry> = all
                    .into_iter()
                    .filter(|e| kind.is_none_or(|k| e.value.js_type().name() == k))
                    .filter(|e| search.as_deref().is_none_or(|s| matches(e, s)))
                    .collect();
                let matched = hits.len();
                let shown = hits.into_iter().skip(q.offset).take(limit).collect();
                (total, matched, shown)
            }
        }
        Namespace::Cloud { game, openid } => {
            let pairs = block_on(state.cloud.engine().player_pairs(game, openid))?;
            let total = pairs.len();
            let hits: Vec<Entry> = pairs
                .into_iter()
                .map(|p| Entry {
                    key: p.key,
                    value: JsValue::from(p.value),
                    encrypt: false,
                })
                .filter(|_| kind.is_none_or(|k| k == "String"))
                .filter(|e| search.as_deref().is_none_or(|s| matches(e, s)))
                .collect();
            let matched = hits.len();
            (
                total,
                matched,
                hits.into_iter().skip(q.offset).take(limit).collect(),
            )
        }
        Namespace::GameHost { .. } => {
            return Err(Refused::bad("a game's host records are not shown"))
        }
    };
    let (unit, rows): (&str, Vec<Value>) = match ns {
        Namespace::Cloud { .. } => ("bytes", entries.iter().map(cloud_row).collect()),
        _ => {
            let policy = dialect.policy();
            (
                unit_name(policy.unit),
                entries.iter().map(|e| local_row(policy, e)).collect(),
            )
        }
    };
    Ok(json!({
        "ns": to_json(ns),
        "dialect": dialect.name(),
        "unit": unit,
        "total": total,
        "matched": matched,
        "offset": q.offset,
        "limit": limit,
        "entries": rows,
    }))
}

/// The keys of a local namespace in insertion order.
fn local_keys(
    store: &Store<std::sync::Arc<dyn storage_core::Backend>>,
    ns: &Namespace,
) -> Result<Vec<String>, Refused> {
    let listing = block_on(store.backend().list(&ns.encode()))?;
    Ok(listing
        .keys
        .into_iter()
        .map(|k| String::from_utf8_lossy(&k).into_owned())
        .collect())
}

/// Whether the key or the value's JSON text holds `needle` (already lower case).
fn matches(e: &Entry, needle: &str) -> bool {
    if e.key.to_lowercase().contains(needle) {
        return true;
    }
    let text = match &e.value {
        JsValue::String(s) => s.as_str().to_lowercase(),
        v => to_tagged(v).to_string().to_lowercase(),
    };
    text.contains(needle)
}

/// A local entry: key, tagged value, type, and its size as `policy` measures an entry (key and
/// serialized value, in the dialect's unit).
fn local_row(policy: &Policy, e: &Entry) -> Value {
    let size = policy.unit.of(Size::of_str(&e.key)) + policy.unit.of(e.value.serialized_size());
    let mut row = json!({
        "key": e.key,
        "type": e.value.js_type().name(),
        "value": to_tagged(&e.value),
        "size": size,
    });
    if e.encrypt {
        row["encrypt"] = true.into();
    }
    row
}

/// A cloud pair: key, value (a String), and its size as the cloud rules measure a pair (UTF-8
/// bytes of key and value).
fn cloud_row(e: &Entry) -> Value {
    let size = Size::of_str(&e.key).utf8
        + match &e.value {
            JsValue::String(s) => Size::of_str(s).utf8,
            _ => 0,
        };
    json!({
        "key": e.key,
        "type": "String",
        "value": to_tagged(&e.value),
        "size": size,
    })
}
