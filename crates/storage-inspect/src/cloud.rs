//! A game's leaderboard: every player holding data in the game, ranked by a leaderboard key as
//! `getCloudStorageByRelation` ranks (the same [`cloud_kv::rank`] and score convention), but over
//! all players rather than one player's relations.

use crate::api::{Refused, State};
use cloud_kv::{leaderboard_score, rank, Platform};
use serde_json::{json, Value};
use storage_core::{block_on, Dialect, Namespace};

/// The leaderboard platform of a dialect: WeChat's `wxgame` for `wx`, Douyin's `ttgame` else.
fn platform_of(dialect: Dialect) -> Platform {
    match dialect {
        Dialect::Wx => Platform::Wx,
        _ => Platform::Tt,
    }
}

/// `game`'s players ranked by `sort_key` (else its first leaderboard key), each with every pair
/// it holds, its score (if its value follows the convention) and its profile.
pub(crate) fn leaderboard(
    state: &State,
    game: &str,
    dialect: Dialect,
    sort_key: Option<&str>,
) -> Result<Value, Refused> {
    let engine = state.cloud.engine();
    let keys = block_on(state.cloud.leaderboard_keys(game))?;
    let sort_key = sort_key
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .or_else(|| keys.first().cloned());
    let platform = platform_of(dialect);
    let mut players = Vec::new();
    for n in block_on(state.store.namespaces())? {
        let Namespace::Cloud { game: g, openid } = n.namespace else {
            continue;
        };
        if g != game {
            continue;
        }
        let pairs = block_on(engine.player_pairs(game, &openid))?;
        let score = sort_key.as_ref().and_then(|k| {
            pairs
                .iter()
                .find(|p| &p.key == k)
                .and_then(|p| leaderboard_score(platform, &p.value))
        });
        players.push((openid, pairs, score));
    }
    // Unranked order first (by openid), so equal ranks read the same every time.
    players.sort_by(|a, b| a.0.cmp(&b.0));
    rank(&mut players, |(_, _, score)| *score);
    let mut out = Vec::with_capacity(players.len());
    for (openid, pairs, score) in players {
        let profile = block_on(engine.relations().profile(game, &openid))?.unwrap_or_default();
        out.push(json!({
            "openid": openid,
            "nickname": profile.nickname,
            "avatarUrl": profile.avatar_url,
            "score": score.map(|s| s.score),
            "updateTime": score.map(|s| s.update_time),
            "KVDataList": pairs.iter().map(|p| json!({"key": p.key, "value": p.value})).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "game": game,
        "platform": match platform { Platform::Wx => "wxgame", Platform::Tt => "ttgame" },
        "leaderboardKeys": keys,
        "sortKey": sort_key,
        "players": out,
    }))
}
