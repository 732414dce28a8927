//! Game cloud data: `tt.getCloudStorageByRelation` for a player whose 1,000 friends all hold
//! data, against a player with 10 such friends.

use super::{count_label, Ctx};
use crate::harness::{interleave, Contender};
use crate::peers::full_stack;
use crate::report::{Report, Section};
use crate::suites::ops::{baseline_row, ratio_row};
use storage_api::cloud::{GameContext, GetCloudStorageByRelationOption, KvData, TtGame};
use storage_core::block_on;
use storage_sled::Durability;

/// Friend counts measured (the first is the baseline).
pub const FRIENDS: [u64; 2] = [10, 1_000];
const GAME: &str = "bench-game";

/// Adds the cloud section.
pub fn run(ctx: &Ctx, report: &mut Report) {
    let dir = ctx.dir("cloud");
    let store = full_stack(&dir, Durability::Buffered);
    let cloud = store.cloud();
    let relations = cloud.stored_relations();
    let readers: Vec<TtGame> = FRIENDS
        .iter()
        .map(|&n| {
            let me = format!("player-with-{n}-friends");
            for f in 0..n {
                let friend = format!("friend-{n}-{f}");
                block_on(relations.add_friendship(GAME, &me, &friend)).expect("friendship");
                let tt = cloud
                    .mini_game(GameContext::new(GAME).logged_in(friend.as_str()))
                    .tt();
                let score = format!("{{\"score\":{f}}}");
                block_on(tt.set_user_cloud_storage(&[
                    KvData::new("score", score),
                    KvData::new("level", f.to_string()),
                ]))
                .expect("friend's data");
            }
            cloud
                .mini_game(GameContext::new(GAME).logged_in(me).open_data())
                .tt()
        })
        .collect();
    let mut contenders: Vec<Contender> = FRIENDS
        .iter()
        .zip(&readers)
        .map(|(&n, tt)| {
            Contender::new(
                format!(
                    "tt.getCloudStorageByRelation, {} friends holding data",
                    count_label(n)
                ),
                move |_| {
                    let option = GetCloudStorageByRelationOption::friends(["score", "level"]);
                    let res = block_on(tt.get_cloud_storage_by_relation(option)).expect("read");
                    std::hint::black_box(res);
                },
            )
        })
        .collect();
    let samples = interleave(ctx.fast, &mut contenders);
    report.sections.push(Section {
        title: "cloud: getCloudStorageByRelation".into(),
        baseline: "`{type: \"friend\", keyList: [\"score\", \"level\"]}` from the open data \
                   context, over the encrypted buffered store, relations kept in the store \
                   (`StoredRelations`); each friend holds two keys; the result is capped at 100 \
                   players. Ratio to a player with 10 friends, paired per round."
            .into(),
        rows: vec![baseline_row(&samples, 0), ratio_row(&samples, 1, 0)],
    });
}
