//! The registry of namespaces, for `Backend::namespaces`.
//!
//! A namespace's data lives in its own hash slot, so no one slot can list them all: a registry
//! hash (namespace → epoch) in a slot of its own does. Keeping it consistent without a
//! cross-slot transaction:
//!
//! - **Register before the first entry.** The apply script refuses (changing nothing) to give
//!   entries to a namespace whose meta holds no registration `r`; the writer then registers it
//!   ([`register`]: a fresh epoch, greater than any before, written to the registry) and runs the
//!   script again offering that epoch, which the script records as `r`. So a namespace holding
//!   entries is always in the registry.
//! - **Prune empty ones on listing, behind a fence.** [`namespaces`] reads each registered
//!   namespace's usage with a script that, when the namespace is empty, clears `r` and raises
//!   the namespace's fence `f` to the epoch read from the registry; only then is the registry
//!   entry removed, and only if it still holds that epoch. A writer that registered under an
//!   epoch at or below the fence is refused and registers anew, so a removal can never strand a
//!   namespace that holds entries, whatever the interleaving. A crash between the steps leaves
//!   at worst an entry for an empty namespace, which the next listing prunes.
//!
//! `drop_namespace` uses the same fence. The fence (one small hash field) is all that outlives a
//! dropped namespace that was ever registered.

use crate::connection::Io;
use crate::errors::{array, bytes, count, unexpected};
use crate::keys::{KeySpace, RegistryKeys};
use crate::scripts::{PROBE, REGISTER, UNREGISTER};
use storage_core::{Result, Usage};
use tokio::task::JoinSet;

/// Registers `ns` under a fresh epoch and returns it.
pub(crate) async fn register(io: &mut Io, reg: &RegistryKeys, ns: &[u8]) -> Result<u64> {
    let written = io
        .eval_write(&REGISTER, &[&reg.registry, &reg.epoch], &[ns])
        .await?;
    let epoch = count("register", &written.reply)?;
    written.confirmed?;
    Ok(epoch)
}

/// The registry's epoch for `ns`, if it is registered.
pub(crate) async fn epoch_of(
    io: &mut Io,
    reg: &RegistryKeys,
    ns: &[u8],
) -> Result<Option<Vec<u8>>> {
    redis::cmd("HGET")
        .arg(&reg.registry)
        .arg(ns)
        .query_async(&mut io.conn)
        .await
        .map_err(crate::errors::from_redis)
}

/// Removes the registry entries of `retired` (namespace, epoch) pairs that still hold that epoch.
pub(crate) async fn unregister(
    io: &mut Io,
    reg: &RegistryKeys,
    retired: &[(Vec<u8>, Vec<u8>)],
) -> Result<()> {
    if retired.is_empty() {
        return Ok(());
    }
    let args: Vec<&[u8]> = retired
        .iter()
        .flat_map(|(ns, epoch)| [ns.as_slice(), epoch.as_slice()])
        .collect();
    io.eval_write(&UNREGISTER, &[&reg.registry], &args)
        .await?
        .confirmed
}

/// Every registered namespace holding entries, with its usage; empty ones are pruned.
pub(crate) async fn namespaces(io: &mut Io, space: &KeySpace) -> Result<Vec<(Vec<u8>, Usage)>> {
    let reg = space.registry();
    // HSCAN may return a field twice (while the hash rehashes): keep each namespace once.
    let mut live = std::collections::HashMap::new();
    let mut retired = Vec::new();
    let mut cursor = b"0".to_vec();
    loop {
        // HSCAN, not HGETALL: a registry of millions never blocks its node for long.
        let reply: redis::Value = redis::cmd("HSCAN")
            .arg(&reg.registry)
            .arg(&cursor)
            .arg("COUNT")
            .arg(512)
            .query_async(&mut io.conn)
            .await
            .map_err(crate::errors::from_redis)?;
        let parts = array("HSCAN", &reply)?;
        let [next, fields] = parts else {
            return Err(unexpected("HSCAN", &reply));
        };
        cursor = bytes("HSCAN cursor", next)?.to_vec();
        let fields = array("HSCAN fields", fields)?;
        if fields.len() % 2 != 0 {
            return Err(unexpected("HSCAN fields", &reply));
        }
        // Probe the page's namespaces concurrently: each is one script in its own slot.
        let mut probes = JoinSet::new();
        for pair in fields.chunks_exact(2) {
            let ns = bytes("registry field", &pair[0])?.to_vec();
            let epoch = bytes("registry epoch", &pair[1])?.to_vec();
            let meta = space.namespace(&ns).meta;
            let mut io = io.clone();
            probes.spawn(async move {
                let reply = io.eval(&PROBE, &[&meta], &[&epoch]).await?;
                Ok::<_, storage_core::Error>((ns, epoch, probe_usage(&reply)?))
            });
        }
        while let Some(done) = probes.join_next().await {
            let (ns, epoch, usage) = done.map_err(|e| {
                storage_core::Error::Backend(format!("namespace probe failed: {e}"))
            })??;
            match usage {
                Some(usage) => {
                    live.insert(ns, usage);
                }
                None => retired.push((ns, epoch)),
            }
        }
        if cursor == b"0" {
            break;
        }
    }
    unregister(io, &reg, &retired).await?;
    Ok(live.into_iter().collect())
}

/// The usage in a probe's reply, or `None` for an empty namespace.
fn probe_usage(reply: &redis::Value) -> Result<Option<Usage>> {
    let parts = array("probe", reply)?;
    match parts {
        [tag] if bytes("probe", tag)? == b"empty" => Ok(None),
        [tag, b, n] if bytes("probe", tag)? == b"live" => Ok(Some(Usage {
            bytes: count("probe bytes", b)?,
            entries: count("probe entries", n)?,
        })),
        _ => Err(unexpected("probe", reply)),
    }
}
