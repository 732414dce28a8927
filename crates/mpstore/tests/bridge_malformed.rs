//! 10,000 random malformed lines through a real `mpstore bridge` process: each gets exactly one
//! error response, the bridge never stops, and every write it acknowledged in between is in the
//! store when it is reopened afterwards.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use storage_api::Mpstore;
use storage_core::{JsValue, Scope, Values};

const MALFORMED: usize = 10_000;
/// A small line cap, so over-long lines are cheap to make.
const MAX_LINE: usize = 64 * 1024;

/// xorshift64*: deterministic, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| *self.pick(&['a', '{', '"', '\\', ':', ',', ' ', '杭', '😀', ']', '\u{0}']))
            .collect()
    }
}

/// What a malformed line must be answered with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// `"outcome": "error"` with this kind.
    Protocol(&'static str),
    /// A platform failure (`fail`, `throw`, or Alipay's `success: false`).
    Platform,
}

fn local() -> Value {
    json!({"user": "fuzz-user", "app": "fuzz-app"})
}

/// One malformed line (bytes, as it goes on the wire) and what it must get.
fn malformed(rng: &mut Rng, i: usize) -> (Vec<u8>, Expect) {
    use Expect::*;
    let id = json!(i);
    let line = |v: Value| serde_json::to_vec(&v).unwrap();
    match rng.below(24) {
        // Bad JSON.
        0 => {
            // An object that never closes: no '}' in the alphabet.
            let len = 1 + rng.below(200);
            (
                format!("{{{}", rng.text(len)).into_bytes(),
                Protocol("bad_json"),
            )
        }
        1 => {
            let full = line(
                json!({"id": id, "api": "wx.setStorageSync", "ctx": local(), "args": ["k", 1]}),
            );
            (
                full[..rng.below(full.len() - 1)].to_vec(),
                Protocol("bad_json"),
            )
        }
        2 => (vec![0xff, 0xfe, b'{', 0x80], Protocol("bad_json")),
        3 => (
            br#"{"id":1,"api":"wx.setStorageSync","args":["\ud800"]}"#.to_vec(),
            Protocol("bad_json"),
        ),
        4 => (Vec::new(), Protocol("bad_json")),
        5 => (
            format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes(),
            Protocol("bad_json"),
        ),
        // Wrong types and shapes.
        6 => (line(json!([id, "wx.setStorage"])), Protocol("bad_request")),
        7 => (
            line(json!({"id": {"n": i}, "api": "wx.clearStorage", "ctx": local()})),
            Protocol("bad_request"),
        ),
        8 => (
            line(json!({"api": "wx.clearStorage", "ctx": local()})),
            Protocol("bad_request"),
        ),
        9 => (
            line(json!({"id": id, "api": 42, "ctx": local()})),
            Protocol("bad_request"),
        ),
        10 => (
            line(json!({"id": id, "api": "wx.setStorage", "ctx": local(), "args": {"key": "k"}})),
            Protocol("bad_request"),
        ),
        11 => (
            line(json!({"id": id, "api": "wx.setStorage", "ctx": "fuzz-user"})),
            Protocol("bad_context"),
        ),
        12 => (
            line(json!({"id": id, "api": "my.getStorage", "ctx": {"user": 7, "app": "a"}})),
            Protocol("bad_context"),
        ),
        13 => (
            line(
                json!({"id": id, "api": "tt.getStorage", "ctx": {"user": "u", "app": "a", "scope": ["app"]}}),
            ),
            Protocol("bad_context"),
        ),
        14 => (
            line(
                json!({"id": id, "api": "wx.getStorage", "ctx": {"user": "", "app": "a"}, "args": [{"key": "k"}]}),
            ),
            Protocol("bad_context"),
        ),
        // Huge strings: over the line cap, or under it in the wrong place.
        15 => (
            line(
                json!({"id": id, "api": "wx.setStorageSync", "ctx": local(), "args": ["k", "x".repeat(MAX_LINE)]}),
            ),
            Protocol("line_too_long"),
        ),
        16 => (
            vec![b'x'; MAX_LINE + 1 + rng.below(3 * MAX_LINE)],
            Protocol("line_too_long"),
        ),
        17 => (
            line(json!({"id": id, "api": "y".repeat(MAX_LINE - 100), "ctx": local()})),
            Protocol("unknown_api"),
        ),
        // Unknown APIs.
        18 => {
            let api = *rng.pick(&[
                "wx.nope",
                "xx.setStorage",
                "my.batchSetStorage",
                "host.drop",
                "wx.",
                ".setStorage",
                "WX.setStorage",
                "wx.setStorage ",
            ]);
            (
                line(json!({"id": id, "api": api, "ctx": local(), "args": []})),
                Protocol("unknown_api"),
            )
        }
        19 => (
            line(
                json!({"id": id, "api": "tt.getFriendCloudStorage", "ctx": {"game": "g", "openid": "o"}}),
            ),
            Protocol("unknown_api"),
        ),
        // Malformed tagged values.
        20 => (
            line(
                json!({"id": id, "api": "wx.setStorageSync", "ctx": local(), "args": ["k", {"$js": *rng.pick(&["bogus", "number", "date"])}]}),
            ),
            Protocol("bad_value"),
        ),
        // Well-formed requests whose arguments break the platform's rules: platform failures.
        21 => {
            let key = rng
                .pick(&[
                    json!(""),
                    json!(1),
                    json!(null),
                    json!([]),
                    json!({"$js": "string", "utf16": [55296]}),
                ])
                .clone();
            let api = *rng.pick(&[
                "wx.setStorageSync",
                "tt.setStorageSync",
                "wx.getStorageSync",
                "tt.removeStorageSync",
            ]);
            (
                line(json!({"id": id, "api": api, "ctx": local(), "args": [key, "v"]})),
                Platform,
            )
        }
        22 => {
            let api = *rng.pick(&[
                "wx.setStorage",
                "my.setStorage",
                "tt.setStorage",
                "my.setStorageSync",
            ]);
            (
                line(
                    json!({"id": id, "api": api, "ctx": local(), "args": [{"key": "", "data": 1}]}),
                ),
                Platform,
            )
        }
        _ => {
            let list = rng
                .pick(&[
                    json!("nope"),
                    json!([]),
                    json!([{"key": "k", "value": 5}]),
                    json!([{"key": "k".repeat(200), "value": "v"}]),
                ])
                .clone();
            (
                line(
                    json!({"id": id, "api": "tt.setUserCloudStorage", "ctx": {"game": "g", "openid": "o"}, "args": [{"KVDataList": list}]}),
                ),
                Platform,
            )
        }
    }
}

