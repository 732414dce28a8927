//! The page: plain HTML, JavaScript and CSS compiled into the binary, no build step.

use crate::safety::Token;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use storage_core::Dialect;

const INDEX: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/app.css");

/// The page, with the token in its assets' addresses (the browser fetches them without a
/// header) and the starting dialect. Both are this crate's own text: hexadecimal digits and a
/// dialect's name, nothing a request supplied.
pub(crate) fn index(token: &Token, dialect: Dialect) -> String {
    INDEX
        .replace("{{TOKEN}}", token.as_str())
        .replace("{{DIALECT}}", dialect.name())
}

pub(crate) fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

pub(crate) fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}
