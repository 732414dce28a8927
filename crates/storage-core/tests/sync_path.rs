//! The `*Sync` path: `block_on` needs no runtime and does not panic inside one.

use storage_core::{block_on, JsValue, MemoryBackend, Namespace, Policy, Scope, Store};

fn round_trip(store: &Store<MemoryBackend>) {
    let ns = Namespace::local("u", "a", Scope::App).unwrap();
    block_on(store.set(&ns, &Policy::WX, "k", &JsValue::from(1), Default::default())).unwrap();
    assert_eq!(
        block_on(store.get(&ns, "k", false)).unwrap(),
        Some(JsValue::from(1))
    );
}

#[test]
fn works_without_a_runtime() {
    round_trip(&Store::new(MemoryBackend::new()));
}

#[test]
fn works_inside_a_multi_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    rt.block_on(async { round_trip(&Store::new(MemoryBackend::new())) });
}

#[test]
fn works_inside_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async { round_trip(&Store::new(MemoryBackend::new())) });
}
