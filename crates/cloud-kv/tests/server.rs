//! The server APIs (`setUserStorage` / `set_user_storage` and the removals): signatures, bodies
//! and the rules, as each platform answers them, and what the client then reads.

use cloud_kv::{sign, Caller, CloudKv, KvData, Platform, ServerReply, ServerRequest};
use serde_json::json;
use std::sync::Arc;
use storage_core::{block_on, MemoryBackend};

const GAME: &str = "game";
const KEY: &str = "session-key";

struct Server {
    cloud: CloudKv<Arc<MemoryBackend>>,
}

impl Server {
    /// A game with the leaderboard key `rank`, and a session for `player` on both platforms.
    fn new() -> Self {
        let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
        block_on(cloud.set_leaderboard_keys(GAME, &["rank"])).unwrap();
        for platform in [Platform::Wx, Platform::Tt] {
            block_on(cloud.sessions().register(platform, GAME, "player", KEY)).unwrap();
        }
        Server { cloud }
    }

    /// The errcode of `api` called with `body`, signed with `key` by `openid`.
    fn call_as(&self, platform: Platform, api: &str, body: &str, openid: &str, sig: &str) -> i64 {
        let request = ServerRequest {
            platform,
            game: GAME,
            openid,
            sig_method: "hmac_sha256",
            signature: sig,
            body: body.as_bytes(),
        };
        self.send(api, &request).errcode
    }

    fn send(&self, api: &str, request: &ServerRequest<'_>) -> ServerReply {
        match api {
            "set" => block_on(self.cloud.set_user_storage(request)),
            "remove" => block_on(self.cloud.remove_user_storage(request)),
            _ => panic!("no api {api}"),
        }
    }

    /// The errcode of `api` called with `body`, properly signed by `player`.
    fn call(&self, platform: Platform, api: &str, body: &str) -> i64 {
        self.call_as(platform, api, body, "player", &sign(KEY, body.as_bytes()))
    }

    /// The player's pairs, as the client's open data context reads them.
    fn pairs(&self, platform: Platform) -> Vec<KvData> {
        let player = Caller::new(platform, GAME).logged_in("player").open_data();
        let keys = block_on(self.cloud.get_user_cloud_storage_keys(&player)).unwrap();
        block_on(self.cloud.get_pairs(&player, &keys)).unwrap()
    }
}

fn set(pairs: &[(&str, &str)]) -> String {
    let list: Vec<_> = pairs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    json!({ "kv_list": list }).to_string()
}

fn board(score: i64) -> String {
    json!({"wxgame": {"score": score, "update_time": 1}, "ttgame": {"score": score, "update_time": 1}})
        .to_string()
}

#[test]
fn the_platforms_signature_examples() {
    // WeChat's and Douyin's documented examples of the session signature.
    let body = br#"{"foo":"bar"}"#;
    let cases = [
        (
            "o0q0otL8aEzpcZL/FT9WsQ==",
            "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b",
        ),
        (
            "724edcafc423d167724edcbe",
            "44b5092fa1c9adba03803239934d4958b8a1840adf0cee8d5e95c1cf5d495e0e",
        ),
    ];
    for (key, signature) in cases {
        assert_eq!(sign(key, body), signature);
    }
}

