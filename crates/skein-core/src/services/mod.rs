//! The services of a running application and their containers: a pure state machine.
//!
//! Inputs are what YARN reports (allocations, completions, launch failures, through the shim)
//! and what clients ask (`scale`, `addContainer`, `killContainer`); outputs are [`Action`]s for
//! the edge to carry out (requests, releases, launches and stops for the shim; completed owners
//! for the key-value store) and, once decided, the application's [`Outcome`]. No IO, no clock:
//! callers pass `now` in milliseconds.
//!
//! Skein's rules (research notes, skein.md 7.2), with two of its bugs fixed: every completion
//! of a heartbeat is handled (Skein stopped at the first `KILLED_BY_APPMASTER`), and
//! allocations are matched by request priority with `memory >= requested`, whatever the vcores.

mod exit;
mod query;
mod report;
mod restart;
#[cfg(test)]
mod tests;
mod window;

use std::collections::{BTreeMap, HashMap};

use crate::runtime::{AllocatedContainer, CompletedContainer, ContainerRequest};
use crate::spec::{self, ApplicationSpec};
pub use report::{ContainerReport, ContainerState, FinalStatus, Readiness};
use restart::RestartTracker;
pub use window::{RequestWindow, Withdrawal};

#[cfg(test)]
use exit::FAILED_DURING_EXECUTION;
use exit::KILLED_BY_USER;
pub use exit::{SUCCEEDED, cause as exit_cause};

/// A client request the services cannot satisfy. Skein's own errors map to gRPC
/// `INVALID_ARGUMENT` with exactly these messages (Skein clients show them verbatim); the
/// instance limit, a skein-rs addition, maps to `FAILED_PRECONDITION` (the Python client shows
/// both as `ValueError(message)`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// No service of that name.
    #[error("Unknown service '{0}'")]
    UnknownService(String),
    /// The service never had that instance.
    #[error("Service '{service}' has no container instance {instance}")]
    UnknownInstance {
        /// Service name.
        service: String,
        /// Instance number asked for.
        instance: i32,
    },
    /// `scale` with both `count` and `delta`.
    #[error("Can't specify both count and delta")]
    BothCountAndDelta,
    /// `scale` to a negative count.
    #[error("count must be >= 0")]
    NegativeCount,
    /// `scale` or `addContainer` would take a service above its `max_instances`; nothing
    /// changed.
    #[error(
        "Service '{service}' may have at most {limit} active (waiting, requested or running) \
         containers (its max_instances), so {action} to {requested} is refused; it has {active} \
         and nothing was changed. To allow more, set `services.{service}.max_instances` in the \
         application's spec (default {default}) and submit it again."
    )]
    TooManyInstances {
        /// Service name.
        service: String,
        /// What was asked for: `scaling` or `adding a container`.
        action: &'static str,
        /// The number of active containers the request asked for.
        requested: i64,
        /// Active containers now.
        active: usize,
        /// The service's `max_instances`.
        limit: i32,
        /// The default limit, for the message.
        default: i32,
    },
    /// `scale` would change more containers than its reply, which lists them, can carry;
    /// nothing changed.
    #[error(
        "Scaling service '{service}' would add or remove {changed} containers, and the \
         reply listing them would take {bytes} bytes, above gRPC's message limit of {limit} \
         bytes (4 MiB); nothing was changed. Scale in smaller steps (at most about {step} \
         containers at a time)."
    )]
    ReplyTooLarge {
        /// Service name.
        service: String,
        /// The containers the scale would have added or removed.
        changed: usize,
        /// The size of the reply listing them.
        bytes: usize,
        /// The reply limit.
        limit: usize,
        /// A step that fits, from the average size of a listed container.
        step: usize,
    },
}

/// One container of a service, as clients name it: the service and the instance number
/// (Skein's `ContainerInstance`); also the owner of a key in the key-value store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerInstance {
    /// The service's name.
    pub service_name: String,
    /// The instance number within the service (0, 1, ...).
    pub instance: i32,
}

