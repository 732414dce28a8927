//! WeChat's interactive storage (互动型托管数据): per player, keys `'1'`–`'50'` each holding one
//! 32-bit integer, which friends raise (`wx.modifyFriendInteractiveStorage`, from the open data
//! context, within limits the host configures per key), the player reads sealed as open data
//! (`wx.getUserInteractiveStorage`), and the game's server overwrites
//! (`storage.setUserInteractiveData`).
//!
//! # How it is kept
//!
//! Everything lives in [`Namespace::GameHost`] namespaces of the game, which no cloud-data API
//! counts: the configured keys (subject `interactive-keys`), each player's values
//! (`interactive:<openid>`), and each sender's use of each key's daily allowance
//! (`interactive-sent:<key>:<openid>`).
//!
//! A value is never read and rewritten: each change is a record of its own with a unique name,
//! `<key>|a<n>|<id>` (a friend added `n`) or `<key>|s<n>|<id>` (the server set `n`), and the
//! value is the last set (0 without one) plus the adds written after it, in the backend's
//! insertion order, saturating at the bounds of a 32-bit integer. So a concurrent add and set
//! each take effect whole, in the order the backend applied them. A server set also removes
//! the key's older records it saw, in the same write.
//!
//! A key's daily allowance is the backend's entry limit on the sender's allowance namespace:
//! each add puts `opNum` records named by its Beijing day, under the limit, so two concurrent
//! adds can never together pass it; the previous days' records are removed first.
//! The allowance is taken before the value is raised, and given back if raising it fails; a
//! crash in between leaves the allowance used and the value unchanged (never the reverse).

use crate::caller::{Access, Caller};
use crate::clock::Period;
use crate::engine::CloudKv;
use crate::kv_data::parse_key_list;
use crate::open_data::seal;
use crate::record;
use crate::server::{ServerReply, ServerRequest};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use storage_core::server_codes::ServerFault;
use storage_core::{Backend, CloudRule, Error, JsValue, Limits, Namespace, Op, Result};

/// The highest interactive key: keys are `'1'` to `'50'`.
pub const MAX_INTERACTIVE_KEY: u32 = 50;

/// The subject of the game's configured keys.
const KEYS: &str = "interactive-keys";

/// Whether `key` is one of `'1'`–`'50'`, written as JavaScript writes the number (no sign, no
/// leading zero, no space).
pub fn is_interactive_key(key: &str) -> bool {
    !key.starts_with('0')
        && key.bytes().all(|b| b.is_ascii_digit())
        && key
            .parse::<u32>()
            .is_ok_and(|n| (1..=MAX_INTERACTIVE_KEY).contains(&n))
}

/// How the host configures one interactive key of a game (the console's setting and
/// `game.json`'s `modifyFriendInteractiveStorageTemplates`, in one place).
///
/// ```
/// use cloud_kv::InteractiveKey;
/// let gift = InteractiveKey::new("1").max_op_num(2).daily_limit(5);
/// assert_eq!(serde_json::to_value(&gift).unwrap(),
///     serde_json::json!({"key": "1", "maxOpNum": 2, "dailyLimit": 5}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractiveKey {
    /// `'1'` to `'50'`.
    pub key: String,
    /// The largest `opNum` one call may add (WeChat: "currently only 1", the default).
    #[serde(rename = "maxOpNum", default = "one")]
    pub max_op_num: u32,
    /// The most a player may add under this key in one Beijing day, all friends together (sum
    /// of `opNum`); `None` for no daily limit.
    #[serde(rename = "dailyLimit", default)]
    pub daily_limit: Option<u32>,
}

fn one() -> u32 {
    1
}

impl InteractiveKey {
    /// Key `key`: `opNum` 1, no daily limit.
    pub fn new(key: impl Into<String>) -> Self {
        InteractiveKey {
            key: key.into(),
            max_op_num: 1,
            daily_limit: None,
        }
    }

    /// The same with `opNum` up to `n`.
    pub fn max_op_num(mut self, n: u32) -> Self {
        self.max_op_num = n;
        self
    }

    /// The same with at most `n` added per player per day.
    pub fn daily_limit(mut self, n: u32) -> Self {
        self.daily_limit = Some(n);
        self
    }
}

/// `wx.modifyFriendInteractiveStorage`'s options, as JavaScript passed them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModifyOption {
    /// `key`: `'1'`–`'50'`, configured for the game.
    pub key: JsValue,
    /// `opNum`: a whole number from 1 to the key's `maxOpNum`.
    pub op_num: JsValue,
    /// `operation`: `'add'`.
    pub operation: JsValue,
    /// `toUser`: the friend's openid.
    pub to_user: JsValue,
}

