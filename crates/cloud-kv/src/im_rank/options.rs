//! The ImRank options as JavaScript passes them, and their reading into checked values, rule by
//! rule in the documented order (behaviour §5.1).

use crate::clock::Period;
use serde::Deserialize;
use storage_core::{CloudRule, JsValue};

fn undefined() -> JsValue {
    JsValue::Undefined
}

/// The most bytes of `extra`, and of an enum `value`.
pub const MAX_IM_RANK_TEXT_BYTES: usize = 128;
/// The most bytes of a `zoneId` (**decided**: Douyin gives none).
pub const MAX_ZONE_ID_BYTES: usize = 64;
/// The most zones a game may use besides `default` and `test`.
pub const MAX_CUSTOM_ZONES: u64 = 10;
/// The largest `pageSize` of `getImRankData` (Douyin: "greater than 0, less than 40").
pub const MAX_PAGE_SIZE: u64 = 39;
/// `getImRankData`'s `pageSize` when none is given (**decided**).
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// One past the largest score (`int32_MAX`, excluded as Douyin's range `[0, int32_MAX)` says).
const SCORE_END: u64 = i32::MAX as u64;

/// `tt.setImRankData` / `tt.setImRankDataInOpenContext`: `{dataType, value, priority, extra,
/// zoneId}`.
///
/// ```
/// use cloud_kv::SetImRankDataOption;
/// let bridged: SetImRankDataOption =
///     serde_json::from_str(r#"{"dataType": 1, "value": "gold", "priority": 3, "zoneId": "test"}"#).unwrap();
/// assert_eq!(bridged, SetImRankDataOption::named("gold", 3).zone("test"));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SetImRankDataOption {
    /// `0` (a score) or `1` (an enum name, ranked by `priority`).
    #[serde(rename = "dataType", default = "undefined")]
    pub data_type: JsValue,
    /// The score's digits, or the enum name.
    #[serde(default = "undefined")]
    pub value: JsValue,
    /// The enum name's weight (dataType 1); default 0.
    #[serde(default = "undefined")]
    pub priority: JsValue,
    /// Passed through to readers; default `""`.
    #[serde(default = "undefined")]
    pub extra: JsValue,
    /// The zone; default `"default"`.
    #[serde(rename = "zoneId", default = "undefined")]
    pub zone_id: JsValue,
}

impl SetImRankDataOption {
    /// `{dataType: 0, value: score}`.
    pub fn score(score: u32) -> Self {
        Self::of(0.0, score.to_string(), JsValue::Undefined)
    }

    /// `{dataType: 1, value: name, priority}`.
    pub fn named(name: &str, priority: i32) -> Self {
        Self::of(1.0, name.to_owned(), JsValue::Number(priority.into()))
    }

    /// The same option in zone `zone`.
    pub fn zone(mut self, zone: &str) -> Self {
        self.zone_id = zone.into();
        self
    }

    /// The same option with `extra`.
    pub fn extra(mut self, extra: &str) -> Self {
        self.extra = extra.into();
        self
    }

    fn of(data_type: f64, value: String, priority: JsValue) -> Self {
        SetImRankDataOption {
            data_type: JsValue::Number(data_type),
            value: value.into(),
            priority,
            extra: JsValue::Undefined,
            zone_id: JsValue::Undefined,
        }
    }
}

