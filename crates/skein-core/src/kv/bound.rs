//! An upper bound on the size of the replies that mutations return, known before they run.
//!
//! `GetRange` can be refused after it ran: reading changes nothing. `DeleteRange` and
//! `Transaction` change the store, so a reply too large for gRPC's message limit must be found
//! before anything is applied: the client would get only a transport error for a change that
//! happened. The bound counts, for each operation that returns keys or values, what the store
//! holds in its range now plus what earlier puts of the same branch may have added (deletes
//! only shrink a reply), with protobuf's framing counted at its widest.

use super::{Entry, JavaKey, KeyRange, KvError, Op, PutKey, Range, ResultType, Store};

/// The most bytes a key-value reply may take: gRPC's default message limit of every client
/// (Python's grpcio, tonic).
pub const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// Framing of one operation's result in a transaction reply, at most: its wrapper and the
/// one-of inside it (a tag and a length each), a count and a result type.
const OP_FRAMING: usize = 32;

/// Bytes of a length-delimited protobuf field holding `len` bytes: its tag (field numbers
/// here are below 16), the length as a varint, the bytes.
fn field(len: usize) -> usize {
    let bits = usize::BITS - len.leading_zeros();
    1 + (bits.max(1) as usize).div_ceil(7) + len
}

/// Bytes of one `KeyValue` of a reply, as an element of a repeated field; every field counted
/// even when protobuf would leave it out, and the owner's instance at its widest (11 bytes).
fn key_value_bytes(key: usize, value: usize, owner: Option<&str>) -> usize {
    let owner = owner.map_or(0, |name| field(field(name.len()) + 11));
    field(field(key) + field(value) + owner)
}

/// Refuses `request` ([`KvError::ReplyTooLarge`], saying `fix`) when its reply bound
/// `(items, bytes)` passes [`MAX_REPLY_BYTES`].
pub(super) fn within_limit(
    request: &'static str,
    (items, bytes): (usize, usize),
    fix: &'static str,
) -> Result<(), KvError> {
    if bytes <= MAX_REPLY_BYTES {
        return Ok(());
    }
    Err(KvError::ReplyTooLarge {
        request,
        items,
        bytes,
        limit: MAX_REPLY_BYTES,
        fix,
    })
}

/// The reply of `request`'s range as the store stands: `(items, bytes)`.
pub(super) fn range_reply(store: &Store, request: &Range) -> (usize, usize) {
    if request.result_type == ResultType::None {
        return (0, 0);
    }
    let range = KeyRange::new(&request.start, &request.end);
    store
        .select(&range)
        .fold((0, 0), |(items, bytes), (key, entry)| {
            (
                items + 1,
                bytes + item_bytes(key, entry, request.result_type),
            )
        })
}

/// An upper bound on the reply of a transaction branch: `(items, bytes)`.
pub(super) fn branch_reply(store: &Store, ops: &[Op]) -> (usize, usize) {
    let mut total = (0, 2); // `succeeded`
    for (index, op) in ops.iter().enumerate() {
        let earlier = &ops[..index];
        let (items, bytes) = match op {
            Op::GetRange(range) | Op::DeleteRange(range) => {
                let (items, bytes) = range_reply(store, range);
                let (added_items, added_bytes) = puts_into(store, earlier, range);
                (items + added_items, bytes + added_bytes)
            }
            Op::PutKey(put) if put.return_previous => previous_bound(store, earlier, &put.key),
            Op::PutKey(_) => (0, 0),
        };
        total = (total.0 + items, total.1 + bytes + OP_FRAMING);
    }
    total
}

/// What the puts among `ops` may add to a read of `range`.
fn puts_into(store: &Store, ops: &[Op], range: &Range) -> (usize, usize) {
    if range.result_type == ResultType::None {
        return (0, 0);
    }
    let bounds = KeyRange::new(&range.start, &range.end);
    ops.iter()
        .filter_map(|op| match op {
            Op::PutKey(put) if bounds.contains(&put.key) => Some(put),
            _ => None,
        })
        .fold((0, 0), |(items, bytes), put| {
            let size = match range.result_type {
                ResultType::Keys => key_value_bytes(put.key.len(), 0, None),
                _ => put_bytes(store, put),
            };
            (items + 1, bytes + size)
        })
}

/// The previous entry a put of `key` may return after `earlier` ran: the store's, replaced by
/// each earlier put of the key and dropped by each earlier delete over it.
fn previous_bound(store: &Store, earlier: &[Op], key: &str) -> (usize, usize) {
    let key = JavaKey(key.to_owned());
    let mut bytes = store
        .entries
        .get(&key)
        .map_or(0, |entry| item_bytes(&key, entry, ResultType::Items));
    for op in earlier {
        match op {
            // A put that keeps the value may keep one an earlier put of the branch set.
            Op::PutKey(put) if put.key == key.as_str() && put.ignore_value => {
                bytes = bytes.max(put_bytes(store, put));
            }
            Op::PutKey(put) if put.key == key.as_str() => bytes = put_bytes(store, put),
            Op::DeleteRange(range)
                if KeyRange::new(&range.start, &range.end).contains(key.as_str()) =>
            {
                bytes = 0;
            }
            _ => {}
        }
    }
    (1, bytes)
}

/// The size of the entry `put` leaves, its kept value (`ignore_value`) included.
fn put_bytes(store: &Store, put: &PutKey) -> usize {
    let current = store.entries.get(&JavaKey(put.key.clone()));
    let value = if put.ignore_value {
        current.map_or(0, |entry| entry.value.len())
    } else {
        put.value.len()
    };
    let owner = if put.ignore_owner {
        current.and_then(|entry| entry.owner.as_ref())
    } else {
        put.owner.as_ref()
    };
    key_value_bytes(put.key.len(), value, owner.map(|o| o.service_name.as_str()))
}

fn item_bytes(key: &JavaKey, entry: &Entry, result_type: ResultType) -> usize {
    let key = key.as_str().len();
    match result_type {
        ResultType::Items => key_value_bytes(
            key,
            entry.value.len(),
            entry.owner.as_ref().map(|o| o.service_name.as_str()),
        ),
        ResultType::Keys => key_value_bytes(key, 0, None),
        ResultType::None => 0,
    }
}
