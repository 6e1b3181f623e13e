//! The ApplicationMaster process: starts the Java shim, registers with the ResourceManager,
//! runs the services' state machine on the shim's events and the clients' requests, and ends
//! the application with its final status.
//!
//! [`ApplicationMaster::launch`] starts the shim; [`ApplicationMaster::handle`] is the
//! [`AppMaster`] the `skein.AppMaster` gRPC service calls into; [`ApplicationMaster::run`]
//! registers and runs to the end. [`run_application_master`] does all three.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;
use tokio::sync::Notify;

use crate::am::shim::{self, ShimConfig, ShimError, ShimEvents, ShimMessage, ShimSender};
use crate::am::tokens::Tokens;
use crate::am::watch::KvService;
use crate::proto;
use skein_core::kv::{ContainerDirectory, OwnerState};
use skein_core::launch::{LaunchEnvironment, start_container};
use skein_core::runtime::{Command, Event};
use skein_core::services::{
    Action, ContainerReport, ContainerState, FinalStatus, Outcome, RequestWindow, ServiceError,
    Services, Withdrawal,
};
use skein_core::spec::ApplicationSpec;

/// How long the shim may take to start, and to register.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long unregistering and the shim's exit may take.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// Heartbeat while container requests are outstanding, and otherwise. Skein: 1 s, then up to
/// 5 s. An allocation takes an AM heartbeat to ask, a NodeManager heartbeat to be made and an AM
/// heartbeat to be heard of, so the AM's interval counts twice while asking (Spark's AM also
/// asks every 200 ms at first). Idle, 1 s (MapReduce's interval) hears of completions and of
/// new requests (a scale-up waits for the current interval to end) within a second.
const FAST_HEARTBEAT_MS: u32 = 200;
const SLOW_HEARTBEAT_MS: u32 = 1000;
/// Container requests outstanding in the shim (and the ResourceManager) at most; more wait in
/// the AM ([`RequestWindow`]). 1,000 keeps the shim's request tables to a few MiB in its
/// smallest heap and is more than a node heartbeat round of most clusters can allocate.
const MAX_REQUESTS_IN_FLIGHT: usize = 1_000;

