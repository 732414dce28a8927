//! [`StoredRelations`]: the default [`RelationProvider`], kept in the same backend as the data.

use crate::record;
use crate::relations::{Profile, RelationProvider};
use async_trait::async_trait;
use storage_core::{Backend, Error, Limits, Namespace, Op, ReadPair, Result};

/// Relations kept in a [`Backend`], in namespaces of their own
/// ([`Namespace::GameHost`]), so relation reads run out of the box; hosts with a social graph of
/// their own implement [`RelationProvider`] instead.
///
/// Per game, it keeps one namespace per player's friends (`friends:<openid>`, keys = friends'
/// openids in the order they were added), per player's recommendations (`recommended:<openid>`),
/// per group (`group:<groupId>`, keys = members' openids), one of profiles (`profiles`, key =
/// openid) and one of the groups players chose with `tt.setUserGroup` (`user-groups`, key =
/// openid). Each answer is one listing of one namespace, so its cost grows with the answer only.
///
/// ```
/// use cloud_kv::{Profile, RelationProvider, StoredRelations};
/// use storage_core::{block_on, MemoryBackend};
/// let relations = StoredRelations::new(MemoryBackend::new());
/// block_on(async {
///     relations.add_friendship("game", "ann", "bob").await.unwrap();
///     relations.set_profile("game", "bob", &Profile::new("Bob", "https://a/bob.png")).await.unwrap();
///     assert_eq!(relations.friends("game", "ann").await.unwrap(), ["bob"]);
///     assert_eq!(relations.friends("game", "bob").await.unwrap(), ["ann"]);
///     assert_eq!(relations.profile("game", "bob").await.unwrap().unwrap().nickname, "Bob");
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct StoredRelations<B> {
    backend: B,
}

/// The subject of the namespace holding each player's `tt.setUserGroup` group (key openid).
const USER_GROUPS: &str = "user-groups";

impl<B: Backend> StoredRelations<B> {
    /// Relations kept in `backend`.
    pub fn new(backend: B) -> Self {
        StoredRelations { backend }
    }

    /// Makes `a` and `b` friends of each other in `game` (two writes, one per player; repeating
    /// the call after a failure completes it). Befriending oneself is refused.
    pub async fn add_friendship(&self, game: &str, a: &str, b: &str) -> Result<()> {
        if a == b {
            return Err(Error::InvalidParam(
                "a player cannot befriend themselves".into(),
            ));
        }
        self.put_member(game, &format!("friends:{a}"), b).await?;
        self.put_member(game, &format!("friends:{b}"), a).await
    }

    /// Ends the friendship of `a` and `b` in `game`, both ways.
    pub async fn remove_friendship(&self, game: &str, a: &str, b: &str) -> Result<()> {
        self.delete_member(game, &format!("friends:{a}"), b).await?;
        self.delete_member(game, &format!("friends:{b}"), a).await
    }

    /// Adds `openid` to group `group_id` of `game`.
    pub async fn join_group(&self, game: &str, group_id: &str, openid: &str) -> Result<()> {
        self.put_member(game, &format!("group:{group_id}"), openid)
            .await
    }

    /// Removes `openid` from group `group_id` of `game`.
    pub async fn leave_group(&self, game: &str, group_id: &str, openid: &str) -> Result<()> {
        self.delete_member(game, &format!("group:{group_id}"), openid)
            .await
    }

    /// The user group `openid` set with `tt.setUserGroup` in `game`, if any.
    pub async fn user_group(&self, game: &str, openid: &str) -> Result<Option<String>> {
        let ns = Namespace::game_host(game, USER_GROUPS)?.encode();
        self.backend
            .get(&ns, openid.as_bytes())
            .await?
            .map(|r| record::text(&r, "user group"))
            .transpose()
    }

    /// Recommends `other` to `openid` in `game`.
    pub async fn recommend(&self, game: &str, openid: &str, other: &str) -> Result<()> {
        self.put_member(game, &format!("recommended:{openid}"), other)
            .await
    }

