//! [`RedisBackend`]: the `Backend` trait on Redis Cluster.

use crate::batch;
use crate::connection::{Cluster, Io};
use crate::errors::{array, bytes, count, unexpected};
use crate::keys::{KeySpace, NamespaceKeys, RegistryKeys};
use crate::options::RedisOptions;
use crate::registry;
use crate::scripts::{Written, APPLY, CLEAR, DROP, LIST};
use async_trait::async_trait;
use std::sync::Arc;
use storage_core::{Backend, Error, Limits, Listing, Op, ReadPair, Result, StoredValue, Usage};

/// The largest charge, and usage, this backend counts exactly: 2^53 - 1, the largest integer a
/// Lua number (a double) holds exactly. A write that would pass it fails with
/// [`Error::Backend`] and changes nothing; no store policy comes anywhere near it.
pub const MAX_EXACT_USAGE: u64 = (1 << 53) - 1;

/// How often a write registers its namespace again when concurrent listings keep retiring its
/// fresh registration (see `registry.rs`); each retry needs a listing to interleave exactly.
const REGISTER_ATTEMPTS: usize = 8;

/// A [`Backend`] on Redis Cluster.
///
/// Cheap to clone: clones, and handles made by [`with_prefix`](RedisBackend::with_prefix), share
/// one multiplexed connection and its I/O runtime. See the [crate] docs for the data layout,
/// what is atomic, durability and errors.
#[derive(Clone)]
pub struct RedisBackend {
    cluster: Arc<Cluster>,
    prefix: Vec<u8>,
    space: KeySpace,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("prefix", &String::from_utf8_lossy(&self.prefix))
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    /// Connects to a Redis Cluster through any of its `nodes` (`host:port`, or `redis://` URLs
    /// with credentials), discovering the rest.
    ///
    /// Fails with [`Error::Unavailable`] when no node can be reached, and with
    /// [`Error::InvalidParam`] when the addresses cannot be parsed.
    ///
    /// ```no_run
    /// # storage_core::block_on(async {
    /// use storage_redis::{RedisBackend, RedisOptions};
    /// let nodes = ["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"];
    /// let backend = RedisBackend::connect(&nodes, RedisOptions::default()).await?;
    /// let store = storage_core::Store::new(backend);
    /// # Ok::<(), storage_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn connect(nodes: &[impl AsRef<str>], options: RedisOptions) -> Result<Self> {
        let nodes: Vec<String> = nodes.iter().map(|n| n.as_ref().to_owned()).collect();
        let prefix = options.prefix.clone();
        let cluster = Cluster::connect(&nodes, options).await?;
        Ok(RedisBackend {
            cluster,
            space: KeySpace::new(&prefix),
            prefix,
        })
    }

    /// Another backend on the same connection whose keys start with `prefix` instead: a
    /// separate store, sharing nothing with this one but the cluster (tests make one per case).
    pub fn with_prefix(&self, prefix: impl Into<Vec<u8>>) -> Self {
        let prefix = prefix.into();
        RedisBackend {
            cluster: self.cluster.clone(),
            space: KeySpace::new(&prefix),
            prefix,
        }
    }

    /// The prefix of this backend's keys.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }
}

/// The script arguments of `ops`: `p key value charge` or `d key`, in order.
fn op_args(ops: &[Op]) -> Result<Vec<Vec<u8>>> {
    let mut args = Vec::with_capacity(ops.len() * 4);
    for op in ops {
        match op {
            Op::Put { key, value, charge } => {
                if *charge > MAX_EXACT_USAGE {
                    return Err(Error::Backend(format!(
                        "a charge of {charge} is more than the redis backend counts exactly \
                         ({MAX_EXACT_USAGE})"
                    )));
                }
                args.extend([
                    b"p".to_vec(),
                    key.clone(),
                    value.clone(),
                    charge.to_string().into_bytes(),
                ]);
            }
            Op::Delete { key } => args.extend([b"d".to_vec(), key.clone()]),
        }
    }
    Ok(args)
}

