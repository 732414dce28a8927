//! The `mpstore` command line: parse, open the store, run one command, exit with its code.
//!
//! Each storage command is one request of the [bridge](crate::bridge) made in-process: the same
//! facade call, the same platform-shaped result. The command prints that result as JSON and
//! exits with the code of [`crate::exit`] that classifies it.

pub mod args;
pub mod cloud;
mod serve;
pub mod store;

use crate::bridge::{call_local, outcome, Bridge};
use crate::exit;
use crate::tagged::from_tagged;
use args::{BatchOp, ByName, Cli, Command};
use serde_json::{json, Value};
use std::io::{self, Write};
use std::path::PathBuf;
use storage_api::dispatch::{host, namespaces, Args};
use storage_api::Mpstore;
use storage_core::{block_on, Error, JsObject, JsValue, Namespace, Scope};

/// Runs the command line and returns the process's exit code.
pub fn run(cli: Cli) -> i32 {
    match &cli.command {
        Command::Tour => return crate::tour::run(cli.store.data_dir.as_deref()),
        Command::Cloud(cloud) => return cloud::run(&cli, cloud),
        _ => {}
    }
    let Some(dir) = data_dir(&cli) else {
        return fail(
            exit::FAILURE,
            "no user data directory is known here: pass --data-dir",
        );
    };
    if let Command::Serve {
        redis: Some(nodes), ..
    } = &cli.command
    {
        // The data is the cluster's: no store is opened in the directory.
        return serve::run_redis(&cli, nodes, &dir);
    }
    if let Command::Salvage { to } = &cli.command {
        // Never opened: the damaged store is only read, through a copy.
        return salvage(&cli, &dir, to);
    }
    let buffered = matches!(cli.command, Command::Bridge { buffered: true, .. });
    let mpstore = match store::open(&dir, buffered) {
        Ok(s) => {
            crate::stop::flush_on_stop(&s);
            s
        }
        Err(e) => {
            return fail(
                open_code(&e),
                &format!("cannot open the store in {}: {e}", dir.display()),
            )
        }
    };
    let code = run_on(&cli, mpstore);
    crate::stop::done();
    code
}

