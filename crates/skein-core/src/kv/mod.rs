//! The ApplicationMaster's key-value store: a pure, synchronous model of Skein's semantics.
//!
//! [`Store`] owns the sorted key map, which container owns which key, and the watch registry.
//! Each mutating call returns the response plus the watch [`Notification`]s it produced, in
//! operation order, so a caller that delivers them under the same lock as the mutation keeps
//! Skein's per-watch ordering (see `the AM's watch edge`). No IO, no async: everything here is
//! unit- and property-tested.
//!
//! Owner checks need the AM's container table, which the store sees only through
//! [`ContainerDirectory`].
//!
//! Requests and responses are domain types ([`PutKey`], [`Range`], [`Transaction`], ...): the
//! store never sees `skein.proto`. The AM's gRPC edge converts (`am/kv_wire.rs` in the `skein`
//! crate) and gives [`KvError`]s their gRPC status (`am/status.rs`).

mod bound;
mod error;
mod key;
mod types;
mod watches;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use crate::services::ContainerInstance;
pub use bound::MAX_REPLY_BYTES;
pub use error::KvError;

/// The most bytes a key and its value may take together: gRPC's default message limit of
/// every client (4 MiB: Python's grpcio, tonic) less 64 KiB for the framing of the reply that
/// reads them back, so that whatever is stored can be read.
pub const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024 - 64 * 1024;
pub use types::{
    Condition, EventType, KeyValue, Op, OpResult, Operand, Operator, PutKey, PutResult, Range,
    RangeResult, ResultType, Transaction, TransactionResult, WatchCreate, WatchResponse,
    WatchResponseKind,
};
pub use watches::{Notification, StreamId, WatchId};

use key::{JavaKey, KeyRange, java_cmp};

/// What the AM's container table says about a would-be key owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerState {
    /// The container exists and has not completed: it may own keys.
    Active,
    /// The container has completed (succeeded, failed or killed).
    Completed,
    /// No service of that name.
    UnknownService,
    /// The service exists but never had that instance.
    UnknownInstance,
}

/// The AM's view of its containers, as far as key ownership needs it.
///
/// Ordering contract with [`Store::container_completed`]: the AM must report a container as
/// `Completed` here *before* calling `container_completed`, so that no put can attach a key
/// to it after its keys were removed.
pub trait ContainerDirectory {
    /// The state of `owner` (service name + instance).
    fn owner_state(&self, owner: &ContainerInstance) -> OwnerState;
}

/// A mutation's response and the watch notifications it produced, in delivery order.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied<T> {
    /// The RPC response.
    pub response: T,
    /// Watch responses to deliver, in operation order.
    pub notifications: Vec<Notification>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    value: Vec<u8>,
    owner: Option<ContainerInstance>,
}

type OwnerKey = (String, i32);

fn owner_key(owner: &ContainerInstance) -> OwnerKey {
    (owner.service_name.clone(), owner.instance)
}

/// The key-value store with owners and watches. See the module docs.
#[derive(Debug, Default)]
pub struct Store {
    entries: BTreeMap<JavaKey, Entry>,
    owned: HashMap<OwnerKey, BTreeSet<JavaKey>>,
    watches: watches::Watches,
}

impl Store {
    /// An empty store without watches.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of registered watches, over all streams.
    pub fn watch_count(&self) -> usize {
        self.watches.len()
    }

    /// All key-values in key order (for tests, debugging and the web UI).
    pub fn items(&self) -> Vec<KeyValue> {
        self.entries.iter().map(|(k, e)| key_value(k, e)).collect()
    }

    /// `GetRange`: count and, per `result_type`, the items or keys in `[start, end)`.
    pub fn get_range(&self, request: &Range) -> RangeResult {
        let range = KeyRange::new(&request.start, &request.end);
        let selected = self.select(&range);
        let (count, result) = match request.result_type {
            ResultType::Items => {
                let result: Vec<KeyValue> = selected.map(|(k, e)| key_value(k, e)).collect();
                (result.len(), result)
            }
            ResultType::Keys => {
                let result: Vec<KeyValue> = selected.map(|(k, _)| key_only(k.as_str())).collect();
                (result.len(), result)
            }
            ResultType::None => (selected.count(), Vec::new()),
        };
        RangeResult {
            count,
            result_type: request.result_type,
            result,
        }
    }