    /// Sets `openid`'s profile in `game`.
    pub async fn set_profile(&self, game: &str, openid: &str, profile: &Profile) -> Result<()> {
        let value =
            record::json(profile).map_err(|e| Error::InvalidParam(format!("profile: {e}")))?;
        self.write(game, "profiles", openid, Some(value)).await
    }

    async fn put_member(&self, game: &str, subject: &str, openid: &str) -> Result<()> {
        self.write(game, subject, openid, Some(vec![record::V1]))
            .await
    }

    async fn delete_member(&self, game: &str, subject: &str, openid: &str) -> Result<()> {
        self.write(game, subject, openid, None).await
    }

    async fn write(
        &self,
        game: &str,
        subject: &str,
        key: &str,
        value: Option<Vec<u8>>,
    ) -> Result<()> {
        if key.is_empty() {
            return Err(Error::InvalidParam("openid must not be empty".into()));
        }
        let key = key.as_bytes().to_vec();
        let op = match value {
            Some(value) => Op::Put {
                key,
                value,
                charge: 0,
            },
            None => Op::Delete { key },
        };
        let ns = Namespace::game_host(game, subject)?.encode();
        self.backend
            .apply(&ns, &[op], Limits::NONE)
            .await
            .map(|_| ())
    }

    async fn members(&self, game: &str, subject: &str) -> Result<Vec<String>> {
        let ns = Namespace::game_host(game, subject)?.encode();
        self.backend
            .list(&ns)
            .await?
            .keys
            .into_iter()
            .map(|k| {
                String::from_utf8(k).map_err(|_| Error::Corrupt("relation key is not UTF-8".into()))
            })
            .collect()
    }
}

#[async_trait]
impl<B: Backend> RelationProvider for StoredRelations<B> {
    async fn friends(&self, game: &str, openid: &str) -> Result<Vec<String>> {
        self.members(game, &format!("friends:{openid}")).await
    }

    async fn group_members(&self, game: &str, group_id: &str) -> Result<Vec<String>> {
        self.members(game, &format!("group:{group_id}")).await
    }

    async fn recommended(&self, game: &str, openid: &str) -> Result<Vec<String>> {
        self.members(game, &format!("recommended:{openid}")).await
    }

    /// A read and three writes, ordered so that repeating the call after a failure completes it: join the
    /// new group, leave the recorded one, then record the new one. (Two concurrent calls for
    /// one player may leave them in both groups; a later call settles it.)
    async fn set_user_group(&self, game: &str, openid: &str, group_id: &str) -> Result<()> {
        let former = self.user_group(game, openid).await?;
        self.join_group(game, group_id, openid).await?;
        if let Some(former) = former.filter(|f| f != group_id) {
            self.leave_group(game, &former, openid).await?;
        }
        let record = record::raw(group_id.as_bytes());
        self.write(game, USER_GROUPS, openid, Some(record)).await
    }

    async fn profile(&self, game: &str, openid: &str) -> Result<Option<Profile>> {
        let ns = Namespace::game_host(game, "profiles")?.encode();
        match self.backend.get(&ns, openid.as_bytes()).await? {
            None => Ok(None),
            Some(record) => profile_of(&record).map(Some),
        }
    }

    /// One batched read of the game's profiles namespace.
    async fn profiles(&self, game: &str, openids: &[String]) -> Result<Vec<Option<Profile>>> {
        let ns = Namespace::game_host(game, "profiles")?.encode();
        let pairs: Vec<ReadPair<'_>> = openids.iter().map(|o| (&ns[..], o.as_bytes())).collect();
        self.backend
            .get_many(&pairs)
            .await?
            .iter()
            .map(|record| record.as_ref().map(|r| profile_of(r.bytes())).transpose())
            .collect()
    }
}

/// A stored profile record.
fn profile_of(bytes: &[u8]) -> Result<Profile> {
    record::from_json(bytes, "profile")
}
