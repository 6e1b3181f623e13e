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
