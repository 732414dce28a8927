//! Douyin's `tt.setUserGroup` (behaviour §5.1): the gates and `groupId`, one group per player,
//! the group relation reads follow, and a relation provider that keeps no groups.

use cloud_kv::{Caller, CloudKv, Platform, RelationQuery};
use serde_json::json;
use std::sync::Arc;
use storage_core::{block_on, CloudRule, Error, JsValue, MemoryBackend};

const GAME: &str = "tt-game";

fn js(v: serde_json::Value) -> JsValue {
    serde_json::from_value(v).expect("JSON is a JsValue")
}

struct World {
    cloud: CloudKv<Arc<MemoryBackend>>,
}

impl World {
    fn new() -> Self {
        World {
            cloud: CloudKv::new(Arc::new(MemoryBackend::new())),
        }
    }

    fn main(&self, who: &str) -> Caller {
        Caller::new(Platform::Tt, GAME).logged_in(who)
    }
}

#[test]
fn set_user_group_moves_the_player_between_groups() {
    let w = World::new();
    let c = &w.cloud;
    let members = |group: &str| block_on(c.relations().group_members(GAME, group)).unwrap();
    let ann = w.main("ann");
    let refused = Err(Error::Cloud(CloudRule::InvalidGroupId));
    for bad in [json!(null), json!(""), json!(7), json!(["g"])] {
        assert_eq!(
            block_on(c.set_user_group(&ann, &js(bad.clone()))),
            refused,
            "{bad}"
        );
    }
    block_on(c.set_user_group(&ann, &"g1".into())).unwrap();
    block_on(c.set_user_group(&w.main("bob"), &"g1".into())).unwrap();
    assert_eq!(members("g1"), ["ann", "bob"]);
    block_on(c.set_user_group(&ann, &"g2".into())).unwrap();
    block_on(c.set_user_group(&ann, &"g2".into())).unwrap();
    assert_eq!(
        (members("g1"), members("g2")),
        (vec!["bob".to_string()], vec!["ann".to_string()])
    );
    // The group relation read follows.
    let value = r#"{"ttgame":{"score":1,"update_time":1}}"#;
    let kv = cloud_kv::KvData::new("rank", value);
    block_on(c.set_pairs(&w.main("bob"), &[kv])).unwrap();
    let query = RelationQuery::group("g1", ["rank"]).sorted_by("rank");
    let read = block_on(c.relation_read(&ann.clone().open_data(), &query)).unwrap();
    assert_eq!(
        read.iter().map(|u| u.openid.as_str()).collect::<Vec<_>>(),
        ["bob"]
    );
}

#[test]
fn a_provider_without_user_groups_refuses_set_user_group() {
    struct Nobody;
    #[async_trait::async_trait]
    impl cloud_kv::RelationProvider for Nobody {
        async fn friends(&self, _: &str, _: &str) -> storage_core::Result<Vec<String>> {
            Ok(vec![])
        }
        async fn group_members(&self, _: &str, _: &str) -> storage_core::Result<Vec<String>> {
            Ok(vec![])
        }
        async fn recommended(&self, _: &str, _: &str) -> storage_core::Result<Vec<String>> {
            Ok(vec![])
        }
        async fn profile(
            &self,
            _: &str,
            _: &str,
        ) -> storage_core::Result<Option<cloud_kv::Profile>> {
            Ok(None)
        }
    }
    let cloud = CloudKv::with_relations(Arc::new(MemoryBackend::new()), Arc::new(Nobody));
    let ann = Caller::new(Platform::Tt, GAME).logged_in("ann");
    let got = block_on(cloud.set_user_group(&ann, &"g".into()));
    assert!(matches!(got, Err(Error::Backend(_))), "{got:?}");
}
