//! `mpstore bridge`: the storage APIs for JavaScript hosts, as JSON lines on stdin/stdout.
//!
//! Each input line is one request; each gets exactly one response line, in the order the
//! requests came, written only after the facade call returned (so in the default durable mode an
//! acknowledged write survives a crash). A line that is not a valid request (bad JSON, wrong
//! types, an unknown API, a line longer than the cap) gets an `"outcome": "error"` response and
//! the bridge reads on; nothing a client sends makes it panic or stop. The protocol is specified
//! in `docs/bridge.md`.
//!
//! ```
//! use mpstore::bridge::Bridge;
//! use storage_api::Mpstore;
//! let bridge = Bridge::new(Mpstore::in_memory());
//! let input = concat!(
//!     r#"{"id":1,"api":"wx.setStorageSync","ctx":{"user":"u","app":"a"},"args":["k",{"$js":"undefined"}]}"#, "\n",
//!     r#"{"id":2,"api":"wx.getStorage","ctx":{"user":"u","app":"a"},"args":[{"key":"k"}]}"#, "\n",
//!     "not json\n",
//! );
//! let mut output = Vec::new();
//! bridge.serve(input.as_bytes(), &mut output).unwrap();
//! let lines: Vec<_> = std::str::from_utf8(&output).unwrap().lines().collect();
//! assert_eq!(lines[0], r#"{"id":1,"outcome":"return","result":{"$js":"undefined"}}"#);
//! assert_eq!(lines[1], r#"{"id":2,"outcome":"success","result":{"data":{"$js":"undefined"},"errMsg":"getStorage:ok"}}"#);
//! assert!(lines[2].starts_with(r#"{"id":null,"outcome":"error","error":{"kind":"bad_json""#));
//! ```

pub mod lines;
pub mod outcome;
pub mod request;
pub mod strict_json;

#[cfg(test)]
mod interactive_tests;

use lines::{read_line, Line};
use outcome::Outcome;
use request::{id_of, Context, ProtocolError, Request};
use serde_json::{json, Value};
use std::io::{self, BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use storage_api::cloud::Cloud;
use storage_api::dispatch::{cloud, host, local, Api, Args, LoneSurrogate};
use storage_api::Mpstore;
use strict_json::Refused;

/// The default cap on one request line, in bytes: 64 MiB, room for a 10 MB batch of any text.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// The bridge over one store.
#[derive(Debug, Clone)]
pub struct Bridge {
    store: Mpstore,
    cloud: Cloud,
    max_line_bytes: usize,
}

/// What a [`Bridge::serve`] run saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines answered.
    pub lines: u64,
    /// Lines answered with `"outcome": "error"` (they never reached a facade).
    pub protocol_errors: u64,
    /// Calls that reached a facade and failed (`fail`, `throw`, or Alipay's `success: false`).
    pub failures: u64,
}

impl Bridge {
    /// A bridge over `store`, with the default line cap.
    pub fn new(store: Mpstore) -> Self {
        Bridge {
            cloud: store.cloud(),
            store,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }

    /// Sets the cap on one request line, in bytes (without its `\n`).
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }

    /// Answers every line of `input` on `output`, until `input` ends.
    ///
    /// Returns an I/O error only when reading `input` or writing `output` fails (for instance
    /// when the client went away); every response written before that stands.
    pub fn serve(&self, mut input: impl BufRead, mut output: impl Write) -> io::Result<Stats> {
        let mut stats = Stats::default();
        let mut buf = Vec::new();
        loop {
            let response = match read_line(&mut input, self.max_line_bytes, &mut buf)? {
                Line::Eof => return Ok(stats),
                Line::Text => self.answer(&buf),
                Line::TooLong { bytes } => error_response(
                    Value::Null,
                    &ProtocolError::new(
                        "line_too_long",
                        format!(
                            "a request line of {bytes} bytes exceeds the limit of {} bytes",
                            self.max_line_bytes
                        ),
                    ),
                ),
            };
            stats.lines += 1;
            match response.get("outcome").and_then(Value::as_str) {
                Some("error") => stats.protocol_errors += 1,
                Some("fail" | "throw") => stats.failures += 1,
                Some("return")
                    if response.pointer("/result/success") == Some(&Value::Bool(false)) =>
                {
                    stats.failures += 1
                }
                _ => {}
            }
            serde_json::to_writer(&mut output, &response)?;
            output.write_all(b"\n")?;
            output.flush()?;
        }
    }

