//! Clear errors when the cluster cannot be reached or the addresses are wrong.

mod common;

use std::net::TcpListener;
use storage_core::{block_on, Error};
use storage_redis::{RedisBackend, RedisOptions};

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

fn connect(nodes: &[String]) -> Result<RedisBackend, Error> {
    block_on(RedisBackend::connect(nodes, RedisOptions::default()))
}

#[test]
fn an_unreachable_cluster_is_unavailable_and_retryable() {
    let node = format!("127.0.0.1:{}", closed_port());
    match connect(&[node]) {
        Err(e @ Error::Unavailable(_)) => assert!(e.is_retryable()),
        other => panic!("expected Error::Unavailable, got {other:?}"),
    }
}

#[test]
fn bad_addresses_are_invalid_parameters() {
    for nodes in [vec![], vec!["redis://127.0.0.1:notaport".to_owned()]] {
        match connect(&nodes) {
            Err(Error::InvalidParam(_)) => {}
            other => panic!("{nodes:?}: expected Error::InvalidParam, got {other:?}"),
        }
    }
}
