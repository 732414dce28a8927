//! [`CloudKv`]: the rules of behaviour §5 over any [`Backend`].

use crate::caller::{Access, Caller};
use crate::clock::Clock;
use crate::kv_data::{dedup, parse_key_list, parse_kv_data_list, KvData, UserGameData};
use crate::leaderboard::{leaderboard_score, Score};
use crate::query::{Relation, RelationQuery};
use crate::record;
use crate::relations::{Profile, RelationProvider};
use crate::server::Sessions;
use crate::stored_relations::StoredRelations;
use std::collections::HashSet;
use std::sync::Arc;
use storage_core::{
    Backend, CloudPolicy, CloudRule, Error, JsValue, Limits, Namespace, Op, ReadPair, Result,
};

/// The most players one relation read returns.
pub const MAX_RELATION_RESULTS: usize = 100;

/// The subject of a game's [`Namespace::GameHost`] namespace holding its leaderboard keys.
const LEADERBOARDS: &str = "leaderboards";

/// Game cloud key-value data over a backend: validation, all-or-nothing writes, the pair limit,
/// leaderboard values, context and session gates, and relation reads (see the crate docs for
/// the rules and their order).
///
/// ```
/// use cloud_kv::{Caller, CloudKv, KvData, Platform};
/// use std::sync::Arc;
/// use storage_core::{block_on, MemoryBackend};
/// let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
/// let player = Caller::new(Platform::Wx, "wx-game").logged_in("o1");
/// block_on(async {
///     cloud.set_pairs(&player, &[KvData::new("level", "3")]).await.unwrap();
///     // reads only from the open data context
///     assert!(cloud.get_pairs(&player, &["level".into()]).await.is_err());
///     let pairs = cloud.get_pairs(&player.clone().open_data(), &["level".into()]).await.unwrap();
///     assert_eq!(pairs, [KvData::new("level", "3")]);
/// });
/// ```
pub struct CloudKv<B> {
    backend: B,
    relations: Arc<dyn RelationProvider>,
    policy: CloudPolicy,
    clock: Clock,
}

impl<B> std::fmt::Debug for CloudKv<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudKv")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<B: Backend + Clone + 'static> CloudKv<B> {
    /// Cloud data in `backend`, with relations kept in the same backend ([`StoredRelations`]).
    pub fn new(backend: B) -> Self {
        let relations = Arc::new(StoredRelations::new(backend.clone()));
        Self::with_relations(backend, relations)
    }
}

impl<B: Backend> CloudKv<B> {
    /// Cloud data in `backend`, with relations from `relations`.
    pub fn with_relations(backend: B, relations: Arc<dyn RelationProvider>) -> Self {
        CloudKv {
            backend,
            relations,
            policy: CloudPolicy::DEFAULT,
            clock: Clock::system(),
        }
    }