fn is_platform_failure(r: &Value) -> bool {
    match r["outcome"].as_str() {
        Some("fail" | "throw") => true,
        Some("return") => r["result"]["success"] == json!(false),
        _ => false,
    }
}

#[test]
fn malformed_lines_get_error_responses_and_acknowledged_writes_survive() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpstore"))
        .args([
            "bridge",
            "--max-line-bytes",
            &MAX_LINE.to_string(),
            "--data-dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();

    // The plan: malformed lines, with a valid write after every tenth.
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    type Write = (String, String, JsValue);
    let mut plan: Vec<(Vec<u8>, Option<Expect>, Option<Write>)> = Vec::new();
    for i in 0..MALFORMED {
        let (bytes, expect) = malformed(&mut rng, i);
        plan.push((bytes, Some(expect), None));
        if i % 10 == 9 {
            let key = format!("k{}", rng.below(300));
            let value = JsValue::Array(vec![
                JsValue::from(i as f64),
                JsValue::Undefined,
                JsValue::Number(-0.0),
            ]);
            let line = json!({"id": format!("w{i}"), "api": "wx.setStorageSync", "ctx": local(),
                "args": [key, mpstore::tagged::to_tagged(&value)]});
            plan.push((
                serde_json::to_vec(&line).unwrap(),
                None,
                Some((format!("w{i}"), key, value)),
            ));
        }
    }

    let mut stdin = child.stdin.take().unwrap();
    let lines: Vec<Vec<u8>> = plan.iter().map(|(b, _, _)| b.clone()).collect();
    let writer = std::thread::spawn(move || {
        for mut bytes in lines {
            bytes.push(b'\n');
            stdin.write_all(&bytes).unwrap();
        }
        // Dropping stdin ends the bridge's input.
    });

    let mut responses = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut model = BTreeMap::new();
    let (mut errors, mut acknowledged) = (0, 0);
    for (n, (bytes, expect, write)) in plan.iter().enumerate() {
        let text = responses
            .next()
            .expect("a response for every line")
            .unwrap();
        let r: Value = serde_json::from_str(&text).unwrap();
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]);
        match (expect, write) {
            (Some(Expect::Protocol(kind)), _) => {
                assert_eq!(r["outcome"], "error", "line {n} {shown}: {text}");
                assert_eq!(r["error"]["kind"], *kind, "line {n} {shown}: {text}");
                if ["bad_context", "unknown_api", "bad_value"].contains(kind) {
                    assert_eq!(r["id"], json!(n - n / 11), "line {n}: the id is echoed");
                }
                errors += 1;
            }
            (Some(Expect::Platform), _) => {
                assert!(is_platform_failure(&r), "line {n} {shown}: {text}");
                assert_eq!(r["id"], json!(n - n / 11), "line {n}: the id is echoed");
                errors += 1;
            }
            (None, Some((id, key, value))) => {
                assert_eq!(r["outcome"], "return", "line {n}: {text}");
                assert_eq!(r["id"], json!(id), "line {n}");
                // As WeChat stores it: `undefined` inside an Array reads back as `null`.
                model.insert(key.clone(), Values::JsonInside.stored(value.clone()));
                acknowledged += 1;
            }
            (None, None) => panic!("the plan has no such line"),
        }
    }
    assert!(responses.next().is_none(), "one response per line, no more");
    writer.join().unwrap();
    assert!(
        child.wait().unwrap().success(),
        "the bridge exits cleanly at the end of its input"
    );
    assert_eq!(errors, MALFORMED);
    assert_eq!(acknowledged, MALFORMED / 10);

    // Every acknowledged write is in the store, reopened from disk.
    let store = Mpstore::open_default(dir.path()).unwrap();
    let wx = store
        .mini_program("fuzz-user", "fuzz-app", Scope::App)
        .unwrap()
        .wx();
    let info = wx.get_storage_info_sync().unwrap();
    assert_eq!(info.keys.len(), model.len());
    for (key, value) in &model {
        assert_eq!(&wx.get_storage_sync(key.as_str()).unwrap(), value, "{key}");
    }
}

