//! The leaderboard convention: a leaderboard key's value is a JSON object whose top level holds
//! `ttgame` (Douyin) or `wxgame` (WeChat) = `{score: int32, update_time: int64}` and nothing else
//! inside it; fields beside it are free.

use crate::caller::Platform;
use serde_json::{Number, Value};

/// A valid leaderboard value's ranking fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Score {
    /// The score: what rankings sort by, highest first.
    pub score: i32,
    /// When the score was set (Unix seconds): earlier wins a tie.
    pub update_time: i64,
}

/// The ranking fields of `value` under `platform`'s convention, or `None` when `value` does not
/// follow it.
///
/// A number counts as an integer when it is one mathematically (`100`, `100.0` and `1e2` all
/// are, as `Number.isInteger` says); `score` must fit an int32 and `update_time` an int64.
///
/// ```
/// use cloud_kv::{leaderboard_score, Platform, Score};
/// let v = r#"{"ttgame":{"score":100,"update_time":1557813466},"progress":10}"#;
/// assert_eq!(leaderboard_score(Platform::Tt, v), Some(Score { score: 100, update_time: 1557813466 }));
/// assert_eq!(leaderboard_score(Platform::Wx, v), None); // WeChat wants `wxgame`
/// let extra = r#"{"ttgame":{"score":1,"update_time":2,"level":3}}"#;
/// assert_eq!(leaderboard_score(Platform::Tt, extra), None);
/// ```
pub fn leaderboard_score(platform: Platform, value: &str) -> Option<Score> {
    let Ok(Value::Object(top)) = serde_json::from_str::<Value>(value) else {
        return None;
    };
    let Some(Value::Object(game)) = top.get(platform.leaderboard_field()) else {
        return None;
    };
    if game.len() != 2 {
        return None;
    }
    let score = integer(game.get("score")?)?;
    let update_time = integer(game.get("update_time")?)?;
    Some(Score {
        score: i32::try_from(score).ok()?,
        update_time: i64::try_from(update_time).ok()?,
    })
}

/// Ranks `items` as a ranked relation read does: those with a score first, highest score first,
/// ties by earlier `update_time`; then those without one, in their order (the sort is stable,
/// so equal ranks keep the order given).
///
/// ```
/// use cloud_kv::{rank, Score};
/// let s = |score, update_time| Some(Score { score, update_time });
/// let mut players = [("none", None), ("late", s(5, 9)), ("top", s(7, 1)), ("early", s(5, 2))];
/// rank(&mut players, |p| p.1);
/// let order: Vec<_> = players.iter().map(|p| p.0).collect();
/// assert_eq!(order, ["top", "early", "late", "none"]);
/// ```
pub fn rank<T>(items: &mut [T], score: impl Fn(&T) -> Option<Score>) {
    items.sort_by_key(|item| match score(item) {
        Some(s) => (0, std::cmp::Reverse(s.score), s.update_time),
        None => (1, std::cmp::Reverse(0), 0),
    });
}

/// The integer a JSON number stands for, if it is one (wide enough for both fields' ranges).
fn integer(value: &Value) -> Option<i128> {
    let Value::Number(n) = value else {
        return None;
    };
    integer_of(n)
}

fn integer_of(n: &Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i.into());
    }
    if let Some(u) = n.as_u64() {
        return Some(u.into());
    }
    let f = n.as_f64()?;
    // Every f64 of magnitude below 2^127 with no fraction is exactly an i128.
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 1.7e38).then_some(f as i128)
}
