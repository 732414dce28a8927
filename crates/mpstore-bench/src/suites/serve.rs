//! `mpstore serve`'s throughput: signed `set_user_storage` requests over HTTP on loopback,
//! against the same calls made in process (`CloudKv::set_user_storage`), both over the durable
//! full stack, from 1 and 16 clients (a keep-alive connection each).

use super::concurrency::throughput;
use super::Ctx;
use crate::harness::{median, rotate};
use crate::peers::full_stack;
use crate::report::{Report, Row, Section, Value};
use cloud_kv::{sign, CloudKv, Platform, ServerRequest};
use std::sync::Arc;
use storage_core::{block_on, Backend};
use storage_serve::GameServer;
use storage_sled::Durability;

const GAME: &str = "bench-game";
const TOKEN: &str = "bench-token";
const SESSION_KEY: &str = "bench-session-key";
/// The keys each client cycles through (under the 128-pair limit).
const KEYS: usize = 100;
/// (clients, over HTTP): in process then HTTP, at each client count.
const RUNS: [(usize, bool); 4] = [(1, false), (1, true), (16, false), (16, true)];

/// Adds the serve section.
pub fn run(ctx: &Ctx, report: &mut Report) {
    let dir = ctx.dir("serve");
    let store = full_stack(&dir, Durability::Durable);
    let backend: Arc<dyn Backend> = store.backend();
    let clients = RUNS.iter().map(|r| r.0).max().unwrap_or(1);
    let openid = |c: usize| format!("player-{c}");
    let server = Arc::new(GameServer::new(backend.clone()));
    server.register_app(Platform::Tt, GAME, TOKEN);
    let in_process = CloudKv::new(backend);
    // One store of sessions: the in-process engine reads what the server registered.
    for c in 0..clients {
        block_on(server.register_session(Platform::Tt, GAME, &openid(c), SESSION_KEY))
            .expect("register a session");
    }
    // Every body and its signature, made before measuring (the same for every player).
    let bodies: Vec<(String, String)> = (0..KEYS)
        .map(|k| {
            let body = format!(r#"{{"kv_list":[{{"key":"k{k}","value":"{{\"score\":{k}}}"}}]}}"#);
            let signature = sign(SESSION_KEY, body.as_bytes());
            (body, signature)
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the service");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!(
        "http://{}/mgplatform/api/apps/set_user_storage",
        listener.local_addr().expect("its address")
    );
    runtime.spawn(storage_serve::serve(
        listener,
        server,
        std::future::pending(),
    ));
    let http: Vec<reqwest::blocking::Client> = (0..clients)
        .map(|_| reqwest::blocking::Client::new())
        .collect();
    let over_http = |c: usize, i: u64| {
        let (body, signature) = &bodies[i as usize % KEYS];
        let id = openid(c);
        let query = [
            ("access_token", TOKEN),
            ("openid", id.as_str()),
            ("sig_method", "hmac_sha256"),
            ("signature", signature.as_str()),
        ];
        let reply = http[c].post(&url).query(&query).body(body.clone()).send();
        let text = reply.and_then(|r| r.text()).expect("an answer");
        assert!(text.contains("\"errcode\":0"), "{text}");
    };
    let in_proc = |c: usize, i: u64| {
        let (body, signature) = &bodies[i as usize % KEYS];
        let id = openid(c);
        let request = ServerRequest {
            platform: Platform::Tt,
            game: GAME,
            openid: &id,
            sig_method: "hmac_sha256",
            signature,
            body: body.as_bytes(),
        };
        let reply = block_on(in_process.set_user_storage(&request));
        assert_eq!(reply.errcode, 0, "{reply:?}");
    };
    let rates = rotate(ctx.rounds, &RUNS, |&(clients, http)| {
        let op: &(dyn Fn(usize, u64) + Sync) = if http { &over_http } else { &in_proc };
        throughput(clients, op, ctx.window)
    });
    let mut rows = Vec::new();
    for pair in [[0, 1], [2, 3]] {
        let [inproc, http] = pair.map(|i| &rates[i]);
        let clients = RUNS[pair[0]].0;
        let plural = if clients == 1 { "" } else { "s" };
        rows.push(Row::plain(
            format!("in process, {clients} client{plural}"),
            Value::Rate(median(inproc)),
        ));
        let ratios: Vec<f64> = http.iter().zip(inproc).map(|(h, p)| h / p).collect();
        rows.push(Row::ratio(
            format!("over HTTP, {clients} connection{plural}"),
            Value::Rate(median(http)),
            median(&ratios),
        ));
    }
    report.sections.push(Section {
        title: "serve: set_user_storage".into(),
        baseline: "Signed Douyin `set_user_storage` requests (one 20-byte pair each, cycling \
                   over 100 keys per player, a player per client) answered by storage-serve on \
                   loopback over the durable full stack, in calls per second; each HTTP row's \
                   ratio is to the same calls made in process at the same client count \
                   (`CloudKv::set_user_storage`, signature checked), paired per round."
            .into(),
        rows,
    });
}
