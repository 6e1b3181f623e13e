//! Errors of the key-value store, with the exact text Skein 0.8 clients expect.
//!
//! The Python client shows these messages verbatim and its tests compare them, so every
//! message here is part of the wire contract; the AM's gRPC edge (`am/status.rs` in the `skein`
//! crate) gives each its gRPC code.

/// Why a key-value request was rejected. Nothing is applied when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// `PutKey` asked to keep both the value and the owner, which would change nothing.
    #[error("ignore_value & ignore_owner can't both be true")]
    IgnoreValueAndOwner,
    /// `PutKey` kept the value (`ignore_value`) of a key that does not exist.
    #[error("ignore_value=True & key isn't already set")]
    IgnoreValueOnMissingKey,
    /// The owner names a service that the application does not have.
    #[error("Unknown service '{service}'")]
    UnknownService {
        /// The service name from the request.
        service: String,
    },
    /// The owner names an instance the service never had.
    #[error("Service '{service}' has no container instance {instance}")]
    UnknownInstance {
        /// The service name from the request.
        service: String,
        /// The instance number from the request.
        instance: i32,
    },
    /// The owner container has already completed, so it can no longer own keys.
    #[error("Container '{service}_{instance}' has already completed")]
    ContainerCompleted {
        /// The service name from the request.
        service: String,
        /// The instance number from the request.
        instance: i32,
    },
    /// A key and value larger than [`MAX_ENTRY_BYTES`](super::MAX_ENTRY_BYTES) together: no
    /// client could read them back (a skein-rs addition; Skein's AM took them and its clients
    /// failed on the reply).
    #[error(
        "The value of key '{key}' is {value_bytes} bytes (the key {key_bytes}): the key-value \
         store takes a key and its value of at most {limit} bytes together (gRPC's 4 MiB \
         message limit, less room for the reply), so that every client can read them back; \
         store large data on HDFS and put its path in the key-value store"
    )]
    EntryTooLarge {
        /// The key, shortened to 100 characters for the message.
        key: String,
        /// The key's length in bytes.
        key_bytes: usize,
        /// The value's length in bytes (0 when the put keeps the current value).
        value_bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A `DeleteRange` or `Transaction` whose reply could pass gRPC's message limit (a
    /// skein-rs addition: Skein's AM applied it and its client failed on the reply). Refused
    /// before anything is applied.
    #[error(
        "The reply of this {request} would hold {items} keys in up to {bytes} bytes, above \
         gRPC's message limit of {limit} bytes (4 MiB); nothing was changed. {fix}"
    )]
    ReplyTooLarge {
        /// `DeleteRange` or `Transaction`.
        request: &'static str,
        /// How many keys or values the reply would carry.
        items: usize,
        /// The bound on the reply's size.
        bytes: usize,
        /// The limit.
        limit: usize,
        /// What to ask instead.
        fix: &'static str,
    },
    /// An enum field carries a number that `skein.proto` does not define (a client bug); the
    /// AM's gRPC edge returns it while converting a request, before the store sees it.
    #[error("Unknown value {value} for {field}")]
    UnknownEnumValue {
        /// The message field, e.g. `GetRangeRequest.result_type`.
        field: &'static str,
        /// The number received.
        value: i32,
    },
}

impl KvError {
    /// [`KvError::EntryTooLarge`] for `key` with a value of `value_bytes`: what the store
    /// answers, and what a client that checks before sending says.
    pub fn entry_too_large(key: &str, value_bytes: usize) -> Self {
        let shown = match key.char_indices().nth(100) {
            Some((end, _)) => format!("{}...", &key[..end]),
            None => key.to_string(),
        };
        KvError::EntryTooLarge {
            key: shown,
            key_bytes: key.len(),
            value_bytes,
            limit: super::MAX_ENTRY_BYTES,
        }
    }
}
