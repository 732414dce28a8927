//! The service over real HTTP (reqwest on loopback): registrations, each platform's answers to
//! bad tokens, signatures and bodies, large bodies, and many concurrent connections.

use cloud_kv::{sign, Caller, KvData, Platform};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use storage_core::MemoryBackend;
use storage_serve::GameServer;

const GAME: &str = "game";
const TOKEN: &str = "access-token";

/// A running service with the game registered on both platforms under `TOKEN`.
struct Service {
    server: Arc<GameServer>,
    base: String,
    http: reqwest::Client,
}

impl Service {
    async fn start() -> Self {
        let server = Arc::new(GameServer::new(Arc::new(MemoryBackend::new())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(storage_serve::serve(
            listener,
            server.clone(),
            std::future::pending(),
        ));
        let service = Service {
            server,
            base,
            http: reqwest::Client::new(),
        };
        for platform in ["wx", "tt"] {
            let app = json!({"platform": platform, "game": GAME, "access_token": TOKEN});
            assert_eq!(
                service.admin("apps", &app, true).await,
                (200, json!({"ok": true}))
            );
        }
        service
    }

    /// An admin request, with the admin token or without: (status, body).
    async fn admin(&self, what: &str, body: &Value, authorised: bool) -> (u16, Value) {
        let mut request = self.http.post(format!("{}/mpstore/{what}", self.base));
        if authorised {
            request = request.bearer_auth(self.server.admin_token());
        }
        let response = request.body(body.to_string()).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn login(&self, platform: &str, openid: &str) {
        let session = json!({"platform": platform, "game": GAME, "openid": openid, "session_key": key(openid)});
        assert_eq!(self.admin("sessions", &session, true).await.0, 200);
    }

    /// A platform request at `path` for `openid`, signed with `signature` (or properly): the
    /// answer's JSON.
    async fn call(
        &self,
        path: &str,
        token: &str,
        openid: &str,
        body: &str,
        sig: Option<&str>,
    ) -> Value {
        let signature = sig.map_or_else(|| sign(&key(openid), body.as_bytes()), str::to_owned);
        let url = format!("{}{path}", self.base);
        let query = [
            ("access_token", token),
            ("openid", openid),
            ("signature", &signature),
            ("sig_method", "hmac_sha256"),
        ];
        let response = self
            .http
            .post(url)
            .query(&query)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.json().await.unwrap()
    }

    /// The errcode of a properly signed set at `path`.
    async fn set(&self, path: &str, openid: &str, body: &str) -> i64 {
        self.call(path, TOKEN, openid, body, None).await["errcode"]
            .as_i64()
            .unwrap()
    }

    /// What the client reads of `openid`'s pairs.
    async fn pairs(&self, platform: Platform, openid: &str) -> Vec<KvData> {
        let cloud = self.server.cloud();
        let player = Caller::new(platform, GAME).logged_in(openid).open_data();
        let keys = cloud.get_user_cloud_storage_keys(&player).await.unwrap();
        cloud.get_pairs(&player, &keys).await.unwrap()
    }
}

fn key(openid: &str) -> String {
    format!("session key of {openid}")
}

fn kv_list(pairs: &[(String, String)]) -> String {
    let list: Vec<_> = pairs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    json!({ "kv_list": list }).to_string()
}

const WX_SET: &str = "/wxa/set_user_storage";
const TT_SET: &str = "/mgplatform/api/apps/set_user_storage";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_requests_need_the_token_and_a_known_platform() {
    let s = Service::start().await;
    let app = json!({"platform": "wx", "game": "g2", "access_token": "t2"});
    let (status, body) = s.admin("apps", &app, false).await;
    assert_eq!(status, 401, "{body}");
    let cases: &[(&str, Value, u16)] = &[
        (
            "apps",
            json!({"platform": "my", "game": "g", "access_token": "t"}),
            400,
        ),
        ("apps", json!({"platform": "wx", "game": "g"}), 400),
        (
            "sessions",
            json!({"platform": "tt", "game": "g", "openid": "o"}),
            400,
        ),
        (
            "sessions",
            json!({"platform": "tt", "game": "g", "openid": "o", "session_key": "k"}),
            200,
        ),
        (
            "pairs",
            json!({"platform": "tt", "game": "g", "openid": "o"}),
            200,
        ),
        (
            "pairs",
            json!({"platform": "tt", "game": "g", "openid": ""}),
            400,
        ),
        ("pairs", json!({"platform": "tt", "game": "g"}), 400),
    ];
    for (what, body, status) in cases {
        assert_eq!(s.admin(what, body, true).await.0, *status, "{what} {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_write_is_what_the_client_reads_on_every_path() {
    let s = Service::start().await;
    let paths = [
        (
            Platform::Wx,
            "wx",
            WX_SET,
            "/wxa/remove_user_storage",
            json!({"errcode": 0, "errmsg": "ok"}),
        ),
        (
            Platform::Tt,
            "tt",
            TT_SET,
            "/mgplatform/api/apps/remove_user_storage",
            json!({"error": 0, "errcode": 0, "errmsg": ""}),
        ),
        (
            Platform::Tt,
            "tt",
            "/api/apps/set_user_storage",
            "/api/apps/remove_user_storage",
            json!({"error": 0, "errcode": 0, "errmsg": ""}),
        ),
    ];
    for (platform, name, set, remove, ok) in paths {
        s.login(name, "player").await;
        let body = kv_list(&[("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(s.call(set, TOKEN, "player", &body, None).await, ok, "{set}");
        assert_eq!(
            s.pairs(platform, "player").await,
            [KvData::new("a", "1"), KvData::new("b", "2")]
        );
        let who = json!({"platform": name, "game": GAME, "openid": "player"});
        let listed =
            json!({"KVDataList": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]});
        assert_eq!(s.admin("pairs", &who, true).await, (200, listed));
        assert_eq!(s.admin("pairs", &who, false).await.0, 401);
        let removal = json!({"key": ["a", "b"]}).to_string();
        assert_eq!(
            s.call(remove, TOKEN, "player", &removal, None).await,
            ok,
            "{remove}"
        );
        assert!(s.pairs(platform, "player").await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_signatures_and_bodies_get_the_platforms_errcodes() {
    let s = Service::start().await;
    s.login("wx", "player").await;
    s.login("tt", "player").await;
    let good = kv_list(&[("a".into(), "1".into())]);
    // (token, body, signature, WeChat's errcode, Douyin's errcode)
    let cases: &[(&str, &str, Option<&str>, i64, i64)] = &[
        ("unknown", &good, None, 40001, 40014),
        ("", &good, None, 40001, 40014),
        (TOKEN, &good, Some("00"), 87009, 40014),
        (TOKEN, "{\"kv_list\":", None, 47001, 40014),
        (TOKEN, "", None, 47001, 40014),
        (TOKEN, "\u{feff}[1,2]", None, 47001, 40014),
    ];
    for &(token, body, sig, wx, tt) in cases {
        for (path, code) in [(WX_SET, wx), (TT_SET, tt)] {
            let reply = s.call(path, token, "player", body, sig).await;
            assert_eq!(reply["errcode"], code, "{path} {token:?} {body:?}: {reply}");
        }
    }
    assert!(s.pairs(Platform::Wx, "player").await.is_empty());
    assert!(s.pairs(Platform::Tt, "player").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn megabyte_bodies_are_refused_whole() {
    let s = Service::start().await;
    s.login("wx", "player").await;
    s.login("tt", "player").await;
    let one_big = kv_list(&[("k".into(), "v".repeat(1 << 20))]);
    let many: Vec<(String, String)> = (0..1100)
        .map(|i| (format!("k{i}"), "v".repeat(1000)))
        .collect();
    let many = kv_list(&many);
    let over_the_limit = kv_list(&[("k".into(), "v".repeat(5 << 20))]);
    // (body, WeChat's errcode, Douyin's errcode)
    let cases: &[(&str, i64, i64)] = &[
        (&one_big, 87016, 40010),
        (&many, 87018, 60001),
        (&over_the_limit, 47001, 40014),
    ];
    for &(body, wx, tt) in cases {
        assert!(body.len() >= 1 << 20);
        assert_eq!(s.set(WX_SET, "player", body).await, wx);
        assert_eq!(s.set(TT_SET, "player", body).await, tt);
    }
    assert!(s.pairs(Platform::Wx, "player").await.is_empty());
    assert!(s.pairs(Platform::Tt, "player").await.is_empty());
}

/// 100 connections (a client each) write 4 keys at a time for 20 players, 5 connections a
/// player, more keys than a player may hold: every player ends with at most 128 pairs, and the
/// pairs held are exactly those whose writes were acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connections_keep_the_limits_and_lose_nothing() {
    const PLAYERS: usize = 20;
    const PER_PLAYER: usize = 5;
    const ROUNDS: usize = 8;
    let s = Arc::new(Service::start().await);
    for p in 0..PLAYERS {
        s.login("tt", &format!("p{p}")).await;
    }
    let writers = (0..PLAYERS * PER_PLAYER).map(|w| {
        let s = s.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new(); // its own connection
            let mine = Service {
                server: s.server.clone(),
                base: s.base.clone(),
                http,
            };
            let openid = format!("p{}", w % PLAYERS);
            let mut acked = Vec::new();
            for round in 0..ROUNDS {
                let keys: Vec<String> = (0..4).map(|i| format!("w{w}r{round}k{i}")).collect();
                let body = kv_list(
                    &keys
                        .iter()
                        .map(|k| (k.clone(), k.repeat(20)))
                        .collect::<Vec<_>>(),
                );
                match mine.set(TT_SET, &openid, &body).await {
                    0 => acked.extend(keys),
                    60001 => {}
                    other => panic!("errcode {other}"),
                }
            }
            (openid, acked)
        })
    });
    let mut acked: Vec<(String, Vec<String>)> = Vec::new();
    for writer in writers.collect::<Vec<_>>() {
        acked.push(writer.await.unwrap());
    }
    for p in 0..PLAYERS {
        let openid = format!("p{p}");
        let held = s.pairs(Platform::Tt, &openid).await;
        assert!(held.len() <= 128, "{openid} holds {}", held.len());
        assert!(
            held.iter().all(|kv| kv.value == kv.key.repeat(20)),
            "{openid}: a torn pair"
        );
        let held: BTreeSet<String> = held.into_iter().map(|kv| kv.key).collect();
        let expected: BTreeSet<String> = acked
            .iter()
            .filter(|(o, _)| *o == openid)
            .flat_map(|(_, k)| k.clone())
            .collect();
        assert_eq!(
            held, expected,
            "{openid}: held is exactly what was acknowledged"
        );
        assert!(
            held.len() > 100,
            "{openid}: the limit was reached ({} held)",
            held.len()
        );
    }
}

const WX_INTERACTIVE: &str = "/wxa/setuserinteractivedata";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_user_interactive_data_over_http_is_what_the_client_seals() {
    let s = Service::start().await;
    s.login("wx", "ann").await;
    // (openid, body, errcode)
    let cases = [
        (
            "ann",
            r#"{"kv_list":[{"key":"1","value":3},{"key":"9","value":-1}]}"#,
            0,
        ),
        ("ann", r#"{"kv_list":[{"key":"51","value":3}]}"#, 87082),
        ("ann", r#"{"kv_list":[{"key":"1","value":"3"}]}"#, 47001),
        ("bob", r#"{"kv_list":[{"key":"1","value":3}]}"#, 87009),
        ("", r#"{"kv_list":[{"key":"1","value":3}]}"#, 87081),
    ];
    for (openid, body, errcode) in cases {
        assert_eq!(
            s.set(WX_INTERACTIVE, openid, body).await,
            errcode,
            "{openid} {body}"
        );
    }
    let answer = s.call(WX_INTERACTIVE, "nope", "ann", "{}", None).await;
    assert_eq!(answer["errcode"], 40001);
    // The client over the same store seals the values with the key the server registered.
    let cloud = s.server.cloud();
    let ann = Caller::new(Platform::Wx, GAME).logged_in("ann");
    let keys: storage_core::JsValue = serde_json::from_value(json!(["9", "1", "2"])).unwrap();
    // "session key of ann" is no AES key: registered as the server's, it seals nothing.
    let refused = cloud.get_user_interactive_storage(&ann, &keys).await;
    assert_eq!(
        refused.map(|_| ()),
        Err(storage_core::Error::Cloud(
            storage_core::CloudRule::NoSessionKey
        ))
    );
    let aes_key = "AAECAwQFBgcICQoLDA0ODw==";
    let session = json!({"platform": "wx", "game": GAME, "openid": "ann", "session_key": aes_key});
    assert_eq!(s.admin("sessions", &session, true).await.0, 200);
    let sealed = cloud
        .get_user_interactive_storage(&ann, &keys)
        .await
        .unwrap();
    let plain = cloud_kv::open_sealed(aes_key, &sealed.encrypted_data, &sealed.iv).unwrap();
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(
        plain["kv_list"],
        json!([{"key": "9", "value": "-1"}, {"key": "1", "value": "3"}])
    );
}