/// `tt.getImRankList({relationType, dataType, rankType, zoneId, suffix, rankTitle})` and
/// `tt.getImRankData({relationType, dataType, rankType, zoneId, pageNum, pageSize})`; each
/// reads the fields it has.
///
/// ```
/// use cloud_kv::GetImRankOption;
/// let bridged: GetImRankOption = serde_json::from_str(
///     r#"{"relationType": "all", "dataType": 0, "rankType": "week", "pageNum": 2, "pageSize": 5}"#,
/// ).unwrap();
/// assert_eq!(bridged, GetImRankOption::new("all", 0, "week").page(2, 5));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GetImRankOption {
    /// `"friend"` or `"all"` (`getImRankList`: default `"friend"`).
    #[serde(rename = "relationType", default = "undefined")]
    pub relation_type: JsValue,
    /// `0` or `1`: which of the zone's two leaderboards.
    #[serde(rename = "dataType", default = "undefined")]
    pub data_type: JsValue,
    /// `"day"`, `"week"`, `"month"` or `"all"`.
    #[serde(rename = "rankType", default = "undefined")]
    pub rank_type: JsValue,
    /// The zone; default `"default"`.
    #[serde(rename = "zoneId", default = "undefined")]
    pub zone_id: JsValue,
    /// `getImRankList`: the text after each score.
    #[serde(default = "undefined")]
    pub suffix: JsValue,
    /// `getImRankList`: the leaderboard's title.
    #[serde(rename = "rankTitle", default = "undefined")]
    pub rank_title: JsValue,
    /// `getImRankData`: the page, from 1 (default 1).
    #[serde(rename = "pageNum", default = "undefined")]
    pub page_num: JsValue,
    /// `getImRankData`: entries per page, 1 to 39 (default 20).
    #[serde(rename = "pageSize", default = "undefined")]
    pub page_size: JsValue,
}

impl GetImRankOption {
    /// `{relationType, dataType, rankType}`.
    pub fn new(relation_type: &str, data_type: u8, rank_type: &str) -> Self {
        GetImRankOption {
            relation_type: relation_type.into(),
            data_type: JsValue::Number(data_type.into()),
            rank_type: rank_type.into(),
            zone_id: JsValue::Undefined,
            suffix: JsValue::Undefined,
            rank_title: JsValue::Undefined,
            page_num: JsValue::Undefined,
            page_size: JsValue::Undefined,
        }
    }

    /// The same option in zone `zone`.
    pub fn zone(mut self, zone: &str) -> Self {
        self.zone_id = zone.into();
        self
    }

    /// The same option asking for page `num` of `size` entries.
    pub fn page(mut self, num: u32, size: u32) -> Self {
        self.page_num = JsValue::Number(num.into());
        self.page_size = JsValue::Number(size.into());
        self
    }
}

/// How a leaderboard's entries are ranked: by score, or by an enum name's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImRankDataType {
    /// `dataType: 0`: `value` is a score, highest first.
    Score,
    /// `dataType: 1`: `value` is an enum name, highest `priority` first.
    Named,
}

impl ImRankDataType {
    /// `0` or `1`.
    pub fn code(self) -> u8 {
        match self {
            ImRankDataType::Score => 0,
            ImRankDataType::Named => 1,
        }
    }
}

/// Whose entries a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImRankRelation {
    /// The caller's and their friends'.
    Friend,
    /// Every player's in the zone.
    All,
}

/// A checked write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImRankWrite {
    pub data_type: ImRankDataType,
    pub value: String,
    /// 0 for a score.
    pub priority: i32,
    pub extra: String,
    pub zone: String,
}

/// A checked list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImRankQuery {
    pub relation: ImRankRelation,
    pub data_type: ImRankDataType,
    pub period: Period,
    pub rank_type: &'static str,
    pub zone: String,
}

/// Which of `getImRankList` and `getImRankData` reads the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    List,
    Data,
}

