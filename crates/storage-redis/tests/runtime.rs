//! The backend's futures complete under any executor: a plain `block_on` on threads with no
//! runtime, and inside tokio runtimes of both flavours (where the backend may also be created and
//! dropped).

mod common;

use storage_core::{block_on, Backend, Limits, Op};
use storage_redis::RedisBackend;

fn put(key: &str, value: &str) -> Op {
    Op::Put {
        key: key.as_bytes().to_vec(),
        value: value.as_bytes().to_vec(),
        charge: value.len() as u64,
    }
}

/// One namespace's round trip: write, read, list, clear, drop; checked at each step.
async fn round_trip(backend: &RedisBackend, ns: &[u8]) {
    let usage = backend
        .apply(ns, &[put("a", "1"), put("b", "22")], Limits::NONE)
        .await
        .expect("apply");
    assert_eq!((usage.bytes, usage.entries), (3, 2));
    assert_eq!(
        backend.get(ns, b"b").await.expect("get"),
        Some(b"22".to_vec())
    );
    assert_eq!(
        backend.list(ns).await.expect("list").keys,
        [b"a".to_vec(), b"b".to_vec()]
    );
    backend.clear(ns).await.expect("clear");
    assert_eq!(backend.get(ns, b"a").await.expect("get"), None);
    backend.drop_namespace(ns).await.expect("drop");
    let listed = backend.namespaces().await.expect("namespaces");
    assert!(listed.iter().all(|(n, _)| n != ns), "{ns:?} still listed");
}

#[test]
fn calls_complete_under_block_on_from_plain_threads() {
    let Some(backend) = common::backend("runtime-threads") else {
        return;
    };
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let backend = &backend;
            s.spawn(move || block_on(round_trip(backend, &[t])));
        }
    });
}

#[tokio::test(flavor = "current_thread")]
async fn calls_complete_inside_a_current_thread_runtime() {
    let Some((nodes, options)) = common::target("runtime-current") else {
        return;
    };
    let backend = common::connected(&nodes, RedisBackend::connect(&nodes, options).await);
    round_trip(&backend, b"current").await;
    // The last handle is dropped here, inside the runtime: this must not panic.
    drop(backend);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_complete_from_tasks_of_a_multi_thread_runtime() {
    let Some((nodes, options)) = common::target("runtime-multi") else {
        return;
    };
    let backend = common::connected(&nodes, RedisBackend::connect(&nodes, options).await);
    let tasks: Vec<_> = (0..4u8)
        .map(|t| {
            let backend = backend.clone();
            tokio::spawn(async move { round_trip(&backend, &[b'm', t]).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}
