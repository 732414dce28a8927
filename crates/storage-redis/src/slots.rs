//! Which master serves which hash slot, as the cluster last said (`CLUSTER SLOTS`): what lets a
//! batch send one pipeline per master. Only a hint: a node answers `MOVED` or `ASK` for a slot it
//! no longer serves, never another slot's data, and a batch that meets one forgets the map and
//! reads through the client's own routing instead (see `batch.rs`).

use crate::connection::Io;
use crate::errors::{array, bytes, count, from_redis, unexpected};
use std::sync::{Arc, Mutex};
use storage_core::Result;

/// The number of hash slots of a Redis Cluster.
const SLOTS: usize = 16384;

/// The masters and the slots each serves.
#[derive(Debug)]
pub(crate) struct SlotMap {
    /// `host`, `port` of each master.
    pub nodes: Vec<(String, u16)>,
    /// Slot → index in `nodes`, or `None` when no master announced an address for it.
    owners: Vec<Option<u16>>,
}

/// The slot map a connection shares between its calls: empty until a batch needs it, and again
/// once a batch found it stale.
#[derive(Debug, Default)]
pub(crate) struct SlotCache(Mutex<Option<Arc<SlotMap>>>);

impl SlotMap {
    /// The master serving the slot of `key`, as an index in `nodes`.
    pub fn owner(&self, key: &[u8]) -> Option<usize> {
        self.owners[usize::from(slot(key))].map(usize::from)
    }
}

/// The hash slot of `key`: CRC16 (XMODEM) of its hash tag (what lies between the first `{` and
/// the next `}`, when not empty) or of the whole key, modulo 16384.
pub(crate) fn slot(key: &[u8]) -> u16 {
    let hashed = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            let close = rest.iter().position(|&b| b == b'}')?;
            (close > 0).then(|| &rest[..close])
        })
        .unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(hashed) % SLOTS as u16
}

impl SlotCache {
    /// The map, asked of the cluster when there is none; `None` when it cannot be had (the
    /// batch then reads through the client's routing).
    pub async fn get(&self, io: &Io) -> Option<Arc<SlotMap>> {
        if let Some(map) = self.lock().clone() {
            return Some(map);
        }
        let map = Arc::new(fetch(io).await.ok()?);
        *self.lock() = Some(Arc::clone(&map));
        Some(map)
    }

    /// Forgets `stale`, unless a newer map replaced it already.
    pub fn forget(&self, stale: &Arc<SlotMap>) {
        let mut cached = self.lock();
        if cached.as_ref().is_some_and(|m| Arc::ptr_eq(m, stale)) {
            *cached = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<SlotMap>>> {
        // Only assignments happen under the lock, so a poisoned one still holds a whole value.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Asks the cluster for its slot ranges: `[[start, end, [host, port, id…], replicas…]…]`.
async fn fetch(io: &Io) -> Result<SlotMap> {
    let mut conn = io.conn.clone();
    let reply: redis::Value = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async(&mut conn)
        .await
        .map_err(from_redis)?;
    let mut map = SlotMap {
        nodes: Vec::new(),
        owners: vec![None; SLOTS],
    };
    for range in array("cluster slots", &reply)? {
        let [start, end, master, ..] = array("cluster slots range", range)? else {
            return Err(unexpected("cluster slots range", range));
        };
        let [host, port, ..] = array("cluster slots node", master)? else {
            return Err(unexpected("cluster slots node", master));
        };
        let host = String::from_utf8_lossy(bytes("cluster slots host", host)?).into_owned();
        let port = u16::try_from(count("cluster slots port", port)?)
            .map_err(|_| unexpected("cluster slots port", port))?;
        let (start, end) = (count("slot", start)?, count("slot", end)?);
        if start > end || end >= SLOTS as u64 {
            return Err(unexpected("cluster slots range", range));
        }
        // An empty host is a node whose address the cluster does not know: leave its slots out.
        if host.is_empty() || host == "?" {
            continue;
        }
        let node = match map.nodes.iter().position(|n| n.0 == host && n.1 == port) {
            Some(i) => i,
            None => {
                map.nodes.push((host, port));
                map.nodes.len() - 1
            }
        };
        let node = u16::try_from(node).map_err(|_| unexpected("cluster slots", &reply))?;
        for owner in &mut map.owners[start as usize..=end as usize] {
            *owner = Some(node);
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::slot;

    #[test]
    fn slots_are_those_redis_computes() {
        // (key, what `CLUSTER KEYSLOT key` answers)
        let cases: [(&[u8], u16); 7] = [
            (b"foo", 12182),
            (b"bar", 5061),
            (b"{user1000}.following", 3443),
            (b"foo{}{bar}", 8363),
            (b"{}x", 10595),
            (b"a{b", 13340),
            (b"mps{p00.61}v", 12573),
        ];
        for (key, expected) in cases {
            assert_eq!(slot(key), expected, "{}", String::from_utf8_lossy(key));
        }
    }
}
