//! Dumps and imports: a whole store, or one namespace, in one JSON format that keeps every
//! JavaScript type (`docs/dump.md`): what `mpstore dump` / `mpstore import` read and write, and
//! what a test's `mp.host.dump()` / `snapshot()` / `restore()` exchange.

use crate::dispatch::namespaces::{from_json, to_json};
use crate::Mpstore;
use serde_json::{json, Map, Value};
use storage_core::value::tagged::{from_tagged, to_tagged};
use storage_core::{Dialect, Entry, Error, Limits, Namespace, Op, Result, Store};

/// The `"format"` of a dump.
pub const FORMAT: &str = "mpstore-dump";
/// The `"version"` of the format this build writes and reads.
pub const VERSION: u64 = 1;

impl Mpstore {
    /// Every namespace holding data (or only `only`), with its usage and its entries in
    /// insertion order, as the JSON of `docs/dump.md`: sorted by namespace, so two dumps of the
    /// same data are the same text.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::{block_on, Dialect, Scope};
    /// let store = Mpstore::in_memory();
    /// let app = store.mini_program("u", "app", Scope::App).unwrap();
    /// app.wx().set_storage_sync("k", storage_core::JsValue::Undefined).unwrap();
    /// let dump = block_on(store.dump(None)).unwrap();
    /// assert_eq!(dump["namespaces"][0]["data"][0], serde_json::json!({"key": "k", "value": {"$js": "undefined"}}));
    /// let copy = Mpstore::in_memory();
    /// block_on(copy.import(&dump, Dialect::Wx)).unwrap();
    /// assert_eq!(block_on(copy.dump(None)).unwrap(), dump);
    /// ```
    pub async fn dump(&self, only: Option<&Namespace>) -> Result<Value> {
        let mut listed = self.store_engine().namespaces().await?;
        listed.retain(|n| only.is_none_or(|o| *o == n.namespace));
        listed.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        let mut namespaces = Vec::with_capacity(listed.len());
        for n in listed {
            let mut item = match to_json(&n.namespace) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            item.insert("bytes".into(), n.usage.bytes.into());
            item.insert("entries".into(), n.usage.entries.into());
            item.insert("data".into(), Value::Array(self.data(&n.namespace).await?));
            namespaces.push(Value::Object(item));
        }
        Ok(json!({"format": FORMAT, "version": VERSION, "namespaces": namespaces}))
    }

    pub(crate) async fn data(&self, ns: &Namespace) -> Result<Vec<Value>> {
        Ok(match ns {
            Namespace::Local { .. } => self
                .store_engine()
                .entries(ns)
                .await?
                .into_iter()
                .map(|e| {
                    let mut item = json!({"key": e.key, "value": to_tagged(&e.value)});
                    if e.encrypt {
                        item["encrypt"] = true.into();
                    }
                    item
                })
                .collect(),
            Namespace::Cloud { game, openid } => self
                .cloud()
                .engine()
                .player_pairs(game, openid)
                .await?
                .into_iter()
                .map(|p| json!({"key": p.key, "value": p.value}))
                .collect(),
            // The games' host configuration (leaderboard keys, relations): cloud-kv's own
            // records, copied as they are.
            Namespace::GameHost { .. } => {
                let backend = self.backend();
                let ns = ns.encode();
                let mut out = Vec::new();
                for key in backend.list(&ns).await?.keys {
                    if let Some(record) = backend.get(&ns, &key).await? {
                        out.push(json!({"keyHex": hex(&key), "recordHex": hex(&record)}));
                    }
                }
                out
            }
        })
    }

    /// Writes a dump ([`dump`](Self::dump)) into this store: each namespace it holds is made to
    /// hold exactly its entries, in their order (other namespaces are left alone). Local
    /// entries are measured as `platform` measures them (their quota is not applied, so a
    /// snapshot always restores); cloud pairs keep the game rules. Returns how many namespaces
    /// were written. A dump that is not valid is refused before anything is written.
    pub async fn import(&self, dump: &Value, platform: Dialect) -> Result<usize> {
        self.write_dump(parse(dump)?, platform).await
    }

    /// Makes the store exactly a dump (a snapshot): every namespace the dump does not hold is
    /// dropped, then the dump is imported ([`import`](Self::import)). A dump that is not valid
    /// is refused before anything changes.
    pub async fn restore(&self, dump: &Value, platform: Dialect) -> Result<usize> {
        let plan = parse(dump)?;
        self.reset(None).await?;
        self.write_dump(plan, platform).await
    }

