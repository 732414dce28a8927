//! Game cloud data alone, over the in-memory backend: players write their scores in Douyin's
//! leaderboard format, become friends, and one reads the friends' board, ranked.
//!
//! `cargo run -p cloud-kv --example leaderboard`

use cloud_kv::{Caller, CloudKv, KvData, Platform, StoredRelations};
use std::sync::Arc;
use storage_core::{block_on, JsValue, MemoryBackend};

const GAME: &str = "tt-game";

fn main() {
    let backend = Arc::new(MemoryBackend::new());
    let cloud = CloudKv::new(backend.clone());
    // Relations (friends, groups) live in the same backend by default.
    let relations = StoredRelations::new(backend);
    block_on(async {
        cloud.set_leaderboard_keys(GAME, &["rank"]).await.unwrap();
        for (openid, score) in [("ann", 120), ("bob", 340), ("cy", 90)] {
            let player = Caller::new(Platform::Tt, GAME).logged_in(openid);
            let value = format!(r#"{{"ttgame":{{"score":{score},"update_time":1700000000}}}}"#);
            let list = JsValue::from(vec![KvData::new("rank", value).to_js()]);
            cloud.set_user_cloud_storage(&player, &list).await.unwrap();
        }
        // A value that breaks the leaderboard format is refused, with the platform's reason.
        let ann = Caller::new(Platform::Tt, GAME).logged_in("ann");
        let bad = JsValue::from(vec![KvData::new("rank", "not json").to_js()]);
        let refused = cloud.set_user_cloud_storage(&ann, &bad).await.unwrap_err();
        println!("refused: {refused}");

        relations.add_friendship(GAME, "ann", "bob").await.unwrap();
        relations.add_friendship(GAME, "ann", "cy").await.unwrap();
        // Reads of others' data run in the open data context.
        let reader = ann.open_data();
        let kind = JsValue::from("friend");
        let keys = JsValue::from(vec![JsValue::from("rank")]);
        let extra: JsValue = serde_json::from_str(r#"{"sortKey":"rank"}"#).unwrap();
        let board = cloud
            .get_cloud_storage_by_relation(&reader, &kind, &keys, &extra)
            .await
            .unwrap();
        let ranked: Vec<&str> = board.iter().map(|u| u.openid.as_str()).collect();
        assert_eq!(ranked, ["bob", "ann", "cy"]);
        println!("friends' board, highest first: {ranked:?}");
    });
}