fn text(v: &JsValue) -> Option<&str> {
    match v {
        JsValue::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// A Number that is an integer in `range`.
fn integer(v: &JsValue, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
    match v {
        JsValue::Number(n) if n.fract() == 0.0 && range.contains(n) => Some(*n),
        _ => None,
    }
}

fn data_type(v: &JsValue) -> Result<ImRankDataType, CloudRule> {
    match integer(v, 0.0..=1.0) {
        Some(0.0) => Ok(ImRankDataType::Score),
        Some(_) => Ok(ImRankDataType::Named),
        None => Err(CloudRule::ImRankDataType),
    }
}

fn zone(v: &JsValue) -> Result<String, CloudRule> {
    match v {
        JsValue::Undefined => Ok("default".into()),
        JsValue::String(s) if !s.is_empty() && s.len() <= MAX_ZONE_ID_BYTES => {
            Ok(s.as_str().to_owned())
        }
        _ => Err(CloudRule::ImRankZone),
    }
}

impl SetImRankDataOption {
    /// Checks, in order: `dataType`, `value`, `priority` (dataType 1 only; ignored and 0 for a
    /// score), `extra`, `zoneId`.
    pub(crate) fn check(&self) -> Result<ImRankWrite, CloudRule> {
        let data_type = data_type(&self.data_type)?;
        let value = text(&self.value).ok_or(CloudRule::ImRankValue)?;
        let value_ok = match data_type {
            ImRankDataType::Score => {
                !value.is_empty()
                    && value.len() <= 10
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && value.parse::<u64>().is_ok_and(|n| n < SCORE_END)
            }
            ImRankDataType::Named => !value.is_empty() && value.len() <= MAX_IM_RANK_TEXT_BYTES,
        };
        if !value_ok {
            return Err(CloudRule::ImRankValue);
        }
        let priority = match (data_type, &self.priority) {
            (ImRankDataType::Score, _) | (_, JsValue::Undefined) => 0,
            (_, p) => {
                integer(p, 0.0..=f64::from(i32::MAX)).ok_or(CloudRule::ImRankPriority)? as i32
            }
        };
        let extra = match &self.extra {
            JsValue::Undefined => "",
            JsValue::String(s) if s.len() <= MAX_IM_RANK_TEXT_BYTES => s.as_str(),
            _ => return Err(CloudRule::ImRankExtra),
        };
        Ok(ImRankWrite {
            data_type,
            value: value.to_owned(),
            priority,
            extra: extra.to_owned(),
            zone: zone(&self.zone_id)?,
        })
    }
}

impl GetImRankOption {
    /// Checks, in order: `relationType` (`getImRankList` defaults it to `"friend"`),
    /// `dataType`, `rankType`, `zoneId`, then the reader's own: `suffix` and `rankTitle` are
    /// Strings when given (list), or `pageNum` and `pageSize` (data).
    pub(crate) fn check(&self, reader: Reader) -> Result<ImRankQuery, CloudRule> {
        let relation = match (&self.relation_type, reader) {
            (JsValue::Undefined, Reader::List) => ImRankRelation::Friend,
            (v, _) => match text(v) {
                Some("friend") => ImRankRelation::Friend,
                Some("all") => ImRankRelation::All,
                _ => return Err(CloudRule::ImRankRelationType),
            },
        };
        let data_type = data_type(&self.data_type)?;
        let (period, rank_type) = match text(&self.rank_type) {
            Some("day") => (Period::Day, "day"),
            Some("week") => (Period::Week, "week"),
            Some("month") => (Period::Month, "month"),
            Some("all") => (Period::All, "all"),
            _ => return Err(CloudRule::ImRankRankType),
        };
        let zone = zone(&self.zone_id)?;
        if reader == Reader::List {
            for v in [&self.suffix, &self.rank_title] {
                if !matches!(v, JsValue::Undefined | JsValue::String(_)) {
                    return Err(CloudRule::ImRankParams);
                }
            }
        }
        Ok(ImRankQuery {
            relation,
            data_type,
            period,
            rank_type,
            zone,
        })
    }

    /// `getImRankData`'s page: (`pageNum` from 1, `pageSize` 1 to 39), defaults (1, 20).
    pub(crate) fn checked_page(&self) -> Result<(u64, u64), CloudRule> {
        let num = match &self.page_num {
            JsValue::Undefined => 1.0,
            v => integer(v, 1.0..=f64::from(u32::MAX)).ok_or(CloudRule::ImRankPage)?,
        };
        let size = match &self.page_size {
            JsValue::Undefined => DEFAULT_PAGE_SIZE as f64,
            v => integer(v, 1.0..=MAX_PAGE_SIZE as f64).ok_or(CloudRule::ImRankPage)?,
        };
        Ok((num as u64, size as u64))
    }

    /// `suffix` and `rankTitle` as given (`""` when absent); call after [`Self::check`].
    pub(crate) fn texts(&self) -> (String, String) {
        let t = |v: &JsValue| text(v).unwrap_or_default().to_owned();
        (t(&self.suffix), t(&self.rank_title))
    }
}