#[test]
fn errcodes_of_set_user_storage() {
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(1024);
    let many: Vec<(String, String)> = (0..129).map(|i| (format!("k{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let good_board = board(10);
    // (body, WeChat's errcode, Douyin's errcode)
    let cases: &[(String, i64, i64)] = &[
        (set(&[("level", "3")]), 0, 0),
        (set(&[("rank", &good_board)]), 0, 0),
        (set(&[(&long_key, "v")]), 87019, 40009),
        (set(&[("k", &long_value)]), 87016, 40010),
        (set(&many), 87018, 60001),
        (set(&[("rank", "100")]), 47001, 40011),
        (set(&[]), 47001, 40014),
        (set(&[("", "v")]), 47001, 40014),
        ("not json".into(), 47001, 40014),
        (
            r#"{"kv_list":{"key":"k","value":"v"}}"#.into(),
            47001,
            40014,
        ),
        (
            r#"{"kv_list":[{"key":"k","value":3}]}"#.into(),
            47001,
            40014,
        ),
        (r#"{"kv_list":[{"key":"k"}]}"#.into(), 47001, 40014),
        (
            r#"{"KVDataList":[{"key":"k","value":"v"}]}"#.into(),
            47001,
            40014,
        ),
    ];
    for (body, wx, tt) in cases {
        for (platform, code) in [(Platform::Wx, *wx), (Platform::Tt, *tt)] {
            let server = Server::new();
            assert_eq!(
                server.call(platform, "set", body),
                code,
                "{platform:?} {body}"
            );
            let written = server.pairs(platform);
            assert_eq!(
                written.is_empty(),
                code != 0,
                "{platform:?} {body}: {written:?}"
            );
        }
    }
}

#[test]
fn errcodes_of_signatures() {
    let body = set(&[("level", "3")]);
    let signed = sign(KEY, body.as_bytes());
    let other_key = sign("another key", body.as_bytes());
    let other_body = sign(KEY, set(&[("level", "4")]).as_bytes());
    // (openid, signature, WeChat's errcode, Douyin's errcode)
    let cases: &[(&str, &str, i64, i64)] = &[
        ("player", &signed, 0, 0),
        ("player", &signed.to_uppercase(), 0, 0),
        ("player", &other_key, 87009, 40014),
        ("player", &other_body, 87009, 40014),
        ("player", "", 87009, 40014),
        ("player", "not hex", 87009, 40014),
        ("player", &signed[..62], 87009, 40014),
        ("stranger", &signed, 87009, 40014),
    ];
    for &(openid, sig, wx, tt) in cases {
        for (platform, code) in [(Platform::Wx, wx), (Platform::Tt, tt)] {
            let server = Server::new();
            let got = server.call_as(platform, "set", &body, openid, sig);
            assert_eq!(got, code, "{platform:?} {openid} {sig:?}");
        }
    }
}

#[test]
fn only_hmac_sha256_is_taken() {
    let server = Server::new();
    let body = set(&[("level", "3")]);
    let signature = sign(KEY, body.as_bytes());
    for (platform, code) in [(Platform::Wx, 87009), (Platform::Tt, 40014)] {
        for method in ["hmac_sha1", "HMAC_SHA256", ""] {
            let request = ServerRequest {
                platform,
                game: GAME,
                openid: "player",
                sig_method: method,
                signature: &signature,
                body: body.as_bytes(),
            };
            assert_eq!(server.send("set", &request).errcode, code, "{method}");
        }
    }
    assert!(server.pairs(Platform::Wx).is_empty());
}

#[test]
fn a_forgotten_session_signs_nothing_and_a_new_login_replaces_the_key() {
    let server = Server::new();
    let body = set(&[("level", "3")]);
    block_on(server.cloud.sessions().forget(Platform::Wx, GAME, "player")).unwrap();
    assert_eq!(server.call(Platform::Wx, "set", &body), 87009);
    assert_eq!(
        server.call(Platform::Tt, "set", &body),
        0,
        "the other platform's session stays"
    );
    block_on(
        server
            .cloud
            .sessions()
            .register(Platform::Wx, GAME, "player", "new key"),
    )
    .unwrap();
    let old = sign(KEY, body.as_bytes());
    assert_eq!(
        server.call_as(Platform::Wx, "set", &body, "player", &old),
        87009
    );
    let new = sign("new key", body.as_bytes());
    assert_eq!(
        server.call_as(Platform::Wx, "set", &body, "player", &new),
        0
    );
}

#[test]
fn errcodes_of_remove_user_storage() {
    // (body, WeChat's errcode, Douyin's errcode, the keys left of "a" and "b")
    let cases: &[(&str, i64, i64, &[&str])] = &[
        (r#"{"key":["a"]}"#, 0, 0, &["b"]),
        (r#"{"key":["a","b","missing"]}"#, 0, 0, &[]),
        (r#"{"key":[]}"#, 0, 0, &["a", "b"]),
        (r#"{"key":"a"}"#, 47001, 40014, &["a", "b"]),
        (r#"{"key":["a",1]}"#, 47001, 40014, &["a", "b"]),
        (r#"{"keyList":["a"]}"#, 47001, 40014, &["a", "b"]),
        ("[]", 47001, 40014, &["a", "b"]),
    ];
    for &(body, wx, tt, left) in cases {
        for (platform, code) in [(Platform::Wx, wx), (Platform::Tt, tt)] {
            let server = Server::new();
            assert_eq!(
                server.call(platform, "set", &set(&[("a", "1"), ("b", "2")])),
                0
            );
            assert_eq!(
                server.call(platform, "remove", body),
                code,
                "{platform:?} {body}"
            );
            let keys: Vec<String> = server.pairs(platform).into_iter().map(|p| p.key).collect();
            assert_eq!(keys, left, "{platform:?} {body}");
        }
    }
}

#[test]
fn the_client_and_the_server_share_the_128_pair_limit() {
    let server = Server::new();
    let player = Caller::new(Platform::Tt, GAME).logged_in("player");
    let client: Vec<KvData> = (0..100)
        .map(|i| KvData::new(format!("c{i}"), "v"))
        .collect();
    block_on(server.cloud.set_pairs(&player, &client)).unwrap();
    let pairs: Vec<(String, String)> = (0..29).map(|i| (format!("s{i}"), "v".into())).collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(server.call(Platform::Tt, "set", &set(&pairs)), 60001);
    assert_eq!(
        server.pairs(Platform::Tt).len(),
        100,
        "nothing of the refused call"
    );
    assert_eq!(server.call(Platform::Tt, "set", &set(&pairs[..28])), 0);
    assert_eq!(server.pairs(Platform::Tt).len(), 128);
}

#[test]
fn replies_in_each_platforms_shape() {
    let server = Server::new();
    let body = set(&[("level", "3")]);
    let reply = |platform| {
        let request = ServerRequest {
            platform,
            game: GAME,
            openid: "player",
            sig_method: "hmac_sha256",
            signature: "bad",
            body: body.as_bytes(),
        };
        server.send("set", &request).to_json(platform)
    };
    assert_eq!(
        reply(Platform::Wx),
        json!({"errcode": 87009, "errmsg": "invalid signature"})
    );
    assert_eq!(
        reply(Platform::Tt),
        json!({"error": 1, "errcode": 40014, "errmsg": "bad params: invalid signature"})
    );
    let ok = ServerReply {
        errcode: 0,
        errmsg: String::new(),
    };
    assert_eq!(
        ok.to_json(Platform::Tt),
        json!({"error": 0, "errcode": 0, "errmsg": ""})
    );
}
