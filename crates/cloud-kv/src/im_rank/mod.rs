//! Douyin's ImRank leaderboards (`tt.setImRankData`, `tt.setImRankDataInOpenContext`,
//! `tt.getImRankList`, `tt.getImRankData`) and user groups (`tt.setUserGroup`), on
//! [`CloudKv`]; behaviour §5.1.
//!
//! Each game has, per zone, two leaderboards: scores (`dataType: 0`) and enum names ranked by
//! priority (`dataType: 1`). A player holds one entry in each, the latest written (**decided**:
//! a write replaces the entry, it does not keep the best). A list of a period (`day`, `week`,
//! `month`: Beijing time, weeks from Monday; see [`Period`]) shows the entries written in the
//! period holding the engine's clock's now; `all` shows every entry. Ranked highest score (or
//! priority) first, then the earlier write, then by openid (**decided**, so the order is total).
//!
//! ```
//! use cloud_kv::{Caller, CloudKv, GetImRankOption, Platform, SetImRankDataOption};
//! use std::sync::Arc;
//! use storage_core::{block_on, MemoryBackend};
//! let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
//! let ann = Caller::new(Platform::Tt, "game").logged_in("ann");
//! block_on(async {
//!     cloud.set_im_rank_data(&ann, &SetImRankDataOption::score(103)).await.unwrap();
//!     let page = cloud
//!         .get_im_rank_data(&ann.clone().open_data(), &GetImRankOption::new("all", 0, "day"))
//!         .await
//!         .unwrap();
//!     assert_eq!(page.items[0].value, "103");
//!     assert_eq!(page.self_user_info.unwrap().rank, 1);
//! });
//! ```

mod options;
mod records;

pub use options::{
    GetImRankOption, ImRankDataType, ImRankRelation, SetImRankDataOption, DEFAULT_PAGE_SIZE,
    MAX_CUSTOM_ZONES, MAX_IM_RANK_TEXT_BYTES, MAX_PAGE_SIZE, MAX_ZONE_ID_BYTES,
};

use crate::caller::{Access, Caller};
use crate::clock::Period;
use crate::engine::{CloudKv, MAX_RELATION_RESULTS};
use options::{ImRankQuery, Reader};
use records::{board, decode, encode, Entry, SHOWN, ZONES};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use storage_core::{Backend, CloudRule, Error, JsValue, Limits, Namespace, Op, ReadPair, Result};

/// One entry of a leaderboard as Douyin hands it to a game (`RankResItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankItem {
    /// `0` (a score) or `1` (an enum name).
    pub data_type: u8,
    /// The score's digits or the enum name, as written.
    pub value: String,
    /// The enum name's weight; 0 for a score.
    pub priority: i32,
    /// What the player's write passed in `extra`.
    pub extra: String,
    /// The player.
    pub openid: String,
    /// Douyin's encrypted user id: always `""` here (**decided**: there is no Douyin account).
    pub sec_uid: String,
    /// The avatar URL from the relation provider's profile (`""` when it has none).
    pub user_img: String,
    /// The nickname from the profile (`""` when none).
    pub nick_name: String,
    /// When the entry was written, in Unix seconds.
    pub utime: i64,
}

/// The caller's own entry in a list, and its position (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfRank {
    /// The entry.
    #[serde(flatten)]
    pub item: RankItem,
    /// Its position in the whole list, from 1.
    pub rank: u64,
}

/// `getImRankData`'s `data`: one page of the ranked list, and the caller's own entry (`null`
/// when the caller has none in the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImRankPage {
    /// The page's entries, best first.
    pub items: Vec<RankItem>,
    /// The caller's entry and rank, wherever it is in the list.
    pub self_user_info: Option<SelfRank>,
}

/// The leaderboard `getImRankList` last showed a player (the platform draws it in its own UI;
/// mpstore records it for the host to inspect): the options it was given and its first
/// [`MAX_RELATION_RESULTS`] entries as they stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImRankShown {
    /// `"friend"` or `"all"`.
    pub relation_type: String,
    /// `0` or `1`.
    pub data_type: u8,
    /// `"day"`, `"week"`, `"month"` or `"all"`.
    pub rank_type: String,
    /// The zone.
    pub zone_id: String,
    /// The text after each score (`""` when none).
    pub suffix: String,
    /// The title (`""` when none).
    pub rank_title: String,
    /// When it was shown (the engine's clock, milliseconds since the Unix epoch).
    pub shown_at: i64,
    /// The entries shown, best first.
    pub items: Vec<RankItem>,
}