/// Something the edge must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Ask YARN for a container.
    Request(ContainerRequest),
    /// Withdraw an outstanding request (allocated or no longer wanted).
    RemoveRequest {
        /// The request's priority.
        priority: i32,
    },
    /// Give back an allocated container nobody wants.
    Release {
        /// YARN container id.
        container_id: String,
    },
    /// Start a service container on an allocated YARN container.
    Launch(Launch),
    /// Stop a running container (killed by a client).
    Stop {
        /// YARN container id.
        container_id: String,
    },
    /// A container reached a final state: the key-value store drops the keys it owned.
    Completed(ContainerInstance),
}

/// A container to start: the edge adds files, command and skein's environment variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// YARN container id.
    pub container_id: String,
    /// Service name.
    pub service: String,
    /// Instance number.
    pub instance: i32,
    /// The service's env with this instance's overrides applied.
    pub env: BTreeMap<String, String>,
    /// The requested resources (what `SKEIN_RESOURCE_*` report).
    pub resources: spec::Resources,
}

/// How the application ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Final status for YARN.
    pub status: FinalStatus,
    /// Diagnostics for the application report.
    pub diagnostics: String,
    /// Exit code of the AM process (Skein: 0 success, 10 AM error, 11 driver, 12 service).
    pub exit_code: i32,
}

/// Diagnostics of an application whose services all completed.
pub(crate) const APPLICATION_SUCCEEDED: &str = "Application completed successfully.";

#[derive(Debug, Clone)]
struct Container {
    state: ContainerState,
    yarn_container_id: String,
    yarn_node_http_address: String,
    start_time: i64,
    finish_time: i64,
    exit_message: String,
    env_overrides: BTreeMap<String, String>,
    /// The priority of its outstanding request, while REQUESTED.
    priority: i32,
    /// Allocation order, for "oldest RUNNING first".
    started_seq: u64,
    /// Its readiness check's state (services with one).
    readiness: Readiness,
}

#[derive(Debug, Clone)]
struct Service {
    spec: spec::Service,
    containers: BTreeMap<i32, Container>,
    next_instance: i32,
    /// Dependents may start: every initially requested container was allocated once.
    ready: bool,
    failed: u32,
    restarted: u32,
    /// Its restart policy at work (`restart`, or Skein's `max_restarts`).
    restarts: RestartTracker,
}

/// A replacement container due once its restart's backoff has passed.
#[derive(Debug, Clone)]
struct PendingRestart {
    /// When it is due, in milliseconds.
    due: i64,
    service: String,
    env_overrides: BTreeMap<String, String>,
}

impl Service {
    fn count(&self, state: ContainerState) -> usize {
        self.containers
            .values()
            .filter(|c| c.state == state)
            .count()
    }

    fn active(&self) -> usize {
        self.containers
            .values()
            .filter(|c| c.state.is_active())
            .count()
    }

    /// Refuses a request for `requested` active containers above `max_instances`. Only growth
    /// is refused: a service above its limit (impossible today) may still shrink.
    fn check_limit(
        &self,
        name: &str,
        action: &'static str,
        requested: i64,
    ) -> Result<(), ServiceError> {
        let active = self.active();
        let limit = self.spec.max_instances;
        if requested > i64::from(limit) && requested > i64::try_from(active).unwrap_or(i64::MAX) {
            return Err(ServiceError::TooManyInstances {
                service: name.to_string(),
                action,
                requested,
                active,
                limit,
                default: spec::Service::DEFAULT_MAX_INSTANCES,
            });
        }
        Ok(())
    }
}

/// Every service of one application attempt and every container it ever had.
#[derive(Debug, Clone)]
pub struct Services {
    services: BTreeMap<String, Service>,
    /// Outstanding request priority -> (service, instance).
    requests: HashMap<i32, (String, i32)>,
    /// Running YARN container id -> (service, instance).
    running: HashMap<String, (String, i32)>,
    next_priority: i32,
    seq: u64,
    has_master_script: bool,
    outcome: Option<Outcome>,
    actions: Vec<Action>,
    /// Set while a scale kills many containers: the outcome is checked once after them, not
    /// after each (a walk of every container each time).
    outcome_deferred: bool,
    /// Restarts waiting for their backoff, in the order decided.
    pending_restarts: Vec<PendingRestart>,
}

