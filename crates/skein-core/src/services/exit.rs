//! How a YARN container completion becomes a skein container state and exit message, with
//! Skein's exact texts (clients and tests compare them).

use super::ContainerState;
use crate::runtime::exit_status;

/// Exit message of a container that exited 0.
pub const SUCCEEDED: &str = "Completed successfully.";
/// Exit message of a container killed through `scale` or `killContainer`.
pub(crate) const KILLED_BY_USER: &str = "Killed by user request.";
/// Exit message of a container that exited with a positive code.
pub(crate) const FAILED_DURING_EXECUTION: &str =
    "Container failed during execution, see logs for more information.";
/// Exit message of a memory kill whose diagnostics carry no usage fragment.
pub(crate) const MEMORY_LIMIT: &str = "Container killed by YARN for exceeding memory limits";

/// The state and exit message of a completed container, from its YARN exit status and
/// diagnostics.
pub fn classify(exit: i32, diagnostics: &str) -> (ContainerState, String) {
    match exit {
        exit_status::SUCCESS => (ContainerState::Succeeded, SUCCEEDED.to_string()),
        exit_status::KILLED_EXCEEDED_PMEM => (
            ContainerState::Failed,
            memory_message(diagnostics, "physical"),
        ),
        exit_status::KILLED_EXCEEDED_VMEM => (
            ContainerState::Failed,
            memory_message(diagnostics, "virtual"),
        ),
        code if code > 0 => (ContainerState::Failed, FAILED_DURING_EXECUTION.to_string()),
        // YARN's own codes (preempted, node lost, disks failed, ...): its words say more.
        _ => (ContainerState::Failed, diagnostics.trim().to_string()),
    }
}

/// Why a container ended, from its YARN exit status, as a metric label: `success`, `failed`
/// (a non-zero exit of its script), or the name of YARN's `ContainerExitStatus` code in lower
/// case (`preempted`, `killed_exceeded_pmem`, `killed_by_appmaster`, ...); `other` for a code
/// YARN does not name.
pub fn cause(exit: i32) -> &'static str {
    match exit {
        0 => "success",
        code if code > 0 => "failed",
        -100 => "aborted",
        -101 => "disks_failed",
        -102 => "preempted",
        -103 => "killed_exceeded_vmem",
        -104 => "killed_exceeded_pmem",
        -105 => "killed_by_appmaster",
        -106 => "killed_by_resourcemanager",
        -107 => "killed_after_app_completion",
        -108 => "killed_by_container_scheduler",
        -109 => "killed_for_excess_logs",
        _ => "other",
    }
}

/// The `"<x> of <y> physical|virtual memory used"` fragment of a NodeManager memory-kill
/// diagnostic (`... Current usage: 129.5 MB of 128 MB physical memory used; 2.5 GB of 268.8 MB
/// virtual memory used. Killing container.`), or [`MEMORY_LIMIT`].
fn memory_message(diagnostics: &str, kind: &str) -> String {
    let needle = format!(" {kind} memory used");
    let Some(at) = diagnostics.find(&needle) else {
        return MEMORY_LIMIT.to_string();
    };
    let end = at + needle.len();
    let head = &diagnostics[..at];
    let start = [head.rfind(": "), head.rfind("; ")]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |i| i + 2);
    diagnostics[start..end].trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_name_yarns_exit_codes() {
        assert_eq!(cause(0), "success");
        assert_eq!(cause(137), "failed");
        assert_eq!(cause(-104), "killed_exceeded_pmem");
        assert_eq!(cause(-105), "killed_by_appmaster");
        assert_eq!(cause(-1000), "other");
    }

    const PMEM: &str = "Container [pid=4242,containerID=container_1_0001_01_000002] is running \
        1234B beyond the 'PHYSICAL' memory limit. Current usage: 129.5 MB of 128 MB physical \
        memory used; 2.5 GB of 268.8 MB virtual memory used. Killing container.";

    #[test]
    fn exit_zero_succeeds_and_positive_codes_fail_with_skeins_text() {
        assert_eq!(
            classify(0, ""),
            (ContainerState::Succeeded, "Completed successfully.".into())
        );
        assert_eq!(
            classify(3, "Exception from container-launch"),
            (
                ContainerState::Failed,
                "Container failed during execution, see logs for more information.".into()
            )
        );
    }

    #[test]
    fn memory_kills_quote_the_usage_fragment() {
        assert_eq!(
            classify(exit_status::KILLED_EXCEEDED_PMEM, PMEM).1,
            "129.5 MB of 128 MB physical memory used"
        );
        assert_eq!(
            classify(exit_status::KILLED_EXCEEDED_VMEM, PMEM).1,
            "2.5 GB of 268.8 MB virtual memory used"
        );
        assert_eq!(
            classify(exit_status::KILLED_EXCEEDED_PMEM, "killed").1,
            MEMORY_LIMIT
        );
    }

    #[test]
    fn other_yarn_codes_keep_yarns_diagnostics() {
        assert_eq!(
            classify(-102, "Container preempted by scheduler\n"),
            (
                ContainerState::Failed,
                "Container preempted by scheduler".into()
            )
        );
    }
}
