//! One request into the inspector's router, without a socket: what the tests ask and read.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use serde_json::Value;
use std::sync::OnceLock;
use storage_api::Mpstore;
use storage_core::Dialect;
use storage_inspect::Token;
use tower::ServiceExt;

/// The port the routers under test believe they serve.
pub const PORT: u16 = 4321;

/// The token of every router under test.
pub fn token() -> Token {
    static TOKEN: OnceLock<Token> = OnceLock::new();
    TOKEN.get_or_init(|| Token::random().unwrap()).clone()
}

/// How to ask: which token (none at all with `no_token`), which `Host`, which `Origin`, what body.
#[derive(Clone)]
pub struct Ask {
    token: Option<String>,
    host: String,
    origin: Option<String>,
    body: Option<Value>,
    dialect: Dialect,
}

impl Default for Ask {
    fn default() -> Self {
        Ask {
            token: Some(token().as_str().to_owned()),
            host: format!("127.0.0.1:{PORT}"),
            origin: None,
            body: None,
            dialect: Dialect::Wx,
        }
    }
}

impl Ask {
    pub fn no_token() -> Self {
        Ask {
            token: None,
            ..Ask::default()
        }
    }
    pub fn token(t: &str) -> Self {
        Ask {
            token: Some(t.to_owned()),
            ..Ask::default()
        }
    }
    pub fn host(mut self, host: &str) -> Self {
        self.host = host.to_owned();
        self
    }
    pub fn origin(mut self, origin: &str) -> Self {
        self.origin = Some(origin.to_owned());
        self
    }
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    /// The dialect the inspector starts with.
    pub fn starting(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }
}

/// What came back.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `method path` on an inspector of `store`, answered whole (not for the endless event stream
/// with a token: its body never ends).
pub fn ask(store: &Mpstore, method: &str, path: &str, how: Ask) -> Answer {
    let app = storage_inspect::router(store.clone(), &token(), PORT, how.dialect);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", &how.host);
    if let Some(t) = &how.token {
        request = request.header("x-mpstore-token", t);
    }
    if let Some(o) = &how.origin {
        request = request.header("origin", o);
    }
    let body = match &how.body {
        Some(v) => {
            request = request.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let response = app.oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let streaming = headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let body = if streaming {
            Vec::new()
        } else {
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec()
        };
        Answer {
            status,
            headers,
            body,
        }
    })
}

/// A GET of the JSON API that must succeed.
pub fn get(store: &Mpstore, path: &str) -> Value {
    let got = ask(store, "GET", path, Ask::default());
    assert_eq!(got.status, 200, "{path}: {}", got.text());
    got.json()
}

/// A POST of the JSON API that must succeed.
pub fn post(store: &Mpstore, path: &str, body: Value) -> Value {
    let got = ask(store, "POST", path, Ask::default().body(body));
    assert_eq!(got.status, 200, "{path}: {}", got.text());
    got.json()
}

/// A namespace's JSON text, as a query parameter.
pub fn ns_param(ns: &Value) -> String {
    let text = ns.to_string();
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
