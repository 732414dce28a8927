//! Parsing one request line: its id, the API it names, the context it runs in, its arguments.

use crate::tagged::{from_tagged, TagError};
use serde_json::{Map, Value};
use storage_api::dispatch::host;
use storage_core::{Dialect, JsValue, Scope};

/// Why a line never reached a facade: the bridge answers it with `"outcome": "error"`.
pub use storage_api::dispatch::Refusal as ProtocolError;

/// Where a call runs: a mini-program's local storage, or a mini-game's cloud data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// `{"user", "app", "scope"}`: local storage of `app` for `user` in `scope`.
    Local {
        /// The host's user id.
        user: String,
        /// The mini-program's app id.
        app: String,
        /// App, web-view or plugin.
        scope: Scope,
        /// `"values": "exact"`: keep values exactly, in place of the platform's JSON round trip.
        exact_values: bool,
    },
    /// `{"game", "openid", "context", "host"}`: a game's cloud data as one caller sees it.
    Game {
        /// The game's app id.
        game: String,
        /// The logged-in player, or `None` when nobody is logged in.
        openid: Option<String>,
        /// Whether the call comes from the open data context (`"open"`) rather than the main one.
        open_data: bool,
        /// Whether the host is a mini-game (`"game"`, the default) rather than a mini-app.
        is_game: bool,
    },
    /// No context: the `host.*` operations on the whole store.
    Host,
}

/// One parsed request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The request's id (a number or a string), echoed in its response.
    pub id: Value,
    /// The API's dialect prefix: `wx`, `my`, `tt`, or `host`.
    pub prefix: String,
    /// The API's method name (`setStorage`, `getStorageSync`…).
    pub method: String,
    /// Where the call runs.
    pub context: Context,
    /// The arguments; `Err` when one holds a lone surrogate (a parameter error of the dialect).
    pub args: Result<Vec<JsValue>, TagError>,
}

impl Request {
    /// The dialect of a `wx.`/`my.`/`tt.`/… API, `None` for `host.` operations.
    pub fn dialect(&self) -> Option<Dialect> {
        self.prefix.parse().ok()
    }
}

/// The id of a request object, if it has a usable one (a number or a string).
pub fn id_of(line: &Value) -> Value {
    match line.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    }
}

/// Parses a request object (already valid JSON).
pub fn parse(line: &Value) -> Result<Request, ProtocolError> {
    let Value::Object(m) = line else {
        return Err(bad_request("a request must be a JSON object"));
    };
    if let Some(k) = m
        .keys()
        .find(|k| !["id", "api", "ctx", "args"].contains(&k.as_str()))
    {
        return Err(bad_request(format!("unknown field {k:?}")));
    }
    let id = match m.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => return Err(bad_request("\"id\" must be a number or a string")),
    };
    let Some(Value::String(api)) = m.get("api") else {
        return Err(bad_request(
            "\"api\" must be a string such as \"wx.setStorage\"",
        ));
    };
    let Some((prefix, method)) = api.split_once('.') else {
        return Err(unknown_api(api));
    };
    if (prefix != "host" && prefix.parse::<Dialect>().is_err())
        || (prefix == "host" && !host::METHODS.contains(&method))
    {
        return Err(unknown_api(api));
    }
    let args = match m.get("args") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => match items.iter().map(from_tagged).collect() {
            Err(TagError::Malformed(why)) => return Err(ProtocolError::new("bad_value", why)),
            other => other,
        },
        Some(_) => return Err(bad_request("\"args\" must be an array")),
    };
    let context = if prefix == "host" {
        match m.get("ctx") {
            None | Some(Value::Null) => Context::Host,
            Some(_) => return Err(bad_context("host operations take no \"ctx\"")),
        }
    } else {
        match m.get("ctx") {
            Some(Value::Object(ctx)) => context(ctx)?,
            _ => return Err(bad_context("\"ctx\" must be an object")),
        }
    };
    Ok(Request {
        id,
        prefix: prefix.to_owned(),
        method: method.to_owned(),
        context,
        args,
    })
}

