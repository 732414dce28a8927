//! Namespaces as JSON, for `host.namespaces` (and `mpstore namespaces`).

use serde_json::{json, Value};
use storage_core::{Namespace, NamespaceUsage, Scope};

/// A namespace as JSON: `{"kind": "local", "user", "app", "scope"}`, `{"kind": "cloud", "game",
/// "openid"}` or `{"kind": "game_host", "game", "subject"}`; a scope is `"app"`, `"webview"` or
/// `{"plugin": "<id>"}`.
///
/// ```
/// use storage_core::{Namespace, Scope};
/// let ns = Namespace::local("u", "a", Scope::Plugin("p".into())).unwrap();
/// assert_eq!(storage_api::dispatch::namespaces::to_json(&ns),
///     serde_json::json!({"kind": "local", "user": "u", "app": "a", "scope": {"plugin": "p"}}));
/// ```
pub fn to_json(ns: &Namespace) -> Value {
    match ns {
        Namespace::Local { user, app, scope } => {
            json!({"kind": "local", "user": user, "app": app, "scope": scope_json(scope)})
        }
        Namespace::Cloud { game, openid } => {
            json!({"kind": "cloud", "game": game, "openid": openid})
        }
        Namespace::GameHost { game, subject } => {
            json!({"kind": "game_host", "game": game, "subject": subject})
        }
    }
}

/// A scope as JSON: `"app"`, `"webview"` or `{"plugin": "<id>"}`.
pub fn scope_json(scope: &Scope) -> Value {
    match scope {
        Scope::App => json!("app"),
        Scope::WebView => json!("webview"),
        Scope::Plugin(id) => json!({ "plugin": id }),
    }
}

/// A listing as JSON, sorted by namespace so it reads the same every time: each item is the
/// namespace's fields plus `bytes` (the sum of its charges) and `entries`.
pub fn listing(mut list: Vec<NamespaceUsage>) -> Value {
    list.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    Value::Array(
        list.iter()
            .map(|n| {
                let mut v = to_json(&n.namespace);
                if let Value::Object(m) = &mut v {
                    m.insert("bytes".into(), n.usage.bytes.into());
                    m.insert("entries".into(), n.usage.entries.into());
                }
                v
            })
            .collect(),
    )
}

/// A namespace from its JSON form ([`to_json`]), as a host names one (a dump, a filter).
///
/// ```
/// use storage_api::dispatch::namespaces::{from_json, to_json};
/// use storage_core::{Namespace, Scope};
/// let ns = Namespace::local("u", "a", Scope::WebView).unwrap();
/// assert_eq!(from_json(&to_json(&ns)).unwrap(), ns);
/// assert!(from_json(&serde_json::json!({"kind": "local", "user": "u"})).is_err());
/// ```
pub fn from_json(v: &Value) -> Result<Namespace, String> {
    let text = |name: &str| match v.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(format!("a namespace needs \"{name}\" as a string")),
    };
    let made = match v.get("kind").and_then(Value::as_str) {
        Some("local") => {
            let scope = match v.get("scope") {
                None => Scope::App,
                Some(Value::String(s)) if s == "app" => Scope::App,
                Some(Value::String(s)) if s == "webview" => Scope::WebView,
                Some(Value::Object(p)) => match p.get("plugin") {
                    Some(Value::String(id)) => Scope::Plugin(id.clone()),
                    _ => {
                        return Err(
                            "\"scope\" must be \"app\", \"webview\" or {\"plugin\": id}".into()
                        )
                    }
                },
                Some(_) => {
                    return Err("\"scope\" must be \"app\", \"webview\" or {\"plugin\": id}".into())
                }
            };
            Namespace::local(text("user")?, text("app")?, scope)
        }
        Some("cloud") => Namespace::cloud(text("game")?, text("openid")?),
        Some("game_host") => Namespace::game_host(text("game")?, text("subject")?),
        _ => return Err("\"kind\" must be \"local\", \"cloud\" or \"game_host\"".into()),
    };
    made.map_err(|e| e.to_string())
}