/// What stops the AM from running.
#[derive(Debug, thiserror::Error)]
pub enum AmError {
    /// An environment variable YARN sets for every container is missing.
    #[error("{0} is not set: the application master must run in a YARN container")]
    MissingEnv(&'static str),
    /// The staged spec cannot be read.
    #[error("cannot read the application specification {path}: {source}")]
    ReadSpec {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The staged spec is not a serialized `ApplicationSpec`.
    #[error("{path} is not a serialized application specification: {source}")]
    DecodeSpec {
        /// The file.
        path: PathBuf,
        /// Why.
        source: prost::DecodeError,
    },
    /// The staged spec breaks the spec's rules (a corrupt or foreign `.skein.proto`).
    #[error("the staged application spec {} is not valid: {source}", path.display())]
    InvalidSpec {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        source: skein_core::spec::SpecError,
    },
    /// The shim failed or died.
    #[error(transparent)]
    Shim(#[from] ShimError),
    /// The ResourceManager refused the registration.
    #[error("registering with the ResourceManager failed: {0}")]
    Register(String),
}

/// Everything the AM needs to know at start.
#[derive(Debug, Clone)]
pub struct AmConfig {
    /// The (driver-rewritten) application spec.
    pub spec: ApplicationSpec,
    /// `SKEIN_APPLICATION_ID`.
    pub application_id: String,
    /// This container's YARN id (`CONTAINER_ID`; encodes the attempt number).
    pub container_id: String,
    /// `NM_HOST`: the address registered with YARN and given to containers.
    pub nm_host: String,
    /// The gRPC port registered with YARN (0 until the AM serves gRPC).
    pub rpc_port: u16,
    /// The web UI URL registered with YARN; empty for none.
    pub tracking_url: String,
    /// `HADOOP_USER_NAME` for service containers (simple authentication only).
    pub hadoop_user_name: Option<String>,
    /// How many attempts YARN makes: the spec's `max_attempts`, capped by the cluster's
    /// maximum (`MAX_APP_ATTEMPTS` when YARN sets it, else the configured
    /// `yarn.resourcemanager.am.max-attempts`, see [`crate::am::container`]).
    pub max_attempts: u32,
    /// How to start the shim.
    pub shim: ShimConfig,
}

impl AmConfig {
    /// The configuration of an AM container: the environment YARN and the driver set, and the
    /// spec staged as `.skein.proto` in `working_dir`.
    pub(crate) fn from_container_env(working_dir: &Path) -> Result<Self, AmError> {
        let var = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or(AmError::MissingEnv(name))
        };
        let path = working_dir.join(".skein.proto");
        let bytes = std::fs::read(&path).map_err(|source| AmError::ReadSpec {
            path: path.clone(),
            source,
        })?;
        let wire = proto::ApplicationSpec::decode(bytes.as_slice()).map_err(|source| {
            AmError::DecodeSpec {
                path: path.clone(),
                source,
            }
        })?;
        // The AM trusts nothing it reads: the staged spec goes through the same rules as a
        // spec file, so a corrupt or foreign `.skein.proto` ends here with every problem named.
        let spec = ApplicationSpec::try_from(wire)
            .map_err(|source| AmError::InvalidSpec { path, source })?;
        let cluster_max = var("MAX_APP_ATTEMPTS")
            .ok()
            .and_then(|v| v.parse::<u32>().ok());
        let max_attempts = effective_max_attempts(spec.max_attempts, cluster_max);
        let shim = ShimConfig::from_container_env(spec.master.resources.memory)?;
        Ok(AmConfig {
            max_attempts,
            spec,
            application_id: var("SKEIN_APPLICATION_ID")?,
            container_id: var("CONTAINER_ID")?,
            nm_host: var("NM_HOST")?,
            rpc_port: 0,
            tracking_url: String::new(),
            hadoop_user_name: var("HADOOP_USER_NAME").ok(),
            shim,
        })
    }

    /// This attempt's number (1 when the container id does not say).
    pub fn attempt(&self) -> u32 {
        attempt_of(&self.container_id).unwrap_or(1)
    }

    /// Whether an attempt ending with `status` is the application's end: it succeeded, or no
    /// attempt is left (only then does the AM unregister and remove the staging folder).
    pub(crate) fn is_final(&self, status: FinalStatus) -> bool {
        status == FinalStatus::Succeeded || self.attempt() >= self.max_attempts
    }
}

/// The spec's `max_attempts` (at least 1) capped by the cluster's maximum when known.
pub(crate) fn effective_max_attempts(spec_max: i32, cluster_max: Option<u32>) -> u32 {
    let spec_max = u32::try_from(spec_max.max(1)).unwrap_or(1);
    cluster_max.map_or(spec_max, |c| spec_max.min(c.max(1)))
}

/// The attempt number encoded in a YARN container id
/// (`container_[e<epoch>_]<cluster ts>_<app>_<attempt>_<container>`).
pub(crate) fn attempt_of(container_id: &str) -> Option<u32> {
    let parts: Vec<&str> = container_id.split('_').collect();
    parts
        .len()
        .checked_sub(2)
        .and_then(|i| parts[i].parse().ok())
}

/// The running AM as the gRPC service sees it (cheap to clone).
#[derive(Clone)]
pub struct AppMaster {
    core: Arc<Core>,
}

struct Core {
    spec: ApplicationSpec,
    services: Arc<Mutex<Services>>,
    /// Serialises "change state, then send its commands" so the shim sees them in order.
    dispatch: Mutex<DispatchState>,
    shim: ShimSender,
    kv: KvService,
    launch: LaunchEnvironment,
    wake: Notify,
    /// The last `SetProgress`, if any (for the web UI; the shim reports it to YARN).
    progress: Mutex<Option<f32>>,
    /// When this AM started (ms since the epoch).
    started_ms: i64,
    /// Becomes true once registered with the ResourceManager.
    registered: tokio::sync::watch::Sender<bool>,
    /// Becomes true once the outcome is decided.
    decided: tokio::sync::watch::Sender<bool>,
    /// The application's delegation tokens.
    tokens: Tokens,
    /// `/metrics` of the web UI.
    metrics: Arc<crate::metrics::Metrics>,
    /// When each outstanding container request went to YARN, by priority.
    requested_at: Mutex<std::collections::HashMap<i32, std::time::Instant>>,
}

struct DispatchState {
    heartbeat_ms: u32,
    /// Requests sent to the shim, and those waiting for room.
    requests: RequestWindow,
}

/// The AM's metrics: its gRPC calls (by method, so key-value operations by kind), and gauges
/// of its containers by service and state and of its open key-value watches.
fn am_metrics() -> Arc<crate::metrics::Metrics> {
    let metrics = crate::metrics::Metrics::new("skein_am");
    metrics.register_gauge(
        "containers",
        "Containers of the application by service and state (completed ones by how they ended)",
    );
    metrics.register_gauge("kv_watches", "Open watches on the key-value store");
    metrics.register_counter("restarts", "Failed containers restarted, by service");
    metrics.register_counter(
        "container_exits",
        "Containers YARN reported completed, by cause (success, failed, preempted, \
         killed_exceeded_pmem, killed_by_appmaster, ...)",
    );
    metrics.register_duration(
        "shim_heartbeat_duration",
        "Time of one allocate call (heartbeat) from the shim to the ResourceManager",
    );
    metrics.register_duration(
        "allocation_duration",
        "Time from a container request sent to YARN to its allocation (the container's RUNNING)",
    );
    metrics
}

/// The services as the key-value store's owner check sees them.
struct Directory(Arc<Mutex<Services>>);

impl ContainerDirectory for Directory {
    fn owner_state(&self, owner: &skein_core::kv::ContainerInstance) -> OwnerState {
        lock(&self.0).owner_state(owner)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the whole AM down with poisoned locks.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl AppMaster {
    /// The application spec, borrowed.
    pub fn spec(&self) -> &ApplicationSpec {
        &self.core.spec
    }

    /// When this AM started (ms since the epoch).
    pub(crate) fn started_ms(&self) -> i64 {
        self.core.started_ms
    }

    /// The progress last set by the application, if any.
    pub fn progress(&self) -> Option<f32> {
        *lock(&self.core.progress)
    }

    /// Every container of every service, whatever its state, by service then instance.
    pub(crate) fn all_containers(&self) -> Vec<ContainerReport> {
        lock(&self.core.services)
            .containers(&[], &ContainerState::ALL)
            .unwrap_or_default()
    }

    /// The application's delegation tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.core.tokens
    }

    /// The AM's metrics, with the gauges set to the current state (for a scrape).
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        let mut by_state: BTreeMap<(String, &'static str), i64> = BTreeMap::new();
        for c in self.all_containers() {
            *by_state
                .entry((c.service.clone(), c.state.as_str()))
                .or_default() += 1;
        }
        self.core.metrics.set_gauges(
            "containers",
            by_state.into_iter().map(|((service, state), n)| {
                (
                    vec![
                        ("service".to_string(), service),
                        ("state".to_string(), state.to_string()),
                    ],
                    n,
                )
            }),
        );
        let restarts: Vec<(String, u32)> = lock(&self.core.services)
            .restarts()
            .map(|(service, n)| (service.to_string(), n))
            .collect();
        for (service, n) in restarts {
            self.core
                .metrics
                .count_up_to("restarts", &[("service", &service)], u64::from(n));
        }
        let watches = self.kv().with_store(|store| store.watch_count());
        self.core.metrics.set_gauges(
            "kv_watches",
            [(Vec::new(), i64::try_from(watches).unwrap_or(i64::MAX))],
        );
        &self.core.metrics
    }

    /// The key-value store (`GetRange`, `PutKey`, `DeleteRange`, `Transaction`, `Watch`).
    pub fn kv(&self) -> &KvService {
        &self.core.kv
    }

    /// `getContainers`: the containers of `services` (all when empty) in `states` (the active
    /// ones when empty).
    pub fn containers(
        &self,
        services: &[String],
        states: &[ContainerState],
    ) -> Result<Vec<ContainerReport>, ServiceError> {
        lock(&self.core.services).containers(services, states)
    }

    /// `scale`: to `count` containers, or by `delta` when it is not 0.
    /// `scale`, refused with nothing changed ([`ServiceError::ReplyTooLarge`]) when its reply
    /// (the changed containers, `reply_bytes` long on the wire) would pass `max_reply_bytes`:
    /// the client would get only gRPC's "message length too large" for a scale that happened.
    pub fn scale(
        &self,
        service: &str,
        count: i32,
        delta: i32,
        max_reply_bytes: usize,
        reply_bytes: impl Fn(&[ContainerReport]) -> usize,
    ) -> Result<Vec<ContainerReport>, ServiceError> {
        self.apply(|s| {
            // The size is known once the containers are: apply, and roll back when too large
            // (the copy holds the containers and the actions not yet carried out).
            let before = s.clone();
            let changed = s.scale(service, count, delta, now_ms())?;
            let bytes = reply_bytes(&changed);
            if bytes <= max_reply_bytes {
                return Ok(changed);
            }
            *s = before;
            let error = ServiceError::ReplyTooLarge {
                service: service.to_string(),
                changed: changed.len(),
                bytes,
                limit: max_reply_bytes,
                step: max_reply_bytes / (bytes / changed.len().max(1)).max(1),
            };
            tracing::warn!("{error}");
            Err(error)
        })
    }

    /// `addContainer`: one more container of `service`, with `env` over the service's env.
    pub fn add_container(
        &self,
        service: &str,
        env: BTreeMap<String, String>,
    ) -> Result<ContainerReport, ServiceError> {
        self.apply(|s| s.add_container(service, env, now_ms()))
    }

    /// `killContainer`.
    pub fn kill_container(&self, service: &str, instance: i32) -> Result<(), ServiceError> {
        self.apply(|s| s.kill_container(service, instance, now_ms()))
    }

    /// `SetProgress` (the gRPC layer checks 0..1): reported with the next heartbeats.
    pub fn set_progress(&self, progress: f32) {
        *lock(&self.core.progress) = Some(progress);
        let _ = self.core.shim.send(Command::Progress { progress });
    }

    /// `shutdown`: ends the application (the first decision wins).
    pub fn shutdown(&self, status: FinalStatus, diagnostics: &str) {
        let diagnostics = if diagnostics.is_empty() {
            "Shutdown requested by user."
        } else {
            diagnostics
        };
        self.apply(|s| s.finish(status, diagnostics, 0));
    }

    /// Ends the application with `status`, `diagnostics` and the AM's `exit_code`, unless an
    /// outcome was decided already (the first decision wins).
    pub fn end(&self, status: FinalStatus, diagnostics: &str, exit_code: i32) {
        self.apply(|s| s.finish(status, diagnostics, exit_code));
    }

    /// Resolves once the AM has registered with the ResourceManager.
    pub async fn registered(&self) {
        let mut rx = self.core.registered.subscribe();
        let _ = rx.wait_for(|r| *r).await;
    }

    /// Resolves once the application's outcome is decided.
    pub(crate) async fn decided(&self) {
        let mut rx = self.core.decided.subscribe();
        let _ = rx.wait_for(|d| *d).await;
    }

    /// The outcome, once decided.
    pub(crate) fn outcome(&self) -> Option<Outcome> {
        lock(&self.core.services).outcome().cloned()
    }

    /// Runs `f` on the services, then carries out the actions it decided, in order.
    fn apply<T>(&self, f: impl FnOnce(&mut Services) -> T) -> T {
        let mut dispatch = lock(&self.core.dispatch);
        let (result, actions, outstanding, decided) = {
            let mut services = lock(&self.core.services);
            let result = f(&mut services);
            let actions = services.take_actions();
            (
                result,
                actions,
                services.has_outstanding_requests(),
                services.outcome().is_some(),
            )
        };
        // The services lock is released: the kv store calls back into it for owner checks.
        for action in actions {
            self.carry_out(action, &mut dispatch.requests);
        }
        let refill = dispatch.requests.refill();
        if !refill.is_empty() {
            tracing::debug!(
                "sending {} queued container requests ({} waiting)",
                refill.len(),
                dispatch.requests.queued()
            );
        }
        for request in refill {
            let _ = self.core.shim.send(Command::Request(request));
        }
        let wanted = if outstanding {
            FAST_HEARTBEAT_MS
        } else {
            SLOW_HEARTBEAT_MS
        };
        if wanted != dispatch.heartbeat_ms {
            dispatch.heartbeat_ms = wanted;
            let _ = self
                .core
                .shim
                .send(Command::HeartbeatInterval { ms: wanted });
        }
        if decided {
            self.core.wake.notify_one();
            self.core.decided.send_replace(true);
        }
        result
    }

    fn carry_out(&self, action: Action, requests: &mut RequestWindow) {
        let command = match action {
            Action::Request(r) => match requests.request(r) {
                Some(r) => {
                    lock(&self.core.requested_at).insert(r.priority, std::time::Instant::now());
                    Command::Request(r)
                }
                None => return,
            },
            Action::RemoveRequest { priority } => match requests.withdraw(priority) {
                Withdrawal::RemoveFromYarn => Command::RemoveRequest { priority },
                Withdrawal::Dropped => return,
            },
            Action::Release { container_id } => Command::Release { container_id },
            Action::Stop { container_id } => Command::Stop { container_id },
            Action::Launch(launch) => {
                tracing::info!(
                    "Starting {}_{} on {}",
                    launch.service,
                    launch.instance,
                    launch.container_id
                );
                self.check_readiness(&launch);
                Command::Start(start_container(&self.core.spec, &self.core.launch, &launch))
            }
            Action::Completed(owner) => {
                self.core.kv.container_completed(&owner);
                return;
            }
        };
        // A dead shim is noticed by the event loop, which ends the AM.
        let _ = self.core.shim.send(command);
    }

    /// Starts the readiness checks of a container being launched, when its service has them:
    /// until the container no longer runs, each result goes to the state machine.
    fn check_readiness(&self, launch: &skein_core::services::Launch) {
        let Some(readiness) = self
            .core
            .spec
            .services
            .get(&launch.service)
            .and_then(|s| s.readiness.clone())
        else {
            return;
        };
        let node = lock(&self.core.services)
            .containers(
                std::slice::from_ref(&launch.service),
                &[ContainerState::Running],
            )
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.instance == launch.instance)
            .map(|c| c.yarn_node_http_address)
            .unwrap_or_default();
        let host = node
            .rsplit_once(':')
            .map_or(node.as_str(), |(h, _)| h)
            .to_string();
        let name = format!("{}_{}", launch.service, launch.instance);
        let (am, container_id) = (self.clone(), launch.container_id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(readiness.initial_delay).await;
            let mut streak = super::readiness::Streak::default();
            loop {
                let result =
                    super::readiness::probe(&host, &readiness.probe, readiness.timeout).await;
                if streak.record(result.is_ok(), &readiness).is_some() {
                    match &result {
                        Ok(()) => tracing::info!("{name} is ready"),
                        Err(e) => tracing::warn!("{name} is no longer ready: {e}"),
                    }
                }
                let message = result.err().unwrap_or_default();
                let ready = streak.ready();
                if !am.apply(|s| s.on_readiness(&container_id, ready, &message)) {
                    return;
                }
                tokio::time::sleep(readiness.interval).await;
            }
        });
    }

    fn on_event(&self, event: Event) {
        match event {
            Event::Allocated { containers } => {
                {
                    let mut requested_at = lock(&self.core.requested_at);
                    for c in &containers {
                        if let Some(at) = requested_at.remove(&c.priority) {
                            self.core.metrics.observe(
                                "allocation_duration",
                                &[],
                                at.elapsed().as_secs_f64(),
                            );
                        }
                    }
                }
                self.apply(|s| s.on_allocated(&containers, now_ms()))
            }
            Event::Completed { containers } => {
                for c in &containers {
                    tracing::info!(
                        "Container {} completed with exit status {}",
                        c.container_id,
                        c.exit_status
                    );
                    self.core.metrics.inc(
                        "container_exits",
                        &[("cause", skein_core::services::exit_cause(c.exit_status))],
                    );
                }
                self.apply(|s| s.on_completed(&containers, now_ms()));
            }
            Event::StartFailed {
                container_id,
                message,
            } => self.apply(|s| s.on_start_failed(&container_id, &message, now_ms())),
            Event::RequestFailed { priority, message } => {
                // The shim holds no request for it: its room in the window is free again.
                lock(&self.core.dispatch).requests.withdraw(priority);
                self.apply(|s| s.on_request_failed(priority, &message, now_ms()))
            }
            Event::ShutdownRequested { reason } => self.apply(|s| {
                s.finish(
                    FinalStatus::Failed,
                    &format!("Application master shut down by YARN: {reason}"),
                    10,
                )
            }),
            Event::Error {
                fatal: true,
                message,
            } => self.apply(|s| {
                s.finish(
                    FinalStatus::Failed,
                    &format!("The YARN shim failed: {message}"),
                    10,
                )
            }),
            Event::Error { message, .. } => tracing::warn!("YARN shim: {message}"),
            Event::StopFailed {
                container_id,
                message,
            } => tracing::warn!("stopping {container_id} failed: {message}"),
            Event::Started { container_id } => tracing::debug!("{container_id} started"),
            Event::Heartbeat { duration_us } => self.core.metrics.observe(
                "shim_heartbeat_duration",
                &[],
                Duration::from_micros(duration_us).as_secs_f64(),
            ),
            other => tracing::debug!("shim event {other:?}"),
        }
    }
}

/// An ApplicationMaster whose shim runs but which has not registered yet.
pub struct ApplicationMaster {
    am: AppMaster,
    events: ShimEvents,
    config: AmConfig,
}

impl ApplicationMaster {
    /// Starts the shim and exchanges hellos.
    pub async fn launch(config: AmConfig) -> Result<Self, AmError> {
        let (sender, events, info) = shim::spawn(&config.shim, STARTUP_TIMEOUT).await?;
        tracing::info!(
            "YARN shim started (Hadoop {}, Java {})",
            info.hadoop_version,
            info.java_version
        );
        let services = Arc::new(Mutex::new(Services::new(&config.spec)));
        let kv = KvService::new(Arc::new(Directory(services.clone())));
        let core = Core {
            spec: config.spec.clone(),
            services,
            dispatch: Mutex::new(DispatchState {
                heartbeat_ms: FAST_HEARTBEAT_MS,
                requests: RequestWindow::new(MAX_REQUESTS_IN_FLIGHT),
            }),
            shim: sender,
            kv,
            launch: LaunchEnvironment {
                application_id: config.application_id.clone(),
                appmaster_address: format!("{}:{}", config.nm_host, config.rpc_port),
                hadoop_user_name: config.hadoop_user_name.clone(),
            },
            wake: Notify::new(),
            progress: Mutex::new(None),
            started_ms: now_ms(),
            registered: tokio::sync::watch::Sender::new(false),
            decided: tokio::sync::watch::Sender::new(false),
            tokens: Tokens::default(),
            metrics: am_metrics(),
            requested_at: Mutex::new(std::collections::HashMap::new()),
        };
        Ok(ApplicationMaster {
            am: AppMaster {
                core: Arc::new(core),
            },
            events,
            config,
        })
    }

