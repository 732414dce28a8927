//! [`EncryptedBackend`]'s batched read: the keys of the namespaces it lacks fetched from the
//! keyring in one batch, then every pair read in one batch of the backend beneath.

use super::EncryptedBackend;
use crate::keys::Tag;
use crate::layout::{wrap_key, KEYRING};
use crate::records::NamespaceKeys;
use futures_util::future::join_all;
use std::collections::HashMap;
use std::sync::Arc;
use storage_core::{Backend, Error, ReadPair, Result, StoredValue};

impl<B: Backend> EncryptedBackend<B> {
    /// [`Backend::get_many`]: each answer what [`get`](Backend::get) of its pair answers,
    /// in two batches beneath (one when every namespace's keys are in memory): the wrapped keys
    /// of the namespaces whose keys are not in memory, then the sealed names. A namespace
    /// without a key is checked as `get` checks it (one listing), all of them at once.
    pub(super) async fn read_many(
        &self,
        pairs: &[ReadPair<'_>],
    ) -> Result<Vec<Option<StoredValue>>> {
        let kek = self.state.read().await;
        // The distinct namespaces, in order of first appearance; which one each pair reads.
        let mut known: HashMap<&[u8], usize> = HashMap::new();
        let mut spaces: Vec<(&[u8], Option<Arc<NamespaceKeys>>)> = Vec::new();
        let space_of: Vec<usize> = pairs
            .iter()
            .map(|&(ns, _)| {
                *known.entry(ns).or_insert_with(|| {
                    spaces.push((ns, self.spaces.get(ns)));
                    spaces.len() - 1
                })
            })
            .collect();

        let lacking: Vec<(usize, Tag)> = spaces
            .iter()
            .enumerate()
            .filter(|(_, (_, keys))| keys.is_none())
            .map(|(i, (ns, _))| (i, self.tagger.tag(ns)))
            .collect();
        if !lacking.is_empty() {
            let wraps: Vec<Vec<u8>> = lacking
                .iter()
                .map(|(_, tag)| wrap_key(kek.generation, tag))
                .collect();
            let asked: Vec<ReadPair<'_>> = wraps.iter().map(|w| (KEYRING, &w[..])).collect();
            let records = answered(&asked, self.inner.get_many(&asked).await?)?;
            let mut keyless = Vec::new();
            for ((i, tag), record) in lacking.into_iter().zip(records) {
                match record {
                    Some(record) => {
                        let (data, _) = self.open_wrap(&kek, &tag, record.bytes())?;
                        spaces[i].1 = Some(self.remember(spaces[i].0, tag, &data));
                    }
                    None => keyless.push((i, tag)),
                }
            }
            let checks = keyless
                .iter()
                .map(|(i, tag)| self.keys_after_none(&kek, spaces[*i].0, tag));
            let checked = join_all(checks).await;
            for ((i, _), keys) in keyless.iter().zip(checked) {
                spaces[*i].1 = keys?;
            }
        }

        // Every pair of a namespace that has keys, by its sealed name.
        let mut read_at = Vec::with_capacity(pairs.len());
        let mut names = Vec::with_capacity(pairs.len());
        for (at, &(_, key)) in pairs.iter().enumerate() {
            if let Some(keys) = &spaces[space_of[at]].1 {
                names.push(self.sealed_name(keys, key)?);
                read_at.push(at);
            }
        }
        let keys_of = |at: usize| {
            spaces[space_of[at]]
                .1
                .as_ref()
                .expect("only pairs with keys")
        };
        let asked: Vec<ReadPair<'_>> = read_at
            .iter()
            .zip(&names)
            .map(|(&at, name)| (&keys_of(at).data_ns[..], &name[..]))
            .collect();
        let mut answers = vec![None; pairs.len()];
        if asked.is_empty() {
            return Ok(answers);
        }
        let sealed = answered(&asked, self.inner.get_many(&asked).await?)?;
        for (&at, sealed) in read_at.iter().zip(sealed) {
            if let Some(sealed) = sealed {
                let value = keys_of(at).open_value(pairs[at].1, sealed.bytes())?;
                answers[at] = Some(StoredValue::from(value));
            }
        }
        Ok(answers)
    }
}

/// The inner backend's answers to `asked`, refused if it did not answer each pair once.
fn answered(
    asked: &[ReadPair<'_>],
    answers: Vec<Option<StoredValue>>,
) -> Result<Vec<Option<StoredValue>>> {
    if answers.len() == asked.len() {
        Ok(answers)
    } else {
        Err(Error::Backend(format!(
            "a batched read of {} pairs answered {}",
            asked.len(),
            answers.len()
        )))
    }
}
