//! Who is related to whom: the [`RelationProvider`] a host supplies for relation reads.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use storage_core::{Error, Result};

/// A player's public profile, shown in relation reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Profile {
    /// The nickname.
    pub nickname: String,
    /// The avatar URL.
    #[serde(rename = "avatarUrl")]
    pub avatar_url: String,
}

impl Profile {
    /// A profile.
    pub fn new(nickname: impl Into<String>, avatar_url: impl Into<String>) -> Self {
        Profile {
            nickname: nickname.into(),
            avatar_url: avatar_url.into(),
        }
    }
}

/// The source of relations for relation reads (`getCloudStorageByRelation`,
/// `getFriendCloudStorage`, `getGroupCloudStorage`): the host's social graph.
///
/// Every id is an openid of the game named by `game`; a relation read only ever looks at the
/// cloud data of that game, so a provider cannot make another game's data appear.
///
/// # Contract
///
/// - Lists are returned in the order relation reads should show players when no `sortKey` is
///   given. Repeats and the asking player may appear; relation reads skip them.
/// - The cost of a call should grow with the size of the answer, not with the number of players
///   of the game: relation reads call [`friends`](Self::friends),
///   [`group_members`](Self::group_members) or [`recommended`](Self::recommended) once and
///   [`profiles`](Self::profiles) once, for every player shown.
/// - An unknown player or group has no relations (an empty list), not an error; an `Err` means
///   the provider itself failed, and fails the read as a storage failure.
#[async_trait]
pub trait RelationProvider: Send + Sync {
    /// `openid`'s friends who play `game`.
    async fn friends(&self, game: &str, openid: &str) -> Result<Vec<String>>;

    /// The members of group `group_id` in `game` (a Douyin user group, or the WeChat group a
    /// `shareTicket` or `groupid` names).
    async fn group_members(&self, game: &str, group_id: &str) -> Result<Vec<String>>;

    /// The players the platform recommends to `openid` in `game`.
    async fn recommended(&self, game: &str, openid: &str) -> Result<Vec<String>>;

    /// `openid`'s profile, or `None` when the provider knows none (shown as empty strings).
    async fn profile(&self, game: &str, openid: &str) -> Result<Option<Profile>>;

    /// Puts `openid` in user group `group_id` of `game` (Douyin's `tt.setUserGroup`), taking
    /// them out of the group they were in: from then on, [`group_members`](Self::group_members)
    /// of `group_id` lists them and that of their former group does not. Setting the group they
    /// are in changes nothing. A provider whose groups the host keeps elsewhere leaves the
    /// default, which refuses the call as a storage failure.
    async fn set_user_group(&self, game: &str, openid: &str, group_id: &str) -> Result<()> {
        let _ = (game, openid, group_id);
        Err(Error::Backend(
            "this relation provider does not take user groups".into(),
        ))
    }

    /// The profiles of `openids` in `game`, in their order: for each, what
    /// [`profile`](Self::profile) answers. Relation reads call this, once per read. The default
    /// asks `profile` for each in turn; a provider that can read many at once (one batched read,
    /// as [`crate::StoredRelations`] does) overrides it.
    async fn profiles(&self, game: &str, openids: &[String]) -> Result<Vec<Option<Profile>>> {
        let mut profiles = Vec::with_capacity(openids.len());
        for openid in openids {
            profiles.push(self.profile(game, openid).await?);
        }
        Ok(profiles)
    }
}