    /// The response to one request line (without its `\n`).
    pub fn answer(&self, line: &[u8]) -> Value {
        let parsed = match strict_json::parse(line) {
            Ok(v) => v,
            Err(Refused::NotJson(e)) => {
                return error_response(
                    Value::Null,
                    &ProtocolError::new("bad_json", format!("not a JSON request: {e}")),
                )
            }
            // No id either: which of the repeated ones would it be?
            Err(Refused::RepeatedKey(e)) => {
                return error_response(
                    Value::Null,
                    &ProtocolError::new(
                        "bad_request",
                        format!("a request names each key once: {e}"),
                    ),
                )
            }
        };
        let id = id_of(&parsed);
        // A panic would be a bug in a layer below; it must still not take the bridge down.
        let done = catch_unwind(AssertUnwindSafe(|| {
            request::parse(&parsed).and_then(|req| self.dispatch(req))
        }));
        match done {
            Ok(Ok(outcome)) => json!({
                "id": id,
                "outcome": outcome.ending().name(),
                "result": outcome::result(&outcome),
            }),
            Ok(Err(e)) => error_response(id, &e),
            Err(_) => error_response(
                id,
                &ProtocolError::new("internal", "the call panicked; nothing was acknowledged"),
            ),
        }
    }

    fn dispatch(&self, req: Request) -> Result<Outcome, ProtocolError> {
        let Some(dialect) = req.dialect() else {
            let args = req
                .args
                .map_err(|e| ProtocolError::new("bad_value", e.to_string()))?;
            return host::call(&self.store, &self.cloud, &req.method, Args(args));
        };
        let name = format!("{}.{}", req.prefix, req.method);
        let api = Api::find(dialect, &req.method).ok_or_else(|| request::unknown_api(&name))?;
        let args = req.args.map(Args).map_err(|_| LoneSurrogate);
        match req.context {
            Context::Local {
                user,
                app,
                scope,
                exact_values,
            } => {
                let mut mp = self
                    .store
                    .mini_program(user, app, scope)
                    .map_err(|e| ProtocolError::new("bad_context", e.to_string()))?;
                if exact_values {
                    mp = mp.with_exact_values();
                }
                local::call(&mp, api, args)
            }
            Context::Game {
                game,
                openid,
                open_data,
                is_game,
            } => {
                storage_core::Namespace::game_host(game.as_str(), "bridge")
                    .map_err(|e| ProtocolError::new("bad_context", e.to_string()))?;
                let ctx = cloud::game_context(game, openid, open_data, is_game);
                cloud::call(&self.cloud.mini_game(ctx), api, args)
            }
            Context::Host => Err(ProtocolError::new(
                "bad_context",
                "mini-program APIs need a \"ctx\"",
            )),
        }
    }
}

/// Runs the local-storage API `dialect.method` on `mp` (for the command line and the tour).
pub fn call_local(
    mp: &storage_api::MiniProgram,
    dialect: storage_core::Dialect,
    method: &str,
    args: Vec<storage_core::JsValue>,
) -> Result<Outcome, ProtocolError> {
    local::call(mp, api_named(dialect, method)?, Ok(Args(args)))
}

/// Runs the cloud API `dialect.method` as the caller of `game` (for the command line and the
/// tour).
pub fn call_cloud(
    game: &storage_api::cloud::MiniGame,
    dialect: storage_core::Dialect,
    method: &str,
    args: Vec<storage_core::JsValue>,
) -> Result<Outcome, ProtocolError> {
    cloud::call(game, api_named(dialect, method)?, Ok(Args(args)))
}

/// The API `dialect.method`, or the refusal of an unknown one.
fn api_named(dialect: storage_core::Dialect, method: &str) -> Result<Api, ProtocolError> {
    Api::find(dialect, method)
        .ok_or_else(|| request::unknown_api(&format!("{}.{method}", dialect.name())))
}

fn error_response(id: Value, e: &ProtocolError) -> Value {
    json!({
        "id": id,
        "outcome": "error",
        "error": {"kind": e.kind, "message": e.message},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repeated key is refused before anything runs: a host that read the first `user` must
    /// not see the call write into the last one's storage.
    #[test]
    fn a_request_repeating_a_key_writes_nothing() {
        let store = Mpstore::in_memory();
        let bridge = Bridge::new(store.clone());
        let response = bridge.answer(
            br#"{"id":1,"api":"wx.setStorageSync","ctx":{"user":"u","app":"a","user":"v"},"args":["k",1]}"#,
        );
        assert_eq!(response["outcome"], "error", "{response}");
        assert_eq!(response["error"]["kind"], "bad_request", "{response}");
        assert!(storage_core::block_on(store.namespaces())
            .unwrap()
            .is_empty());
        let repeated_api = bridge.answer(
            br#"{"id":2,"api":"wx.getStorageSync","ctx":{"user":"u","app":"a"},"api":"wx.clearStorageSync"}"#,
        );
        assert_eq!(
            repeated_api["error"]["kind"], "bad_request",
            "{repeated_api}"
        );
    }
}
