//! What a relation read asks for, and the reading of Douyin's JS-typed options into it.

use crate::kv_data::{dedup, parse_key_list};
use storage_core::{CloudRule, JsValue};

/// Whose data a relation read returns (besides the caller's own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The caller's friends (`type: "friend"`, `getFriendCloudStorage`).
    Friend,
    /// The members of a group (`type: "group"`, `getGroupCloudStorage`).
    Group {
        /// The group's id (Douyin `extra.groupId`; WeChat `groupid` or `shareTicket`).
        group_id: String,
    },
    /// Players the platform recommends to the caller (`type: "recommend"`).
    Recommend,
}

/// A relation read: whose data, which keys, and the optional leaderboard key to rank by.
///
/// ```
/// use cloud_kv::{Relation, RelationQuery};
/// use storage_core::{JsObject, JsValue};
/// let keys = JsValue::from(vec![JsValue::from("rank")]);
/// let extra: JsObject = [("sortKey", "rank"), ("groupId", "g1")].into_iter().collect();
/// let q = RelationQuery::from_tt(&"group".into(), &keys, &extra.into()).unwrap();
/// assert_eq!(q.relation, Relation::Group { group_id: "g1".into() });
/// assert_eq!(q.sort_key.as_deref(), Some("rank"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RelationQuery {
    /// Whose data.
    pub relation: Relation,
    /// The keys to return, in the order to return them (repeats are ignored).
    pub key_list: Vec<String>,
    /// The leaderboard key to rank by: highest score first, ties by earlier `update_time`.
    /// It is read (and returned) even when `key_list` lacks it.
    pub sort_key: Option<String>,
}

impl RelationQuery {
    /// The caller's friends' `keys`, unranked.
    pub fn friends<S: Into<String>>(keys: impl IntoIterator<Item = S>) -> Self {
        Self::of(Relation::Friend, keys)
    }

    /// Group `group_id`'s members' `keys`, unranked.
    pub fn group<S: Into<String>>(
        group_id: impl Into<String>,
        keys: impl IntoIterator<Item = S>,
    ) -> Self {
        Self::of(
            Relation::Group {
                group_id: group_id.into(),
            },
            keys,
        )
    }

    /// Recommended players' `keys`, unranked.
    pub fn recommended<S: Into<String>>(keys: impl IntoIterator<Item = S>) -> Self {
        Self::of(Relation::Recommend, keys)
    }

    /// The same query ranked by leaderboard key `sort_key`.
    pub fn sorted_by(mut self, sort_key: impl Into<String>) -> Self {
        self.sort_key = Some(sort_key.into());
        self
    }

    fn of<S: Into<String>>(relation: Relation, keys: impl IntoIterator<Item = S>) -> Self {
        RelationQuery {
            relation,
            key_list: keys.into_iter().map(Into::into).collect(),
            sort_key: None,
        }
    }

    /// The keys to read for each player: `key_list` without repeats, then the sort key if
    /// `key_list` lacks it.
    pub(crate) fn keys_to_read(&self) -> Vec<String> {
        let mut keys = self.key_list.clone();
        keys.extend(self.sort_key.clone());
        dedup(keys)
    }

    /// Reads `tt.getCloudStorageByRelation`'s options, checking in this order: `type` is one of
    /// `"friend"`, `"group"`, `"recommend"` ([`CloudRule::InvalidRelationType`]); `keyList` is an
    /// Array of Strings ([`CloudRule::InvalidKeyList`]); for `"group"`, `extra.sortKey` and
    /// `extra.groupId` are both non-empty Strings ([`CloudRule::GroupNeedsSortKeyAndGroupId`]).
    /// For the other types a `sortKey` that is not a non-empty String is ignored.
    pub fn from_tt(kind: &JsValue, key_list: &JsValue, extra: &JsValue) -> Result<Self, CloudRule> {
        let kind = match kind {
            JsValue::String(s) if matches!(s.as_str(), "friend" | "group" | "recommend") => s,
            _ => return Err(CloudRule::InvalidRelationType),
        };
        let key_list = parse_key_list(key_list)?;
        let field = |name: &str| match extra {
            JsValue::Object(o) => match o.get(name) {
                Some(JsValue::String(s)) if !s.is_empty() => Some(s.as_str().to_owned()),
                _ => None,
            },
            _ => None,
        };
        let sort_key = field("sortKey");
        let relation = match kind.as_str() {
            "friend" => Relation::Friend,
            "recommend" => Relation::Recommend,
            _ => match (&sort_key, field("groupId")) {
                (Some(_), Some(group_id)) => Relation::Group { group_id },
                _ => return Err(CloudRule::GroupNeedsSortKeyAndGroupId),
            },
        };
        Ok(RelationQuery {
            relation,
            key_list,
            sort_key,
        })
    }
}
