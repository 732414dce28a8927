//! The server-side Lua scripts, and how a call runs one and confirms its writes.
//!
//! A script runs alone on its node, so each one is atomic; every key it touches carries the
//! same hash tag, so Redis Cluster accepts it. The script text is sent once per node (`EVALSHA`,
//! loading it on `NOSCRIPT`).

use crate::connection::Io;
use crate::errors::from_redis;
use redis::{ErrorKind, Script, ServerErrorKind, Value};
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

    /// Runs `script`, which writes, and returns its reply with whether enough replicas
    /// confirmed the write: `Ok` when `replica_acks` replicas of the node that ran it have every
    /// write its connection sent so far (Redis `WAIT`), or when `replica_acks` is 0.
    ///
    /// The `WAIT` travels behind the script in one pipeline, so it is answered by the node and
    /// connection that ran the script, and a retry (a redirect, a dropped connection) sends both
    /// again together. Sent alone, a `WAIT` retried after a failover would count the new
    /// master's replicas for writes it never saw.
    ///
    /// When too few confirm in time the write is on its master but may not survive its loss, and
    /// the confirmation is [`Error::Unavailable`] saying so; the caller decides whether the reply
    /// wrote anything that needs it.
    pub async fn eval_write<K: AsRef<[u8]>, A: AsRef<[u8]>>(
        &mut self,
        script: &Script,
        keys: &[K],
        args: &[A],
    ) -> Result<Written> {
        if self.replica_acks == 0 {
            let reply = self.eval(script, keys, args).await?;
            return Ok(Written {
                reply,
                confirmed: Ok(()),
            });
        }
        let timeout_ms = u64::try_from(self.ack_timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut evalsha = redis::cmd("EVALSHA");
        evalsha.arg(script.get_hash()).arg(keys.len());
        for k in keys {
            evalsha.arg(k.as_ref());
        }
        for a in args {
            evalsha.arg(a.as_ref());
        }
        let mut wait = redis::cmd("WAIT");
        wait.arg(self.replica_acks).arg(timeout_ms);
        let mut pipe = redis::pipe();
        pipe.ignore_errors().add_command(evalsha).add_command(wait);
        // A node that has not seen the script yet answers NOSCRIPT, and its WAIT then follows
        // no write: load it and send both again.
        let mut loaded = false;
        loop {
            let replies: Vec<Value> = pipe.query_async(&mut self.conn).await.map_err(from_redis)?;
            let [reply, acks] = <[Value; 2]>::try_from(replies).map_err(|r| {
                Error::Backend(format!(
                    "redis: {} replies to a write and its WAIT",
                    r.len()
                ))
            })?;
            match reply.extract_error() {
                Ok(reply) => {
                    let confirmed = self.enough(&acks, timeout_ms);
                    return Ok(Written { reply, confirmed });
                }
                Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) && !loaded => {
                    script
                        .load_async(&mut self.conn)
                        .await
                        .map_err(from_redis)?;
                    loaded = true;
                }
                Err(e) => return Err(from_redis(e)),
            }
        }
    }

    /// Whether a `WAIT` reply counts `replica_acks` replicas.
    fn enough(&self, acks: &Value, timeout_ms: u64) -> Result<()> {
        // A node refuses WAIT once it stopped being the slot's master (a failover demoted it):
        // the write may not survive, and asking again later reaches the new master.
        if let Value::ServerError(refusal) = acks {
            return Err(Error::Unavailable(format!(
                "redis cluster: the node holding the write refused to confirm it ({refusal:?}); \
                 its slot is failing over"
            )));
        }
        let acks = crate::errors::count("WAIT", acks)?;
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

/// What a writing script answered, and whether its write was confirmed by enough replicas.
pub(crate) struct Written {
    pub reply: Value,
    pub confirmed: Result<()>,
}