fn context(ctx: &Map<String, Value>) -> Result<Context, ProtocolError> {
    let text = |name: &str| -> Result<String, ProtocolError> {
        match ctx.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(bad_context(format!("\"ctx.{name}\" must be a string"))),
        }
    };
    let only = |fields: &[&str]| match ctx.keys().find(|k| !fields.contains(&k.as_str())) {
        Some(k) => Err(bad_context(format!("unknown field \"ctx.{k}\""))),
        None => Ok(()),
    };
    if ctx.contains_key("game") {
        only(&["game", "openid", "context", "host"])?;
        let openid = match ctx.get("openid") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad_context("\"ctx.openid\" must be a string or null")),
        };
        let open_data = match ctx.get("context").and_then(Value::as_str) {
            None if !ctx.contains_key("context") => false,
            Some("main") => false,
            Some("open") => true,
            _ => return Err(bad_context("\"ctx.context\" must be \"main\" or \"open\"")),
        };
        let is_game = match ctx.get("host").and_then(Value::as_str) {
            None if !ctx.contains_key("host") => true,
            Some("game") => true,
            Some("app") => false,
            _ => return Err(bad_context("\"ctx.host\" must be \"game\" or \"app\"")),
        };
        Ok(Context::Game {
            game: text("game")?,
            openid,
            open_data,
            is_game,
        })
    } else {
        only(&["user", "app", "scope", "values"])?;
        let scope = match ctx.get("scope") {
            None => Scope::App,
            Some(Value::String(s)) if s == "app" => Scope::App,
            Some(Value::String(s)) if s == "webview" => Scope::WebView,
            Some(Value::Object(p)) if p.len() == 1 => match p.get("plugin") {
                Some(Value::String(id)) => Scope::Plugin(id.clone()),
                _ => return Err(bad_scope()),
            },
            Some(_) => return Err(bad_scope()),
        };
        let exact_values = match ctx.get("values").and_then(Value::as_str) {
            None if !ctx.contains_key("values") => false,
            Some("device") => false,
            Some("exact") => true,
            _ => {
                return Err(bad_context(
                    "\"ctx.values\" must be \"device\" or \"exact\"",
                ))
            }
        };
        Ok(Context::Local {
            user: text("user")?,
            app: text("app")?,
            scope,
            exact_values,
        })
    }
}

fn bad_request(message: impl Into<String>) -> ProtocolError {
    ProtocolError::new("bad_request", message)
}

fn bad_context(message: impl Into<String>) -> ProtocolError {
    ProtocolError::new("bad_context", message)
}

fn bad_scope() -> ProtocolError {
    bad_context("\"ctx.scope\" must be \"app\", \"webview\" or {\"plugin\": \"<id>\"}")
}

