//! A hook for measuring the calls skein-hadoop makes to the cluster: the driver's metrics
//! install one ([`set_call_observer`]); without one, nothing is measured.

use std::sync::OnceLock;
use std::time::Instant;

/// The service a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// The ResourceManager's REST API.
    ResourceManager,
    /// HDFS (the NameNode's RPC through hdfs-native).
    Hdfs,
}

/// One call, as an observer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Where it went.
    pub system: System,
    /// What it was: `GET /ws/v1/cluster/apps/{id}` (ids replaced, so that a label has few
    /// values), or the HDFS operation (`list`, `read`, ...).
    pub operation: &'a str,
    /// How long it took, retries included.
    pub seconds: f64,
    /// Whether it succeeded.
    pub ok: bool,
}

/// What is called after each call.
pub type CallObserver = fn(&Call<'_>);

static OBSERVER: OnceLock<CallObserver> = OnceLock::new();

/// Installs `observer` for the rest of the process; false when one was installed already.
pub fn set_call_observer(observer: CallObserver) -> bool {
    OBSERVER.set(observer).is_ok()
}

/// Reports a call that started at `started`.
pub(crate) fn observe(system: System, operation: &str, started: Instant, ok: bool) {
    if let Some(observer) = OBSERVER.get() {
        observer(&Call {
            system,
            operation,
            seconds: started.elapsed().as_secs_f64(),
            ok,
        });
    }
}

/// `path` with every application, attempt and container id replaced by `{id}`.
pub(crate) fn path_template(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if ["application_", "appattempt_", "container_"]
                .iter()
                .any(|p| segment.starts_with(p))
            {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_leave_the_path() {
        assert_eq!(
            path_template("/ws/v1/cluster/apps/application_1_0001/state"),
            "/ws/v1/cluster/apps/{id}/state"
        );
        assert_eq!(path_template("/ws/v1/cluster/apps"), "/ws/v1/cluster/apps");
    }
}
