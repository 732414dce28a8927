//! `mpstore serve` as a process: it prints where it listens, answers a game server's signed
//! writes over HTTP, flushes on SIGTERM, and the client then reads what the server wrote.

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const SESSION_KEY: &str = "session key";

#[tokio::test(flavor = "current_thread")]
async fn a_server_write_survives_a_stop_and_the_client_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpstore"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let started: Value = serde_json::from_str(&first).unwrap();
    let (url, token) = (
        started["listening"].as_str().unwrap(),
        started["admin_token"].as_str().unwrap(),
    );
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let http = reqwest::Client::new();
    let admin = |what: &str, body: Value| {
        http.post(format!("{url}/mpstore/{what}"))
            .bearer_auth(token)
            .body(body.to_string())
            .send()
    };
    admin(
        "apps",
        json!({"platform": "tt", "game": "tt-game", "access_token": "T"}),
    )
    .await
    .unwrap();
    let session =
        json!({"platform": "tt", "game": "tt-game", "openid": "p1", "session_key": SESSION_KEY});
    admin("sessions", session).await.unwrap();
    let body = json!({"kv_list": [{"key": "level", "value": "7"}]}).to_string();
    let signature = cloud_kv::sign(SESSION_KEY, body.as_bytes());
    let query = [
        ("access_token", "T"),
        ("openid", "p1"),
        ("sig_method", "hmac_sha256"),
        ("signature", &signature),
    ];
    let reply: Value = http
        .post(format!("{url}/mgplatform/api/apps/set_user_storage"))
        .query(&query)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply, json!({"error": 0, "errcode": 0, "errmsg": ""}));

    // SAFETY: a signal to the child this test started and has not yet waited for.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    assert_eq!(child.wait().unwrap().code(), Some(128 + libc::SIGTERM));
    let client = [
        "--platform",
        "tt",
        "cloud",
        "--game",
        "tt-game",
        "--openid",
        "p1",
        "--context",
        "open",
        "get",
        "level",
    ];
    let (code, out) = common::mpstore(dir.path(), &client);
    assert_eq!(code, 0, "{out}");
    let read: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        read["data"],
        json!([{"key": "level", "value": "7"}]),
        "{read}"
    );
}

#[test]
fn an_address_in_use_is_a_clear_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mpstore"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(mpstore::exit::FAILURE));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}
