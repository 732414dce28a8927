//! Batched reads: one `HMGET` per namespace, every one of them in flight at once.
//!
//! A namespace's values are one hash in one slot, so all the keys a batch asks of it are one
//! `HMGET`. The commands of a batch are sent together on the shared multiplexed connection: the
//! client writes those for one node back to back on that node's socket (a pipeline) and the
//! nodes answer in parallel, so a batch costs about one round trip per master asked, however
//! many namespaces it reads. Each command is routed, redirected (`MOVED`, `ASK`) and retried
//! (`TRYAGAIN`) by the client exactly as a single read is. One failing retryably is sent again
//! alone, once the others are done: on a multiplexed connection, the `ASKING` the client sends
//! before a command redirected by `ASK` can be taken by another command redirected at the same
//! moment, which a batch's commands often are while a slot migrates.

use crate::connection::Io;
use crate::errors::from_redis;
use crate::keys::KeySpace;
use futures_util::future::join_all;
use std::collections::HashMap;
use storage_core::{Error, ReadPair, Result, StoredValue};

/// The reads of one namespace: its values hash, the keys asked, and where each answer goes.
struct Group {
    values: Vec<u8>,
    keys: Vec<Vec<u8>>,
    answers_at: Vec<usize>,
}

/// The `HMGET`s `pairs` need, one per namespace, in order of first appearance.
fn groups(space: &KeySpace, pairs: &[ReadPair<'_>]) -> Vec<Group> {
    let mut by_ns: HashMap<&[u8], usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (at, &(ns, key)) in pairs.iter().enumerate() {
        let i = *by_ns.entry(ns).or_insert_with(|| {
            groups.push(Group {
                values: space.namespace(ns).values,
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

/// Reads `pairs` of `space` through `io`: each answer what `HGET` of its pair answers.
pub(crate) async fn get_many(
    io: Io,
    space: &KeySpace,
    pairs: &[ReadPair<'_>],
) -> Result<Vec<Option<StoredValue>>> {
    let groups = groups(space, pairs);
    let read = join_all(groups.iter().map(|group| hmget(&io, group))).await;
    let mut answers = vec![None; pairs.len()];
    for (group, values) in groups.iter().zip(read) {
        let values = match values {
            Err(e) if e.is_retryable() => hmget(&io, group).await?,
            other => other?,
        };
        for (&at, value) in group.answers_at.iter().zip(values) {
            answers[at] = value.map(StoredValue::from);
        }
    }
    Ok(answers)
}

/// The values of `group`'s keys, one per key.
async fn hmget(io: &Io, group: &Group) -> Result<Vec<Option<Vec<u8>>>> {
    let mut conn = io.conn.clone();
    let values: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
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
