//! Simple models the suites compare backends and the engine with.
//!
//! Written for obviousness, not speed: a namespace is a vector in insertion order, and a write
//! is tried on a copy that replaces the original only if the limits allow it.

use crate::backend::{Limits, Op, Usage};
use crate::error::Error;
use crate::namespace::Namespace;
use crate::policy::{EntryMeasure, Policy};
use crate::value::{JsValue, Size, MAX_DEPTH};
use std::collections::BTreeMap;

/// One namespace of the backend model: (key, value, charge) in insertion order.
pub type ModelSpace = Vec<(Vec<u8>, Vec<u8>, u64)>;

/// The backend contract as a model: namespaces of ordered entries.
#[derive(Debug, Clone, Default)]
pub struct BackendModel {
    /// Namespace bytes → its entries in order.
    pub spaces: BTreeMap<Vec<u8>, ModelSpace>,
}

/// The usage of a model namespace.
pub fn usage_of(space: &ModelSpace) -> Usage {
    Usage {
        bytes: space.iter().map(|e| e.2).sum(),
        entries: space.len() as u64,
    }
}

fn apply_ops(space: &mut ModelSpace, ops: &[Op]) {
    for op in ops {
        let at = space.iter().position(|e| e.0 == op.key());
        match (op, at) {
            (Op::Put { value, charge, .. }, Some(i)) => {
                space[i].1 = value.clone();
                space[i].2 = *charge;
            }
            (Op::Put { key, value, charge }, None) => {
                space.push((key.clone(), value.clone(), *charge))
            }
            (Op::Delete { .. }, Some(i)) => {
                space.remove(i);
            }
            (Op::Delete { .. }, None) => {}
        }
    }
}

impl BackendModel {
    /// The usage `ops` would lead to in `ns`.
    pub fn usage_after(&self, ns: &[u8], ops: &[Op]) -> Usage {
        let mut space = self.spaces.get(ns).cloned().unwrap_or_default();
        apply_ops(&mut space, ops);
        usage_of(&space)
    }

    /// `Backend::apply`: all ops or none, refused by `limits`.
    pub fn apply(&mut self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage, Error> {
        let before = self.usage(ns);
        let mut space = self.spaces.get(ns).cloned().unwrap_or_default();
        apply_ops(&mut space, ops);
        let after = usage_of(&space);
        if limits.refuses(before, after) {
            return Err(Error::LimitExceeded {
                before,
                after,
                limits,
            });
        }
        self.put_space(ns, space);
        Ok(after)
    }

    fn put_space(&mut self, ns: &[u8], space: ModelSpace) {
        if space.is_empty() {
            self.spaces.remove(ns);
        } else {
            self.spaces.insert(ns.to_vec(), space);
        }
    }

    /// The usage of `ns`.
    pub fn usage(&self, ns: &[u8]) -> Usage {
        self.spaces.get(ns).map(usage_of).unwrap_or_default()
    }

    /// `Backend::get`.
    pub fn get(&self, ns: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        let space = self.spaces.get(ns)?;
        space.iter().find(|e| e.0 == key).map(|e| e.1.clone())
    }

    /// `Backend::list`'s keys.
    pub fn keys(&self, ns: &[u8]) -> Vec<Vec<u8>> {
        self.spaces
            .get(ns)
            .map(|s| s.iter().map(|e| e.0.clone()).collect())
            .unwrap_or_default()
    }

    /// `Backend::clear` and `Backend::drop_namespace`.
    pub fn clear(&mut self, ns: &[u8]) {
        self.spaces.remove(ns);
    }

    /// `Backend::namespaces`, sorted.
    pub fn namespaces(&self) -> Vec<(Vec<u8>, Usage)> {
        self.spaces
            .iter()
            .map(|(ns, s)| (ns.clone(), usage_of(s)))
            .collect()
    }
}

/// One entry of the engine model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: JsValue,
    /// What it counts toward the quota.
    pub charge: u64,
    /// Written with WeChat's `encrypt`.
    pub encrypted: bool,
}

/// The local-storage rules of behaviour §4 as a model, per namespace.
#[derive(Debug, Clone, Default)]
pub struct StoreModel {
    /// Namespace → entries in insertion order.
    pub spaces: BTreeMap<Namespace, Vec<ModelEntry>>,
}

