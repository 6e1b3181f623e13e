//! Errors of the key-value store, with the exact gRPC code and text Skein 0.8 clients expect.
//!
//! The Python client turns `INVALID_ARGUMENT`/`FAILED_PRECONDITION` into `ValueError(details)`
//! and its tests compare the text, so every message here is part of the wire contract.

use tonic::{Code, Status};

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
    /// An enum field carries a number that `skein.proto` does not define (a client bug).
    #[error("Unknown value {value} for {field}")]
    UnknownEnumValue {
        /// The message field, e.g. `GetRangeRequest.result_type`.
        field: &'static str,
        /// The number received.
        value: i32,
    },
}

impl KvError {
    /// The gRPC status code Skein uses for this error.
    pub fn code(&self) -> Code {
        match self {
            KvError::IgnoreValueOnMissingKey => Code::FailedPrecondition,
            KvError::IgnoreValueAndOwner
            | KvError::UnknownService { .. }
            | KvError::UnknownInstance { .. }
            | KvError::ContainerCompleted { .. }
            | KvError::UnknownEnumValue { .. } => Code::InvalidArgument,
        }
    }
}

impl From<KvError> for Status {
    fn from(error: KvError) -> Self {
        Status::new(error.code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_carry_skeins_codes_and_messages() {
        let cases = [
            (
                KvError::IgnoreValueAndOwner,
                Code::InvalidArgument,
                "ignore_value & ignore_owner can't both be true",
            ),
            (
                KvError::IgnoreValueOnMissingKey,
                Code::FailedPrecondition,
                "ignore_value=True & key isn't already set",
            ),
            (
                KvError::UnknownService {
                    service: "unknown".into(),
                },
                Code::InvalidArgument,
                "Unknown service 'unknown'",
            ),
            (
                KvError::UnknownInstance {
                    service: "sleeper".into(),
                    instance: 99,
                },
                Code::InvalidArgument,
                "Service 'sleeper' has no container instance 99",
            ),
            (
                KvError::ContainerCompleted {
                    service: "sleeper".into(),
                    instance: 0,
                },
                Code::InvalidArgument,
                "Container 'sleeper_0' has already completed",
            ),
        ];
        for (error, code, message) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), message);
        }
    }
}