/// Runs one command (any but `tour` and `cloud`) on an already open store and returns the exit
/// code: what [`run`] does once it has opened the store in the data directory. `rotate-key`
/// needs a store opened with its key file ([`store::open`]).
///
/// ```
/// use clap::Parser;
/// use mpstore::cli::{args::Cli, run_on};
/// use storage_api::Mpstore;
/// let store = Mpstore::in_memory();
/// let cli = |args: &[&str]| Cli::parse_from(std::iter::once("mpstore").chain(args.iter().copied()));
/// assert_eq!(run_on(&cli(&["set", "k", "1"]), store.clone()), mpstore::exit::OK);
/// assert_eq!(run_on(&cli(&["get", "nothing"]), store), mpstore::exit::NOT_FOUND);
/// ```
pub fn run_on(cli: &Cli, mpstore: Mpstore) -> i32 {
    match &cli.command {
        Command::RotateKey => match block_on(mpstore.rotate_key_file()) {
            Ok(()) => print(cli, &json!({"rotated": true})),
            Err(e) => fail(
                exit::code_of(&e),
                &format!("cannot rotate the master key: {e}"),
            ),
        },
        Command::Bridge { max_line_bytes, .. } => {
            let bridge = Bridge::new(mpstore).max_line_bytes(*max_line_bytes);
            let (stdin, stdout) = (io::stdin().lock(), io::stdout().lock());
            match bridge.serve(stdin, io::BufWriter::new(stdout)) {
                Ok(_) => exit::OK,
                // The client went away: every answered request stands.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
                Err(e) => fail(exit::FAILURE, &format!("bridge I/O failed: {e}")),
            }
        }
        Command::Serve {
            listen,
            admin_token,
            ..
        } => serve::run(cli, mpstore.backend(), *listen, admin_token.clone()),
        Command::Backup { to } => match block_on(mpstore.backup(to)) {
            Ok(()) => print(cli, &json!({"backup": to.display().to_string()})),
            Err(e) => fail(
                exit::code_of(&e),
                &format!("cannot back up the store into {}: {e}", to.display()),
            ),
        },
        Command::Inspect { port } => {
            let options = storage_inspect::Options {
                port: *port,
                dialect: cli.select.platform.dialect(),
            };
            match storage_inspect::Inspector::start(mpstore, options) {
                Ok(inspector) => {
                    eprintln!("mpstore: the inspector is at {}", inspector.url());
                    let code = emit(
                        cli,
                        &json!({"url": inspector.url(), "token": inspector.token(), "port": inspector.port()}),
                    );
                    // A stop signal flushes the store and exits; nothing else ends the server.
                    inspector.wait();
                    code
                }
                Err(e) => fail(
                    exit::FAILURE,
                    &format!("cannot serve the inspector on 127.0.0.1:{port}: {e}"),
                ),
            }
        }
        Command::Salvage { .. } => fail(
            exit::USAGE,
            "salvage reads a store's directory (--data-dir), not a store already open",
        ),
        Command::Namespaces => host(cli, block_on(mpstore.namespaces()).map(namespaces::listing)),
        Command::Verify => match block_on(mpstore.verify()) {
            Ok(found) => {
                let damaged = damage_report(&found.damaged);
                let code = print(
                    cli,
                    &json!({"namespaces": found.namespaces, "entries": found.entries, "damaged": damaged}),
                );
                match found.damaged.is_empty() {
                    true => code,
                    false => exit::CORRUPT,
                }
            }
            Err(e) => fail(exit::code_of(&e), &format!("cannot verify the store: {e}")),
        },
        Command::Dump {
            one,
            game,
            openid,
            out,
        } => {
            let only = match (one, game, openid) {
                (true, _, _) => Namespace::local(
                    cli.select.user.as_str(),
                    cli.select.app.as_str(),
                    scope_of(cli),
                )
                .map(Some),
                (_, Some(game), Some(openid)) => {
                    Namespace::cloud(game.as_str(), openid.as_str()).map(Some)
                }
                _ => Ok(None),
            };
            let dump = only.and_then(|only| block_on(mpstore.dump(only.as_ref())));
            match (dump, out) {
                (Err(e), _) => fail(exit::code_of(&e), &e.to_string()),
                (Ok(dump), None) => emit(cli, &dump),
                (Ok(dump), Some(file)) => match std::fs::write(file, text_of(cli, &dump) + "\n") {
                    Ok(()) => exit::OK,
                    Err(e) => fail(
                        exit::FAILURE,
                        &format!("cannot write {}: {e}", file.display()),
                    ),
                },
            }
        }
        Command::Import { file } => {
            let text = if file.as_os_str() == "-" {
                io::read_to_string(io::stdin())
            } else {
                std::fs::read_to_string(file)
            };
            let dump = match text.map_err(|e| e.to_string()).and_then(|t| {
                serde_json::from_str::<Value>(&t).map_err(|e| format!("not JSON: {e}"))
            }) {
                Ok(dump) => dump,
                Err(e) => {
                    return fail(
                        exit::INVALID,
                        &format!("cannot read the dump {}: {e}", file.display()),
                    )
                }
            };
            host(
                cli,
                block_on(mpstore.import(&dump, cli.select.platform.dialect()))
                    .map(|n| json!({"namespaces": n})),
            )
        }
        Command::Host(call) => host_call(cli, &mpstore, call),
        Command::PurgeApp => host(
            cli,
            block_on(mpstore.remove_app(&cli.select.user, &cli.select.app))
                .map(|n| json!({"removed": n})),
        ),
        Command::PurgeUser => host(
            cli,
            block_on(mpstore.remove_user(&cli.select.user)).map(|n| json!({"removed": n})),
        ),
        command => {
            let scope = scope_of(cli);
            let mp = match mpstore.mini_program(
                cli.select.user.as_str(),
                cli.select.app.as_str(),
                scope,
            ) {
                Ok(mp) => mp,
                Err(e) => return fail(exit::code_of(&e), &e.to_string()),
            };
            let (method, args) = match local_request(command) {
                Ok(r) => r,
                Err(e) => return fail(exit::INVALID, &e),
            };
            let dialect = cli.select.platform.dialect();
            match call_local(&mp, dialect, method, args) {
                Ok(done) => {
                    print(cli, &outcome::result(&done));
                    outcome_code(&done)
                }
                Err(e) => fail(
                    exit::INVALID,
                    &format!("{} (platform {})", e.message, dialect.name()),
                ),
            }
        }
    }
}

