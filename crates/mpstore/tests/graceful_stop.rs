//! A buffered bridge stopped by SIGTERM, SIGINT or SIGHUP right after it acknowledged writes:
//! every acknowledged write is in the store when it is reopened.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use storage_api::Mpstore;
use storage_core::{JsValue, Scope};

const WRITES: usize = 1_000;

#[test]
fn a_stop_signal_flushes_the_acknowledged_writes_first() {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mpstore"))
            .args(["bridge", "--buffered", "--data-dir"])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        for i in 0..WRITES {
            let ctx = json!({"user": "u", "app": "a"});
            let line = json!({"id": i, "api": "wx.setStorageSync", "ctx": ctx, "args": [format!("k{i}"), i]});
            writeln!(stdin, "{line}").unwrap();
        }
        stdin.flush().unwrap();
        let mut responses = BufReader::new(child.stdout.take().unwrap()).lines();
        for _ in 0..WRITES {
            let r: Value = serde_json::from_str(&responses.next().unwrap().unwrap()).unwrap();
            assert_eq!(r["outcome"], "return", "{r}");
        }
        // SAFETY: a signal to the child this test started and has not yet waited for.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(128 + signal), "signal {signal}");
        drop(stdin);

        let store = Mpstore::open_default(dir.path()).unwrap();
        let wx = store.mini_program("u", "a", Scope::App).unwrap().wx();
        for i in 0..WRITES {
            assert_eq!(
                wx.get_storage_sync(format!("k{i}")).unwrap(),
                JsValue::from(i as f64),
                "signal {signal}: k{i}"
            );
        }
    }
}