/// Runs the apply script, registering the namespace when the script asks for it.
async fn apply_on(
    mut io: Io,
    keys: NamespaceKeys,
    reg: RegistryKeys,
    ns: Vec<u8>,
    ops: Vec<Vec<u8>>,
    limits: Limits,
) -> Result<Usage> {
    let writes = !ops.is_empty();
    let mut offered = Vec::new();
    for _ in 0..REGISTER_ATTEMPTS {
        let mut args = vec![
            limits.max_bytes.to_string().into_bytes(),
            limits.max_entries.to_string().into_bytes(),
            offered.clone(),
        ];
        args.extend(ops.iter().cloned());
        let written = if writes {
            io.eval_write(&APPLY, &keys.all(), &args).await?
        } else {
            Written {
                reply: io.eval(&APPLY, &keys.all(), &args).await?,
                confirmed: Ok(()),
            }
        };
        let reply = written.reply;
        let parts = array("apply", &reply)?;
        let tag = parts
            .first()
            .map(|t| bytes("apply", t))
            .transpose()?
            .unwrap_or_default();
        let usage = |b: &redis::Value, n: &redis::Value| -> Result<Usage> {
            Ok(Usage {
                bytes: count("apply bytes", b)?,
                entries: count("apply entries", n)?,
            })
        };
        match (tag, parts) {
            (b"ok", [_, b, n]) => {
                written.confirmed?;
                return usage(b, n);
            }
            (b"limit", [_, b0, n0, b1, n1]) => {
                return Err(Error::LimitExceeded {
                    before: usage(b0, n0)?,
                    after: usage(b1, n1)?,
                    limits,
                })
            }
            (b"register", [_]) => {
                offered = registry::register(&mut io, &reg, &ns)
                    .await?
                    .to_string()
                    .into_bytes();
            }
            (b"overflow", [_]) => {
                return Err(Error::Backend(format!(
                    "the write would take the namespace's usage past {MAX_EXACT_USAGE} bytes, \
                     more than the redis backend counts exactly"
                )))
            }
            _ => return Err(unexpected("apply", &reply)),
        }
    }
    Err(Error::Unavailable(
        "redis cluster: concurrent listings kept retiring this namespace's registration".into(),
    ))
}

#[async_trait]
impl Backend for RedisBackend {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        let values = self.space.namespace(ns).values;
        let key = key.to_vec();
        self.cluster
            .run(|mut io| async move {
                redis::cmd("HGET")
                    .arg(values)
                    .arg(key)
                    .query_async(&mut io.conn)
                    .await
                    .map_err(crate::errors::from_redis)
            })
            .await
    }

    /// One `HMGET` per namespace, one pipeline per master, all masters at once: about one round
    /// trip per master asked (see `batch.rs`).
    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        // Grouped here, so the job on the I/O runtime owns what it sends.
        let groups = batch::groups(&self.space, pairs);
        let answers = pairs.len();
        self.cluster
            .run(|io| batch::get_many(io, groups, answers))
            .await
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let args = op_args(ops)?;
        let keys = self.space.namespace(ns);
        let reg = self.space.registry();
        let ns = ns.to_vec();
        self.cluster
            .run(|io| apply_on(io, keys, reg, ns, args, limits))
            .await
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        let keys = self.space.namespace(ns);
        self.cluster
            .run(|mut io| async move {
                let reply = io
                    .eval(&LIST, &[&keys.order, &keys.meta], &[] as &[&[u8]])
                    .await?;
                let [b, n, listed] = array("list", &reply)? else {
                    return Err(unexpected("list", &reply));
                };
                let keys = array("list keys", listed)?
                    .iter()
                    .map(|k| bytes("list key", k).map(<[u8]>::to_vec))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Listing {
                    keys,
                    usage: Usage {
                        bytes: count("list bytes", b)?,
                        entries: count("list entries", n)?,
                    },
                })
            })
            .await
    }

    async fn clear(&self, ns: &[u8]) -> Result<()> {
        let keys = self.space.namespace(ns);
        self.cluster
            .run(|mut io| async move {
                io.eval_write(&CLEAR, &keys.all(), &[] as &[&[u8]])
                    .await?
                    .confirmed
            })
            .await
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        let keys = self.space.namespace(ns);
        let reg = self.space.registry();
        let ns = ns.to_vec();
        self.cluster
            .run(|mut io| async move {
                let epoch = registry::epoch_of(&mut io, &reg, &ns).await?;
                let seen = epoch.clone().unwrap_or_else(|| b"0".to_vec());
                io.eval_write(&DROP, &keys.all(), &[seen])
                    .await?
                    .confirmed?;
                if let Some(epoch) = epoch {
                    registry::unregister(&mut io, &reg, &[(ns, epoch)]).await?;
                }
                Ok(())
            })
            .await
    }

    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        let space = self.space.clone();
        self.cluster
            .run(|mut io| async move { registry::namespaces(&mut io, &space).await })
            .await
    }
}