fn times_factor(policy: &Policy, n: u64, encrypt: bool) -> u64 {
    match policy.encrypt_factor {
        Some((num, den)) if encrypt => (n * num).div_ceil(den),
        _ => n,
    }
}

impl StoreModel {
    /// What `Policy::check_entry` must answer, derived from behaviour §4 directly.
    pub fn check_entry(
        policy: &Policy,
        key: &str,
        value: &JsValue,
        encrypt: bool,
    ) -> Result<u64, Error> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        if encrypt && policy.encrypt_factor.is_none() {
            return Err(Error::InvalidParam(String::new()));
        }
        if value.depth() > MAX_DEPTH {
            return Err(Error::InvalidParam(String::new()));
        }
        let k = policy.unit.of(Size::of_str(key));
        let v = policy.unit.of(value.serialized_size());
        let measured = match policy.entry_measure {
            EntryMeasure::KeyAndValue => k + v,
            EntryMeasure::ValueOnly => v,
        };
        let measured = times_factor(policy, measured, encrypt);
        if measured > policy.entry_limit {
            return Err(Error::EntryTooLarge {
                size: measured,
                limit: policy.entry_limit,
            });
        }
        Ok(times_factor(policy, k + v, encrypt))
    }

    /// `Store::batch_set` (and `set`, as a batch of one).
    pub fn set_all(
        &mut self,
        ns: &Namespace,
        policy: &Policy,
        items: &[(String, JsValue)],
        encrypt: bool,
    ) -> Result<(), Error> {
        let mut space = self.spaces.get(ns).cloned().unwrap_or_default();
        let before: u64 = space.iter().map(|e| e.charge).sum();
        for (key, value) in items {
            let charge = Self::check_entry(policy, key, value, encrypt)?;
            let entry = ModelEntry {
                key: key.clone(),
                value: value.clone(),
                charge,
                encrypted: encrypt,
            };
            match space.iter().position(|e| e.key == *key) {
                Some(i) => space[i] = entry,
                None => space.push(entry),
            }
        }
        let after: u64 = space.iter().map(|e| e.charge).sum();
        let over = if policy.refuse_at_quota {
            after >= policy.quota
        } else {
            after > policy.quota
        };
        if over && after > before {
            return Err(Error::QuotaExceeded {
                after,
                limit: policy.quota,
            });
        }
        if !space.is_empty() {
            self.spaces.insert(ns.clone(), space);
        }
        Ok(())
    }

    /// `Store::get`.
    pub fn get(&self, ns: &Namespace, key: &str, encrypt: bool) -> Result<Option<JsValue>, Error> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        match self
            .spaces
            .get(ns)
            .and_then(|s| s.iter().find(|e| e.key == key))
        {
            None => Ok(None),
            Some(e) if e.encrypted != encrypt => Err(Error::EncryptMismatch),
            Some(e) => Ok(Some(e.value.clone())),
        }
    }

    /// `Store::remove`.
    pub fn remove(&mut self, ns: &Namespace, key: &str) -> Result<(), Error> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        if let Some(space) = self.spaces.get_mut(ns) {
            space.retain(|e| e.key != key);
            if space.is_empty() {
                self.spaces.remove(ns);
            }
        }
        Ok(())
    }

    /// `Store::clear` and `Store::drop_namespace`.
    pub fn clear(&mut self, ns: &Namespace) {
        self.spaces.remove(ns);
    }

    /// Keys in order and usage of `ns`.
    pub fn listing(&self, ns: &Namespace) -> (Vec<String>, u64) {
        let space = self.spaces.get(ns).map(Vec::as_slice).unwrap_or_default();
        (
            space.iter().map(|e| e.key.clone()).collect(),
            space.iter().map(|e| e.charge).sum(),
        )
    }

    /// `Store::remove_user` / `remove_app`: drops the local namespaces `pick` chooses.
    pub fn drop_local_where(&mut self, pick: impl Fn(&str, &str) -> bool) -> usize {
        let doomed: Vec<Namespace> = self
            .spaces
            .keys()
            .filter(|ns| matches!(ns, Namespace::Local { user, app, .. } if pick(user, app)))
            .cloned()
            .collect();
        for ns in &doomed {
            self.spaces.remove(ns);
        }
        doomed.len()
    }
}
