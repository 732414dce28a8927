//! [`Mpstore::salvage`]: every readable namespace and entry of a damaged store, copied into a new
//! store, with what was lost.

use crate::backup::{check_empty, copy_key_file};
use crate::verify::Damage;
use crate::{Mpstore, DATA_DIR, KEY_FILE, NEW_KEY_FILE};
use std::path::Path;
use storage_core::{Error, Namespace, Op, Result};

/// What [`Mpstore::salvage`] saved and lost.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Salvage {
    /// Namespaces in the new store.
    pub namespaces: usize,
    /// Entries (local) and namespaces' records (game data) in the new store, each read whole.
    pub entries: u64,
    /// What was in the damaged store and could not be read, by namespace and key.
    pub lost: Vec<Damage>,
    /// Damage that cannot be named: sled could not read its records past some point (entries
    /// there are lost, and which they were is not known), or records named no namespace.
    pub unnamed: Vec<String>,
    /// What the copy of the damaged store needed before it opened
    /// ([`storage_sled::salvage::open_copy`]).
    pub repairs: Vec<String>,
}

impl Mpstore {
    /// Copies every namespace and entry of the store in `from` (laid out as
    /// [`open_default`](Self::open_default) lays it out) that can still be read into a new store
    /// in `to` (which must not exist, or be empty), and reports what could not be read. `from`
    /// is only read, even when sled refuses to open it: a copy of it is repaired and read
    /// instead. `to` opens with `open_default`, with the same key.
    ///
    /// What salvage cannot do: read a store whose `master.key` is lost or damaged (every value
    /// is sealed with it), or bring back records sled's recovery dropped (its log is read up to
    /// the first damaged message); those records were never seen, so they are reported as
    /// unnamed damage only when sled says where it stopped.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::Scope;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Mpstore::open_default(dir.path().join("store")).unwrap();
    /// store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
    /// drop(store);
    /// let saved = Mpstore::salvage(dir.path().join("store"), dir.path().join("saved")).unwrap();
    /// assert_eq!((saved.entries, saved.lost.len()), (1, 0));
    /// ```
    pub fn salvage(from: impl AsRef<Path>, to: impl AsRef<Path>) -> Result<Salvage> {
        let (from, to) = (from.as_ref(), to.as_ref());
        check_empty(to, "salvage into")?;
        if !from.join(KEY_FILE).is_file() {
            return Err(Error::InvalidParam(format!(
                "cannot salvage {}: it holds no {KEY_FILE}, without which nothing in it can be read",
                from.display()
            )));
        }
        crate::data_dir::prepare(to)?;
        let mut saved = Salvage::default();
        {
            let recovered = storage_sled::salvage::open_copy(&from.join(DATA_DIR), to)?;
            saved.repairs = recovered.repairs.clone();
            let copied = recovered.store.copy_to(to.join(DATA_DIR))?;
            if let Some(stopped) = copied.stopped {
                saved.unnamed.push(format!(
                    "records past a point sled could not read are lost ({stopped})"
                ));
            }
            if copied.unplaced > 0 {
                saved.unnamed.push(format!(
                    "{} records named no namespace and were left out",
                    copied.unplaced
                ));
            }
        }
        copy_key_file(&from.join(KEY_FILE), &to.join(KEY_FILE))?;
        if from.join(NEW_KEY_FILE).is_file() {
            // A rotation was interrupted: opening settles which key is the store's.
            copy_key_file(&from.join(NEW_KEY_FILE), &to.join(NEW_KEY_FILE))?;
        }
        let store = Mpstore::open_default(to).map_err(|e| {
            Error::Corrupt(format!(
                "the records of {} were copied into {}, but its master key does not open them: {e}",
                from.display(),
                to.display()
            ))
        })?;
        let found = storage_core::block_on(store.verify())?;
        // What cannot be read is taken out of the new store, so it holds only sound entries.
        for damage in &found.damaged {
            let ns = damage.namespace.encode();
            let backend = store.backend();
            let removed = match &damage.key {
                Some(key) if matches!(damage.namespace, Namespace::Local { .. }) => {
                    let op = Op::Delete {
                        key: key.clone().into_bytes(),
                    };
                    backend
                        .apply_blocking(&ns, &[op], storage_core::Limits::NONE)
                        .map(drop)
                }
                _ => storage_core::block_on(backend.drop_namespace(&ns)),
            };
            removed?;
        }
        let after = storage_core::block_on(store.namespaces())?;
        saved.namespaces = after.len();
        saved.entries = found.entries;
        saved.lost = found.damaged;
        store.close()?;
        Ok(saved)
    }
}
