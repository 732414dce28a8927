//! A read that finds no key, then finds records because a first write landed in between, reads
//! that write: it is not a dropped namespace's leftovers.

use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use storage_core::{block_on, Backend, Limits, Listing, MemoryBackend, Op, Result, Usage};
use storage_crypto::{EncryptedBackend, RawKeyProvider};

/// Holds the first `list` once armed, until the test lets it go.
struct Gate {
    inner: MemoryBackend,
    armed: AtomicBool,
    entered: Mutex<Sender<()>>,
    release: Mutex<Receiver<()>>,
}

#[async_trait]
impl Backend for Gate {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(ns, key).await
    }
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.inner.apply(ns, ops, limits).await
    }
    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.entered.lock().unwrap().send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
        self.inner.list(ns).await
    }
    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.inner.clear(ns).await
    }
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.inner.drop_namespace(ns).await
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.inner.namespaces().await
    }
}

/// Which read races the first write.
fn race(read: impl FnOnce(&EncryptedBackend<Gate>) -> Result<Option<Vec<u8>>> + Send) {
    let (entered_tx, entered) = channel();
    let (release, release_rx) = channel();
    let gate = Gate {
        inner: MemoryBackend::new(),
        armed: AtomicBool::new(false),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    };
    let store =
        Arc::new(block_on(EncryptedBackend::open(gate, &RawKeyProvider::new([3; 32]))).unwrap());
    store.inner().armed.store(true, Ordering::SeqCst);
    std::thread::scope(|s| {
        let reader = s.spawn(|| read(&store));
        // The reader found no key and is about to look for records: the first write lands now.
        entered.recv().unwrap();
        let put = Op::Put {
            key: b"k".to_vec(),
            value: b"v".to_vec(),
            charge: 2,
        };
        block_on(store.apply(b"ns", &[put], Limits::NONE)).unwrap();
        release.send(()).unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), Some(b"v".to_vec()));
    });
}

#[test]
fn a_get_racing_the_first_write_reads_it() {
    race(|store| block_on(store.get(b"ns", b"k")));
}

#[test]
fn a_list_racing_the_first_write_lists_it() {
    race(|store| {
        block_on(store.list(b"ns")).map(|l| l.keys.into_iter().next().map(|_| b"v".to_vec()))
    });
}