impl<B: Backend> CloudKv<B> {
    /// `tt.setUserGroup({groupId})`: puts the caller in user group `groupId` (and out of the
    /// one they were in), the group `getCloudStorageByRelation({type: "group"})` reads. Gates
    /// (any context), then `groupId` is a non-empty String ([`CloudRule::InvalidGroupId`]).
    pub async fn set_user_group(&self, caller: &Caller, group_id: &JsValue) -> Result<()> {
        let me = caller.gate(Access::Write)?;
        let group_id = match group_id {
            JsValue::String(s) if !s.is_empty() => s.as_str(),
            _ => return Err(CloudRule::InvalidGroupId.into()),
        };
        self.relations()
            .set_user_group(&caller.game, me, group_id)
            .await
    }

    /// `tt.setImRankData(options)`: the gates (main context only,
    /// [`CloudRule::NotMainContext`]), then the options in order (see [`SetImRankDataOption`]),
    /// then the zone limit; replaces the caller's entry in one write.
    pub async fn set_im_rank_data(
        &self,
        caller: &Caller,
        option: &SetImRankDataOption,
    ) -> Result<()> {
        let me = caller.gate(Access::Main)?;
        self.write_im_rank(caller, me, option).await
    }

    /// `tt.setImRankDataInOpenContext(options)`: [`set_im_rank_data`](Self::set_im_rank_data)
    /// from the open data context ([`CloudRule::NotOpenDataContext`] elsewhere), same data.
    pub async fn set_im_rank_data_in_open_context(
        &self,
        caller: &Caller,
        option: &SetImRankDataOption,
    ) -> Result<()> {
        let me = caller.gate(Access::Read)?;
        self.write_im_rank(caller, me, option).await
    }

    async fn write_im_rank(
        &self,
        caller: &Caller,
        me: &str,
        option: &SetImRankDataOption,
    ) -> Result<()> {
        let write = option.check()?;
        let game = caller.game.as_str();
        if write.zone != "default" && write.zone != "test" {
            // The zone is listed first, under the entry limit, atomically: so concurrent
            // writers cannot pass it. A zone listed by a write that failed later stays listed.
            let zones = Namespace::game_host(game, ZONES)?.encode();
            let op = Op::Put {
                key: write.zone.as_bytes().to_vec(),
                value: vec![1],
                charge: 0,
            };
            let limits = Limits {
                max_bytes: u64::MAX,
                max_entries: MAX_CUSTOM_ZONES,
            };
            match self.backend().apply(&zones, &[op], limits).await {
                Err(Error::LimitExceeded { .. }) => {
                    return Err(CloudRule::ImRankTooManyZones.into())
                }
                other => other?,
            };
        }
        let entry = Entry::of(&write, self.clock().now_ms());
        let op = Op::Put {
            key: me.as_bytes().to_vec(),
            value: encode(&entry)?,
            charge: 0,
        };
        let ns = board(game, write.data_type, &write.zone)?;
        self.backend().apply(&ns, &[op], Limits::NONE).await?;
        Ok(())
    }

    /// `tt.getImRankList(options)`: the gates (main context only), then the options (see
    /// [`GetImRankOption`]). Douyin draws the leaderboard in its own UI and answers only
    /// `{errMsg}`; mpstore records what it would show for [`im_rank_shown`](Self::im_rank_shown).
    pub async fn get_im_rank_list(&self, caller: &Caller, option: &GetImRankOption) -> Result<()> {
        let me = caller.gate(Access::Main)?;
        let query = option.check(Reader::List)?;
        let now = self.clock().now_ms();
        let ranked = self.ranked(caller, me, &query, now).await?;
        let shown: Vec<_> = ranked.into_iter().take(MAX_RELATION_RESULTS).collect();
        let (suffix, rank_title) = option.texts();
        let record = ImRankShown {
            relation_type: match query.relation {
                ImRankRelation::Friend => "friend".into(),
                ImRankRelation::All => "all".into(),
            },
            data_type: query.data_type.code(),
            rank_type: query.rank_type.into(),
            zone_id: query.zone.clone(),
            suffix,
            rank_title,
            shown_at: now,
            items: self.items(&caller.game, query.data_type, shown).await?,
        };
        let op = Op::Put {
            key: me.as_bytes().to_vec(),
            value: encode(&record)?,
            charge: 0,
        };
        let ns = Namespace::game_host(caller.game.as_str(), SHOWN)?.encode();
        self.backend().apply(&ns, &[op], Limits::NONE).await?;
        Ok(())
    }