    async fn write_dump(&self, plan: Vec<(Namespace, Data)>, platform: Dialect) -> Result<usize> {
        let policy = platform.policy();
        let store = self.store_engine();
        for (ns, data) in &plan {
            match (ns, data) {
                (Namespace::Local { .. }, Data::Local(entries)) => {
                    store.replace(ns, policy, entries).await?
                }
                (Namespace::Cloud { game, openid }, Data::Cloud(pairs)) => {
                    let pairs: Vec<_> = pairs
                        .iter()
                        .map(|(k, v)| cloud_kv::KvData::new(k.as_str(), v.as_str()))
                        .collect();
                    self.cloud()
                        .engine()
                        .replace_player_pairs(game, openid, &pairs)
                        .await?
                }
                (_, Data::Raw(records)) => {
                    let backend = self.backend();
                    let ns = ns.encode();
                    let old = backend.list(&ns).await?.keys;
                    let mut ops: Vec<Op> = old.into_iter().map(|key| Op::Delete { key }).collect();
                    ops.extend(records.iter().map(|(key, value)| Op::Put {
                        key: key.clone(),
                        value: value.clone(),
                        charge: 0,
                    }));
                    backend.apply(&ns, &ops, Limits::NONE).await?;
                }
                _ => unreachable!("parse pairs each namespace with its kind of data"),
            }
        }
        Ok(plan.len())
    }

    /// Drops every namespace (or only `only`): the store as new. Returns how many were dropped.
    pub async fn reset(&self, only: Option<&Namespace>) -> Result<usize> {
        let store = self.store_engine();
        let mut dropped = 0;
        for n in store.namespaces().await? {
            if only.is_none_or(|o| *o == n.namespace) {
                store.drop_namespace(&n.namespace).await?;
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    pub(crate) fn store_engine(&self) -> Store<std::sync::Arc<dyn storage_core::Backend>> {
        Store::new(self.backend())
    }
}

/// What a dump holds for one namespace, checked.
enum Data {
    Local(Vec<Entry>),
    Cloud(Vec<(String, String)>),
    Raw(Vec<(Vec<u8>, Vec<u8>)>),
}

fn bad(why: impl std::fmt::Display) -> Error {
    Error::InvalidParam(format!("not an mpstore dump: {why}"))
}

fn parse(dump: &Value) -> Result<Vec<(Namespace, Data)>> {
    if dump.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(bad(format!("\"format\" must be \"{FORMAT}\"")));
    }
    match dump.get("version").and_then(Value::as_u64) {
        Some(VERSION) => {}
        other => {
            return Err(bad(format!(
                "version {other:?}; this build reads version {VERSION}"
            )))
        }
    }
    let Some(Value::Array(items)) = dump.get("namespaces") else {
        return Err(bad("\"namespaces\" must be an array"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let ns = from_json(item).map_err(|e| bad(format!("namespace {i}: {e}")))?;
            let Some(Value::Array(data)) = item.get("data") else {
                return Err(bad(format!("namespace {i}: \"data\" must be an array")));
            };
            let at = |j: usize, why: &str| bad(format!("namespace {i}, entry {j}: {why}"));
            let data = match &ns {
                Namespace::Local { .. } => Data::Local(
                    data.iter()
                        .enumerate()
                        .map(|(j, e)| {
                            let key = e
                                .get("key")
                                .and_then(Value::as_str)
                                .ok_or_else(|| at(j, "\"key\" must be a string"))?;
                            let value = e.get("value").ok_or_else(|| at(j, "no \"value\""))?;
                            let value =
                                from_tagged(value).map_err(|err| at(j, &err.to_string()))?;
                            let encrypt =
                                e.get("encrypt").and_then(Value::as_bool).unwrap_or(false);
                            Ok(Entry {
                                key: key.to_owned(),
                                value,
                                encrypt,
                            })
                        })
                        .collect::<Result<_>>()?,
                ),
                Namespace::Cloud { .. } => Data::Cloud(
                    data.iter()
                        .enumerate()
                        .map(|(j, e)| match (e.get("key"), e.get("value")) {
                            (Some(Value::String(k)), Some(Value::String(v))) => {
                                Ok((k.clone(), v.clone()))
                            }
                            _ => Err(at(
                                j,
                                "a cloud pair is {\"key\": string, \"value\": string}",
                            )),
                        })
                        .collect::<Result<_>>()?,
                ),
                Namespace::GameHost { .. } => Data::Raw(
                    data.iter()
                        .enumerate()
                        .map(|(j, e)| {
                            let field = |name: &str| {
                                e.get(name)
                                    .and_then(Value::as_str)
                                    .and_then(unhex)
                                    .ok_or_else(|| at(j, &format!("\"{name}\" must be hex")))
                            };
                            Ok((field("keyHex")?, field("recordHex")?))
                        })
                        .collect::<Result<_>>()?,
                ),
            };
            Ok((ns, data))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    base16ct::mixed::decode_vec(text).ok()
}

#[cfg(test)]
mod tests {
    use super::{hex, unhex};

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&bytes)), Some(bytes));
        assert_eq!(hex(b"score"), "73636f7265");
        assert_eq!(unhex("0A1b"), Some(vec![0x0a, 0x1b]));
        for bad in ["abc", "0g", "é0", " 00"] {
            assert_eq!(unhex(bad), None, "{bad:?}");
        }
    }
}