    /// An upper bound on the bytes of the reply that running `ops` as a transaction branch
    /// now would give (what [`Store::transaction`] checks against [`MAX_REPLY_BYTES`]).
    pub fn reply_bound(&self, ops: &[Op]) -> usize {
        bound::branch_reply(self, ops).1
    }

    /// `PutKey`: sets value and/or owner of one key and notifies PUT watches.
    ///
    /// # Errors
    /// [`KvError::EntryTooLarge`] for more than [`MAX_ENTRY_BYTES`], then the pre-checks of
    /// Skein, in its order (nothing is applied on error): [`KvError::IgnoreValueAndOwner`], [`KvError::IgnoreValueOnMissingKey`], then the owner
    /// checks [`KvError::UnknownService`], [`KvError::UnknownInstance`],
    /// [`KvError::ContainerCompleted`].
    pub fn put_key(
        &mut self,
        request: PutKey,
        directory: &dyn ContainerDirectory,
    ) -> Result<Applied<PutResult>, KvError> {
        let exists = self.entries.contains_key(&JavaKey(request.key.clone()));
        precheck_put(&request, exists, directory)?;
        let mut notifications = Vec::new();
        let response = self.apply_put(request, &mut notifications);
        Ok(Applied {
            response,
            notifications,
        })
    }

    /// `DeleteRange`: removes `[start, end)`, returns per `result_type`, notifies DELETE
    /// watches (one response per watch, listing the deleted keys inside its interval).
    ///
    /// # Errors
    /// [`KvError::ReplyTooLarge`] when the deleted keys or items asked for could not be sent
    /// back ([`MAX_REPLY_BYTES`]); nothing is deleted then.
    pub fn delete_range(&mut self, request: &Range) -> Result<Applied<RangeResult>, KvError> {
        bound::within_limit(
            "DeleteRange",
            bound::range_reply(self, request),
            "Delete a narrower range or prefix, or without returning what was deleted (result \
             type NONE; `skein kv del` does so)",
        )?;
        let mut notifications = Vec::new();
        let response = self.apply_delete(request, &mut notifications);
        Ok(Applied {
            response,
            notifications,
        })
    }

    /// `Transaction`: evaluates the conditions (AND, empty = true), then runs the chosen branch
    /// atomically.
    ///
    /// Every `PutKey` of the branch is checked before any operation is applied, against the
    /// store as it is *and* as earlier operations of the branch leave it: Skein checks only the
    /// former and crashes mid-branch (half applied) when an earlier delete removed a key that
    /// an `ignore_value` put needs; here that is the same error with nothing applied.
    ///
    /// # Errors
    /// The first failing put's [`KvError`], or [`KvError::ReplyTooLarge`] when the branch's
    /// results could not be sent back ([`MAX_REPLY_BYTES`]); nothing is applied then.
    pub fn transaction(
        &mut self,
        request: Transaction,
        directory: &dyn ContainerDirectory,
    ) -> Result<Applied<TransactionResult>, KvError> {
        let succeeded = request
            .conditions
            .iter()
            .all(|condition| self.eval_condition(condition));
        let ops = if succeeded {
            request.on_success
        } else {
            request.on_failure
        };
        self.precheck_ops(&ops, directory)?;
        bound::within_limit(
            "Transaction",
            bound::branch_reply(self, &ops),
            "Split it into smaller transactions, read narrower ranges, or ask for fewer results \
             (result type KEYS or NONE, no previous values)",
        )?;

        let mut notifications = Vec::new();
        let results = ops
            .into_iter()
            .map(|op| match op {
                Op::GetRange(get) => OpResult::GetRange(self.get_range(&get)),
                Op::PutKey(put) => OpResult::PutKey(self.apply_put(put, &mut notifications)),
                Op::DeleteRange(delete) => {
                    OpResult::DeleteRange(self.apply_delete(&delete, &mut notifications))
                }
            })
            .collect();
        Ok(Applied {
            response: TransactionResult { succeeded, results },
            notifications,
        })
    }

    /// Removes every key `owner` owns (sorted order), one DELETE response per key and watch.
    ///
    /// Call when the container completes, after the directory reports it `Completed`.
    pub fn container_completed(&mut self, owner: &ContainerInstance) -> Vec<Notification> {
        let mut notifications = Vec::new();
        for key in self.owned.remove(&owner_key(owner)).unwrap_or_default() {
            if self.entries.remove(&key).is_some() {
                self.watches
                    .notify_delete(std::iter::once(key.as_str()), &mut notifications);
            }
        }
        notifications
    }

