//! The store's requests and responses: what Skein's kv RPCs ask and answer, as domain types.
//!
//! Enum fields are Rust enums (a number outside `skein.proto` never gets this far: the AM's
//! gRPC edge rejects it while converting), counts are `usize`, and an empty transaction
//! operation has been dropped. The edge converts to and from `skein.proto` without copying
//! keys or values.

use crate::services::ContainerInstance;

use super::watches::WatchId;

/// One key, its value and its owner, as returned by reads and watch events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value (empty in key-only results and DELETE events).
    pub value: Vec<u8>,
    /// The container that owns the key, if any.
    pub owner: Option<ContainerInstance>,
}

/// What a range read or delete returns besides the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultType {
    /// Keys with their values and owners.
    Items,
    /// Keys only.
    Keys,
    /// Nothing but the count.
    None,
}

/// A `GetRange` or `DeleteRange`: the keys in `[start, end)` (Skein's open-bound rules, see
/// `KeyRange`), and what to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// First key, inclusive; empty or `"\0"` for no lower bound.
    pub start: String,
    /// Last key, exclusive; empty for no upper bound.
    pub end: String,
    /// What to return.
    pub result_type: ResultType,
}

/// The answer to a [`Range`] read or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeResult {
    /// Number of keys selected (or deleted).
    pub count: usize,
    /// The request's result type.
    pub result_type: ResultType,
    /// Per `result_type`: the items, the keys, or nothing; in key order.
    pub result: Vec<KeyValue>,
}

/// A `PutKey`: sets the value and/or the owner of one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutKey {
    /// The key.
    pub key: String,
    /// The new value (unless `ignore_value`).
    pub value: Vec<u8>,
    /// The new owner, `None` for none (unless `ignore_owner`).
    pub owner: Option<ContainerInstance>,
    /// Keep the current value (the key must exist).
    pub ignore_value: bool,
    /// Keep the current owner.
    pub ignore_owner: bool,
    /// Return the previous key-value.
    pub return_previous: bool,
}

/// The answer to a [`PutKey`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    /// The request's `return_previous`.
    pub return_previous: bool,
    /// The key-value before the put, when asked for and the key existed.
    pub previous: Option<KeyValue>,
}

/// A comparison operator of a transaction [`Condition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
    /// `<`
    Less,
    /// `<=`
    LessEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterEqual,
}

/// The field a [`Condition`] compares and its right-hand side; `None` is null.
///
/// Skein's wire form carries the field and the right-hand side separately: a right-hand side
/// of the other kind counts as null, which is how the edge converts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// Compare the key's value (unsigned bytes, lexicographically).
    Value(Option<Vec<u8>>),
    /// Compare the key's owner (service name in Java order, then instance).
    Owner(Option<ContainerInstance>),
}

/// One condition of a [`Transaction`]: `<field of key> <operator> <right-hand side>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The key whose value or owner is compared.
    pub key: String,
    /// The comparison.
    pub operator: Operator,
    /// The field compared and the right-hand side.
    pub operand: Operand,
}

/// One operation of a transaction branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Read a range.
    GetRange(Range),
    /// Put one key.
    PutKey(PutKey),
    /// Delete a range.
    DeleteRange(Range),
}

/// The result of one [`Op`], in the same position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// Of [`Op::GetRange`].
    GetRange(RangeResult),
    /// Of [`Op::PutKey`].
    PutKey(PutResult),
    /// Of [`Op::DeleteRange`].
    DeleteRange(RangeResult),
}

/// A `Transaction`: if every condition holds (none = true), `on_success` runs, else
/// `on_failure`; atomically either way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    /// Conditions, ANDed.
    pub conditions: Vec<Condition>,
    /// Operations when all conditions hold.
    pub on_success: Vec<Op>,
    /// Operations otherwise.
    pub on_failure: Vec<Op>,
}

/// The answer to a [`Transaction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionResult {
    /// Whether the conditions held (so `on_success` ran).
    pub succeeded: bool,
    /// One result per operation of the branch that ran.
    pub results: Vec<OpResult>,
}

/// Which events a watch receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// PUT and DELETE.
    All,
    /// PUT only.
    Put,
    /// DELETE only.
    Delete,
}

/// A new watch on the keys in `[start, end)` (an empty `end` is unbounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchCreate {
    /// First key, inclusive.
    pub start: String,
    /// Last key, exclusive; empty for no upper bound.
    pub end: String,
    /// The events wanted.
    pub event_type: EventType,
}

/// What a watch response says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchResponseKind {
    /// The watch was created.
    Create,
    /// The watch was cancelled.
    Cancel,
    /// Keys were put (one key per response, with its new value and owner).
    Put,
    /// Keys were deleted (the keys only).
    Delete,
}

/// One response on a `Watch` stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchResponse {
    /// What happened.
    pub kind: WatchResponseKind,
    /// The watch it concerns.
    pub watch_id: WatchId,
    /// The keys of a PUT or DELETE; empty for CREATE and CANCEL.
    pub events: Vec<KeyValue>,
}
