//! The `tonic::Status` of each domain error the `skein.AppMaster` service can return, with
//! Skein 0.8's codes and messages.
//!
//! The Python client turns `INVALID_ARGUMENT`/`FAILED_PRECONDITION` into `ValueError(details)`
//! and its tests compare the text, so code and message are part of the wire contract; the
//! messages themselves are the `Display` of the core's errors.

use skein_core::kv::KvError;
use skein_core::services::ServiceError;
use tonic::{Code, Status};

/// The gRPC code Skein uses for a key-value error.
pub(crate) fn kv_code(error: &KvError) -> Code {
    match error {
        KvError::IgnoreValueOnMissingKey | KvError::ReplyTooLarge { .. } => {
            Code::FailedPrecondition
        }
        KvError::IgnoreValueAndOwner
        | KvError::UnknownService { .. }
        | KvError::UnknownInstance { .. }
        | KvError::ContainerCompleted { .. }
        | KvError::UnknownEnumValue { .. }
        | KvError::EntryTooLarge { .. } => Code::InvalidArgument,
    }
}

/// A rejected key-value request as Skein answers it.
pub(crate) fn kv_status(error: KvError) -> Status {
    Status::new(kv_code(&error), error.to_string())
}

/// A rejected container request (`scale`, `kill_container`, ...): Skein's errors are
/// `INVALID_ARGUMENT`; the instance limit, a skein-rs addition, is `FAILED_PRECONDITION`.
pub(crate) fn service_status(error: ServiceError) -> Status {
    match error {
        ServiceError::TooManyInstances { .. } | ServiceError::ReplyTooLarge { .. } => {
            Status::failed_precondition(error.to_string())
        }
        _ => Status::invalid_argument(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_statuses_carry_skeins_codes_and_messages() {
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
            (
                KvError::UnknownEnumValue {
                    field: "GetRangeRequest.result_type",
                    value: 3,
                },
                Code::InvalidArgument,
                "Unknown value 3 for GetRangeRequest.result_type",
            ),
        ];
        for (error, code, message) in cases {
            let status = kv_status(error);
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), message);
        }
    }

    #[test]
    fn service_errors_are_invalid_arguments_with_skeins_messages() {
        let status = service_status(ServiceError::NegativeCount);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "count must be >= 0");
        let status = service_status(ServiceError::UnknownService("nope".into()));
        assert_eq!(status.message(), "Unknown service 'nope'");
    }

    #[test]
    fn the_instance_limit_is_a_failed_precondition_and_skeins_errors_invalid_arguments() {
        let limit = service_status(ServiceError::TooManyInstances {
            service: "worker".into(),
            action: "scaling",
            requested: 100_000,
            active: 2,
            limit: 5,
            default: 10_000,
        });
        assert_eq!(limit.code(), Code::FailedPrecondition);
        assert!(
            limit
                .message()
                .starts_with("Service 'worker' may have at most 5")
        );
        let negative = service_status(ServiceError::NegativeCount);
        assert_eq!(negative.code(), Code::InvalidArgument);
        assert_eq!(negative.message(), "count must be >= 0");
    }
}