/// `mpstore host METHOD ARGS…`: a host operation, run as the bridge runs `host.<method>`.
fn host_call(cli: &Cli, mpstore: &Mpstore, call: &ByName) -> i32 {
    let method = &call.method;
    // The clock belongs to a process: a command's setting would be gone when it exits.
    if matches!(method.as_str(), "setClock" | "advanceClock") {
        return fail(
            exit::INVALID,
            &format!("host.{method}: the clock lasts as long as its process; set it through the bridge or the Node package"),
        );
    }
    let args = match parse_args(&call.args) {
        Ok(args) => args,
        Err(e) => return fail(exit::INVALID, &format!("host.{method}: {e}")),
    };
    match host::call(mpstore, &mpstore.cloud(), method, Args(args)) {
        // Host results are plain JSON already: no tags to resolve.
        Ok(done) => emit(cli, &outcome::result(&done)),
        Err(e) => fail(
            e.cause.as_ref().map_or(exit::INVALID, exit::code_of),
            &e.message,
        ),
    }
}

/// `mpstore salvage`: the store in `dir` copied, what can be read of it, into `to`.
fn salvage(cli: &Cli, dir: &std::path::Path, to: &std::path::Path) -> i32 {
    match Mpstore::salvage(dir, to) {
        Ok(saved) => {
            let report = json!({
                "namespaces": saved.namespaces,
                "entries": saved.entries,
                "lost": damage_report(&saved.lost),
                "unnamed": saved.unnamed,
                "repairs": saved.repairs,
            });
            let code = print(cli, &report);
            match saved.lost.is_empty() && saved.unnamed.is_empty() {
                true => code,
                false => exit::CORRUPT,
            }
        }
        Err(e) => fail(
            exit::code_of(&e),
            &format!(
                "cannot salvage {} into {}: {e}",
                dir.display(),
                to.display()
            ),
        ),
    }
}

/// Damage as `verify` and `salvage` print it: namespace, key if one, and why.
fn damage_report(damaged: &[storage_api::Damage]) -> Vec<Value> {
    damaged
        .iter()
        .map(|d| {
            let mut item = json!({"namespace": namespaces::to_json(&d.namespace)});
            if let Some(key) = &d.key {
                item["key"] = key.as_str().into();
            }
            item["error"] = d.error.to_string().into();
            item
        })
        .collect()
}

/// The scope the selection flags name.
fn scope_of(cli: &Cli) -> Scope {
    if let Some(id) = &cli.select.plugin {
        Scope::Plugin(id.clone())
    } else if cli.select.webview {
        Scope::WebView
    } else {
        Scope::App
    }
}

fn data_dir(cli: &Cli) -> Option<PathBuf> {
    cli.store.data_dir.clone().or_else(store::default_data_dir)
}

