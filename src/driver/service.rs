//! The `skein.Driver` RPCs, backed by the ResourceManager REST API and HDFS, with Skein's
//! semantics, status codes and messages (see the wire contract in crates/skein-proto/proto/skein.proto).
//!
//! The driver keeps no state of its own: every answer comes from YARN, so a driver can be
//! killed and restarted at any time without losing anything.

use std::sync::Arc;
use std::time::Duration;

use tonic::{Request, Response, Status};

use crate::driver::error::ClusterUnavailable;
use crate::driver::{reports, submit};
use crate::proto;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::{Hdfs, HdfsError};
use skein_hadoop::yarn::{
    APPLICATION_TYPE, AppInfo, AppQuery, ApplicationState, LookupError, NodeState, ResourceManager,
    YarnError,
};

/// How often `waitForStart` asks the RM (Skein asks every second).
const WAIT_POLL: Duration = Duration::from_millis(100);
/// How long `kill` waits for an accepted kill to complete.
const KILL_WAIT: Duration = Duration::from_secs(60);

/// The YARN-backed Driver service.
#[derive(Clone)]
pub struct YarnDriver {
    backend: Result<Arc<Backend>, ClusterUnavailable>,
    credentials: Option<crate::security::Credentials>,
    am_binary: Option<std::path::PathBuf>,
    in_progress: super::sweeper::SubmitsInProgress,
    progress: Arc<super::progress::Board>,
}

struct Backend {
    rm: ResourceManager,
    config: HadoopConfig,
    user: String,
    // Made on first use, inside the runtime that serves the RPCs.
    hdfs: tokio::sync::OnceCell<Option<Hdfs>>,
}

impl YarnDriver {
    /// A driver for the cluster `config` describes, acting as `user`. A configuration problem
    /// does not stop the driver: `ping` answers and every other RPC reports the problem.
    pub fn new(config: Result<HadoopConfig, ClusterUnavailable>, user: &str) -> Self {
        let backend = config.and_then(|config| {
            let rm = ResourceManager::from_config(&config, user)?;
            Ok(Arc::new(Backend {
                rm,
                config,
                user: user.to_string(),
                hdfs: tokio::sync::OnceCell::new(),
            }))
        });
        if let Err(e) = &backend {
            tracing::warn!("the driver cannot reach YARN: {e}");
        }
        YarnDriver {
            backend,
            credentials: None,
            am_binary: None,
            in_progress: Default::default(),
            progress: Default::default(),
        }
    }

    /// The `skein` binary to stage as applications' AM (default: [`submit::default_am_binary`]).
    pub fn with_am_binary(mut self, path: std::path::PathBuf) -> Self {
        self.am_binary = Some(path);
        self
    }

    /// The key pair applications get when their spec names none (the driver's own, as Skein).
    pub fn with_credentials(mut self, credentials: crate::security::Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Keeps the `applications` gauge of `metrics` (skein applications by state, as the
    /// ResourceManager lists them) current, every 15 s; `None` without a cluster.
    pub fn spawn_application_gauge(
        &self,
        metrics: std::sync::Arc<crate::metrics::Metrics>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let backend = self.backend.as_ref().ok()?.clone();
        Some(tokio::spawn(async move {
            let query = skein_hadoop::yarn::AppQuery {
                application_types: vec![skein_hadoop::yarn::APPLICATION_TYPE.to_string()],
                ..Default::default()
            };
            let mut ticks = tokio::time::interval(Duration::from_secs(15));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Ok(apps) = backend.rm.applications(&query).await else {
                    continue;
                };
                let mut by_state: std::collections::BTreeMap<String, i64> = Default::default();
                for app in apps {
                    *by_state.entry(app.state.as_str().to_string()).or_default() += 1;
                }
                metrics.set_gauges(
                    "applications",
                    by_state
                        .into_iter()
                        .map(|(state, n)| (vec![("state".to_string(), state)], n)),
                );
            }
        }))
    }

    /// Starts the staging sweeper ([`super::sweeper`]) on the current runtime: a sweep now,
    /// then one every `policy.period`, for as long as the runtime runs. Nothing without a
    /// usable cluster configuration.
    pub fn spawn_staging_sweeper(
        &self,
        policy: super::sweeper::SweepPolicy,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let backend = self.backend.as_ref().ok()?.clone();
        let in_progress = self.in_progress.clone();
        // Staging folders exist only where the driver stages: not on a local default
        // filesystem (a configuration without HDFS).
        if backend.config.default_fs().starts_with("file:") {
            return None;
        }
        Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(policy.period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(hdfs) = backend.hdfs().await else {
                    continue;
                };
                let swept =
                    super::sweeper::sweep_once(&backend.rm, hdfs, policy.grace, &in_progress).await;
                match swept {
                    Ok(report) => {
                        for (id, error) in report.failed {
                            tracing::warn!("staging sweeper: {id}: {error}");
                        }
                    }
                    Err(e) => tracing::warn!("staging sweeper: cannot look for leftovers: {e}"),
                }
            }
        }))
    }

    /// A driver for `$HADOOP_CONF_DIR`, acting as the current user.
    pub fn from_environment() -> Self {
        let config = HadoopConfig::load().map_err(ClusterUnavailable::from);
        YarnDriver::new(config, &skein_hadoop::conf::current_user())
    }

    fn backend(&self) -> Result<&Backend, Status> {
        self.backend
            .as_deref()
            .map_err(|e| Status::failed_precondition(e.to_string()))
    }
}

