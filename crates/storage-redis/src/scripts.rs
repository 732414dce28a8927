//! The server-side Lua scripts, and how a call runs one and confirms its writes.
//!
//! A script runs alone on its node, so each one is atomic; every key it touches carries the
//! same hash tag, so Redis Cluster accepts it. The script text is sent once per node (`EVALSHA`,
//! loading it on `NOSCRIPT`).

use crate::connection::Io;
use crate::errors::from_redis;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Script, Value};
use std::sync::LazyLock;
use storage_core::{Error, Result};

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(crate) static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(include_str!(concat!("lua/", $file))));
    };
}

script!(APPLY, "apply.lua");
script!(LIST, "list.lua");
script!(CLEAR, "clear.lua");
script!(DROP, "drop.lua");
script!(PROBE, "probe.lua");
script!(REGISTER, "register.lua");
script!(UNREGISTER, "unregister.lua");

impl Io {
    /// Runs `script` with `keys` and `args`; the reply comes back as a raw value for the caller
    /// to check (it may have been damaged, so nothing here assumes its shape).
    pub async fn eval<K: AsRef<[u8]>, A: AsRef<[u8]>>(
        &mut self,
        script: &Script,
        keys: &[K],
        args: &[A],
    ) -> Result<Value> {
        let mut call = script.prepare_invoke();
        for k in keys {
            call.key(k.as_ref());
        }
        for a in args {
            call.arg(a.as_ref());
        }
        call.invoke_async(&mut self.conn).await.map_err(from_redis)
    }

    /// Waits until `replica_acks` replicas of the master holding `key` have every write this
    /// connection sent so far (Redis `WAIT`). Does nothing when `replica_acks` is 0.
    ///
    /// When too few confirm in time the write is on its master but may not survive its loss,
    /// and the caller gets [`Error::Unavailable`] saying so.
    pub async fn confirm(&mut self, key: &[u8]) -> Result<()> {
        if self.replica_acks == 0 {
            return Ok(());
        }
        let mut wait = redis::cmd("WAIT");
        let timeout_ms = u64::try_from(self.ack_timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        wait.arg(self.replica_acks).arg(timeout_ms);
        let route = Route::with_key(key, SlotAddr::Master);
        let reply = self
            .conn
            .route_command(
                wait,
                RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route)),
            )
            .await
            .map_err(from_redis)?;
        // A node refuses WAIT once it stopped being the slot's master (a failover demoted it):
        // the write may not survive, and asking again later reaches the new master.
        if let Value::ServerError(refusal) = &reply {
            return Err(Error::Unavailable(format!(
                "redis cluster: the node holding the write refused to confirm it ({refusal:?}); \
                 its slot is failing over"
            )));
        }
        let acks = crate::errors::count("WAIT", &reply)?;
        if acks < u64::from(self.replica_acks) {
            return Err(Error::Unavailable(format!(
                "redis cluster: the write reached its master but only {acks} of {} replicas \
                 confirmed it within {timeout_ms} ms; it may be lost if that master fails",
                self.replica_acks
            )));
        }
        Ok(())
    }
}
