//! Batched reads: one `HMGET` per namespace, one pipeline per master, all masters at once.
//!
//! A namespace's values are one hash in one slot, so all the keys a batch asks of it are one
//! `HMGET`. The `HMGET`s are grouped by the master serving their slot (as `CLUSTER SLOTS` last
//! said, see `slots.rs`) and each group is sent to its master as one pipeline, every master at
//! once: a batch costs about one round trip per master asked, however many namespaces it reads.
//!
//! A master answers `MOVED` or `ASK` for a slot it does not serve (resharding, failover), never
//! another slot's data. A pipeline that meets such an answer, or fails, has the namespaces it
//! did not answer read again one `HMGET` each, through the client's own routing: routed,
//! redirected (`MOVED`, `ASK`) and retried (`TRYAGAIN`) exactly as a single read is; and the
//! slot map is asked again by the next batch. One of those that fails retryably is sent again
//! alone once the others are done: on a multiplexed connection, the `ASKING` the client sends
//! before a command redirected by `ASK` can be taken by another command redirected at the same
//! moment, which a batch's commands often are while a slot migrates.

use crate::connection::Io;
use crate::errors::from_redis;
use crate::keys::KeySpace;
use crate::slots::SlotMap;
use futures_util::future::join_all;
use redis::cluster_routing::SingleNodeRoutingInfo;
use redis::Value;
use std::collections::HashMap;
use storage_core::{Error, ReadPair, Result, StoredValue};

/// The reads of one namespace: its values hash, the keys asked, and where each answer goes.
pub(crate) struct Group {
    values: Vec<u8>,
    keys: Vec<Vec<u8>>,
    answers_at: Vec<usize>,
}

/// The values of one group's keys, one per key.
type Values = Vec<Option<Vec<u8>>>;

/// The `HMGET`s `pairs` need, one per namespace, in order of first appearance.
pub(crate) fn groups(space: &KeySpace, pairs: &[ReadPair<'_>]) -> Vec<Group> {
    let mut by_ns: HashMap<&[u8], usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (at, &(ns, key)) in pairs.iter().enumerate() {
        let i = *by_ns.entry(ns).or_insert_with(|| {
            groups.push(Group {
                values: space.values(ns),
                keys: Vec::new(),
                answers_at: Vec::new(),
            });
            groups.len() - 1
        });
        groups[i].keys.push(key.to_vec());
        groups[i].answers_at.push(at);
    }
    groups
}

/// Reads `groups` (of `answers` pairs) through `io`: each answer what `HGET` of its pair
/// answers, in the order of the pairs.
pub(crate) async fn get_many(
    io: Io,
    groups: Vec<Group>,
    answers: usize,
) -> Result<Vec<Option<StoredValue>>> {
    let mut read: Vec<Option<Values>> = vec![None; groups.len()];
    if let Some(map) = io.slots.get(&io).await {
        by_master(&io, &map, &groups, &mut read).await;
        if read.iter().any(Option::is_none) {
            io.slots.forget(&map);
        }
    }
    let rest: Vec<usize> = (0..groups.len()).filter(|&g| read[g].is_none()).collect();
    let results = join_all(rest.iter().map(|&g| hmget(&io, &groups[g]))).await;
    for (&g, values) in rest.iter().zip(results) {
        read[g] = Some(match values {
            Err(e) if e.is_retryable() => hmget(&io, &groups[g]).await?,
            other => other?,
        });
    }
    let mut answers = vec![None; answers];
    for (group, values) in groups.iter().zip(read) {
        for (&at, value) in group.answers_at.iter().zip(values.unwrap_or_default()) {
            answers[at] = value.map(StoredValue::from);
        }
    }
    Ok(answers)
}

/// Reads `groups` with one pipeline per master of `map`, all at once, into `read`; leaves
/// `None` where a master did not answer with values (it no longer serves the slot, or failed).
async fn by_master(io: &Io, map: &SlotMap, groups: &[Group], read: &mut [Option<Values>]) {
    let mut by_node: HashMap<usize, Vec<usize>> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        if let Some(node) = map.owner(&group.values) {
            by_node.entry(node).or_default().push(g);
        }
    }
    let sent = join_all(
        by_node
            .iter()
            .map(|(&node, members)| pipeline(io, &map.nodes[node], groups, members)),
    )
    .await;
    for ((_, members), replies) in by_node.iter().zip(sent) {
        let Ok(replies) = replies else { continue };
        for (&g, reply) in members.iter().zip(replies) {
            read[g] = values_of(reply, groups[g].keys.len());
        }
    }
}

/// The replies of master `node` to one `HMGET` per group of `members`, sent as one pipeline.
async fn pipeline(
    io: &Io,
    (host, port): &(String, u16),
    groups: &[Group],
    members: &[usize],
) -> Result<Vec<Value>> {
    let mut pipe = redis::pipe();
    for &g in members {
        pipe.cmd("HMGET")
            .arg(&groups[g].values)
            .arg(&groups[g].keys);
    }
    let route = SingleNodeRoutingInfo::ByAddress {
        host: host.clone(),
        port: *port,
    };
    let mut conn = io.conn.clone();
    let replies = conn
        .route_pipeline(pipe, 0, members.len(), route)
        .await
        .map_err(from_redis)?;
    if replies.len() != members.len() {
        return Err(Error::Backend(format!(
            "redis: a pipeline of {} commands answered {}",
            members.len(),
            replies.len()
        )));
    }
    Ok(replies)
}

/// The values in an `HMGET` reply of `keys` keys, or `None` for anything else (a redirect, an
/// error): that namespace is read again on its own, which reports what is wrong.
fn values_of(reply: Value, keys: usize) -> Option<Values> {
    let Value::Array(items) = reply else {
        return None;
    };
    if items.len() != keys {
        return None;
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Nil => Some(None),
            Value::BulkString(bytes) => Some(Some(bytes)),
            _ => None,
        })
        .collect()
}

/// The values of `group`'s keys, one per key, through the client's routing.
async fn hmget(io: &Io, group: &Group) -> Result<Values> {
    let mut conn = io.conn.clone();
    let values: Values = redis::cmd("HMGET")
        .arg(&group.values)
        .arg(&group.keys)
        .query_async(&mut conn)
        .await
        .map_err(from_redis)?;
    if values.len() != group.keys.len() {
        return Err(Error::Backend(format!(
            "redis: HMGET of {} keys answered {}",
            group.keys.len(),
            values.len()
        )));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::{values_of, Values};
    use redis::Value;

    #[test]
    fn only_an_hmget_reply_of_the_right_length_counts_as_values() {
        let bulk = |b: &[u8]| Value::BulkString(b.to_vec());
        let array = |items: Vec<Value>| Value::Array(items);
        let moved = redis::parse_redis_value(b"-MOVED 1 127.0.0.1:1\r\n").expect("a reply");
        assert!(matches!(moved, Value::ServerError(_)), "{moved:?}");
        let cases: Vec<(Value, usize, Option<Values>)> = vec![
            (
                array(vec![bulk(b"v"), Value::Nil]),
                2,
                Some(vec![Some(b"v".to_vec()), None]),
            ),
            (array(vec![bulk(b"")]), 1, Some(vec![Some(Vec::new())])),
            (array(vec![bulk(b"v")]), 2, None),
            (array(vec![Value::Int(1)]), 1, None),
            (Value::Nil, 1, None),
            (moved, 1, None),
        ];
        for (reply, keys, expected) in cases {
            assert_eq!(values_of(reply.clone(), keys), expected, "{reply:?}");
        }
    }
}