    /// The same engine on `clock` (one the host sets, shared with its other engines).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock periods and daily limits are counted on.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The same engine under other limits (tests use small ones).
    pub fn with_policy(mut self, policy: CloudPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The backend underneath.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The relation provider.
    pub fn relations(&self) -> &Arc<dyn RelationProvider> {
        &self.relations
    }

    /// The players' session keys, kept in the same backend (see [`Sessions`]).
    pub fn sessions(&self) -> Sessions<&B> {
        Sessions::new(&self.backend)
    }

    /// The limits in force.
    pub fn policy(&self) -> &CloudPolicy {
        &self.policy
    }

    // ---- host configuration ----

    /// Makes `keys` the leaderboard keys of `game` (replacing any earlier set): from then on a
    /// write to one of them must hold the leaderboard JSON. One atomic write.
    pub async fn set_leaderboard_keys<S: AsRef<str>>(&self, game: &str, keys: &[S]) -> Result<()> {
        let ns = Namespace::game_host(game, LEADERBOARDS)?.encode();
        let wanted: HashSet<&[u8]> = keys.iter().map(|k| k.as_ref().as_bytes()).collect();
        let mut ops: Vec<Op> = self
            .backend
            .list(&ns)
            .await?
            .keys
            .into_iter()
            .filter(|k| !wanted.contains(k.as_slice()))
            .map(|key| Op::Delete { key })
            .collect();
        for key in keys {
            let key = key.as_ref();
            if key.is_empty() {
                return Err(Error::InvalidParam(
                    "a leaderboard key must not be empty".into(),
                ));
            }
            ops.push(Op::Put {
                key: key.as_bytes().to_vec(),
                value: vec![record::V1],
                charge: 0,
            });
        }
        self.backend
            .apply(&ns, &ops, Limits::NONE)
            .await
            .map(|_| ())
    }

    /// The leaderboard keys of `game`, in the order they were first configured.
    pub async fn leaderboard_keys(&self, game: &str) -> Result<Vec<String>> {
        let ns = Namespace::game_host(game, LEADERBOARDS)?.encode();
        self.backend
            .list(&ns)
            .await?
            .keys
            .into_iter()
            .map(|k| String::from_utf8(k).map_err(|_| corrupt("leaderboard key")))
            .collect()
    }

    /// Removes all of `openid`'s key-value pairs in `game` (the player deleted their account or
    /// the game): host-level, no gate. The game's host data (relations kept by
    /// [`StoredRelations`], ImRank entries, interactive values, session keys) stays, the host's
    /// to edit.
    pub async fn remove_player(&self, game: &str, openid: &str) -> Result<()> {
        let ns = Namespace::cloud(game, openid)?.encode();
        self.backend.drop_namespace(&ns).await
    }

    /// Every pair `openid` holds in `game`, in the order first written (host-level, no gate:
    /// a dump).
    pub async fn player_pairs(&self, game: &str, openid: &str) -> Result<Vec<KvData>> {
        let ns = Namespace::cloud(game, openid)?.encode();
        let keys = self.backend.list(&ns).await?.keys;
        let reads: Vec<ReadPair<'_>> = keys.iter().map(|key| (&ns[..], &key[..])).collect();
        let mut pairs = Vec::new();
        // One batched read; a pair removed since the listing is simply absent.
        for (key, record) in keys.iter().zip(self.backend.get_many(&reads).await?) {
            if let Some(record) = record {
                let key = std::str::from_utf8(key).map_err(|_| corrupt("cloud key"))?;
                pairs.push(KvData::new(key, decode_value(record.bytes())?));
            }
        }
        Ok(pairs)
    }

    /// Makes `openid` hold exactly `pairs` in `game`, in one atomic write (host-level, no gate:
    /// restoring a dump). Each pair and the 128-pair limit are checked as a client's call is.
    pub async fn replace_player_pairs(
        &self,
        game: &str,
        openid: &str,
        pairs: &[KvData],
    ) -> Result<()> {
        let ns = Namespace::cloud(game, openid)?.encode();
        let listing = self.backend.list(&ns).await?;
        let mut ops: Vec<Op> = listing
            .keys
            .into_iter()
            .map(|key| Op::Delete { key })
            .collect();
        for pair in pairs {
            ops.push(self.pair_op(pair)?);
        }
        match self.backend.apply(&ns, &ops, self.policy.limits()).await {
            Ok(_) => Ok(()),
            Err(Error::LimitExceeded { .. }) => Err(CloudRule::TooManyPairs.into()),
            Err(e) => Err(e),
        }
    }

    fn pair_op(&self, pair: &KvData) -> Result<Op> {
        let charge = self.policy.check_pair(&pair.key, &pair.value)?;
        Ok(Op::Put {
            key: pair.key.as_bytes().to_vec(),
            value: record::raw(pair.value.as_bytes()),
            charge,
        })
    }

    // ---- the player's own data ----

    /// `setUserCloudStorage({KVDataList})`, with the list as JavaScript passed it. Checks the
    /// rules in the crate's documented order and writes every pair or none.
    pub async fn set_user_cloud_storage(
        &self,
        caller: &Caller,
        kv_data_list: &JsValue,
    ) -> Result<()> {
        let openid = caller.gate(Access::Write)?;
        let pairs = parse_kv_data_list(kv_data_list)?;
        self.write_pairs(caller, openid, &pairs).await
    }

    /// [`set_user_cloud_storage`](Self::set_user_cloud_storage) for typed pairs.
    pub async fn set_pairs(&self, caller: &Caller, pairs: &[KvData]) -> Result<()> {
        let openid = caller.gate(Access::Write)?;
        if pairs.is_empty() {
            return Err(CloudRule::ListEmpty.into());
        }
        if pairs.iter().any(|p| p.key.is_empty()) {
            return Err(CloudRule::InvalidItem.into());
        }
        self.write_pairs(caller, openid, pairs).await
    }

    async fn write_pairs(&self, caller: &Caller, openid: &str, pairs: &[KvData]) -> Result<()> {
        let ns = caller.namespace_of(openid)?;
        let leaderboards: HashSet<String> = self
            .leaderboard_keys(&caller.game)
            .await?
            .into_iter()
            .collect();
        let mut ops = Vec::with_capacity(pairs.len());
        for pair in pairs {
            let op = self.pair_op(pair)?;
            if leaderboards.contains(&pair.key)
                && leaderboard_score(caller.platform, &pair.value).is_none()
            {
                return Err(CloudRule::InvalidLeaderboardValue.into());
            }
            ops.push(op);
        }
        // The pair limit is the backend's entry limit, checked atomically with the write: the
        // merge with stored pairs (overwrites add none) is exact even under concurrent calls.
        match self
            .backend
            .apply(&ns.encode(), &ops, self.policy.limits())
            .await
        {
            Ok(_) => Ok(()),
            Err(Error::LimitExceeded { .. }) => Err(CloudRule::TooManyPairs.into()),
            Err(e) => Err(e),
        }
    }

    /// `getUserCloudStorage({keyList})`: the caller's pairs among `key_list`, in its order.
    pub async fn get_user_cloud_storage(
        &self,
        caller: &Caller,
        key_list: &JsValue,
    ) -> Result<Vec<KvData>> {
        let openid = caller.gate(Access::Read)?;
        let keys = parse_key_list(key_list)?;
        self.read_pairs(&caller.namespace_of(openid)?, &keys).await
    }

    /// [`get_user_cloud_storage`](Self::get_user_cloud_storage) for typed keys.
    pub async fn get_pairs(&self, caller: &Caller, keys: &[String]) -> Result<Vec<KvData>> {
        let openid = caller.gate(Access::Read)?;
        let keys = dedup(keys.to_vec());
        self.read_pairs(&caller.namespace_of(openid)?, &keys).await
    }

    /// WeChat's `getUserCloudStorageKeys()`: every key the caller holds, in insertion order.
    pub async fn get_user_cloud_storage_keys(&self, caller: &Caller) -> Result<Vec<String>> {
        let openid = caller.gate(Access::Read)?;
        let ns = caller.namespace_of(openid)?.encode();
        self.backend
            .list(&ns)
            .await?
            .keys
            .into_iter()
            .map(|k| String::from_utf8(k).map_err(|_| corrupt("cloud key")))
            .collect()
    }

    /// `removeUserCloudStorage({keyList})`: removes the caller's pairs under `key_list` (missing
    /// keys are fine), all in one write.
    pub async fn remove_user_cloud_storage(
        &self,
        caller: &Caller,
        key_list: &JsValue,
    ) -> Result<()> {
        let openid = caller.gate(Access::Write)?;
        let keys = parse_key_list(key_list)?;
        self.delete(caller, openid, &keys).await
    }

    /// [`remove_user_cloud_storage`](Self::remove_user_cloud_storage) for typed keys.
    pub async fn remove_keys(&self, caller: &Caller, keys: &[String]) -> Result<()> {
        let openid = caller.gate(Access::Write)?;
        self.delete(caller, openid, keys).await
    }

    async fn delete(&self, caller: &Caller, openid: &str, keys: &[String]) -> Result<()> {
        let ops: Vec<Op> = keys
            .iter()
            .map(|k| Op::Delete {
                key: k.as_bytes().to_vec(),
            })
            .collect();
        let ns = caller.namespace_of(openid)?.encode();
        self.backend
            .apply(&ns, &ops, Limits::NONE)
            .await
            .map(|_| ())
    }

    // ---- relation reads ----

    /// `tt.getCloudStorageByRelation({type, keyList, extra})`, with the options as JavaScript
    /// passed them: the gates first, then the options (see [`RelationQuery::from_tt`]).
    pub async fn get_cloud_storage_by_relation(
        &self,
        caller: &Caller,
        kind: &JsValue,
        key_list: &JsValue,
        extra: &JsValue,
    ) -> Result<Vec<UserGameData>> {
        caller.gate(Access::Read)?;
        let query = RelationQuery::from_tt(kind, key_list, extra)?;
        self.relation_read(caller, &query).await
    }

    /// WeChat's `getFriendCloudStorage({keyList})`: the gates, then `keyList`
    /// ([`CloudRule::InvalidKeyList`]); unranked (WeChat games sort for themselves).
    pub async fn get_friend_cloud_storage(
        &self,
        caller: &Caller,
        key_list: &JsValue,
    ) -> Result<Vec<UserGameData>> {
        caller.gate(Access::Read)?;
        let keys = parse_key_list(key_list)?;
        self.relation_read(caller, &RelationQuery::friends(keys))
            .await
    }

    /// WeChat's `getGroupCloudStorage({shareTicket, groupid, keyList})`: the gates, then
    /// `keyList` ([`CloudRule::InvalidKeyList`]), then the group: `groupid` if it is a non-empty
    /// String, else `shareTicket` if it is one ([`CloudRule::GroupNeedsShareTicket`]). The
    /// relation provider receives that id as the group id; unranked.
    pub async fn get_group_cloud_storage(
        &self,
        caller: &Caller,
        share_ticket: &JsValue,
        groupid: &JsValue,
        key_list: &JsValue,
    ) -> Result<Vec<UserGameData>> {
        caller.gate(Access::Read)?;
        let keys = parse_key_list(key_list)?;
        let group_id = [groupid, share_ticket]
            .into_iter()
            .find_map(|v| match v {
                JsValue::String(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .ok_or(CloudRule::GroupNeedsShareTicket)?;
        self.relation_read(caller, &RelationQuery::group(group_id, keys))
            .await
    }

    /// A relation read: the data of the caller and of their relations who hold at least one of
    /// the keys asked for, at most [`MAX_RELATION_RESULTS`] players.
    ///
    /// Unranked, the caller comes first, then the relations in the provider's order. Ranked by
    /// a `sort_key`, players whose value under it follows the leaderboard convention come
    /// first, highest score first, ties by earlier `update_time`, then players without a valid
    /// score in the same order as unranked. Only the relations' namespaces are read, never the
    /// game's other players: in three backend calls whatever their number (the relation list,
    /// one batched read of every player's keys, one of the profiles shown; see
    /// [`Backend::get_many`]), plus a listing per player when `key_list` asks for more keys
    /// than a player can hold.
    pub async fn relation_read(
        &self,
        caller: &Caller,
        query: &RelationQuery,
    ) -> Result<Vec<UserGameData>> {
        let me = caller.gate(Access::Read)?;
        let others = match &query.relation {
            Relation::Friend => self.relations.friends(&caller.game, me).await?,
            Relation::Group { group_id } => {
                self.relations.group_members(&caller.game, group_id).await?
            }
            Relation::Recommend => self.relations.recommended(&caller.game, me).await?,
        };
        let mut seen = HashSet::new();
        // An id that cannot name a namespace (too long) holds no data.
        let players: Vec<(String, Vec<u8>)> = std::iter::once(me.to_string())
            .chain(others)
            .filter(|p| !p.is_empty() && seen.insert(p.clone()))
            .filter_map(|p| caller.namespace_of(&p).ok().map(|ns| (p, ns.encode())))
            .collect();
        let keys = query.keys_to_read();
        let namespaces: Vec<&[u8]> = players.iter().map(|(_, ns)| &ns[..]).collect();
        let held = self.read_pairs_of(&namespaces, &keys).await?;
        let mut found: Vec<(String, Vec<KvData>, Option<Score>)> = Vec::new();
        for ((openid, _), pairs) in players.into_iter().zip(held) {
            if pairs.is_empty() {
                continue;
            }
            let score = query.sort_key.as_ref().and_then(|sort_key| {
                pairs
                    .iter()
                    .find(|p| &p.key == sort_key)
                    .and_then(|p| leaderboard_score(caller.platform, &p.value))
            });
            found.push((openid, pairs, score));
        }
        if query.sort_key.is_some() {
            // Stable: equal ranks keep the unranked order.
            crate::leaderboard::rank(&mut found, |(_, _, score)| *score);
        }
        found.truncate(MAX_RELATION_RESULTS);
        let shown: Vec<String> = found.iter().map(|(openid, ..)| openid.clone()).collect();
        let profiles = self.profiles(&caller.game, &shown).await?;
        Ok(found
            .into_iter()
            .zip(profiles)
            .map(|((openid, kv_data_list, _), profile)| {
                let profile = profile.unwrap_or_default();
                UserGameData {
                    avatar_url: profile.avatar_url,
                    nickname: profile.nickname,
                    openid,
                    kv_data_list,
                }
            })
            .collect())
    }

    /// The relation provider's profiles of `openids` in `game`, one each, in their order; a
    /// provider that answers another number is a backend failure.
    pub(crate) async fn profiles(
        &self,
        game: &str,
        openids: &[String],
    ) -> Result<Vec<Option<Profile>>> {
        let profiles = self.relations.profiles(game, openids).await?;
        if profiles.len() != openids.len() {
            return Err(Error::Backend(format!(
                "the relation provider answered {} profiles for {} players",
                profiles.len(),
                openids.len()
            )));
        }
        Ok(profiles)
    }

    /// The pairs of `ns` among `keys`, in `keys`' order.
    async fn read_pairs(&self, ns: &Namespace, keys: &[String]) -> Result<Vec<KvData>> {
        let ns = ns.encode();
        Ok(self
            .read_pairs_of(&[&ns], keys)
            .await?
            .pop()
            .unwrap_or_default())
    }

    /// The pairs each of `namespaces` holds among `keys`, in `keys`' order, in one batched read
    /// ([`Backend::get_many`]) whatever the number of namespaces. When `keys` are more than a
    /// player can hold, each namespace is listed first and only the keys it holds are read, so
    /// the cost stays bounded by what the players hold whatever `keys` asks.
    async fn read_pairs_of(
        &self,
        namespaces: &[&[u8]],
        keys: &[String],
    ) -> Result<Vec<Vec<KvData>>> {
        let wanted: Vec<Vec<&str>> = if keys.len() as u64 <= self.policy.max_pairs {
            let all: Vec<&str> = keys.iter().map(String::as_str).collect();
            vec![all; namespaces.len()]
        } else {
            let mut wanted = Vec::with_capacity(namespaces.len());
            for ns in namespaces {
                let held: HashSet<Vec<u8>> =
                    self.backend.list(ns).await?.keys.into_iter().collect();
                let keys = keys.iter().filter(|k| held.contains(k.as_bytes()));
                wanted.push(keys.map(String::as_str).collect());
            }
            wanted
        };
        let pairs: Vec<ReadPair<'_>> = namespaces
            .iter()
            .zip(&wanted)
            .flat_map(|(ns, keys)| keys.iter().map(move |k| (*ns, k.as_bytes())))
            .collect();
        if pairs.is_empty() {
            return Ok(vec![Vec::new(); namespaces.len()]);
        }
        let values = self.backend.get_many(&pairs).await?;
        if values.len() != pairs.len() {
            return Err(Error::Backend(format!(
                "a batched read of {} pairs answered {}",
                pairs.len(),
                values.len()
            )));
        }
        let mut values = values.into_iter();
        let mut out = Vec::with_capacity(namespaces.len());
        for keys in wanted {
            let mut pairs = Vec::new();
            for (key, value) in keys.into_iter().zip(values.by_ref()) {
                // A pair absent (or removed since the listing) is simply left out.
                if let Some(record) = value {
                    pairs.push(KvData::new(key, decode_value(record.bytes())?));
                }
            }
            out.push(pairs);
        }
        Ok(out)
    }
}

fn decode_value(bytes: &[u8]) -> Result<String> {
    record::text(bytes, "cloud value")
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("{what} is not a valid record"))
}
