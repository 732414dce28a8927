//! # cloud-kv
//!
//! Game cloud key-value data (托管数据): Douyin's `tt.setUserCloudStorage` family and WeChat's
//! mini-game `wx.setUserCloudStorage` family, with the rules of behaviour §5, over any
//! [`storage_core::Backend`]. Composed with storage-crypto and storage-sled, the data is
//! encrypted at rest and durable; this crate itself does no I/O and knows nothing of callbacks
//! (the facades in storage-api do).
//!
//! Each player's data is a keyspace of its own per game ([`storage_core::Namespace::Cloud`]);
//! every call reads or writes only the namespaces it names, so nothing of one game or player can
//! appear in another's.
//!
//! ```
//! use cloud_kv::{Caller, CloudKv, KvData, Platform};
//! use std::sync::Arc;
//! use storage_core::{block_on, JsValue, MemoryBackend};
//!
//! let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
//! let player = Caller::new(Platform::Tt, "tt-game").logged_in("openid-1");
//! block_on(async {
//!     cloud.set_leaderboard_keys("tt-game", &["xxx"]).await.unwrap();
//!     // the seed's example call
//!     let value = r#"{"ttgame":{"score":100,"update_time":1557813466},"progress":10}"#;
//!     let list = JsValue::from(vec![KvData::new("xxx", value).to_js()]);
//!     cloud.set_user_cloud_storage(&player, &list).await.unwrap();
//!     let keys = JsValue::from(vec![JsValue::from("xxx")]);
//!     let read = cloud.get_user_cloud_storage(&player.clone().open_data(), &keys).await.unwrap();
//!     assert_eq!(read, [KvData::new("xxx", value)]);
//! });
//! ```
//!
//! ## The rules, in the order they are checked
//!
//! A call fails with the first rule it breaks, as a [`storage_core::Error::Cloud`] carrying the
//! [`storage_core::CloudRule`] (whose text is the reason the platforms print), and a failed call
//! changes nothing. Every call passes the gates first:
//!
//! 1. the host is a mini-game, not a mini-app → [`CloudRule::NotAGame`] (tt 999987);
//! 2. a player is logged in (an openid, not empty) → [`CloudRule::NotLoggedIn`] (tt 999998);
//! 3. reads (`getUserCloudStorage`, `getUserCloudStorageKeys` and every relation read) come from
//!    the open data context → [`CloudRule::NotOpenDataContext`]; writes (`set…`, `remove…`)
//!    are allowed from both contexts.
//!
//! `setUserCloudStorage({KVDataList})` then checks, all in UTF-8 bytes:
//!
//! 4. `KVDataList` is an Array → [`CloudRule::ListNotArray`];
//! 5. it is not empty → [`CloudRule::ListEmpty`];
//! 6. every item is an object whose `key` and `value` are Strings, the key not empty (other
//!    fields are ignored) → [`CloudRule::InvalidItem`], for the first item that is not;
//! 7. item by item, in list order: the key is at most 128 bytes → [`CloudRule::KeyTooLong`];
//!    key + value at most 1024 bytes → [`CloudRule::KeyValueTooLong`]; if the key is one of the
//!    game's leaderboard keys, the value follows the leaderboard convention of the caller's
//!    platform (see [`leaderboard_score`]) → [`CloudRule::InvalidLeaderboardValue`];
//! 8. after merging with the pairs already stored, the player holds at most 128 pairs in the
//!    game → [`CloudRule::TooManyPairs`]. Overwriting a stored key adds no pair; when one call
//!    names a key twice, the later value wins and it counts once. This is the backend's entry
//!    limit, checked atomically with the write (one [`storage_core::Backend::apply`] per call),
//!    so it holds under concurrent calls too.
//!
//! `getUserCloudStorage`/`removeUserCloudStorage({keyList})` check that `keyList` is an Array of
//! Strings ([`CloudRule::InvalidKeyList`]); it may be empty, and repeated keys count once.
//! Removing keys that are not stored succeeds. Relation reads check their options after the
//! gates, as [`RelationQuery::from_tt`] documents.
//!
//! Any other failure (the backend's, a corrupt record, the relation provider's) is reported as
//! it is: the facades show it as a storage failure (tt 999993 `internal error`).
//!
//! ## Relation reads
//!
//! [`CloudKv::relation_read`] returns the data of the caller and of their friends, group
//! members or recommended players who hold at least one requested key, at most
//! [`MAX_RELATION_RESULTS`] players, each as [`UserGameData`] with the profile the
//! [`RelationProvider`] gives. Choices where the platforms are silent (**decided**):
//!
//! - the caller is included, first when unranked, for every relation type;
//! - with a `sortKey`, players are ranked by that key's leaderboard `score`, highest first,
//!   ties by earlier `update_time`, then by the unranked order; players whose value under it
//!   does not follow the convention come after every ranked player; the sort key is read and
//!   returned even when `keyList` lacks it;
//! - each player's `KVDataList` lists the requested keys they hold, in the order requested;
//! - a group read does not require the caller to be a member;
//! - the cap of 100 applies to WeChat's `getFriendCloudStorage` / `getGroupCloudStorage` too
//!   (WeChat documents none), and those are unranked (WeChat games sort for themselves);
//! - WeChat's group is `groupid` when given, else the `shareTicket`, handed to the provider as
//!   the group id (a host that issues opaque tickets resolves them in its provider).
//!
//! The cost of a relation read grows with the caller's relations (one listing and a few reads
//! of each relation's namespace, one profile read per player returned), never with the number
//! of the game's players.
//!
//! ## Host data
//!
//! What the host configures lives in the same backend, in [`storage_core::Namespace::GameHost`]
//! namespaces of the game, which no mini-game API reads or counts: the leaderboard keys
//! (subject `leaderboards`, see [`CloudKv::set_leaderboard_keys`]) and, with the default
//! [`StoredRelations`], the relations (subjects `friends:<openid>`, `recommended:<openid>`,
//! `group:<groupId>`, `profiles`, `user-groups`); Douyin's ImRank leaderboards (see
//! [`CloudKv::set_im_rank_data`]); the players' session keys (`sessions:wx`, `sessions:tt`, see
//! [`Sessions`]); WeChat's interactive storage (`interactive-keys`, `interactive:<openid>`,
//! `interactive-sent:<key>:<openid>`, see [`CloudKv::modify_friend_interactive_storage`]).
//!
//! [`CloudRule::NotAGame`]: storage_core::CloudRule::NotAGame
//! [`CloudRule::NotLoggedIn`]: storage_core::CloudRule::NotLoggedIn
//! [`CloudRule::NotOpenDataContext`]: storage_core::CloudRule::NotOpenDataContext
//! [`CloudRule::ListNotArray`]: storage_core::CloudRule::ListNotArray
//! [`CloudRule::ListEmpty`]: storage_core::CloudRule::ListEmpty
//! [`CloudRule::InvalidItem`]: storage_core::CloudRule::InvalidItem
//! [`CloudRule::KeyTooLong`]: storage_core::CloudRule::KeyTooLong
//! [`CloudRule::KeyValueTooLong`]: storage_core::CloudRule::KeyValueTooLong
//! [`CloudRule::InvalidLeaderboardValue`]: storage_core::CloudRule::InvalidLeaderboardValue
//! [`CloudRule::TooManyPairs`]: storage_core::CloudRule::TooManyPairs
//! [`CloudRule::InvalidKeyList`]: storage_core::CloudRule::InvalidKeyList

