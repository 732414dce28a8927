//! `mpstore serve`: the platforms' server APIs of game cloud data over HTTP, on the open store
//! (`storage-serve`), until a stop signal flushes the store and ends the process.

use super::args::Cli;
use super::{emit, fail};
use crate::exit;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use storage_api::Mpstore;
use storage_serve::GameServer;

/// Serves `mpstore` on `listen`; returns the exit code if the service cannot start or fails.
pub fn run(cli: &Cli, mpstore: Mpstore, listen: SocketAddr, admin_token: Option<String>) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(exit::FAILURE, &format!("cannot start the service: {e}")),
    };
    let server = Arc::new(match admin_token {
        Some(token) => GameServer::with_admin_token(mpstore.backend(), token),
        None => GameServer::new(mpstore.backend()),
    });
    runtime.block_on(async {
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
    })
}
