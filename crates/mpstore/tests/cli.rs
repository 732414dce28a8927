//! The `mpstore` command line as a script sees it: JSON on stdout and distinct exit codes.

use mpstore::exit::{CANNOT_OPEN, INVALID, LIMIT, NOT_FOUND, OK, USAGE};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `mpstore --data-dir DIR ARGS` with `stdin`; returns (exit code, stdout, stderr).
fn run_with(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpstore"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Checks the exit code and, when given, the JSON printed.
fn check(dir: &Path, args: &[&str], code: i32, printed: Option<Value>) {
    let (got, stdout, stderr) = run_with(dir, args, "");
    assert_eq!(
        got, code,
        "mpstore {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    if let Some(expected) = printed {
        let actual: Value = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"));
        assert_eq!(actual, expected, "mpstore {args:?}");
    }
}

#[test]
fn local_commands_print_the_platform_result_and_exit_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    check(
        d,
        &["set", "k", r#""v""#],
        OK,
        Some(json!({"errMsg": "setStorage:ok"})),
    );
    check(
        d,
        &["get", "k"],
        OK,
        Some(json!({"data": "v", "errMsg": "getStorage:ok"})),
    );
    check(
        d,
        &["get", "missing"],
        NOT_FOUND,
        Some(json!({"errMsg": "getStorage:fail data not found"})),
    );
    check(
        d,
        &["--platform", "tt", "get", "missing"],
        NOT_FOUND,
        Some(json!({"errMsg": "getStorage:fail data not found, key == missing", "errNo": 21101})),
    );
    check(
        d,
        &["--platform", "my", "get", "missing"],
        OK,
        Some(json!({"data": null})),
    );
    check(
        d,
        &["set", "", "1"],
        INVALID,
        Some(json!({"errMsg": "setStorage:fail invalid key", "errno": 800003})),
    );
    check(
        d,
        &["--platform", "my", "set", "", "1"],
        INVALID,
        Some(json!({"error": 2, "errorMessage": "必填参数为空"})),
    );
    check(d, &["set", "k", "not json"], INVALID, None);
    check(d, &["set", "t", "not json", "--string"], OK, None);
    check(
        d,
        &["get", "t"],
        OK,
        Some(json!({"data": "not json", "errMsg": "getStorage:ok"})),
    );
    check(d, &["set", "d", r#"{"$js":"date","value":0}"#], OK, None);
    check(
        d,
        &["get", "d"],
        OK,
        Some(json!({"data": "1970-01-01T00:00:00.000Z", "errMsg": "getStorage:ok"})),
    );
    check(
        d,
        &["get", "d", "--tagged"],
        OK,
        Some(json!({"data": {"$js": "date", "value": 0}, "errMsg": "getStorage:ok"})),
    );
    check(d, &["set", "s", r#""secret""#, "--encrypt"], OK, None);
    check(
        d,
        &["get", "s"],
        INVALID,
        Some(json!({"errMsg": "getStorage:fail encrypt mismatch"})),
    );
    check(
        d,
        &["get", "s", "--encrypt"],
        OK,
        Some(json!({"data": "secret", "errMsg": "getStorage:ok"})),
    );
    check(
        d,
        &["info"],
        OK,
        Some(
            json!({"keys": ["k", "t", "d", "s"], "currentSize": 1, "limitSize": 10240, "errMsg": "getStorageInfo:ok"}),
        ),
    );
    check(d, &["--webview", "get", "k"], NOT_FOUND, None);
    check(d, &["--plugin", "p", "get", "k"], NOT_FOUND, None);
    check(d, &["--user", "other", "get", "k"], NOT_FOUND, None);
    check(
        d,
        &["batch", "get", "k", "nope"],
        OK,
        Some(json!({"dataList": ["v", ""], "errMsg": "batchGetStorage:ok"})),
    );
    check(d, &["--platform", "my", "batch", "get", "k"], INVALID, None);
    check(
        d,
        &["remove", "k"],
        OK,
        Some(json!({"errMsg": "removeStorage:ok"})),
    );
    check(d, &["get", "k"], NOT_FOUND, None);
    check(
        d,
        &["clear"],
        OK,
        Some(json!({"errMsg": "clearStorage:ok"})),
    );
    check(
        d,
        &["info"],
        OK,
        Some(
            json!({"keys": [], "currentSize": 0, "limitSize": 10240, "errMsg": "getStorageInfo:ok"}),
        ),
    );
    check(d, &["frobnicate"], USAGE, None);
    check(d, &["--platform", "xx", "info"], USAGE, None);
}

#[test]
fn limits_exit_with_the_limit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let item = |key: &str, len: usize| json!({"key": key, "value": "x".repeat(len)});
    let too_big = json!([item("big", 1_048_574)]).to_string();
    let (code, stdout, _) = run_with(d, &["batch", "set", "-"], &too_big);
    assert_eq!(
        (code, stdout.trim()),
        (
            LIMIT,
            r#"{"errMsg":"batchSetStorage:fail entry size limit reached"}"#
        )
    );
    let (code, stdout, _) = run_with(
        d,
        &["--platform", "my", "set", "big", "-", "--string"],
        &"x".repeat(204_801),
    );
    assert_eq!(
        (code, stdout.trim()),
        (LIMIT, r#"{"error":14,"errorMessage":"data长度超限"}"#)
    );
    let (code, _, _) = run_with(
        d,
        &["--platform", "my", "set", "big", "-", "--string"],
        &"x".repeat(204_800),
    );
    assert_eq!(code, OK);
    check(
        d,
        &["--platform", "my", "remove", "big"],
        OK,
        Some(json!({"success": true})),
    );
    let quota: Vec<Value> = (0..11).map(|i| item(&format!("k{i}"), 1_000_000)).collect();
    let (code, stdout, _) = run_with(d, &["batch", "set", "-"], &json!(quota).to_string());
    assert_eq!(
        (code, stdout.trim()),
        (LIMIT, r#"{"errMsg":"batchSetStorage:fail quota reached"}"#)
    );
    check(
        d,
        &["info"],
        OK,
        Some(
            json!({"keys": [], "currentSize": 0, "limitSize": 10240, "errMsg": "getStorageInfo:ok"}),
        ),
    );
}

#[test]
fn cloud_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tt = |rest: &[&str]| -> Vec<String> {
        ["--platform", "tt", "cloud", "--game", "g"]
            .iter()
            .chain(rest)
            .map(|s| s.to_string())
            .collect()
    };
    let c = |args: Vec<String>, code, printed| {
        check(
            d,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            code,
            printed,
        )
    };
    c(tt(&["--openid", "ann", "leaderboards", "rank"]), OK, None);
    c(
        tt(&["--openid", "ann", "set", "level=3"]),
        OK,
        Some(json!({"errMsg": "setUserCloudStorage:ok"})),
    );
    c(
        tt(&["--openid", "ann", "get", "level"]),
        OK,
        Some(
            json!({"KVDataList": [{"key": "level", "value": "3"}], "data": [{"key": "level", "value": "3"}], "errMsg": "getUserCloudStorage:ok"}),
        ),
    );
    c(
        tt(&["--openid", "ann", "--context", "main", "get", "level"]),
        INVALID,
        None,
    );
    c(
        tt(&["set", "a=b"]),
        INVALID,
        Some(
            json!({"errMsg": "setUserCloudStorage:fail get session id failed", "errorCode": 999998}),
        ),
    );
    c(
        tt(&["--openid", "ann", "--mini-app", "set", "a=b"]),
        INVALID,
        None,
    );
    c(
        tt(&["--openid", "ann", "set", &format!("{}=v", "k".repeat(129))]),
        LIMIT,
        None,
    );
    c(
        tt(&["--openid", "ann", "set", "rank=not a score"]),
        INVALID,
        Some(
            json!({"errMsg": "setUserCloudStorage:fail invalid leaderboard value", "errorCode": 999999}),
        ),
    );
    c(tt(&["--openid", "ann", "friends", "bob"]), OK, None);
    c(
        tt(&[
            "--openid",
            "bob",
            "set",
            r#"rank={"ttgame":{"score":5,"update_time":1}}"#,
        ]),
        OK,
        None,
    );
    let (code, stdout, _) = run_with(
        d,
        &tt(&["--openid", "ann", "relation", "rank", "--sort-key", "rank"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "",
    );
    assert_eq!(code, OK);
    let res: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        res["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["openid"].clone())
            .collect::<Vec<_>>(),
        [json!("bob")]
    );
    c(tt(&["--openid", "ann", "remove", "level"]), OK, None);
    c(
        vec![
            "--platform".into(),
            "my".into(),
            "cloud".into(),
            "get".into(),
            "k".into(),
        ],
        INVALID,
        None,
    );
}

#[test]
fn host_commands_and_the_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    check(
        d,
        &["--user", "u1", "--app", "a1", "set", "k", "1"],
        OK,
        None,
    );
    check(
        d,
        &["--user", "u1", "--app", "a1", "--webview", "set", "k", "1"],
        OK,
        None,
    );
    check(
        d,
        &["--user", "u1", "--app", "a2", "set", "k", "1"],
        OK,
        None,
    );
    check(
        d,
        &["--user", "u2", "--app", "a1", "set", "k", "22"],
        OK,
        None,
    );
    let (code, stdout, _) = run_with(d, &["namespaces"], "");
    assert_eq!(code, OK);
    let listed: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4, "{listed}");
    assert_eq!(
        listed[0],
        json!({"kind": "local", "user": "u1", "app": "a1", "scope": "app", "bytes": 2, "entries": 1})
    );
    check(
        d,
        &["--user", "u1", "--app", "a1", "purge-app"],
        OK,
        Some(json!({"removed": 2})),
    );
    check(d, &["--user", "u1", "--app", "a2", "get", "k"], OK, None);
    check(
        d,
        &["--user", "u1", "purge-user"],
        OK,
        Some(json!({"removed": 1})),
    );
    check(
        d,
        &["--user", "u1", "--app", "a2", "get", "k"],
        NOT_FOUND,
        None,
    );

    // Rotation: a new key opens the store, the data is intact, the old key no longer opens it.
    let old = std::fs::read_to_string(d.join("master.key")).unwrap();
    check(d, &["rotate-key"], OK, Some(json!({"rotated": true})));
    let new = std::fs::read_to_string(d.join("master.key")).unwrap();
    assert_ne!(old, new);
    check(
        d,
        &["--user", "u2", "--app", "a1", "get", "k"],
        OK,
        Some(json!({"data": 22, "errMsg": "getStorage:ok"})),
    );
    write_key(d, &old);
    check(
        d,
        &["--user", "u2", "--app", "a1", "get", "k"],
        CANNOT_OPEN,
        None,
    );
    write_key(d, &new);
    check(d, &["--user", "u2", "--app", "a1", "get", "k"], OK, None);
}

fn write_key(dir: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("master.key");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn the_tour_runs_every_step_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_with(dir.path(), &["tour"], "");
    assert_eq!(code, OK, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Every step answered as the platform documents."),
        "{stdout}"
    );
    for expected in [
        "data长度超限",
        "存储总大小达到上限",
        "entry size limit reached",
        "quota reached",
        "exceed storage item max length",
        "user has stored too much keys",
        "Bob 250, Ann 100",
        r#""value":"103""#,
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing from the tour"
        );
    }
    // Run again in the same directory: it starts clean and still passes.
    assert_eq!(run_with(dir.path(), &["tour"], "").0, OK);
}

#[test]
fn dump_and_import_move_a_store_with_its_types() {
    let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (from.path(), to.path());
    check(a, &["set", "b", r#"{"$js":"date","value":5}"#], OK, None);
    // Douyin keeps an `undefined` inside an Array (WeChat would store it as `null`).
    let undefined_inside = r#"[{"$js":"undefined"}]"#;
    check(
        a,
        &["--platform", "tt", "set", "a", undefined_inside],
        OK,
        None,
    );
    check(a, &["--webview", "set", "w", "1"], OK, None);
    check(a, &["set", "s", "1", "--encrypt"], OK, None);
    check(a, &["cloud", "--openid", "o", "set", "k=v"], OK, None);
    check(
        a,
        &["cloud", "--openid", "o", "leaderboards", "rank"],
        OK,
        None,
    );
    let (code, dump, _) = run_with(a, &["dump"], "");
    assert_eq!(code, OK);
    let dump: Value = serde_json::from_str(&dump).unwrap();
    assert_eq!(
        (dump["format"].as_str(), dump["version"].as_u64()),
        (Some("mpstore-dump"), Some(1))
    );
    let app = &dump["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["scope"] == "app")
        .unwrap()["data"];
    assert_eq!(
        app,
        &json!([
            {"key": "b", "value": {"$js": "date", "value": 5}},
            {"key": "a", "value": [{"$js": "undefined"}]},
            {"key": "s", "value": 1, "encrypt": true},
        ])
    );
    // The same dump, imported into another store, dumps the same.
    let (code, _, err) = run_with(b, &["import", "-"], &dump.to_string());
    assert_eq!(code, OK, "{err}");
    let (_, again, _) = run_with(b, &["dump"], "");
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap(), dump);
    check(
        b,
        &["get", "b", "--tagged"],
        OK,
        Some(json!({"data": {"$js": "date", "value": 5}, "errMsg": "getStorage:ok"})),
    );
    // One namespace.
    let (_, one, _) = run_with(a, &["--webview", "dump", "--one"], "");
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one["namespaces"].as_array().unwrap().len(), 1);
    assert_eq!(
        one["namespaces"][0]["data"],
        json!([{"key": "w", "value": 1}])
    );
    // Not a dump: refused, nothing written.
    check(b, &["import", "-"], INVALID, None);
    let (code, _, err) = run_with(b, &["import", "-"], r#"{"format": "other"}"#);
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("not an mpstore dump"), "{err}");
}

/// What stands where the data directory should be is named, not reported as `File exists`.
#[test]
fn a_data_directory_that_cannot_hold_a_store_says_what_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name);
    std::fs::write(at("file"), "").unwrap();
    std::os::unix::fs::symlink(at("loop-b"), at("loop-a")).unwrap();
    std::os::unix::fs::symlink(at("loop-a"), at("loop-b")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/store", at("dangling")).unwrap();
    std::os::unix::fs::symlink(at("file"), at("to-file")).unwrap();
    // (what stands there, what the error says)
    for (name, says) in [
        ("file", "exists and is not a directory"),
        ("loop-a", "is a symbolic link that cannot be followed"),
        (
            "dangling",
            "is a symbolic link to /nonexistent/store, which does not exist",
        ),
        (
            "to-file",
            "is a symbolic link to something that is not a directory",
        ),
    ] {
        let (code, _, stderr) = run_with(&at(name), &["get", "k"], "");
        assert_eq!(code, CANNOT_OPEN, "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
}

/// A FIFO where the key file should be would block the open forever: it is refused.
#[test]
fn a_key_file_that_is_not_a_regular_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("master.key");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (code, _, stderr) = run_with(dir.path(), &["get", "k"], "");
    assert_eq!(code, CANNOT_OPEN, "{stderr}");
    assert!(stderr.contains("is not a regular file"), "{stderr}");
}

/// Under umask 000 a new store is still private: directories 0700, files 0600.
#[test]
fn a_new_store_is_private_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a").join("store");
    let script = format!(
        "umask 000; exec '{}' --data-dir '{}' set k 1",
        env!("CARGO_BIN_EXE_mpstore"),
        dir.display()
    );
    let status = Command::new("sh").arg("-c").arg(&script).status().unwrap();
    assert!(status.success());
    let mut seen = 0;
    let mut stack = vec![tmp.path().join("a")];
    while let Some(path) = stack.pop() {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 8, "{seen} paths");
}

/// Eight processes creating one store at once: each opens it, or says another process has it
/// open; none reports a half-made store.
#[test]
fn processes_creating_one_store_at_once_open_it_or_say_it_is_open() {
    for trial in 0..5 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        let children: Vec<_> = (0..8)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_mpstore"))
                    .arg("--data-dir")
                    .arg(&dir)
                    .args(["get", "k"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            match out.status.code().unwrap() {
                NOT_FOUND => {}
                CANNOT_OPEN => assert!(
                    stderr.contains("is open in another process"),
                    "trial {trial}: {stderr}"
                ),
                other => panic!("trial {trial}: exit {other}: {stderr}"),
            }
        }
    }
}