/// What `wx.getUserInteractiveStorage` hands the game: the sealed `{kv_list, watermark}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractiveStorage {
    /// base64 AES-128-CBC ciphertext of the JSON (see [`crate::open_sealed`]).
    pub encrypted_data: String,
    /// base64 of the 16-byte iv.
    pub iv: String,
    /// An opaque id standing for the data in WeChat's cloud functions; mpstore has no cloud
    /// functions, so it resolves nowhere.
    pub cloud_id: String,
}

/// A fresh unique name: 16 random bytes, hex.
fn unique() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Backend(format!("no randomness: {e}")))?;
    Ok(base16ct::lower::encode_string(&bytes))
}

fn host_ns(game: &str, subject: String) -> Result<Vec<u8>> {
    Ok(Namespace::game_host(game, subject)?.encode())
}

/// A key's record: `<key>|<kind><n>|<id>`.
fn record_name(key: &str, kind: char, n: i64, id: &str) -> Vec<u8> {
    format!("{key}|{kind}{n}|{id}").into_bytes()
}

/// The (kind, n) of a record of `key`, or `None` for another key's.
fn parse_record<'a>(key: &str, name: &'a [u8]) -> Option<(u8, &'a [u8])> {
    let rest = name.strip_prefix(key.as_bytes())?.strip_prefix(b"|")?;
    let (&kind, rest) = rest.split_first()?;
    let end = rest.iter().position(|&b| b == b'|')?;
    Some((kind, &rest[..end]))
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("interactive record: {what}"))
}

impl<B: Backend> CloudKv<B> {
    // ---- host configuration ----

    /// Makes `keys` the interactive keys of `game` (replacing any earlier set). Each key must be
    /// `'1'`–`'50'` with `max_op_num` at least 1. One atomic write.
    pub async fn set_interactive_keys(&self, game: &str, keys: &[InteractiveKey]) -> Result<()> {
        let ns = host_ns(game, KEYS.into())?;
        let mut ops: Vec<Op> = (self.backend().list(&ns).await?.keys)
            .into_iter()
            .map(|key| Op::Delete { key })
            .collect();
        for k in keys {
            if !is_interactive_key(&k.key) || k.max_op_num == 0 {
                return Err(Error::InvalidParam(format!(
                    "an interactive key is '1' to '50' with maxOpNum at least 1, not {:?} with maxOpNum {}",
                    k.key, k.max_op_num
                )));
            }
            let value = record::json(k).map_err(|e| Error::InvalidParam(e.to_string()))?;
            ops.push(Op::Put {
                key: k.key.as_bytes().to_vec(),
                value,
                charge: 0,
            });
        }
        self.backend()
            .apply(&ns, &ops, Limits::NONE)
            .await
            .map(|_| ())
    }

    /// The interactive keys of `game`, in the order configured.
    pub async fn interactive_keys(&self, game: &str) -> Result<Vec<InteractiveKey>> {
        let ns = host_ns(game, KEYS.into())?;
        let mut keys = Vec::new();
        for name in self.backend().list(&ns).await?.keys {
            if let Some(record) = self.backend().get(&ns, &name).await? {
                keys.push(key_config(&record)?);
            }
        }
        Ok(keys)
    }

    async fn interactive_key(&self, game: &str, key: &str) -> Result<Option<InteractiveKey>> {
        let ns = host_ns(game, KEYS.into())?;
        match self.backend().get(&ns, key.as_bytes()).await? {
            Some(record) => key_config(&record).map(Some),
            None => Ok(None),
        }
    }