#![warn(missing_docs)]

mod caller;
mod clock;
mod engine;
mod im_rank;
mod interactive;
mod kv_data;
mod leaderboard;
mod open_data;
mod query;
mod record;
mod relations;
mod server;
mod stored_relations;

pub use caller::{CallContext, Caller, HostKind, Platform};
pub use clock::{Clock, Period};
pub use engine::{CloudKv, MAX_RELATION_RESULTS};
pub use im_rank::{
    GetImRankOption, ImRankDataType, ImRankPage, ImRankRelation, ImRankShown, RankItem, SelfRank,
    SetImRankDataOption, DEFAULT_PAGE_SIZE, MAX_CUSTOM_ZONES, MAX_IM_RANK_TEXT_BYTES,
    MAX_PAGE_SIZE, MAX_ZONE_ID_BYTES,
};
pub use interactive::{
    is_interactive_key, InteractiveKey, InteractiveStorage, ModifyOption, MAX_INTERACTIVE_KEY,
};
pub use kv_data::{parse_key_list, parse_kv_data_list, KvData, UserGameData};
pub use leaderboard::{leaderboard_score, rank, Score};
#[cfg(feature = "open-data")]
pub use open_data::open_sealed;
pub use open_data::{seal, seal_with_iv, Sealed};
pub use query::{Relation, RelationQuery};
pub use relations::{Profile, RelationProvider};
pub use server::{sign, ServerReply, ServerRequest, Sessions};
pub use stored_relations::StoredRelations;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
