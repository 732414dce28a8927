//! The `host.*` operations over the bridge: what a host (not a mini-program) does to the store.

use super::outcome::Outcome;
use super::request::{unknown_api, Args, ProtocolError};
use crate::namespaces;
use serde_json::json;
use storage_api::Mpstore;
use storage_core::{block_on, JsValue};

/// Runs `host.<method>(args)`. Success is `"return"` with the operation's result; a failure is
/// a `host_error` (these are not mini-program APIs, so they have no platform shape).
pub fn call(store: &Mpstore, method: &str, args: Vec<JsValue>) -> Result<Outcome, ProtocolError> {
    let args = Args(args);
    let text = |i: usize, name: &str| match args.get(i) {
        JsValue::String(s) => Ok(s),
        _ => Err(ProtocolError::new(
            "bad_request",
            format!("host.{method}: argument {i} ({name}) must be a string"),
        )),
    };
    let failed = |e: storage_core::Error| ProtocolError::new("host_error", e.to_string());
    match method {
        "namespaces" => {
            let list = block_on(store.namespaces()).map_err(failed)?;
            Ok(Outcome::Return(namespaces::listing(list)))
        }
        "removeApp" => {
            let (user, app) = (text(0, "user")?, text(1, "app")?);
            let n = block_on(store.remove_app(&user, &app)).map_err(failed)?;
            Ok(Outcome::Return(json!({ "removed": n })))
        }
        "removeUser" => {
            let user = text(0, "user")?;
            let n = block_on(store.remove_user(&user)).map_err(failed)?;
            Ok(Outcome::Return(json!({ "removed": n })))
        }
        _ => Err(unknown_api(&format!("host.{method}"))),
    }
}