    /// Allocates an id for a new `Watch` stream.
    pub fn open_stream(&mut self) -> StreamId {
        self.watches.open_stream()
    }

    /// Registers a watch on `stream`; the response is the CREATE acknowledgement.
    pub fn create_watch(&mut self, stream: StreamId, request: &WatchCreate) -> WatchResponse {
        self.watches.create(stream, request)
    }

    /// Cancels watch `watch_id` of `stream` (unknown ids are acknowledged too, as in Skein).
    pub fn cancel_watch(&mut self, stream: StreamId, watch_id: WatchId) -> WatchResponse {
        self.watches.cancel(stream, watch_id)
    }

    /// Drops every watch of `stream` (stream ended, failed or shut down).
    pub fn close_stream(&mut self, stream: StreamId) {
        self.watches.close_stream(stream);
    }

    fn select<'a>(
        &'a self,
        range: &KeyRange,
    ) -> Box<dyn Iterator<Item = (&'a JavaKey, &'a Entry)> + 'a> {
        match range.bounds() {
            Some(bounds) => Box::new(self.entries.range::<JavaKey, _>(bounds)),
            None => Box::new(std::iter::empty()),
        }
    }

    fn apply_put(&mut self, request: PutKey, out: &mut Vec<Notification>) -> PutResult {
        let key = JavaKey(request.key);
        let previous = self.entries.get(&key).cloned();
        let value = match (&previous, request.ignore_value) {
            (Some(previous), true) => previous.value.clone(),
            // Missing key + ignore_value was rejected by the pre-check.
            _ => request.value,
        };
        let owner = if request.ignore_owner {
            previous.as_ref().and_then(|p| p.owner.clone())
        } else {
            if let Some(old) = previous.as_ref().and_then(|p| p.owner.as_ref()) {
                self.disown(old, &key);
            }
            if let Some(new) = &request.owner {
                self.owned
                    .entry(owner_key(new))
                    .or_default()
                    .insert(key.clone());
            }
            request.owner
        };
        let entry = Entry { value, owner };
        self.watches.notify_put(&key_value(&key, &entry), out);
        self.entries.insert(key.clone(), entry);
        PutResult {
            return_previous: request.return_previous,
            previous: previous
                .filter(|_| request.return_previous)
                .map(|p| key_value(&key, &p)),
        }
    }

    fn apply_delete(&mut self, request: &Range, out: &mut Vec<Notification>) -> RangeResult {
        let range = KeyRange::new(&request.start, &request.end);
        let keys: Vec<JavaKey> = self.select(&range).map(|(k, _)| k.clone()).collect();
        self.watches
            .notify_delete(keys.iter().map(JavaKey::as_str), out);
        let mut result = Vec::new();
        for key in &keys {
            let Some(entry) = self.entries.remove(key) else {
                continue;
            };
            if let Some(owner) = &entry.owner {
                self.disown(owner, key);
            }
            match request.result_type {
                ResultType::Items => result.push(key_value(key, &entry)),
                ResultType::Keys => result.push(key_only(key.as_str())),
                ResultType::None => {}
            }
        }
        RangeResult {
            count: keys.len(),
            result_type: request.result_type,
            result,
        }
    }

    fn disown(&mut self, owner: &ContainerInstance, key: &JavaKey) {
        let owner = owner_key(owner);
        if let Some(keys) = self.owned.get_mut(&owner) {
            keys.remove(key);
            if keys.is_empty() {
                self.owned.remove(&owner);
            }
        }
    }

    fn eval_condition(&self, condition: &Condition) -> bool {
        let entry = self.entries.get(&JavaKey(condition.key.clone()));
        let ordering = match &condition.operand {
            Operand::Value(rhs) => match (entry, rhs) {
                (Some(entry), Some(rhs)) => compare_values(&entry.value, rhs),
                (lhs, rhs) => {
                    return null_comparison(condition.operator, lhs.is_none(), rhs.is_none());
                }
            },
            Operand::Owner(rhs) => match (entry.and_then(|e| e.owner.as_ref()), rhs) {
                (Some(lhs), Some(rhs)) => compare_owners(lhs, rhs),
                (lhs, rhs) => {
                    return null_comparison(condition.operator, lhs.is_none(), rhs.is_none());
                }
            },
        };
        match condition.operator {
            Operator::Equal => ordering == Ordering::Equal,
            Operator::NotEqual => ordering != Ordering::Equal,
            Operator::Less => ordering == Ordering::Less,
            Operator::LessEqual => ordering != Ordering::Greater,
            Operator::Greater => ordering == Ordering::Greater,
            Operator::GreaterEqual => ordering != Ordering::Less,
        }
    }

    /// Checks every operation of a transaction branch before any is applied.
    fn precheck_ops(&self, ops: &[Op], directory: &dyn ContainerDirectory) -> Result<(), KvError> {
        for (index, op) in ops.iter().enumerate() {
            if let Op::PutKey(put) = op {
                let exists_now = self.entries.contains_key(&JavaKey(put.key.clone()));
                let exists_at_turn = exists_after(&ops[..index], &put.key, exists_now);
                precheck_put(put, exists_now && exists_at_turn, directory)?;
            }
        }
        Ok(())
    }
}