/// An HDFS client borrowed from the backend or made for one call.
enum HdfsFor<'a> {
    Shared(&'a Hdfs),
    Proxied(Hdfs),
}

impl std::ops::Deref for HdfsFor<'_> {
    type Target = Hdfs;

    fn deref(&self) -> &Hdfs {
        match self {
            HdfsFor::Shared(hdfs) => hdfs,
            HdfsFor::Proxied(hdfs) => hdfs,
        }
    }
}

/// Skein's status for an id that does not lead to a skein application.
fn lookup_status(error: LookupError) -> Status {
    match error {
        LookupError::Yarn(e) => internal(e),
        other => Status::invalid_argument(other.to_string()),
    }
}

fn internal(e: YarnError) -> Status {
    Status::internal(e.to_string())
}

impl Backend {
    /// HDFS acting as `user`: the driver's shared client for its own user (or an empty one),
    /// a client of that user's otherwise (Hadoop proxy users). Under simple authentication the
    /// NameNode takes the name as given; with Kerberos the driver's principal is the real user
    /// and the NameNode checks the impersonation.
    async fn hdfs_for(&self, user: &str) -> Result<HdfsFor<'_>, HdfsError> {
        if user.is_empty() || user == self.user {
            return self
                .hdfs()
                .await
                .map(HdfsFor::Shared)
                .ok_or_else(|| HdfsError::Setup {
                    fs: self.config.default_fs(),
                    message: "HDFS is not available (the driver's log says why)".into(),
                });
        }
        Hdfs::connect(&self.config, user).map(HdfsFor::Proxied)
    }

    async fn hdfs(&self) -> Option<&Hdfs> {
        self.hdfs
            .get_or_init(|| async {
                Hdfs::connect(&self.config, &self.user)
                    .map_err(|e| tracing::warn!("HDFS is not available: {e}"))
                    .ok()
            })
            .await
            .as_ref()
    }

    /// The report of a skein application, with Skein's three errors.
    async fn skein_app(&self, id: &str) -> Result<AppInfo, Status> {
        self.rm.skein_application(id).await.map_err(lookup_status)
    }

    /// Applies `update` (of the application's `what`) to the skein application `id` unless it
    /// has ended, and answers its report after the change.
    async fn update_unfinished<'a, F, Fut>(
        &'a self,
        id: &str,
        what: &str,
        update: F,
    ) -> Result<Response<proto::ApplicationReport>, Status>
    where
        F: FnOnce(&'a ResourceManager) -> Fut,
        Fut: std::future::Future<Output = Result<(), YarnError>>,
    {
        let app = self.skein_app(id).await?;
        if app.state.is_terminal() {
            return Err(Status::failed_precondition(format!(
                "Application {id} has already ended ({}): its {what} cannot change",
                app.state
            )));
        }
        update(&self.rm)
            .await
            .map_err(|e| update_status(what, id, e))?;
        let app = self.skein_app(id).await?;
        Ok(Response::new(reports::application_report(&app)))
    }

    async fn queues(&self) -> Result<Vec<(proto::Queue, Vec<String>)>, Status> {
        let doc = self.rm.scheduler().await.map_err(internal)?;
        Ok(reports::queues(&doc))
    }
}

