//! [`Mpstore::verify`]: every namespace and entry of a store read once, to say what is damaged.

use crate::Mpstore;
use storage_core::{Error, Namespace, Result};

/// Something of the store that cannot be read.
#[derive(Debug)]
#[non_exhaustive]
pub struct Damage {
    /// Where it is.
    pub namespace: Namespace,
    /// The entry's key; `None` when the namespace itself cannot be read whole (its listing, or
    /// a game's data).
    pub key: Option<String>,
    /// Why it cannot be read.
    pub error: Error,
}

/// What [`Mpstore::verify`] found.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Verification {
    /// Namespaces holding data.
    pub namespaces: usize,
    /// Entries (local) and namespaces' records (game data) that read whole.
    pub entries: u64,
    /// What does not.
    pub damaged: Vec<Damage>,
}

impl Mpstore {
    /// Reads every namespace (sorted) and entry once and reports what cannot be read, going on
    /// past damage. Fails only where the store itself fails (it cannot list its namespaces, or a
    /// read fails for another reason than damage).
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::{block_on, Scope};
    /// let store = Mpstore::in_memory();
    /// store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
    /// let found = block_on(store.verify()).unwrap();
    /// assert_eq!((found.namespaces, found.entries, found.damaged.len()), (1, 1, 0));
    /// ```
    pub async fn verify(&self) -> Result<Verification> {
        let mut found = Verification::default();
        let mut namespaces = self.store_engine().namespaces().await?;
        // Sorted, as a dump is: two reports of the same store read the same.
        namespaces.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        for listed in namespaces {
            found.namespaces += 1;
            let namespace = listed.namespace;
            let damage = |key, error| Damage {
                namespace: namespace.clone(),
                key,
                error,
            };
            match &namespace {
                Namespace::Local { .. } => match self.store_engine().check(&namespace).await {
                    Ok(checked) => {
                        found.entries += checked.entries;
                        let damaged = checked.damaged.into_iter();
                        found
                            .damaged
                            .extend(damaged.map(|(k, e)| damage(Some(k), e)));
                    }
                    Err(e @ Error::Corrupt(_)) => found.damaged.push(damage(None, e)),
                    Err(e) => return Err(e),
                },
                _ => match self.data(&namespace).await {
                    Ok(items) => found.entries += items.len() as u64,
                    Err(e @ Error::Corrupt(_)) => found.damaged.push(damage(None, e)),
                    Err(e) => return Err(e),
                },
            }
        }
        Ok(found)
    }
}