    /// The handle for the gRPC service.
    pub fn handle(&self) -> AppMaster {
        self.am.clone()
    }

    /// Registers, runs the services to their end and unregisters (on success or on the last
    /// attempt; otherwise YARN starts another attempt).
    ///
    /// # Errors
    /// When the shim dies or registration fails: the AM cannot unregister then, and should exit
    /// non-zero so that YARN fails the attempt.
    pub async fn run(mut self) -> Result<Outcome, AmError> {
        let am = self.am.clone();
        am.core.shim.send(Command::Register {
            host: self.config.nm_host.clone(),
            rpc_port: self.config.rpc_port,
            tracking_url: self.config.tracking_url.clone(),
            heartbeat_interval_ms: FAST_HEARTBEAT_MS,
            last_attempt: self.config.attempt() >= self.config.max_attempts,
        })?;
        self.wait_for_registration().await?;
        am.core.registered.send_replace(true);
        am.apply(|s| s.start(now_ms()));

        let mut shim_exit = None;
        let outcome = loop {
            if let Some(outcome) = am.outcome() {
                break outcome;
            }
            // Restarts waiting for their backoff (a service's `restart.backoff`) are started
            // when due; events in between may decide others, and the next turn recomputes.
            let restart_due = lock(&am.core.services).next_restart_due();
            let restart_timer = async move {
                match restart_due {
                    Some(due) => {
                        let wait = u64::try_from(due.saturating_sub(now_ms())).unwrap_or(0);
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = restart_timer => am.apply(|s| s.on_tick(now_ms())),
                message = self.events.next() => match message {
                    ShimMessage::Event(event) => am.on_event(event),
                    ShimMessage::Exited(exit) => {
                        // The shim held the YARN clients: the application cannot go on, but
                        // it can still end with a reason (see `finish`), never hang.
                        let diagnostics = shim_failure(&exit);
                        tracing::error!("{diagnostics}");
                        am.end(FinalStatus::Failed, &diagnostics, 10);
                        shim_exit = Some(exit);
                    }
                },
                _ = am.core.wake.notified() => {}
            }
        };
        tracing::info!(
            "Shutting down: {} - {}",
            outcome.status.as_str(),
            outcome.diagnostics
        );
        am.core.kv.shutdown();
        let unregistered = self.finish(&outcome).await;
        match shim_exit {
            // Not unregistered: the AM exits 1 with the reason in its stderr file, which YARN
            // quotes in the attempt's diagnostics.
            Some(exit) if !unregistered => Err(ShimError::Exited(exit).into()),
            _ => Ok(outcome),
        }
    }

    async fn wait_for_registration(&mut self) -> Result<(), AmError> {
        let wait = async {
            loop {
                match self.events.next().await {
                    ShimMessage::Event(Event::Registered {
                        max_memory_mb,
                        max_vcores,
                        queue,
                        ..
                    }) => {
                        tracing::info!(
                            "Registered with the ResourceManager (queue {queue}, largest \
                             container {max_memory_mb} MiB / {max_vcores} vcores)"
                        );
                        return Ok(());
                    }
                    ShimMessage::Event(Event::Error { message, .. }) => {
                        return Err(AmError::Register(message));
                    }
                    ShimMessage::Event(other) => tracing::debug!("before registration: {other:?}"),
                    ShimMessage::Exited(exit) => return Err(ShimError::Exited(exit).into()),
                }
            }
        };
        tokio::time::timeout(STARTUP_TIMEOUT, wait)
            .await
            .unwrap_or_else(|_| Err(AmError::Register("no answer from the YARN shim".into())))
    }

    /// Unregisters (unless YARN should retry) and lets the shim exit; returns whether the
    /// application was unregistered. When the shim is dead or does not answer, a fresh shim
    /// unregisters: the ResourceManager knows the attempt (its AMRM token is in the
    /// container's credentials), not the connection that registered it.
    async fn finish(&mut self, outcome: &Outcome) -> bool {
        let (attempt, max_attempts) = (self.config.attempt(), self.config.max_attempts);
        let shim = self.am.core.shim.clone();
        let mut unregistered = false;
        if self.config.is_final(outcome.status) {
            if !self.events.has_exited() {
                let _ = shim.send(unregister_command(outcome));
                unregistered = wait_for_unregistered(&mut self.events, SHUTDOWN_TIMEOUT).await;
            }
            if !unregistered {
                tracing::warn!("unregistering through a new YARN shim");
                unregistered = unregister_with_new_shim(&self.config.shim, outcome).await;
            }
            if !unregistered {
                tracing::error!("the application could not be unregistered");
            }
        } else {
            tracing::info!(
                "Application attempt {attempt} out of {max_attempts} failed, will retry"
            );
        }
        let _ = shim.send(Command::Exit { code: 0 });
        let events = &mut self.events;
        let wait = tokio::time::timeout(SHUTDOWN_TIMEOUT, async {
            while let ShimMessage::Event(_) = events.next().await {}
        });
        let _ = wait.await;
        unregistered
    }
}

/// The diagnostics of an application whose shim died.
fn shim_failure(exit: &shim::ShimExit) -> String {
    format!(
        "The YARN shim (the application master's Java process) failed: it exited \
         unexpectedly: {exit}. See application.master.log for more information."
    )
}

fn unregister_command(outcome: &Outcome) -> Command {
    Command::Unregister {
        final_status: outcome.status.as_str().to_string(),
        diagnostics: outcome.diagnostics.clone(),
        tracking_url: String::new(),
    }
}

/// Waits for `unregistered`; false on an error, the shim's exit or the timeout.
async fn wait_for_unregistered(events: &mut ShimEvents, timeout: Duration) -> bool {
    let wait = tokio::time::timeout(timeout, async {
        loop {
            match events.next().await {
                ShimMessage::Event(Event::Unregistered) => return true,
                ShimMessage::Event(Event::Error { message, .. }) => {
                    tracing::error!("unregistering failed: {message}");
                    return false;
                }
                ShimMessage::Event(_) => {}
                ShimMessage::Exited(exit) => {
                    tracing::error!("the YARN shim exited before unregistering: {exit}");
                    return false;
                }
            }
        }
    });
    wait.await.unwrap_or(false)
}

/// Starts a new shim only to unregister with `outcome` (after the first one died or hung).
async fn unregister_with_new_shim(config: &ShimConfig, outcome: &Outcome) -> bool {
    let (sender, mut events, _) = match shim::spawn(config, STARTUP_TIMEOUT).await {
        Ok(started) => started,
        Err(e) => {
            tracing::error!("cannot start a new YARN shim to unregister: {e}");
            return false;
        }
    };
    let unregistered = sender.send(unregister_command(outcome)).is_ok()
        && wait_for_unregistered(&mut events, SHUTDOWN_TIMEOUT).await;
    let _ = sender.send(Command::Exit { code: 0 });
    let wait = tokio::time::timeout(SHUTDOWN_TIMEOUT, async {
        while let ShimMessage::Event(_) = events.next().await {}
    });
    let _ = wait.await;
    unregistered
}

/// Runs an ApplicationMaster to its end: [`ApplicationMaster::launch`] then
/// [`ApplicationMaster::run`].
pub async fn run_application_master(config: AmConfig) -> Result<Outcome, AmError> {
    ApplicationMaster::launch(config).await?.run().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_number_comes_from_the_container_id() {
        assert_eq!(
            attempt_of("container_1410901177871_0001_01_000005"),
            Some(1)
        );
        assert_eq!(
            attempt_of("container_e17_1410901177871_0001_02_000001"),
            Some(2)
        );
        assert_eq!(attempt_of("nonsense"), None);
    }

    #[test]
    fn the_cluster_caps_the_attempts() {
        assert_eq!(effective_max_attempts(10, Some(2)), 2);
        assert_eq!(effective_max_attempts(1, Some(2)), 1);
        assert_eq!(effective_max_attempts(0, None), 1);
        assert_eq!(effective_max_attempts(3, None), 3);
    }
}