/// The API call a local command makes: method and arguments.
fn local_request(command: &Command) -> Result<(&str, Vec<JsValue>), String> {
    let options = |entries: Vec<(&str, JsValue)>| {
        vec![JsValue::Object(entries.into_iter().collect::<JsObject>())]
    };
    Ok(match command {
        Command::Set {
            key,
            value,
            string,
            encrypt,
        } => {
            let text = if value == "-" {
                io::read_to_string(io::stdin()).map_err(|e| format!("cannot read stdin: {e}"))?
            } else {
                value.clone()
            };
            let data = if *string {
                JsValue::from(text)
            } else {
                parse_value(&text)?
            };
            let mut entries = vec![("key", JsValue::from(key.as_str())), ("data", data)];
            if *encrypt {
                entries.push(("encrypt", true.into()));
            }
            ("setStorage", options(entries))
        }
        Command::Get { key, encrypt } => {
            let mut entries = vec![("key", JsValue::from(key.as_str()))];
            if *encrypt {
                entries.push(("encrypt", true.into()));
            }
            ("getStorage", options(entries))
        }
        Command::Remove { key } => ("removeStorage", options(vec![("key", key.as_str().into())])),
        Command::Clear => ("clearStorage", vec![]),
        Command::Info => ("getStorageInfo", vec![]),
        Command::Batch {
            op: BatchOp::Set { kv_list },
        } => {
            let text = if kv_list == "-" {
                io::read_to_string(io::stdin()).map_err(|e| format!("cannot read stdin: {e}"))?
            } else {
                kv_list.clone()
            };
            (
                "batchSetStorage",
                options(vec![("kvList", parse_value(&text)?)]),
            )
        }
        Command::Batch {
            op: BatchOp::Get { keys },
        } => {
            let keys = keys
                .iter()
                .map(|k| JsValue::from(k.as_str()))
                .collect::<Vec<_>>();
            ("batchGetStorage", options(vec![("keyList", keys.into())]))
        }
        Command::Call(call) => (call.method.as_str(), parse_args(&call.args)?),
        _ => return Err("not a local-storage command".into()),
    })
}

/// A value given on the command line: JSON, with the bridge's tags for the types JSON lacks.
pub fn parse_value(text: &str) -> Result<JsValue, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| {
        format!("the value is not JSON ({e}); pass --string to store text as it is")
    })?;
    from_tagged(&json).map_err(|e| format!("the value is not valid tagged JSON: {e}"))
}

/// The arguments of a call by name: one JSON value each, tagged JSON for the types JSON lacks.
pub(crate) fn parse_args(args: &[String]) -> Result<Vec<JsValue>, String> {
    let one = |(i, text): (usize, &String)| {
        let json: Value = serde_json::from_str(text)
            .map_err(|e| format!("argument {i} is not JSON ({e}); quote text as '\"text\"'"))?;
        from_tagged(&json).map_err(|e| format!("argument {i} is not valid tagged JSON: {e}"))
    };
    args.iter().enumerate().map(one).collect()
}

/// The exit code of a call's outcome: 0, or the code of the storage error behind its failure.
pub(crate) fn outcome_code(outcome: &crate::bridge::outcome::Outcome) -> i32 {
    outcome.cause().map_or(exit::OK, exit::code_of)
}

/// The exit code of a store that cannot be opened: corrupt, or any other reason.
pub(crate) fn open_code(e: &Error) -> i32 {
    match e {
        Error::Corrupt(_) => exit::CORRUPT,
        _ => exit::CANNOT_OPEN,
    }
}

fn host(cli: &Cli, result: Result<Value, Error>) -> i32 {
    match result {
        Ok(v) => print(cli, &v),
        Err(e) => fail(exit::code_of(&e), &e.to_string()),
    }
}

/// Prints a tagged-JSON result (as JSON.stringify shows it, unless --tagged) and returns 0.
pub(crate) fn print(cli: &Cli, tagged: &Value) -> i32 {
    let shown = if cli.tagged {
        tagged.clone()
    } else {
        from_tagged(tagged)
            .ok()
            .and_then(|v| serde_json::to_value(v).ok())
            .unwrap_or_else(|| tagged.clone())
    };
    emit(cli, &shown)
}

/// JSON as text, pretty with --pretty.
fn text_of(cli: &Cli, json: &Value) -> String {
    if cli.pretty {
        serde_json::to_string_pretty(json)
    } else {
        serde_json::to_string(json)
    }
    .unwrap_or_default()
}

/// Prints JSON as it is and returns 0.
fn emit(cli: &Cli, json: &Value) -> i32 {
    let text = text_of(cli, json);
    let mut out = io::stdout().lock();
    // A closed stdout is the reader's choice; the command's work is done either way.
    let _ = writeln!(out, "{text}");
    exit::OK
}

/// Reports a failure that has no platform shape on stderr and returns `code`.
pub fn fail(code: i32, message: &str) -> i32 {
    eprintln!("mpstore: {message}");
    code
}
