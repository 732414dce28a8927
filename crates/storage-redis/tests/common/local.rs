//! A cluster of a test's own, on loopback ports, started and stopped with
//! `scripts/redis-cluster/`: for the tests that kill nodes or move slots.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long the cluster may take for each step (failover, rejoin, resharding): generous, never
/// waited out when things work.
pub const DEADLINE: Duration = Duration::from_secs(30);

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/redis-cluster")
        .join(name)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `redis-cli -p port args…`; `None` when the node does not answer.
pub fn cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The node's `ROLE` reply (`master…`, or `slave…` with the link's state), empty when it does
/// not answer.
pub fn role(port: u16) -> String {
    cli(port, &["role"]).unwrap_or_default()
}

/// A node of `CLUSTER NODES`.
pub struct Node {
    pub port: u16,
    pub id: String,
    pub master: bool,
    /// The id of its master (`-` for a master).
    pub master_id: String,
}

/// The cluster as the node on `port` sees it.
pub fn cluster_nodes(port: u16) -> Vec<Node> {
    let text = cli(port, &["cluster", "nodes"]).expect("cluster nodes");
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port = f.get(1)?.split(['@', ':']).nth(1)?.parse().ok()?;
            Some(Node {
                port,
                id: f[0].to_owned(),
                master: f.get(2)?.contains("master"),
                master_id: f.get(3)?.to_string(),
            })
        })
        .collect()
}

/// Polls `ready` until it holds, or panics after [`DEADLINE`] naming `what`.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A test's own cluster, stopped (and its data deleted) when dropped, even on a panic.
pub struct LocalCluster {
    pub base: u16,
    /// The masters' addresses, for `RedisBackend::connect`.
    pub nodes: Vec<String>,
}

impl LocalCluster {
    /// Starts 3 masters with `replicas` replicas each on ports `base`…, via
    /// `scripts/redis-cluster/start`.
    pub fn start(base: u16, replicas: u32) -> LocalCluster {
        // A cluster left over by an interrupted run would hold the ports.
        run(Command::new(script("stop")).args(["--port", &base.to_string()]));
        let out = run(Command::new(script("start")).args([
            "--port",
            &base.to_string(),
            "--replicas",
            &replicas.to_string(),
            "--node-timeout",
            "1000",
        ]));
        let line = out.lines().last().unwrap_or_default();
        let nodes = line
            .strip_prefix("MPSTORE_REDIS_CLUSTER=")
            .unwrap_or_else(|| panic!("start printed no node list: {out}"))
            .split(',')
            .map(str::to_owned)
            .collect();
        LocalCluster { base, nodes }
    }

    /// `scripts/redis-cluster/node kill|start port`.
    pub fn node(&self, action: &str, port: u16) {
        run(Command::new(script("node")).args([
            "--port",
            &self.base.to_string(),
            action,
            &port.to_string(),
        ]));
    }

    /// Every key stored on the node at `port`.
    pub fn keys_on(&self, port: u16) -> Vec<String> {
        let out = cli(port, &["--scan"]).expect("scan");
        out.lines()
            .map(str::to_owned)
            .filter(|k| !k.is_empty())
            .collect()
    }

    /// Moves every slot holding a key from the master `from` to the master `to`, the way
    /// `redis-cli --cluster reshard` does it (importing / migrating, `MIGRATE` the keys in
    /// batches, then assign the slot), while clients keep running: they meet `ASK` while a slot
    /// migrates and `MOVED` afterwards. Returns how many slots moved.
    pub fn move_used_slots(&self, from: &Node, to: &Node) -> usize {
        let mut slots = std::collections::BTreeSet::new();
        for key in self.keys_on(from.port) {
            let slot = cli(from.port, &["cluster", "keyslot", &key]).expect("keyslot");
            slots.insert(slot.trim().to_owned());
        }
        let masters: Vec<u16> = cluster_nodes(self.base)
            .iter()
            .filter(|n| n.master)
            .map(|n| n.port)
            .collect();
        let ok = |port: u16, args: &[&str]| {
            let reply = cli(port, args).unwrap_or_else(|| panic!("{port} {args:?} failed"));
            assert!(!reply.starts_with("ERR"), "{port} {args:?}: {reply}");
            reply
        };
        for slot in &slots {
            ok(
                to.port,
                &["cluster", "setslot", slot, "importing", &from.id],
            );
            ok(
                from.port,
                &["cluster", "setslot", slot, "migrating", &to.id],
            );
            loop {
                let keys = ok(from.port, &["cluster", "getkeysinslot", slot, "100"]);
                let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
                if keys.is_empty() {
                    break;
                }
                let port = to.port.to_string();
                let mut args = vec!["migrate", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
                args.extend(keys);
                ok(from.port, &args);
            }
            ok(to.port, &["cluster", "setslot", slot, "node", &to.id]);
            ok(from.port, &["cluster", "setslot", slot, "node", &to.id]);
            for &m in &masters {
                if m != from.port && m != to.port {
                    ok(m, &["cluster", "setslot", slot, "node", &to.id]);
                }
            }
        }
        slots.len()
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        let _ = Command::new(script("stop"))
            .args(["--port", &self.base.to_string()])
            .status();
    }
}
