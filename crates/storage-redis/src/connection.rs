//! The cluster connection and the runtime it runs on.
//!
//! The client's async cluster connection needs a tokio reactor, but the `Backend` contract says
//! its futures must complete under any executor, including a plain `block_on` on a thread with
//! no runtime. So the backend owns a small multi-thread runtime: every call is spawned onto it
//! and its result comes back over a `tokio::sync::oneshot`, which any executor can await.

use crate::errors::from_redis;
use crate::options::RedisOptions;
use crate::slots::SlotCache;
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use storage_core::{Error, Result};
use tokio::runtime::{Handle, Runtime};

/// A runtime that shuts down without blocking when dropped, so dropping the last backend handle
/// is allowed anywhere, including inside another runtime's async task.
struct OwnedRuntime(Option<Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// What a call running on the I/O runtime needs: a handle on the multiplexed connection and the
/// write-confirmation settings. Cheap to clone; it never owns the runtime, so a call finishing on
/// the runtime never drops it.
#[derive(Clone)]
pub(crate) struct Io {
    pub conn: ClusterConnection,
    pub replica_acks: u32,
    pub ack_timeout: Duration,
    /// Which master serves which slot, for batched reads (shared by every call).
    pub slots: Arc<SlotCache>,
}

/// One connection to the cluster, shared by every backend handle made from it.
pub(crate) struct Cluster {
    io: Io,
    handle: Handle,
    // Last, so the connection's tasks are dropped before the runtime shuts down.
    _runtime: OwnedRuntime,
}

impl Cluster {
    /// Connects to the cluster through any of `nodes` (`host:port` or `redis://…` URLs).
    pub async fn connect(nodes: &[String], options: RedisOptions) -> Result<Arc<Cluster>> {
        if nodes.is_empty() {
            return Err(Error::InvalidParam(
                "a Redis Cluster needs at least one node address".into(),
            ));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.io_threads.max(1))
            .thread_name("storage-redis-io")
            .enable_all()
            .build()
            .map_err(|e| Error::Backend(format!("cannot start the redis I/O runtime: {e}")))?;
        let runtime = OwnedRuntime(Some(runtime));
        let handle = runtime.0.as_ref().expect("just built").handle().clone();
        let urls: Vec<String> = nodes
            .iter()
            .map(|n| {
                if n.contains("://") {
                    n.clone()
                } else {
                    format!("redis://{n}")
                }
            })
            .collect();
        let client = ClusterClientBuilder::new(urls)
            .connection_timeout(options.connection_timeout)
            .response_timeout(options.response_timeout)
            .retries(options.retries)
            .build()
            .map_err(|e| Error::InvalidParam(format!("redis cluster configuration: {e}")))?;
        let conn = on(&handle, async move {
            client.get_async_connection().await.map_err(from_redis)
        })
        .await?;
        Ok(Arc::new(Cluster {
            io: Io {
                conn,
                replica_acks: options.replica_acks,
                ack_timeout: options.ack_timeout,
                slots: Arc::default(),
            },
            handle,
            _runtime: runtime,
        }))
    }

    /// Runs `job` on the cluster's runtime and waits for its result from any executor.
    pub async fn run<T, F>(&self, job: impl FnOnce(Io) -> F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        on(&self.handle, job(self.io.clone())).await
    }
}

/// Spawns `fut` on `handle` and awaits its output through a runtime-independent channel.
async fn on<T: Send + 'static>(
    handle: &Handle,
    fut: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    handle.spawn(async move {
        // The caller may have given up waiting; its result then has nowhere to go.
        let _ = tx.send(fut.await);
    });
    rx.await
        .map_err(|_| Error::Backend("the redis I/O runtime stopped before replying".into()))?
}