/// kill -9 in the middle of a stream of writes: every write the bridge acknowledged is there
/// when the store is reopened (responses are written only after the durable write returned).
#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpstore"))
        .args(["bridge", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..5_000 {
            let line = json!({"id": i, "api": "tt.setStorageSync", "ctx": local(), "args": [format!("k{i}"), i]});
            // The bridge may be killed while this writes: stop at the first broken pipe.
            if writeln!(stdin, "{line}").is_err() {
                return;
            }
        }
    });
    let mut responses = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 300 {
        let r: Value = serde_json::from_str(&responses.next().unwrap().unwrap()).unwrap();
        assert_eq!(r["outcome"], "return", "{r}");
        acknowledged.push(r["id"].as_u64().unwrap());
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Answers already in the pipe were acknowledged too (a line cut by the kill was not).
    for line in responses.map_while(Result::ok) {
        if let Ok(r) = serde_json::from_str::<Value>(&line) {
            acknowledged.push(r["id"].as_u64().unwrap());
        }
    }
    writer.join().unwrap();

    let store = Mpstore::open_default(dir.path()).unwrap();
    let tt = store
        .mini_program("fuzz-user", "fuzz-app", Scope::App)
        .unwrap()
        .tt();
    for i in acknowledged {
        assert_eq!(
            tt.get_storage_sync(format!("k{i}")).unwrap(),
            JsValue::from(i as f64),
            "k{i}"
        );
    }
}