/// Completes `submitted`, on its own task, once its reply has left ([`submit::complete_after_reply`]).
fn complete_after_reply(
    backend: Arc<Backend>,
    user: String,
    submitted: submit::Submitted,
    reply_sent: tokio::sync::oneshot::Receiver<super::reply::ReplyMark>,
) {
    tokio::spawn(Box::pin(async move {
        match backend.hdfs_for(&user).await {
            Ok(hdfs) => submit::complete_after_reply(&hdfs, submitted, reply_sent).await,
            Err(e) => tracing::warn!("cannot remove the submit marker of {}: {e}", submitted.id),
        }
    }));
}

/// Does `queue` (as YARN reports it, maybe a full path) name `wanted` (leaf or full path)?
fn queue_matches(queue: &str, wanted: &str) -> bool {
    queue == wanted
        || queue.rsplit('.').next() == Some(wanted)
        || wanted.rsplit('.').next() == Some(queue)
}

fn in_range(t: i64, begin: i64, end: i64) -> bool {
    t >= begin && (end == 0 || t <= end)
}

/// Skein's cleaning of a scheduler error: the first line, without Java class prefixes.
fn clean_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or("").trim();
    let mut text = first;
    while let Some((prefix, rest)) = text.split_once(": ") {
        if prefix.contains("Exception") && prefix.contains('.') {
            text = rest;
        } else {
            break;
        }
    }
    text.to_string()
}

#[tonic::async_trait]
impl proto::driver_server::Driver for YarnDriver {
    async fn ping(&self, _: Request<proto::Empty>) -> Result<Response<proto::Empty>, Status> {
        Ok(Response::new(proto::Empty {}))
    }

    async fn get_status(
        &self,
        request: Request<proto::Application>,
    ) -> Result<Response<proto::ApplicationReport>, Status> {
        let app = self.backend()?.skein_app(&request.get_ref().id).await?;
        Ok(Response::new(reports::application_report(&app)))
    }

