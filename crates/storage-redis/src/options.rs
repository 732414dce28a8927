//! [`RedisOptions`]: how a [`crate::RedisBackend`] talks to its cluster.

use std::time::Duration;

/// How a [`crate::RedisBackend`] connects, waits and retries.
///
/// The defaults suit a cluster on a local network; see `docs/scaling.md` for a deployment.
///
/// Options may be added, so the struct is `#[non_exhaustive]`: build it from
/// [`RedisOptions::default`] with its chainable setters, one per field; the fields stay readable.
///
/// ```
/// use std::time::Duration;
/// use storage_redis::RedisOptions;
/// let options = RedisOptions::default().prefix(b"app1/".to_vec()).replica_acks(1);
/// assert_eq!(options.replica_acks, 1);
/// assert_eq!(options.ack_timeout, Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

impl RedisOptions {
    /// Sets `prefix`, the bytes put in front of every key; empty by default.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<Vec<u8>>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets `replica_acks`, the replicas that must confirm a write; 0 by default.
    #[must_use]
    pub fn replica_acks(mut self, replica_acks: u32) -> Self {
        self.replica_acks = replica_acks;
        self
    }

    /// Sets `ack_timeout`, how long a write waits for its confirmations; 1 s by default.
    #[must_use]
    pub fn ack_timeout(mut self, ack_timeout: Duration) -> Self {
        self.ack_timeout = ack_timeout;
        self
    }

    /// Sets `connection_timeout`, how long opening a connection may take; 500 ms by default.
    #[must_use]
    pub fn connection_timeout(mut self, connection_timeout: Duration) -> Self {
        self.connection_timeout = connection_timeout;
        self
    }

    /// Sets `response_timeout`, how long a request may wait for its reply; 2 s by default.
    #[must_use]
    pub fn response_timeout(mut self, response_timeout: Duration) -> Self {
        self.response_timeout = response_timeout;
        self
    }

    /// Sets `retries`, the retries after a connection error or a busy cluster; 2 by default.
    #[must_use]
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sets `io_threads`, the threads of the backend's network runtime; 2 by default.
    #[must_use]
    pub fn io_threads(mut self, io_threads: usize) -> Self {
        self.io_threads = io_threads;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::RedisOptions;
    use std::time::Duration;

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = RedisOptions::default();
        assert!(d.prefix.is_empty());
        assert_eq!(d.replica_acks, 0);
        assert_eq!(d.ack_timeout, Duration::from_secs(1));
        assert_eq!(d.connection_timeout, Duration::from_millis(500));
        assert_eq!(d.response_timeout, Duration::from_secs(2));
        assert_eq!(d.retries, 2);
        assert_eq!(d.io_threads, 2);
    }

    #[test]
    fn each_setter_sets_its_field_only() {
        let d = RedisOptions::default;
        let prefix = b"app1/".to_vec();
        assert_eq!(d().prefix(prefix.clone()), RedisOptions { prefix, ..d() });
        assert_eq!(
            d().prefix("app2/"),
            RedisOptions {
                prefix: b"app2/".to_vec(),
                ..d()
            }
        );
        let replica_acks = 1;
        assert_eq!(
            d().replica_acks(replica_acks),
            RedisOptions {
                replica_acks,
                ..d()
            }
        );
        let ack_timeout = Duration::from_millis(250);
        assert_eq!(
            d().ack_timeout(ack_timeout),
            RedisOptions { ack_timeout, ..d() }
        );
        let connection_timeout = Duration::from_millis(300);
        assert_eq!(
            d().connection_timeout(connection_timeout),
            RedisOptions {
                connection_timeout,
                ..d()
            }
        );
        let response_timeout = Duration::from_secs(5);
        assert_eq!(
            d().response_timeout(response_timeout),
            RedisOptions {
                response_timeout,
                ..d()
            }
        );
        let retries = 7;
        assert_eq!(d().retries(retries), RedisOptions { retries, ..d() });
        let io_threads = 4;
        assert_eq!(
            d().io_threads(io_threads),
            RedisOptions { io_threads, ..d() }
        );
    }
}