    /// `tt.getImRankData(options)`: the gates (open data context only), then the options, then
    /// `pageNum` / `pageSize` ([`CloudRule::ImRankPage`]); one page of the ranked list, and
    /// the caller's own entry.
    pub async fn get_im_rank_data(
        &self,
        caller: &Caller,
        option: &GetImRankOption,
    ) -> Result<ImRankPage> {
        let me = caller.gate(Access::Read)?;
        let query = option.check(Reader::Data)?;
        let (num, size) = option.checked_page()?;
        let ranked = self
            .ranked(caller, me, &query, self.clock().now_ms())
            .await?;
        let mine = ranked.iter().position(|(openid, _)| openid == me);
        let start = usize::try_from((num - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        let mut shown: Vec<(String, Entry)> = ranked
            .iter()
            .skip(start)
            .take(size as usize)
            .cloned()
            .collect();
        // The caller's entry rides along for one profile read; it is taken off again below.
        if let Some(at) = mine {
            shown.push(ranked[at].clone());
        }
        let mut items = self.items(&caller.game, query.data_type, shown).await?;
        let self_user_info = match mine {
            Some(at) => items.pop().map(|item| SelfRank {
                item,
                rank: at as u64 + 1,
            }),
            None => None,
        };
        Ok(ImRankPage {
            items,
            self_user_info,
        })
    }

    /// The leaderboard `getImRankList` last showed `openid` in `game` (host-level, no gate).
    pub async fn im_rank_shown(&self, game: &str, openid: &str) -> Result<Option<ImRankShown>> {
        let ns = Namespace::game_host(game, SHOWN)?.encode();
        match self.backend().get(&ns, openid.as_bytes()).await? {
            Some(record) => decode(&record).map(Some),
            None => Ok(None),
        }
    }

    /// The entries of `query`'s leaderboard written in the period holding `now`, ranked. For
    /// `friend`, only the caller's and their friends' entries are read (one batched read); for
    /// `all`, the zone's every entry.
    async fn ranked(
        &self,
        caller: &Caller,
        me: &str,
        query: &ImRankQuery,
        now: i64,
    ) -> Result<Vec<(String, Entry)>> {
        let ns = board(&caller.game, query.data_type, &query.zone)?;
        let players: Vec<Vec<u8>> = match query.relation {
            ImRankRelation::All => self.backend().list(&ns).await?.keys,
            ImRankRelation::Friend => {
                let friends = self.relations().friends(&caller.game, me).await?;
                let mut seen = HashSet::new();
                std::iter::once(me.to_owned())
                    .chain(friends)
                    .filter(|p| !p.is_empty() && seen.insert(p.clone()))
                    .map(String::into_bytes)
                    .collect()
            }
        };
        let pairs: Vec<ReadPair<'_>> = players.iter().map(|p| (&ns[..], &p[..])).collect();
        let records = if pairs.is_empty() {
            Vec::new()
        } else {
            self.backend().get_many(&pairs).await?
        };
        let current = query.period.start(now);
        let mut ranked = Vec::new();
        for (player, record) in players.into_iter().zip(records) {
            let Some(record) = record else { continue };
            let entry: Entry = decode(record.bytes())?;
            if query.period == Period::All || query.period.start(entry.at_ms) == current {
                let openid = String::from_utf8(player)
                    .map_err(|_| Error::Corrupt("ImRank player is not UTF-8".into()))?;
                ranked.push((openid, entry));
            }
        }
        let data_type = query.data_type;
        ranked.sort_by(|(a, x), (b, y)| {
            x.order(data_type)
                .cmp(&y.order(data_type))
                .then_with(|| a.cmp(b))
        });
        Ok(ranked)
    }

    /// `entries` as the game sees them, with their players' profiles (one batched read).
    async fn items(
        &self,
        game: &str,
        data_type: ImRankDataType,
        entries: Vec<(String, Entry)>,
    ) -> Result<Vec<RankItem>> {
        let openids: Vec<String> = entries.iter().map(|(o, _)| o.clone()).collect();
        let profiles = self.profiles(game, &openids).await?;
        Ok(entries
            .into_iter()
            .zip(profiles)
            .map(|((openid, entry), profile)| {
                let profile = profile.unwrap_or_default();
                RankItem {
                    data_type: data_type.code(),
                    value: entry.value,
                    priority: entry.priority,
                    extra: entry.extra,
                    openid,
                    sec_uid: String::new(),
                    user_img: profile.avatar_url,
                    nick_name: profile.nickname,
                    utime: entry.at_ms.div_euclid(1000),
                }
            })
            .collect())
    }
}