    /// `openid`'s values in `game` under `keys`, in that order, only the keys ever written
    /// (host-level, no gate).
    pub async fn interactive_values(
        &self,
        game: &str,
        openid: &str,
        keys: &[String],
    ) -> Result<Vec<(String, i32)>> {
        let ns = host_ns(game, format!("interactive:{openid}"))?;
        let names = self.backend().list(&ns).await?.keys;
        let mut values = Vec::new();
        for key in keys {
            let mut value: Option<i64> = None;
            for (kind, n) in names.iter().filter_map(|name| parse_record(key, name)) {
                let n: i64 = std::str::from_utf8(n)
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| corrupt("amount"))?;
                value = Some(match kind {
                    b's' => n,
                    b'a' => value.unwrap_or(0).saturating_add(n),
                    _ => return Err(corrupt("kind")),
                });
            }
            if let Some(v) = value {
                let v = v.clamp(i32::MIN.into(), i32::MAX.into()) as i32;
                values.push((key.clone(), v));
            }
        }
        Ok(values)
    }

    // ---- the client's APIs ----

    /// `wx.getUserInteractiveStorage({keyList})`, from either context. After the gates (a game,
    /// a player logged in): `keyList` is an Array of Strings ([`CloudRule::InvalidKeyList`]),
    /// each `'1'`–`'50'` ([`CloudRule::InvalidInteractiveKey`]); the player has a session key
    /// ([`CloudRule::NoSessionKey`]). The sealed JSON is `{"kv_list": [{"key", "value"}…],
    /// "watermark": {"appid", "timestamp"}}`: the keys asked for that were ever written, in the
    /// order asked, each value the decimal text of the integer (a `KVData`), the timestamp in
    /// seconds on the engine's clock.
    pub async fn get_user_interactive_storage(
        &self,
        caller: &Caller,
        key_list: &JsValue,
    ) -> Result<InteractiveStorage> {
        // Write access: the gates without the open-data one (this read is allowed in both).
        let openid = caller.gate(Access::Write)?;
        let keys = parse_key_list(key_list)?;
        if !keys.iter().all(|k| is_interactive_key(k)) {
            return Err(CloudRule::InvalidInteractiveKey.into());
        }
        let session = self
            .sessions()
            .key(caller.platform, &caller.game, openid)
            .await?
            .ok_or(CloudRule::NoSessionKey)?;
        let values = self.interactive_values(&caller.game, openid, &keys).await?;
        let list: Vec<Value> = values
            .iter()
            .map(|(key, value)| json!({"key": key, "value": value.to_string()}))
            .collect();
        let plain = json!({
            "kv_list": list,
            "watermark": {"appid": caller.game, "timestamp": self.clock().now_ms().div_euclid(1000)},
        });
        let sealed = seal(&session, plain.to_string().as_bytes())?;
        Ok(InteractiveStorage {
            encrypted_data: sealed.encrypted_data,
            iv: sealed.iv,
            cloud_id: unique()?,
        })
    }

    /// `wx.modifyFriendInteractiveStorage({key, opNum, operation, toUser})`: adds `opNum` to the
    /// friend's value under `key`. Checked in this order, after the gates (a game, a player
    /// logged in, the open data context): `key` is a configured key
    /// ([`CloudRule::InvalidInteractiveKey`]); `opNum` a whole Number from 1 to its `maxOpNum`
    /// ([`CloudRule::InvalidOpNum`]); `operation` is `'add'` ([`CloudRule::InvalidOperation`]);
    /// `toUser` a friend of the caller ([`CloudRule::InvalidOpenid`]); the day's allowance
    /// holds `opNum` more ([`CloudRule::InteractiveDailyLimit`]). Returns the key, which
    /// `wx.onInteractiveStorageModified` listeners receive.
    pub async fn modify_friend_interactive_storage(
        &self,
        caller: &Caller,
        option: &ModifyOption,
    ) -> Result<String> {
        // Read access: the gates with the open-data one (this write needs it).
        let openid = caller.gate(Access::Read)?;
        let game = caller.game.as_str();
        let config = match &option.key {
            JsValue::String(k) if is_interactive_key(k) => self.interactive_key(game, k).await?,
            _ => None,
        }
        .ok_or(CloudRule::InvalidInteractiveKey)?;
        let op_num = match option.op_num {
            JsValue::Number(n) if n.fract() == 0.0 && n >= 1.0 && n <= config.max_op_num.into() => {
                n as u32
            }
            _ => return Err(CloudRule::InvalidOpNum.into()),
        };
        if !matches!(&option.operation, JsValue::String(s) if s.as_str() == "add") {
            return Err(CloudRule::InvalidOperation.into());
        }
        let to = match &option.to_user {
            JsValue::String(s) if !s.is_empty() => s.as_str().to_owned(),
            _ => return Err(CloudRule::InvalidOpenid.into()),
        };
        if !self.relations().friends(game, openid).await?.contains(&to) {
            return Err(CloudRule::InvalidOpenid.into());
        }
        let id = unique()?;
        let allowance = match config.daily_limit {
            Some(limit) => Some(
                self.take_allowance(game, openid, &config.key, op_num, limit, &id)
                    .await?,
            ),
            None => None,
        };
        let ns = host_ns(game, format!("interactive:{to}"))?;
        let add = Op::Put {
            key: record_name(&config.key, 'a', op_num.into(), &id),
            value: vec![record::V1],
            charge: 0,
        };
        if let Err(e) = self.backend().apply(&ns, &[add], Limits::NONE).await {
            if let Some((ns, names)) = allowance {
                // Best effort: the value did not change, so the allowance is given back.
                let back: Vec<Op> = names.into_iter().map(|key| Op::Delete { key }).collect();
                let _ = self.backend().apply(&ns, &back, Limits::NONE).await;
            }
            return Err(e);
        }
        Ok(config.key)
    }

    /// Uses `n` of `openid`'s allowance of `key` today, atomically under `limit`: `n` records,
    /// one per unit, counted by the backend's entry limit (entries, not charges, so that a dump
    /// and its restore keep the day's use). Returns the records written (namespace, names), to
    /// give them back.
    async fn take_allowance(
        &self,
        game: &str,
        openid: &str,
        key: &str,
        n: u32,
        limit: u32,
        id: &str,
    ) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
        let ns = host_ns(game, format!("interactive-sent:{key}:{openid}"))?;
        let today = format!("{}|", Period::Day.start(self.clock().now_ms()));
        let stale: Vec<Op> = (self.backend().list(&ns).await?.keys)
            .into_iter()
            .filter(|k| !k.starts_with(today.as_bytes()))
            .map(|key| Op::Delete { key })
            .collect();
        if !stale.is_empty() {
            self.backend().apply(&ns, &stale, Limits::NONE).await?;
        }
        let names: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("{today}{id}|{i}").into_bytes())
            .collect();
        let puts: Vec<Op> = names
            .iter()
            .map(|name| Op::Put {
                key: name.clone(),
                value: vec![record::V1],
                charge: 0,
            })
            .collect();
        let limits = Limits {
            max_bytes: u64::MAX,
            max_entries: limit.into(),
        };
        match self.backend().apply(&ns, &puts, limits).await {
            Ok(_) => Ok((ns, names)),
            Err(Error::LimitExceeded { .. }) => Err(CloudRule::InteractiveDailyLimit.into()),
            Err(e) => Err(e),
        }
    }

    // ---- the server's API ----

    /// WeChat's `storage.setUserInteractiveData`: the body `{"kv_list":[{"key","value"}…]}`
    /// overwrites the player's values. Checked in this order: `sig_method`; the openid is not
    /// empty (`87081`); the session and signature; the body is that JSON, not empty, each key a
    /// String and each value a whole Number within 32 bits (`47001`); each key `'1'`–`'50'`
    /// (`87082`). Keys need not be configured (the configuration governs friends' adds); a key
    /// named twice takes the later value. One atomic write.
    pub async fn set_user_interactive_data(&self, request: &ServerRequest<'_>) -> ServerReply {
        let platform = request.platform;
        let failed = |fault| ServerReply::failed(platform, fault);
        if request.sig_method != "hmac_sha256" {
            return failed(ServerFault::SigMethod);
        }
        if request.openid.is_empty() {
            return failed(ServerFault::Store(&CloudRule::InvalidOpenid.into()));
        }
        if let Err(reply) = self.check_signature(request).await {
            return reply;
        }
        let Some(pairs) = interactive_body(request.body) else {
            return failed(ServerFault::Body);
        };
        if !pairs.iter().all(|(k, _)| is_interactive_key(k)) {
            return failed(ServerFault::Store(&CloudRule::InvalidInteractiveKey.into()));
        }
        match self.write_sets(request.game, request.openid, &pairs).await {
            Ok(()) => ServerReply::ok(platform),
            Err(e) => failed(ServerFault::Store(&e)),
        }
    }

    async fn write_sets(&self, game: &str, openid: &str, pairs: &[(String, i32)]) -> Result<()> {
        let ns = host_ns(game, format!("interactive:{openid}"))
            .map_err(|_| Error::Cloud(CloudRule::InvalidOpenid))?;
        let mut ops: Vec<Op> = (self.backend().list(&ns).await?.keys)
            .into_iter()
            .filter(|name| pairs.iter().any(|(k, _)| parse_record(k, name).is_some()))
            .map(|key| Op::Delete { key })
            .collect();
        for (key, value) in pairs {
            ops.push(Op::Put {
                key: record_name(key, 's', (*value).into(), &unique()?),
                value: vec![record::V1],
                charge: 0,
            });
        }
        self.backend()
            .apply(&ns, &ops, Limits::NONE)
            .await
            .map(|_| ())
    }
}

/// A stored key configuration.
fn key_config(bytes: &[u8]) -> Result<InteractiveKey> {
    record::from_json(bytes, "key configuration")
}

/// `{"kv_list":[{"key": String, "value": whole Number within 32 bits}…]}`, not empty.
fn interactive_body(body: &[u8]) -> Option<Vec<(String, i32)>> {
    let body: Value = serde_json::from_slice(body).ok()?;
    let items = body.get("kv_list")?.as_array()?;
    if items.is_empty() {
        return None;
    }
    items
        .iter()
        .map(|item| {
            let key = item.get("key")?.as_str()?.to_owned();
            let value = item.get("value")?;
            let value = match value.as_i64() {
                Some(v) => i32::try_from(v).ok()?,
                // `1.0` is a whole Number to JavaScript.
                None => {
                    let f = value.as_f64()?;
                    (f.fract() == 0.0 && f >= i32::MIN.into() && f <= i32::MAX.into())
                        .then_some(f as i32)?
                }
            };
            Some((key, value))
        })
        .collect()
}