    async fn get_applications(
        &self,
        request: Request<proto::ApplicationsRequest>,
    ) -> Result<Response<proto::ApplicationsResponse>, Status> {
        let backend = self.backend()?;
        let req = request.into_inner();
        let mut states: Vec<ApplicationState> =
            req.states().map(reports::yarn_application_state).collect();
        if states.is_empty() {
            states = vec![
                ApplicationState::Submitted,
                ApplicationState::Accepted,
                ApplicationState::Running,
            ];
        }
        let apps = backend
            .rm
            .applications(&AppQuery {
                states,
                application_types: vec![APPLICATION_TYPE.to_string()],
                ..Default::default()
            })
            .await
            .map_err(internal)?;
        let mut reports: Vec<proto::ApplicationReport> = apps
            .iter()
            .filter(|a| req.name.is_empty() || a.name == req.name)
            .filter(|a| req.user.is_empty() || a.user == req.user)
            .filter(|a| req.queue.is_empty() || queue_matches(&a.queue, &req.queue))
            .filter(|a| in_range(a.started_time, req.started_begin, req.started_end))
            .filter(|a| in_range(a.finished_time.max(0), req.finished_begin, req.finished_end))
            .map(reports::application_report)
            .collect();
        reports.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Response::new(proto::ApplicationsResponse { reports }))
    }

    async fn get_nodes(
        &self,
        request: Request<proto::NodesRequest>,
    ) -> Result<Response<proto::NodesResponse>, Status> {
        let backend = self.backend()?;
        let states: Vec<NodeState> = request
            .get_ref()
            .states()
            .map(|s| NodeState::from(s.as_str_name()))
            .collect();
        let nodes = backend.rm.nodes(&states).await.map_err(internal)?;
        let mut reports: Vec<proto::NodeReport> = nodes.iter().map(reports::node_report).collect();
        reports.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Response::new(proto::NodesResponse { reports }))
    }

    async fn get_queue(
        &self,
        request: Request<proto::QueueRequest>,
    ) -> Result<Response<proto::Queue>, Status> {
        let name = &request.get_ref().name;
        let queues = self.backend()?.queues().await?;
        queues
            .into_iter()
            .find(|(q, _)| q.name == *name)
            .map(|(q, _)| Response::new(q))
            .ok_or_else(|| Status::invalid_argument(format!("Queue '{name}' does not exist")))
    }

    async fn get_child_queues(
        &self,
        request: Request<proto::QueueRequest>,
    ) -> Result<Response<proto::QueuesResponse>, Status> {
        let name = &request.get_ref().name;
        let queues = self.backend()?.queues().await?;
        let Some((_, children)) = queues.iter().find(|(q, _)| q.name == *name) else {
            return Err(Status::invalid_argument(format!(
                "Queue '{name}' does not exist"
            )));
        };
        let children: Vec<proto::Queue> = queues
            .iter()
            .filter(|(q, _)| children.contains(&q.name))
            .map(|(q, _)| q.clone())
            .collect();
        Ok(Response::new(proto::QueuesResponse { queues: children }))
    }

    async fn get_all_queues(
        &self,
        _: Request<proto::Empty>,
    ) -> Result<Response<proto::QueuesResponse>, Status> {
        let queues = self.backend()?.queues().await?;
        Ok(Response::new(proto::QueuesResponse {
            queues: reports::all_queues(queues),
        }))
    }

    async fn move_application(
        &self,
        request: Request<proto::MoveRequest>,
    ) -> Result<Response<proto::Empty>, Status> {
        let backend = self.backend()?;
        let req = request.into_inner();
        let app = backend.skein_app(&req.id).await?;
        // The REST API reports a refused move only as an opaque exception, so the reasons a
        // user can act on are checked here first, in the words of YARN's own messages.
        if app.state.is_terminal() {
            return Err(Status::invalid_argument(format!(
                "App in {} state cannot be moved.",
                app.state
            )));
        }
        let queues = backend.queues().await?;
        match queues
            .iter()
            .find(|(q, _)| queue_matches(&q.name, &req.queue))
        {
            None => {
                return Err(Status::invalid_argument(format!(
                    "Queue '{}' doesn't exist",
                    req.queue
                )));
            }
            Some((_, children)) if !children.is_empty() => {
                return Err(Status::invalid_argument(format!(
                    "Queue '{}' is not a Leaf queue: applications can only be moved to leaf queues",
                    req.queue
                )));
            }
            Some(_) => {}
        }
        match backend.rm.move_to_queue(&req.id, &req.queue).await {
            Ok(()) => Ok(Response::new(proto::Empty {})),
            Err(YarnError::Remote { message, .. }) => Err(Status::invalid_argument(format!(
                "Failed to move {} to queue '{}': {}",
                req.id,
                req.queue,
                clean_message(&message)
            ))),
            Err(e) => Err(internal(e)),
        }
    }

    async fn submit(
        &self,
        request: Request<proto::ApplicationSpec>,
    ) -> Result<Response<proto::Application>, Status> {
        let backend = self.backend()?;
        // Over gRPC the submit completes once the reply has left (driver/reply.rs); called in
        // process, when this returns.
        let reply_sent = request
            .extensions()
            .get::<super::reply::ReplySent>()
            .and_then(super::reply::ReplySent::take);
        let tracked = self.progress.track(
            request
                .metadata()
                .get(super::progress::TOKEN_HEADER)
                .and_then(|token| token.to_str().ok()),
        );
        // Validated once, here at the edge: the rest of the path computes on the model.
        let spec =
            skein_core::spec::ApplicationSpec::try_from(request.into_inner()).map_err(|e| {
                tracing::warn!("submit refused: {e}");
                submit_status(e.into())
            })?;
        // `user` submits for another user (Hadoop proxy users): YARN checks the impersonation,
        // and the files are staged in that user's home, as that user.
        let rm = backend.rm.acting_as(&spec.user);
        let user = rm.effective_user().to_string();
        let hdfs = backend
            .hdfs_for(&user)
            .await
            .map_err(|e| submit_status(submit::SubmitError::Hdfs(e)))?;
        let credentials = self
            .credentials
            .as_ref()
            .ok_or_else(|| submit_status(submit::SubmitError::NoCredentials))?;
        let am_binary = match &self.am_binary {
            Some(path) => path.clone(),
            None => submit::default_am_binary().map_err(submit_status)?,
        };
        let submitter = submit::Submitter {
            rm: &rm,
            hdfs: &hdfs,
            config: &backend.config,
            user: &user,
            credentials,
            am_binary: &am_binary,
            in_progress: &self.in_progress,
            progress: &tracked.progress,
        };
        let failed = |e: submit::SubmitError| {
            tracing::warn!("submit failed: {e}");
            submit_status(e)
        };
        // Boxed: the staging futures are large, and an async fn's frame holds them inline.
        let submitted = Box::pin(submitter.submit(spec)).await.map_err(failed)?;
        let id = match reply_sent {
            None => Box::pin(submitter.complete(submitted))
                .await
                .map_err(failed)?,
            Some(reply_sent) => {
                let id = submitted.id.clone();
                let backend = self
                    .backend
                    .as_ref()
                    .map_err(|e| Status::failed_precondition(e.to_string()))?;
                complete_after_reply(Arc::clone(backend), user, submitted, reply_sent);
                id
            }
        };
        tracing::info!("Submitted application {id}");
        Ok(Response::new(proto::Application { id }))
    }

    async fn wait_for_start(
        &self,
        request: Request<proto::Application>,
    ) -> Result<Response<proto::ApplicationReport>, Status> {
        let backend = self.backend()?;
        let id = request.into_inner().id;
        loop {
            let app = backend.skein_app(&id).await?;
            if app.state == ApplicationState::Running || app.state.is_terminal() {
                return Ok(Response::new(reports::application_report(&app)));
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
    }

    async fn kill(
        &self,
        request: Request<proto::KillRequest>,
    ) -> Result<Response<proto::Empty>, Status> {
        let backend = self.backend()?;
        let req = request.into_inner();
        let app = backend.skein_app(&req.id).await?;
        backend
            .rm
            .acting_as(&req.user)
            .kill(&req.id)
            .await
            .map_err(internal)?;
        // Like Java's `YarnClient.killApplication`, answer once the kill has completed: the RM
        // accepts a kill with 202 and moves the application to KILLED a moment later.
        let deadline = tokio::time::Instant::now() + KILL_WAIT;
        loop {
            let now = backend.skein_app(&req.id).await?;
            if now.state.is_terminal() {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Status::deadline_exceeded(format!(
                    "The ResourceManager accepted the kill of {} but the application is still \
                     {} after {} s; check it with `skein application status {}`",
                    req.id,
                    now.state,
                    KILL_WAIT.as_secs(),
                    req.id
                )));
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
        // The staging folder is in its owner's home.
        let removed = match backend.hdfs_for(&app.user).await {
            Ok(hdfs) => hdfs.remove_staging_dir(&req.id).await,
            Err(e) => Err(e),
        };
        if let Err(e) = removed {
            tracing::warn!(
                "killed {} but could not remove its staging folder: {e}",
                req.id
            );
        }
        Ok(Response::new(proto::Empty {}))
    }

    async fn get_submit_progress(
        &self,
        request: Request<proto::SubmitProgressRequest>,
    ) -> Result<Response<proto::SubmitProgress>, Status> {
        let token = request.into_inner().token;
        let reply = match self.progress.get(&token) {
            Some(now) => proto::SubmitProgress {
                known: true,
                phase: now.phase.as_str().to_string(),
                file: now.file,
                uploaded_bytes: i64::try_from(now.uploaded).unwrap_or(i64::MAX),
                total_bytes: i64::try_from(now.to_upload).unwrap_or(i64::MAX),
            },
            None => proto::SubmitProgress::default(),
        };
        Ok(Response::new(reply))
    }

    async fn update_application_lifetime(
        &self,
        request: Request<proto::UpdateLifetimeRequest>,
    ) -> Result<Response<proto::ApplicationReport>, Status> {
        let req = request.into_inner();
        let seconds = u64::try_from(req.lifetime_seconds)
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                Status::invalid_argument(format!(
                    "The lifetime must be at least 1 second, got {} s",
                    req.lifetime_seconds
                ))
            })?;
        let expiry = super::lifetime::expiry_from_now(Duration::from_secs(seconds));
        let id = req.id.as_str();
        self.backend()?
            .update_unfinished(id, "lifetime", |rm| async move {
                rm.update_lifetime(id, expiry).await.map(|_| ())
            })
            .await
    }

    async fn update_application_priority(
        &self,
        request: Request<proto::UpdatePriorityRequest>,
    ) -> Result<Response<proto::ApplicationReport>, Status> {
        let req = request.into_inner();
        if req.priority < 0 {
            return Err(Status::invalid_argument(format!(
                "The priority must be 0 or more, got {}",
                req.priority
            )));
        }
        let (id, priority) = (req.id.as_str(), req.priority);
        self.backend()?
            .update_unfinished(id, "priority", |rm| async move {
                rm.update_priority(id, priority).await.map(|_| ())
            })
            .await
    }

    async fn get_logs(
        &self,
        request: Request<proto::LogsRequest>,
    ) -> Result<Response<proto::LogsResponse>, Status> {
        use skein_hadoop::hdfs::aggregated_logs::{LogsError, read_application_logs};
        let backend = self.backend()?;
        let req = request.into_inner();
        let app = backend.skein_app(&req.id).await?;
        if !app.state.is_terminal() {
            return Err(Status::invalid_argument(format!(
                "Application {} has not completed, logs are not available",
                req.id
            )));
        }
        let hdfs = backend
            .hdfs_for(&req.user)
            .await
            .map_err(|e| Status::internal(format!("{e}: cannot read the logs")))?;
        let owner = if req.user.is_empty() {
            app.user
        } else {
            req.user
        };
        match read_application_logs(&hdfs, &backend.config, &owner, &req.id).await {
            Ok(logs) => Ok(Response::new(proto::LogsResponse {
                logs: logs.into_iter().collect(),
            })),
            Err(e @ (LogsError::NotAggregated | LogsError::NoLogs)) => {
                Err(Status::invalid_argument(e.to_string()))
            }
            Err(e) => Err(Status::internal(e.to_string())),
        }
    }
}