/// The error for an API name the bridge does not serve.
pub fn unknown_api(api: &str) -> ProtocolError {
    ProtocolError::unknown_api(api)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(line: Value) -> Request {
        parse(&line).unwrap_or_else(|e| panic!("{line}: {e:?}"))
    }

    fn fails(line: Value, kind: &str) {
        match parse(&line) {
            Err(e) => assert_eq!(e.kind, kind, "{line}: {}", e.message),
            Ok(r) => panic!("{line} parsed as {r:?}"),
        }
    }

    fn local(user: &str, app: &str, scope: Scope) -> Context {
        Context::Local {
            user: user.into(),
            app: app.into(),
            scope,
            exact_values: false,
        }
    }

    #[test]
    fn requests_parse() {
        let r = ok(
            json!({"id": 1, "api": "my.setStorage", "ctx": {"user": "u", "app": "a"}, "args": [{"key": "k"}]}),
        );
        assert_eq!((r.prefix.as_str(), r.method.as_str()), ("my", "setStorage"));
        assert_eq!(r.dialect(), Some(Dialect::My));
        assert_eq!(r.context, local("u", "a", Scope::App));
        let r = ok(
            json!({"id": "x", "api": "wx.clearStorageSync", "ctx": {"user": "u", "app": "a", "scope": "webview"}}),
        );
        assert_eq!(r.context, local("u", "a", Scope::WebView));
        assert_eq!(r.args, Ok(vec![]));
        let r = ok(
            json!({"id": 2, "api": "tt.getStorageSync", "ctx": {"user": "u", "app": "a", "scope": {"plugin": "p"}}, "args": ["k"]}),
        );
        assert_eq!(r.context, local("u", "a", Scope::Plugin("p".into())));
        let r = ok(
            json!({"id": 2, "api": "wx.getStorageSync", "ctx": {"user": "u", "app": "a", "values": "exact"}, "args": ["k"]}),
        );
        let exact = Context::Local {
            user: "u".into(),
            app: "a".into(),
            scope: Scope::App,
            exact_values: true,
        };
        assert_eq!(r.context, exact);
        let r = ok(
            json!({"id": 2, "api": "wx.getStorageSync", "ctx": {"user": "u", "app": "a", "values": "device"}, "args": ["k"]}),
        );
        assert_eq!(r.context, local("u", "a", Scope::App));
        let r = ok(
            json!({"id": 3, "api": "tt.getUserCloudStorage", "ctx": {"game": "g", "openid": "o", "context": "open"}}),
        );
        assert_eq!(
            r.context,
            Context::Game {
                game: "g".into(),
                openid: Some("o".into()),
                open_data: true,
                is_game: true
            }
        );
        let r = ok(
            json!({"id": 4, "api": "tt.setUserCloudStorage", "ctx": {"game": "g", "openid": null, "host": "app"}}),
        );
        assert_eq!(
            r.context,
            Context::Game {
                game: "g".into(),
                openid: None,
                open_data: false,
                is_game: false
            }
        );
        assert_eq!(
            ok(json!({"id": 5, "api": "host.namespaces"})).context,
            Context::Host
        );
        let r = ok(
            json!({"id": 6, "api": "wx.setStorageSync", "ctx": {"user": "u", "app": "a"}, "args": [{"$js": "string", "utf16": [55296]}]}),
        );
        assert_eq!(r.args, Err(TagError::LoneSurrogate));
    }

    #[test]
    fn malformed_requests_are_refused() {
        fails(json!([1]), "bad_request");
        fails(json!({"api": "wx.setStorage", "ctx": {}}), "bad_request");
        fails(json!({"id": {}, "api": "wx.setStorage"}), "bad_request");
        fails(json!({"id": 1, "api": 7}), "bad_request");
        fails(
            json!({"id": 1, "api": "wx.x", "ctx": {"user": "u", "app": "a"}, "args": {}}),
            "bad_request",
        );
        fails(json!({"id": 1, "api": "wx.x", "extra": 1}), "bad_request");
        fails(json!({"id": 1, "api": "setStorage"}), "unknown_api");
        fails(json!({"id": 1, "api": "xx.setStorage"}), "unknown_api");
        fails(json!({"id": 1, "api": "wx.setStorage"}), "bad_context");
        fails(
            json!({"id": 1, "api": "wx.setStorage", "ctx": {"user": 1, "app": "a"}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "wx.setStorage", "ctx": {"user": "u", "app": "a", "scope": "page"}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "wx.setStorage", "ctx": {"user": "u", "app": "a", "scope": {"plugin": 1}}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "wx.setStorage", "ctx": {"user": "u", "app": "a", "who": 1}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "wx.setStorage", "ctx": {"user": "u", "app": "a", "values": "json"}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "tt.getUserCloudStorage", "ctx": {"game": "g", "context": "side"}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "tt.getUserCloudStorage", "ctx": {"game": "g", "openid": 5}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "host.namespaces", "ctx": {"user": "u"}}),
            "bad_context",
        );
        fails(
            json!({"id": 1, "api": "wx.setStorage", "ctx": {"user": "u", "app": "a"}, "args": [{"$js": "what"}]}),
            "bad_value",
        );
    }

    #[test]
    fn ids_are_echoed_when_usable() {
        assert_eq!(id_of(&json!({"id": 7})), json!(7));
        assert_eq!(id_of(&json!({"id": "a"})), json!("a"));
        assert_eq!(id_of(&json!({"id": [7]})), Value::Null);
        assert_eq!(id_of(&json!([1])), Value::Null);
    }
}