impl Services {
    /// The services of `spec`, with no containers yet (see [`Services::start`]).
    pub fn new(spec: &ApplicationSpec) -> Self {
        let services = spec
            .services
            .iter()
            .map(|(name, s)| {
                let service = Service {
                    spec: s.clone(),
                    containers: BTreeMap::new(),
                    next_instance: 0,
                    ready: false,
                    failed: 0,
                    restarted: 0,
                    restarts: RestartTracker::new(s.restart_policy()),
                };
                (name.clone(), service)
            })
            .collect();
        Services {
            services,
            requests: HashMap::new(),
            running: HashMap::new(),
            // Priority 0 is the AM's own container request.
            next_priority: 1,
            seq: 0,
            has_master_script: !spec.master.script.is_empty(),
            outcome: None,
            actions: Vec::new(),
            outcome_deferred: false,
            pending_restarts: Vec::new(),
        }
    }

    /// Creates every service's initial `instances` containers (REQUESTED, or WAITING on
    /// dependencies).
    pub fn start(&mut self, now: i64) {
        let initial: Vec<(String, i32)> = self
            .services
            .iter()
            .map(|(name, s)| (name.clone(), s.spec.instances))
            .collect();
        for (name, instances) in initial {
            for _ in 0..instances.max(0) {
                self.add(&name, BTreeMap::new(), now);
            }
        }
    }

    /// The actions decided since the last call, in order.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// How the application ends, once decided.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Decides the application's end unless already decided (the first trigger wins).
    pub fn finish(&mut self, status: FinalStatus, diagnostics: &str, exit_code: i32) {
        if self.outcome.is_none() {
            self.outcome = Some(Outcome {
                status,
                diagnostics: diagnostics.to_string(),
                exit_code,
            });
        }
    }

    /// Whether any container request is outstanding (the AM heartbeats faster then).
    pub fn has_outstanding_requests(&self) -> bool {
        !self.requests.is_empty()
    }

    /// How many times each service's failed containers were restarted so far.
    pub fn restarts(&self) -> impl Iterator<Item = (&str, u32)> {
        self.services
            .iter()
            .map(|(name, s)| (name.as_str(), s.restarted))
    }

    /// The result of a readiness check of the running YARN container `container_id`: READY
    /// or not, and why not. A service whose initial number of containers are ready releases
    /// its dependents. Returns whether the container still runs (the checker stops if not).
    pub fn on_readiness(&mut self, container_id: &str, ready: bool, message: &str) -> bool {
        let Some((service, instance)) = self.running.get(container_id).cloned() else {
            return false;
        };
        let Some(c) = self
            .services
            .get_mut(&service)
            .and_then(|s| s.containers.get_mut(&instance))
        else {
            return false;
        };
        c.readiness = Readiness {
            ready,
            message: message.to_string(),
        };
        if ready {
            self.maybe_ready(&service);
        }
        true
    }

    /// When the next restart waiting for its backoff is due (milliseconds); the caller calls
    /// [`Services::on_tick`] then.
    pub fn next_restart_due(&self) -> Option<i64> {
        self.pending_restarts.iter().map(|p| p.due).min()
    }

