//! Read-only views of the services: `getContainers` and the key-value store's owner check.

use super::ContainerInstance;
use super::{Container, ContainerReport, ContainerState, ServiceError, Services};
use crate::kv::{ContainerDirectory, OwnerState};

impl Services {
    /// Containers of `services` (all when empty) in `states` (WAITING, REQUESTED and RUNNING
    /// when empty), sorted by service then instance.
    pub fn containers(
        &self,
        services: &[String],
        states: &[ContainerState],
    ) -> Result<Vec<ContainerReport>, ServiceError> {
        for name in services {
            self.service(name)?;
        }
        let wanted = |state: ContainerState| {
            if states.is_empty() {
                state.is_active()
            } else {
                states.contains(&state)
            }
        };
        let mut out = Vec::new();
        for (name, s) in &self.services {
            if !services.is_empty() && !services.contains(name) {
                continue;
            }
            for (instance, c) in &s.containers {
                if wanted(c.state) {
                    out.push(c.report(name, *instance, s.spec.readiness.is_some()));
                }
            }
        }
        Ok(out)
    }
}

impl Container {
    /// This container's report, as `service`'s instance `instance`.
    pub(super) fn report(&self, service: &str, instance: i32, checked: bool) -> ContainerReport {
        ContainerReport {
            service: service.to_string(),
            instance,
            state: self.state,
            yarn_container_id: self.yarn_container_id.clone(),
            yarn_node_http_address: self.yarn_node_http_address.clone(),
            start_time: self.start_time,
            finish_time: self.finish_time,
            exit_message: self.exit_message.clone(),
            readiness: checked.then(|| self.readiness.clone()),
        }
    }
}

impl ContainerDirectory for Services {
    fn owner_state(&self, owner: &ContainerInstance) -> OwnerState {
        let Some(s) = self.services.get(&owner.service_name) else {
            return OwnerState::UnknownService;
        };
        match s.containers.get(&owner.instance) {
            None => OwnerState::UnknownInstance,
            Some(c) if c.state.is_active() => OwnerState::Active,
            Some(_) => OwnerState::Completed,
        }
    }
}
