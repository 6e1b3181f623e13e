//! What the service state machine tells the outside world, as domain types: container states,
//! container reports, the application's final status (and container instances). Conversions to the wire types are here
//! too, so the gRPC edge converts in one call.

use crate::proto;

/// The state of a service container, in Skein's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerState {
    /// Waiting for the services it depends on.
    Waiting,
    /// Asked of YARN, not allocated yet.
    Requested,
    /// Allocated and started.
    Running,
    /// Exited 0.
    Succeeded,
    /// Exited non-zero, or could not start.
    Failed,
    /// Killed by a client (scale down, kill_container) or stopped at shutdown.
    Killed,
}

impl ContainerState {
    /// Every state, in Skein's order.
    pub const ALL: [ContainerState; 6] = [
        ContainerState::Waiting,
        ContainerState::Requested,
        ContainerState::Running,
        ContainerState::Succeeded,
        ContainerState::Failed,
        ContainerState::Killed,
    ];

    /// WAITING, REQUESTED or RUNNING: the container still counts towards its service.
    pub(crate) fn is_active(self) -> bool {
        matches!(
            self,
            ContainerState::Waiting | ContainerState::Requested | ContainerState::Running
        )
    }

    /// The name Skein shows (`RUNNING`, ...).
    pub fn as_str(self) -> &'static str {
        proto::container::State::from(self).as_str_name()
    }
}

impl From<ContainerState> for proto::container::State {
    fn from(state: ContainerState) -> Self {
        use proto::container::State;
        match state {
            ContainerState::Waiting => State::Waiting,
            ContainerState::Requested => State::Requested,
            ContainerState::Running => State::Running,
            ContainerState::Succeeded => State::Succeeded,
            ContainerState::Failed => State::Failed,
            ContainerState::Killed => State::Killed,
        }
    }
}

impl From<proto::container::State> for ContainerState {
    fn from(state: proto::container::State) -> Self {
        use proto::container::State;
        match state {
            State::Waiting => ContainerState::Waiting,
            State::Requested => ContainerState::Requested,
            State::Running => ContainerState::Running,
            State::Succeeded => ContainerState::Succeeded,
            State::Failed => ContainerState::Failed,
            State::Killed => ContainerState::Killed,
        }
    }
}

/// One container of a service: what `getContainers`, the web UI and `skein container ls` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerReport {
    /// The service's name.
    pub service: String,
    /// Its instance number within the service (0, 1, ...; never reused).
    pub instance: i32,
    /// Its state.
    pub state: ContainerState,
    /// YARN's container id, once allocated.
    pub yarn_container_id: String,
    /// `host:port` of the NodeManager's web server, once allocated.
    pub yarn_node_http_address: String,
    /// When it started (ms since the epoch; 0 before).
    pub start_time: i64,
    /// When it ended (ms since the epoch; 0 while active).
    pub finish_time: i64,
    /// Why it ended.
    pub exit_message: String,
    /// Its readiness, when its service has a readiness check.
    pub readiness: Option<Readiness>,
}

/// A container's readiness (services with a readiness check).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Readiness {
    /// It passed its check (`success_threshold` times in a row), and has not failed it
    /// `failure_threshold` times in a row since.
    pub ready: bool,
    /// The last failed check's reason; empty once it passed.
    pub message: String,
}

impl ContainerReport {
    /// `<service>_<instance>`, the id Skein gives a container (`SKEIN_CONTAINER_ID`).
    pub fn id(&self) -> String {
        format!("{}_{}", self.service, self.instance)
    }
}

impl From<&ContainerReport> for proto::Container {
    fn from(c: &ContainerReport) -> Self {
        proto::Container {
            service_name: c.service.clone(),
            instance: c.instance,
            state: proto::container::State::from(c.state).into(),
            yarn_container_id: c.yarn_container_id.clone(),
            yarn_node_http_address: c.yarn_node_http_address.clone(),
            start_time: c.start_time,
            finish_time: c.finish_time,
            exit_message: c.exit_message.clone(),
            has_readiness_check: c.readiness.is_some(),
            ready: c.readiness.as_ref().is_some_and(|r| r.ready),
            readiness_message: c
                .readiness
                .as_ref()
                .map(|r| r.message.clone())
                .unwrap_or_default(),
        }
    }
}

/// How an application ends, as its ApplicationMaster reports it to YARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalStatus {
    /// Not decided (only what a client may send to `shutdown`, read as SUCCEEDED by YARN's
    /// unregister rules in Skein).
    Undefined,
    /// Succeeded.
    Succeeded,
    /// Failed.
    Failed,
    /// Killed.
    Killed,
}

impl FinalStatus {
    /// YARN's name (`SUCCEEDED`, ...), as the shim's unregister takes it.
    pub fn as_str(self) -> &'static str {
        proto::final_status::Type::from(self).as_str_name()
    }
}

impl From<FinalStatus> for proto::final_status::Type {
    fn from(status: FinalStatus) -> Self {
        use proto::final_status::Type;
        match status {
            FinalStatus::Undefined => Type::Undefined,
            FinalStatus::Succeeded => Type::Succeeded,
            FinalStatus::Failed => Type::Failed,
            FinalStatus::Killed => Type::Killed,
        }
    }
}

impl From<proto::final_status::Type> for FinalStatus {
    fn from(status: proto::final_status::Type) -> Self {
        use proto::final_status::Type;
        match status {
            Type::Undefined => FinalStatus::Undefined,
            Type::Succeeded => FinalStatus::Succeeded,
            Type::Failed => FinalStatus::Failed,
            Type::Killed => FinalStatus::Killed,
        }
    }
}

impl From<proto::ContainerInstance> for super::ContainerInstance {
    fn from(c: proto::ContainerInstance) -> Self {
        super::ContainerInstance {
            service_name: c.service_name,
            instance: c.instance,
        }
    }
}

impl From<super::ContainerInstance> for proto::ContainerInstance {
    fn from(c: super::ContainerInstance) -> Self {
        proto::ContainerInstance {
            service_name: c.service_name,
            instance: c.instance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_statuses_keep_their_wire_names_both_ways() {
        for state in ContainerState::ALL {
            let wire = proto::container::State::from(state);
            assert_eq!(ContainerState::from(wire), state);
            assert_eq!(state.as_str(), wire.as_str_name());
        }
        for status in [
            FinalStatus::Undefined,
            FinalStatus::Succeeded,
            FinalStatus::Failed,
            FinalStatus::Killed,
        ] {
            assert_eq!(
                FinalStatus::from(proto::final_status::Type::from(status)),
                status
            );
        }
        assert_eq!(ContainerState::Running.as_str(), "RUNNING");
        assert_eq!(FinalStatus::Killed.as_str(), "KILLED");
    }

    #[test]
    fn only_waiting_requested_and_running_are_active() {
        let active: Vec<_> = ContainerState::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(
            active,
            [
                ContainerState::Waiting,
                ContainerState::Requested,
                ContainerState::Running
            ]
        );
    }
}
