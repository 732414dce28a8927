//! Where ImRank data lives in the backend, and its records.
//!
//! Per game, in [`Namespace::GameHost`] namespaces no other API reads: one per (data type,
//! zone), `imrank:<0|1>:<zoneId>`, holding each player's latest entry under their openid; one
//! listing the zones written besides `default` and `test` (`imrank-zones`, its entry count the
//! zone limit); and the leaderboard `getImRankList` last showed each player (`imrank-shown`).

use super::options::{ImRankDataType, ImRankWrite};
use crate::record;
use serde::{Deserialize, Serialize};
use storage_core::{Error, Namespace, Result};

pub(super) const ZONES: &str = "imrank-zones";
pub(super) const SHOWN: &str = "imrank-shown";

/// The namespace of `game`'s `data_type` leaderboard in `zone`.
pub(super) fn board(game: &str, data_type: ImRankDataType, zone: &str) -> Result<Vec<u8>> {
    Ok(Namespace::game_host(game, format!("imrank:{}:{zone}", data_type.code()))?.encode())
}

/// A player's latest entry in one leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Entry {
    pub value: String,
    pub priority: i32,
    pub extra: String,
    /// When it was written (the engine's clock, milliseconds since the Unix epoch).
    pub at_ms: i64,
}

impl Entry {
    pub(super) fn of(write: &ImRankWrite, at_ms: i64) -> Self {
        Entry {
            value: write.value.clone(),
            priority: write.priority,
            extra: write.extra.clone(),
            at_ms,
        }
    }

    /// The ranking key: lower sorts first (highest score or priority, then the earlier write).
    pub(super) fn order(&self, data_type: ImRankDataType) -> (std::cmp::Reverse<i64>, i64) {
        let weight = match data_type {
            // A stored score is digits below 2^31 (checked before it was written).
            ImRankDataType::Score => self.value.parse::<i64>().unwrap_or(-1),
            ImRankDataType::Named => self.priority.into(),
        };
        (std::cmp::Reverse(weight), self.at_ms)
    }
}

/// A record: the version byte, then JSON.
pub(super) fn encode<T: Serialize>(what: &T) -> Result<Vec<u8>> {
    record::json(what).map_err(|e| Error::Backend(format!("ImRank record: {e}")))
}

pub(super) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    record::from_json(bytes, "ImRank")
}
