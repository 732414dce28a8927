//! `mpstore serve`: the platforms' server APIs of game cloud data over HTTP (`storage-serve`),
//! on the open store or on a Redis Cluster, until a stop signal (which flushes an open store)
//! ends the process.

use super::args::{Cli, Command};
use super::{emit, fail};
use crate::exit;
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage_api::KEY_FILE;
use storage_core::Backend;
use storage_crypto::{EncryptedBackend, KeyFileProvider};
use storage_redis::{RedisBackend, RedisOptions};
use storage_serve::GameServer;

/// Serves `backend` on `listen`; returns the exit code if the service cannot start or fails.
pub fn run(
    cli: &Cli,
    backend: Arc<dyn Backend>,
    listen: SocketAddr,
    admin_token: Option<String>,
) -> i32 {
    match runtime() {
        Some(runtime) => runtime.block_on(serve(cli, backend, listen, admin_token)),
        None => fail(exit::FAILURE, "cannot start the service's runtime"),
    }
}

/// `serve --redis NODES`: the cluster's data, encrypted with the key file (by default the one in
/// `dir`), served as [`run`] serves a store. Several services may share the cluster.
pub fn run_redis(cli: &Cli, nodes: &str, dir: &Path) -> i32 {
    let Command::Serve {
        listen,
        admin_token,
        redis_prefix,
        replica_acks,
        key_file,
        ..
    } = &cli.command
    else {
        return fail(exit::USAGE, "not a serve command");
    };
    let nodes: Vec<&str> = (nodes.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if nodes.is_empty() {
        return fail(exit::USAGE, "--redis needs at least one node, host:port");
    }
    let Some(runtime) = runtime() else {
        return fail(exit::FAILURE, "cannot start the service's runtime");
    };
    let key_file = key_file.clone().unwrap_or_else(|| dir.join(KEY_FILE));
    if let Err(e) = private_dir(key_file.parent().unwrap_or(dir)) {
        return fail(
            exit::CANNOT_OPEN,
            &format!("cannot make the key file's directory: {e}"),
        );
    }
    runtime.block_on(async {
        let options = RedisOptions::default()
            .prefix(redis_prefix.as_bytes().to_vec())
            .replica_acks(*replica_acks);
        let provider = KeyFileProvider::new(&key_file);
        // A cluster still starting (its replicas not yet in sync) answers retryably: wait for it.
        let started = Instant::now();
        let opened = loop {
            let opened = async {
                let redis = RedisBackend::connect(&nodes, options.clone()).await?;
                EncryptedBackend::open(redis, &provider).await
            };
            match opened.await {
                Err(e) if e.is_retryable() && started.elapsed() < CLUSTER_WAIT => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                opened => break opened,
            }
        };
        match opened {
            Ok(backend) => serve(cli, Arc::new(backend), *listen, admin_token.clone()).await,
            Err(e) => fail(
                exit::code_of(&e),
                &format!("cannot open the cluster's data at {nodes:?}: {e}"),
            ),
        }
    })
}

/// How long `serve --redis` waits for a cluster that answers "retry later" at start.
const CLUSTER_WAIT: Duration = Duration::from_secs(30);

/// Creates `dir` (owner-only, as the store's own directory is) if it does not exist.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    (tokio::runtime::Builder::new_multi_thread())
        .enable_all()
        .build()
        .ok()
}

async fn serve(
    cli: &Cli,
    backend: Arc<dyn Backend>,
    listen: SocketAddr,
    admin_token: Option<String>,
) -> i32 {
    let server = Arc::new(match admin_token {
        Some(token) => GameServer::with_admin_token(backend, token),
        None => GameServer::new(backend),
    });
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => return fail(exit::FAILURE, &format!("cannot listen on {listen}: {e}")),
    };
    let addr = listener.local_addr().map_or(listen, |a| a);
    // One line a script can read before its first request.
    emit(
        cli,
        &json!({"listening": format!("http://{addr}"), "admin_token": server.admin_token()}),
    );
    match storage_serve::serve(listener, server, std::future::pending()).await {
        Ok(()) => exit::OK,
        Err(e) => fail(exit::FAILURE, &format!("the service failed: {e}")),
    }
}