    /// Starts the restarts whose backoff has passed by `now`.
    pub fn on_tick(&mut self, now: i64) {
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_restarts)
            .into_iter()
            .partition(|p| p.due <= now);
        self.pending_restarts = waiting;
        for restart in due {
            self.add(&restart.service, restart.env_overrides, now);
        }
        self.check_outcome();
    }

    /// Containers YARN allocated: each is matched to the request of its priority, or released.
    pub fn on_allocated(&mut self, allocated: &[AllocatedContainer], now: i64) {
        for c in allocated {
            self.allocated(c, now);
        }
    }

    fn allocated(&mut self, c: &AllocatedContainer, now: i64) {
        let Some((name, instance)) = self.requests.remove(&c.priority) else {
            // A request withdrawn (scale down, kill) while YARN was already granting it.
            self.actions.push(Action::Release {
                container_id: c.container_id.clone(),
            });
            return;
        };
        self.actions.push(Action::RemoveRequest {
            priority: c.priority,
        });
        let Some(service) = self.services.get_mut(&name) else {
            return;
        };
        let wanted = service.spec.resources;
        if c.memory_mb < i64::from(wanted.memory) {
            // Not what was asked for: give it back and ask again.
            self.actions.push(Action::Release {
                container_id: c.container_id.clone(),
            });
            self.request(&name, instance);
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        let Some(container) = service.containers.get_mut(&instance) else {
            return;
        };
        container.state = ContainerState::Running;
        container.yarn_container_id = c.container_id.clone();
        container.yarn_node_http_address = c.node_http_address.clone();
        container.start_time = now;
        container.started_seq = seq;
        container.priority = 0;
        let mut env: BTreeMap<String, String> = service.spec.env.clone().into_iter().collect();
        env.extend(container.env_overrides.clone());
        self.running
            .insert(c.container_id.clone(), (name.clone(), instance));
        self.actions.push(Action::Launch(Launch {
            container_id: c.container_id.clone(),
            service: name.clone(),
            instance,
            env,
            resources: wanted,
        }));
        self.maybe_ready(&name);
    }

    /// Containers YARN reports completed. Completions of containers already final (killed by
    /// a client, or released) are ignored; every other one is handled, whatever its neighbours.
    pub fn on_completed(&mut self, completed: &[CompletedContainer], now: i64) {
        for status in completed {
            let Some((name, instance)) = self.running.remove(&status.container_id) else {
                continue;
            };
            let (state, message) = exit::classify(status.exit_status, &status.diagnostics);
            self.complete(&name, instance, state, message, now);
        }
    }

    /// The NodeManager refused to start a container: it failed (and may be restarted).
    pub fn on_start_failed(&mut self, container_id: &str, message: &str, now: i64) {
        let Some((name, instance)) = self.running.remove(container_id) else {
            return;
        };
        self.actions.push(Action::Release {
            container_id: container_id.to_string(),
        });
        let message = format!("Failed to start, exception raised: {message}");
        self.complete(&name, instance, ContainerState::Failed, message, now);
    }

    /// The shim could not even submit a request (e.g. GPUs on a cluster without them).
    pub fn on_request_failed(&mut self, priority: i32, message: &str, now: i64) {
        let Some((name, instance)) = self.requests.remove(&priority) else {
            return;
        };
        let message = format!("Failed to request a container: {message}");
        self.complete(&name, instance, ContainerState::Failed, message, now);
    }

    /// Scales a service to `count` containers, or by `delta` (non-zero `delta` wins, as proto3
    /// cannot tell an unset count from 0). Returns the containers added or killed.
    pub fn scale(
        &mut self,
        service: &str,
        count: i32,
        delta: i32,
        now: i64,
    ) -> Result<Vec<ContainerReport>, ServiceError> {
        let s = self.service(service)?;
        if delta != 0 && count != 0 {
            return Err(ServiceError::BothCountAndDelta);
        }
        if delta == 0 && count < 0 {
            return Err(ServiceError::NegativeCount);
        }
        let active = s.active();
        let active_i64 = i64::try_from(active).unwrap_or(i64::MAX);
        // i64: a delta of i32::MAX on top of the active containers must not overflow.
        let delta = if delta != 0 {
            i64::from(delta).max(-active_i64)
        } else {
            i64::from(count) - active_i64
        };
        let target = active_i64 + delta;
        s.check_limit(service, "scaling", target)?;
        // The count a client asks for replaces restarts still in their backoff.
        self.pending_restarts.retain(|p| p.service != service);
        tracing::info!("Scaling service '{service}' to {target} instances, a delta of {delta}.");
        let mut changed = Vec::new();
        if delta > 0 {
            for _ in 0..delta {
                let instance = self.add(service, BTreeMap::new(), now);
                changed.push(self.snapshot(service, instance));
            }
        } else if delta < 0 {
            let n = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
            self.outcome_deferred = true;
            for instance in self.removal_order(service, n) {
                self.kill(service, instance, now);
                changed.push(self.snapshot(service, instance));
            }
            self.outcome_deferred = false;
            self.check_outcome();
        }
        Ok(changed.into_iter().flatten().collect())
    }

    /// Skein's scale-down order: WAITING oldest first, then REQUESTED by request age, then
    /// RUNNING by allocation age.
    fn removal_order(&self, service: &str, n: usize) -> Vec<i32> {
        let Some(s) = self.services.get(service) else {
            return Vec::new();
        };
        let of = |state| {
            s.containers
                .iter()
                .filter(move |(_, c)| c.state == state)
                .map(|(i, c)| (*i, c))
        };
        let waiting = of(ContainerState::Waiting).map(|(i, _)| i);
        let mut requested: Vec<_> = of(ContainerState::Requested).collect();
        requested.sort_by_key(|(_, c)| c.priority);
        let mut running: Vec<_> = of(ContainerState::Running).collect();
        running.sort_by_key(|(_, c)| c.started_seq);
        waiting
            .chain(requested.into_iter().map(|(i, _)| i))
            .chain(running.into_iter().map(|(i, _)| i))
            .take(n)
            .collect()
    }

    /// Adds one container to a service; `env` overrides the service's env for it and its
    /// restarts.
    pub fn add_container(
        &mut self,
        service: &str,
        env: BTreeMap<String, String>,
        now: i64,
    ) -> Result<ContainerReport, ServiceError> {
        let s = self.service(service)?;
        let requested = i64::try_from(s.active()).unwrap_or(i64::MAX) + 1;
        s.check_limit(service, "adding a container", requested)?;
        let instance = self.add(service, env, now);
        self.snapshot(service, instance)
            .ok_or_else(|| ServiceError::UnknownService(service.to_string()))
    }

    /// Kills a container; killing one that already completed does nothing.
    pub fn kill_container(
        &mut self,
        service: &str,
        instance: i32,
        now: i64,
    ) -> Result<(), ServiceError> {
        let s = self.service(service)?;
        if !s.containers.contains_key(&instance) {
            return Err(ServiceError::UnknownInstance {
                service: service.to_string(),
                instance,
            });
        }
        self.kill(service, instance, now);
        Ok(())
    }

    /// The names of the services.
    pub fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    fn service(&self, name: &str) -> Result<&Service, ServiceError> {
        self.services
            .get(name)
            .ok_or_else(|| ServiceError::UnknownService(name.to_string()))
    }

    fn snapshot(&self, service: &str, instance: i32) -> Option<ContainerReport> {
        let c = self.services.get(service)?.containers.get(&instance)?;
        let s = self.services.get(service)?;
        Some(c.report(service, instance, s.spec.readiness.is_some()))
    }

    fn dependencies_ready(&self, service: &str) -> bool {
        let Some(s) = self.services.get(service) else {
            return false;
        };
        // Unknown dependencies were refused by spec validation; do not wait on them forever.
        s.spec
            .depends
            .iter()
            .all(|d| self.services.get(d).is_none_or(|dep| dep.ready))
    }

    /// New container: REQUESTED if the dependencies are ready, else WAITING.
    fn add(&mut self, service: &str, env_overrides: BTreeMap<String, String>, now: i64) -> i32 {
        let ready = self.dependencies_ready(service);
        let Some(s) = self.services.get_mut(service) else {
            return -1;
        };
        let instance = s.next_instance;
        s.next_instance += 1;
        s.containers.insert(
            instance,
            Container {
                state: ContainerState::Waiting,
                yarn_container_id: String::new(),
                yarn_node_http_address: String::new(),
                start_time: 0,
                finish_time: 0,
                exit_message: String::new(),
                env_overrides,
                priority: 0,
                started_seq: 0,
                readiness: Readiness::default(),
            },
        );
        let _ = now; // WAITING and REQUESTED containers have no start time yet.
        if ready {
            self.request(service, instance);
        }
        instance
    }

    fn request(&mut self, service: &str, instance: i32) {
        let priority = self.next_priority;
        self.next_priority += 1;
        let Some(s) = self.services.get_mut(service) else {
            return;
        };
        let Some(c) = s.containers.get_mut(&instance) else {
            return;
        };
        c.state = ContainerState::Requested;
        c.priority = priority;
        let resources = &s.spec.resources;
        let spec = &s.spec;
        self.requests
            .insert(priority, (service.to_string(), instance));
        self.actions.push(Action::Request(ContainerRequest {
            priority,
            memory_mb: i64::from(resources.memory),
            vcores: resources.vcores,
            gpus: resources.gpus,
            fpgas: resources.fpgas,
            nodes: spec.nodes.clone(),
            racks: spec.racks.clone(),
            // YARN refuses strict locality without a location to be strict about.
            relax_locality: spec.relax_locality || (spec.nodes.is_empty() && spec.racks.is_empty()),
            node_label: spec.node_label.clone(),
        }));
    }

    /// A service whose requested containers have all been allocated releases its dependents.
    fn maybe_ready(&mut self, service: &str) {
        let Some(s) = self.services.get_mut(service) else {
            return;
        };
        if s.ready || s.count(ContainerState::Requested) > 0 {
            return;
        }
        // With a readiness check, allocated is not enough: as many containers as it starts
        // with must be running and ready.
        if s.spec.readiness.is_some() {
            let ready = s
                .containers
                .values()
                .filter(|c| c.state == ContainerState::Running && c.readiness.ready)
                .count();
            if ready < usize::try_from(s.spec.instances.max(1)).unwrap_or(usize::MAX) {
                return;
            }
        }
        s.ready = true;
        let dependents: Vec<String> = self
            .services
            .iter()
            .filter(|(_, d)| d.spec.depends.iter().any(|n| n == service))
            .map(|(name, _)| name.clone())
            .collect();
        for name in dependents {
            if !self.dependencies_ready(&name) {
                continue;
            }
            let waiting: Vec<i32> = self.services[&name]
                .containers
                .iter()
                .filter(|(_, c)| c.state == ContainerState::Waiting)
                .map(|(i, _)| *i)
                .collect();
            for instance in waiting {
                self.request(&name, instance);
            }
        }
    }

    /// Ends an active container as KILLED by a client.
    fn kill(&mut self, service: &str, instance: i32, now: i64) {
        let Some(c) = self
            .services
            .get(service)
            .and_then(|s| s.containers.get(&instance))
        else {
            return;
        };
        match c.state {
            ContainerState::Waiting => {}
            ContainerState::Requested => {
                let priority = c.priority;
                self.requests.remove(&priority);
                self.actions.push(Action::RemoveRequest { priority });
            }
            ContainerState::Running => {
                let id = c.yarn_container_id.clone();
                self.running.remove(&id);
                self.actions.push(Action::Stop { container_id: id });
            }
            _ => return,
        }
        self.complete(
            service,
            instance,
            ContainerState::Killed,
            KILLED_BY_USER.to_string(),
            now,
        );
    }

    /// Final state for a container, then restarts and the application's outcome.
    fn complete(
        &mut self,
        service: &str,
        instance: i32,
        state: ContainerState,
        message: String,
        now: i64,
    ) {
        let Some(s) = self.services.get_mut(service) else {
            return;
        };
        let Some(c) = s.containers.get_mut(&instance) else {
            return;
        };
        c.state = state;
        c.exit_message = message;
        c.finish_time = now;
        c.priority = 0;
        let overrides = c.env_overrides.clone();
        self.actions.push(Action::Completed(ContainerInstance {
            service_name: service.to_string(),
            instance,
        }));
        if state == ContainerState::Failed {
            s.failed += 1;
        }
        if let Some(due) = s.restarts.on_end(state, now) {
            if state == ContainerState::Failed {
                s.restarted += 1;
            }
            if due <= now {
                self.add(service, overrides, now);
            } else {
                self.pending_restarts.push(PendingRestart {
                    due,
                    service: service.to_string(),
                    env_overrides: overrides,
                });
            }
        }
        self.check_outcome();
    }

    fn check_outcome(&mut self) {
        if self.outcome.is_some() || self.outcome_deferred {
            return;
        }
        let failed = self
            .services
            .iter()
            .find(|(_, s)| s.failed > s.restarted && !s.spec.allow_failures);
        if let Some((name, _)) = failed {
            let diagnostics = format!("Failure in service {name}, see logs for more information.");
            self.finish(FinalStatus::Failed, &diagnostics, 12);
        } else if !self.has_master_script
            && self.pending_restarts.is_empty()
            && self.services.values().all(|s| s.active() == 0)
        {
            self.finish(FinalStatus::Succeeded, APPLICATION_SUCCEEDED, 0);
        }
    }
}