/// The status of a refused lifetime or priority update: the ResourceManager's reason (an
/// application that has ended, an expiry in the past, no scheduler priorities) is the user's
/// to act on.
fn update_status(what: &str, id: &str, error: YarnError) -> Status {
    match error {
        YarnError::Remote { message, .. } => Status::failed_precondition(format!(
            "The ResourceManager refused to update the {what} of {id}: {}",
            clean_message(&message)
        )),
        other => internal(other),
    }
}

/// Skein's status for a failed submit: `INVALID_ARGUMENT` with the message when the request
/// itself is wrong, else `INTERNAL` "Failed to submit application, exception:\n<message>".
fn submit_status(error: submit::SubmitError) -> Status {
    if error.is_invalid_argument() {
        Status::invalid_argument(error.to_string())
    } else {
        Status::internal(format!("Failed to submit application, exception:\n{error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skein_hadoop::yarn::validate_application_id;

    #[test]
    fn a_failed_submit_keeps_skeins_codes_and_prefix() {
        let refused = submit_status(submit::SubmitError::UndefinedResource(submit::GPU));
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            refused.message(),
            "Resource 'yarn.io/gpu' is not defined in your cluster's configuration"
        );
        let failed = submit_status(submit::SubmitError::NoCredentials);
        assert_eq!(failed.code(), tonic::Code::Internal);
        assert_eq!(
            failed.message(),
            "Failed to submit application, exception:\nthe driver has no credentials to give the application"
        );
    }

    #[test]
    fn application_ids_are_checked_like_skein() {
        assert!(validate_application_id("application_1526134340424_0012").is_ok());
        for bad in [
            "nope",
            "application_1",
            "application_x_1",
            "app_1_2",
            "",
            // Beyond a Java long / int.
            "application_99999999999999999999_1",
            "application_1526134340424_99999999999",
        ] {
            let status = lookup_status(validate_application_id(bad).expect_err(bad));
            assert_eq!(status.code(), tonic::Code::InvalidArgument);
            assert_eq!(status.message(), format!("Invalid ApplicationId '{bad}'"));
        }
        let foreign = lookup_status(LookupError::NotSkein("application_1_0001".into()));
        assert_eq!(foreign.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            foreign.message(),
            "ApplicationId 'application_1_0001' is not a skein application"
        );
    }

    #[test]
    fn queue_names_match_leaf_or_path() {
        assert!(queue_matches("root.default", "default"));
        assert!(queue_matches("default", "default"));
        assert!(queue_matches("apples", "root.fruit.apples"));
        assert!(!queue_matches("root.fruit.apples", "bananas"));
    }

    #[test]
    fn scheduler_messages_lose_java_prefixes() {
        assert_eq!(
            clean_message(
                "org.apache.hadoop.yarn.exceptions.YarnException: Move to queue fruit is not allowed, not a Leaf queue\n\tat x"
            ),
            "Move to queue fruit is not allowed, not a Leaf queue"
        );
        assert_eq!(clean_message("plain"), "plain");
    }

    #[test]
    fn time_ranges_are_inclusive_and_zero_is_open() {
        assert!(in_range(5, 5, 5));
        assert!(in_range(5, 0, 0));
        assert!(!in_range(5, 6, 0));
        assert!(!in_range(5, 0, 4));
    }
}