/// Whether `key` exists after `ops` ran on a store where its existence was `exists`.
fn exists_after(ops: &[Op], key: &str, mut exists: bool) -> bool {
    for op in ops {
        match op {
            Op::PutKey(put) if put.key == key => exists = true,
            Op::DeleteRange(delete) if KeyRange::new(&delete.start, &delete.end).contains(key) => {
                exists = false;
            }
            _ => {}
        }
    }
    exists
}

fn precheck_put(
    request: &PutKey,
    key_exists: bool,
    directory: &dyn ContainerDirectory,
) -> Result<(), KvError> {
    let value_bytes = if request.ignore_value {
        0
    } else {
        request.value.len()
    };
    if request.key.len() + value_bytes > MAX_ENTRY_BYTES {
        return Err(KvError::entry_too_large(&request.key, value_bytes));
    }
    if request.ignore_value && request.ignore_owner {
        return Err(KvError::IgnoreValueAndOwner);
    }
    if request.ignore_value && !key_exists {
        return Err(KvError::IgnoreValueOnMissingKey);
    }
    if let (false, Some(owner)) = (request.ignore_owner, &request.owner) {
        let service = || owner.service_name.clone();
        match directory.owner_state(owner) {
            OwnerState::Active => {}
            OwnerState::UnknownService => {
                return Err(KvError::UnknownService { service: service() });
            }
            OwnerState::UnknownInstance => {
                return Err(KvError::UnknownInstance {
                    service: service(),
                    instance: owner.instance,
                });
            }
            OwnerState::Completed => {
                return Err(KvError::ContainerCompleted {
                    service: service(),
                    instance: owner.instance,
                });
            }
        }
    }
    Ok(())
}

/// Skein's null rule: with a null side only `==`/`!=` mean something (both null = equal);
/// every ordering comparison with null is false.
fn null_comparison(operator: Operator, lhs_null: bool, rhs_null: bool) -> bool {
    match operator {
        Operator::Equal => lhs_null && rhs_null,
        Operator::NotEqual => !(lhs_null && rhs_null),
        _ => false,
    }
}

/// Values compare as unsigned bytes, lexicographically (shorter prefix first).
///
/// NB: Skein 0.8's Java AM uses `ByteBuffer.compareTo`, which compares *signed* bytes, so
/// values differing first in a byte >= 0x80 order the other way there. Unsigned is what the
/// issue specifies (and what Python's `bytes` comparison does); this is the one place to change.
pub(crate) fn compare_values(lhs: &[u8], rhs: &[u8]) -> Ordering {
    lhs.cmp(rhs)
}

/// Owners compare by service name (Java string order), then instance.
pub(crate) fn compare_owners(lhs: &ContainerInstance, rhs: &ContainerInstance) -> Ordering {
    java_cmp(&lhs.service_name, &rhs.service_name).then(lhs.instance.cmp(&rhs.instance))
}

fn key_value(key: &JavaKey, entry: &Entry) -> KeyValue {
    KeyValue {
        key: key.0.clone(),
        value: entry.value.clone(),
        owner: entry.owner.clone(),
    }
}

fn key_only(key: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Vec::new(),
        owner: None,
    }
}
