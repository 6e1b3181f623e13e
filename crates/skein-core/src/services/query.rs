//! Read-only views of the services: `getContainers` and the key-value store's owner check.

use super::{Container, ContainerState, ServiceError, Services, is_active};
use crate::kv::{ContainerDirectory, OwnerState};
use crate::proto::{self, ContainerInstance};

impl Services {
    /// Containers of `services` (all when empty) in `states` (WAITING, REQUESTED and RUNNING
    /// when empty), sorted by service then instance.
    pub fn containers(
        &self,
        services: &[String],
        states: &[ContainerState],
    ) -> Result<Vec<proto::Container>, ServiceError> {
        for name in services {
            self.service(name)?;
        }
        let wanted = |state: ContainerState| {
            if states.is_empty() {
                is_active(state)
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
                    out.push(to_proto(name, *instance, c));
                }
            }
        }
        Ok(out)
    }
}

pub(super) fn to_proto(service: &str, instance: i32, c: &Container) -> proto::Container {
    proto::Container {
        service_name: service.to_string(),
        instance,
        state: c.state as i32,
        yarn_container_id: c.yarn_container_id.clone(),
        yarn_node_http_address: c.yarn_node_http_address.clone(),
        start_time: c.start_time,
        finish_time: c.finish_time,
        exit_message: c.exit_message.clone(),
    }
}

impl ContainerDirectory for Services {
    fn owner_state(&self, owner: &ContainerInstance) -> OwnerState {
        let Some(s) = self.services.get(&owner.service_name) else {
            return OwnerState::UnknownService;
        };
        match s.containers.get(&owner.instance) {
            None => OwnerState::UnknownInstance,
            Some(c) if is_active(c.state) => OwnerState::Active,
            Some(_) => OwnerState::Completed,
        }
    }
}
