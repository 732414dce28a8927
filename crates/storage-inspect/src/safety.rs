//! What keeps the inspector to the person who started it: the token every request carries, the
//! `Host` it must name, and the headers every answer has (no CORS, a strict
//! Content-Security-Policy, no caching, no referrer).

use crate::api::State;
use axum::extract::{Request, State as With};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The header a script sends the token in.
pub const TOKEN_HEADER: &str = "x-mpstore-token";

/// The page's policy: scripts, styles and connections only from this server, nothing inline,
/// no frames, no forms posted anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// A random secret: 32 bytes from the operating system, as 64 hexadecimal digits.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A fresh token.
    ///
    /// ```
    /// let a = storage_inspect::Token::random().unwrap();
    /// assert_eq!(a.as_str().len(), 64);
    /// assert_ne!(a.as_str(), storage_inspect::Token::random().unwrap().as_str());
    /// ```
    pub fn random() -> std::io::Result<Token> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Token(base16ct::lower::encode_string(&bytes)))
    }

    /// The token as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this token, compared in constant time.
    pub fn matches(&self, given: &str) -> bool {
        given.len() == self.0.len() && bool::from(given.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

/// The token a request carries: its header, else its `token` query parameter.
fn carried(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(v) = headers.get(TOKEN_HEADER) {
        return v.to_str().ok().map(str::to_owned);
    }
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_owned)
}

/// Refuses a request that names another host or lacks the token, and sets the safety headers
/// on every answer.
pub async fn guard(With(state): With<Arc<State>>, request: Request, next: Next) -> Response {
    let host_ok = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| state.hosts.iter().any(|ours| ours == h));
    let token_ok = carried(request.headers(), request.uri().query())
        .is_some_and(|given| state.token.matches(&given));
    let mut response = if !host_ok {
        (StatusCode::MISDIRECTED_REQUEST, "unknown host\n").into_response()
    } else if !token_ok {
        (
            StatusCode::UNAUTHORIZED,
            "the inspector's token is missing or wrong: open the address it printed\n",
        )
            .into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_itself() {
        let t = Token("ab".repeat(32));
        assert!(t.matches(&"ab".repeat(32)));
        for wrong in [
            "",
            "ab",
            &"ab".repeat(31),
            &"ba".repeat(32),
            &"ab".repeat(33),
        ] {
            assert!(!t.matches(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn the_header_wins_over_the_query() {
        let mut h = HeaderMap::new();
        assert_eq!(carried(&h, Some("a=1&token=q")), Some("q".into()));
        assert_eq!(carried(&h, Some("tokenx=1")), None);
        assert_eq!(carried(&h, None), None);
        h.insert(TOKEN_HEADER, HeaderValue::from_static("h"));
        assert_eq!(carried(&h, Some("token=q")), Some("h".into()));
    }
}
