//! [`RedisOptions`]: how a [`crate::RedisBackend`] talks to its cluster.

use std::time::Duration;

/// How a [`crate::RedisBackend`] connects, waits and retries.
///
/// The defaults suit a cluster on a local network; see `docs/scaling.md` for a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// Bytes put in front of every key this backend writes (hex-encoded inside the hash tag), so
    /// several independent stores can share one cluster. Default: empty.
    pub prefix: Vec<u8>,
    /// How many replicas must confirm a write before it returns `Ok` (Redis `WAIT`). With `0`
    /// (the default) a write is acknowledged once its master has it; with `1` an acknowledged
    /// write survives the loss of its master when that master has one replica. See
    /// [`crate`] *Durability*.
    pub replica_acks: u32,
    /// How long a write waits for `replica_acks` confirmations before it returns
    /// [`storage_core::Error::Unavailable`]. Default: 1 s.
    pub ack_timeout: Duration,
    /// How long opening a connection to one node may take. Default: 500 ms.
    pub connection_timeout: Duration,
    /// How long one request may wait for its reply. Default: 2 s.
    pub response_timeout: Duration,
    /// How many times the client retries a request after a connection error, a `TRYAGAIN` or
    /// a `CLUSTERDOWN` before the call fails with [`storage_core::Error::Unavailable`]
    /// (redirects, `MOVED` and `ASK`, are always followed). Default: 2.
    pub retries: u32,
    /// Threads of the runtime the backend owns for its network I/O. Default: 2.
    pub io_threads: usize,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            prefix: Vec::new(),
            replica_acks: 0,
            ack_timeout: Duration::from_secs(1),
            connection_timeout: Duration::from_millis(500),
            response_timeout: Duration::from_secs(2),
            retries: 2,
            io_threads: 2,
        }
    }
}
