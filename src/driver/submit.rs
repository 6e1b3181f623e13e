//! `submit`: from a validated spec to a running YARN application, in Skein's staging layout.
//!
//! The driver creates `<home>/.skein/<app_id>/` (0700) and stages, all mode 0600: the
//! application's key pair (`.skein.crt`, `.skein.pem`), each service's script (`<service>.sh`,
//! localized as `.skein.sh`), the user's local files, and the rewritten spec (`.skein.proto`)
//! the ApplicationMaster reads. The `skein` binary (which is also the AM) and the Java shim jar
//! go to a content-addressed cache and are uploaded once per content. Any failure removes the
//! staging folder again.
//!
//! While it stages, the folder also holds the submit marker `.skein.submitting`, removed once
//! the ResourceManager has accepted the application and the client has its answer
//! ([`complete_after_reply`]): a folder that keeps it belongs to a submit that was interrupted
//! (a driver killed, a client gone), which the staging sweeper ends (see [`super::sweeper`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::progress::Phase;
use crate::proto;
use crate::security::Credentials;
use skein_core::launch::yarn_acls;
use skein_core::spec::{ApplicationSpec, File, Resources, Secret, Security};
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::staging::FILE_MODE;
use skein_hadoop::hdfs::{Hdfs, HdfsError};
use skein_hadoop::yarn::{
    Commands, ContainerLaunchContext, Entries, LocalResource, LogAggregationContext, ResourceInfo,
    ResourceManager, ResourceType, SubmissionContext, Tags, YarnError,
};

/// Records how long the submit phase `phase` took since `started` (with metrics on).
fn phase_done(phase: &str, started: std::time::Instant) {
    if let Some(metrics) = crate::metrics::driver() {
        metrics.observe(
            "submit_phase_duration",
            &[("phase", phase)],
            started.elapsed().as_secs_f64(),
        );
    }
}

/// The bytes of the spec's local files (each source once, as they are uploaded), for the
/// progress of their upload; a file that cannot be read counts 0 here and fails its upload.
async fn local_upload_bytes(spec: &ApplicationSpec) -> u64 {
    let sources: std::collections::BTreeSet<&str> = spec
        .services
        .values()
        .flat_map(|service| service.files.values())
        .chain(spec.master.files.values())
        .filter_map(|file| file.source.strip_prefix("file://"))
        .collect();
    let mut total = 0;
    for source in sources {
        if let Ok(meta) = tokio::fs::metadata(source).await {
            total += meta.len();
        }
    }
    total
}

/// The mode of a staged keytab: readable by its owner alone.
const KEYTAB_MODE: u32 = 0o400;

/// The command that starts the ApplicationMaster in its container.
///
/// `bash` stays the container's main process around `skein application-master`: should the Rust
/// process die without unregistering (`kill -9`, a crash), it records the exit status in
/// `.skein.am-exit` and keeps the container alive (up to 20 s) until the Java shim, which sees its
/// pipe close, has read that status and unregistered FAILED with a diagnostic naming it
/// (java-shim/README.md, "Failure handling"). Otherwise the NodeManager would kill the shim with
/// the container first. YARN runs the command as `exec /bin/bash -c "<command>"`, hence `\$`.
pub const AM_COMMAND: &str = concat!(
    "./skein application-master ><LOG_DIR>/application.master.log 2>&1; ",
    "rc=\\$?; echo \\$rc >.skein.am-exit; ",
    "for i in \\$(seq 200); do ",
    "kill -0 \\$(cat .skein.shim-pid 2>/dev/null) 2>/dev/null || break; sleep 0.1; ",
    "done; exit \\$rc"
);

/// Where the Java shim jar is looked for, in order: `$SKEIN_SHIM_JAR`, `skein-shim.jar` next to
/// the `skein` binary, `../share/skein-rs/skein-shim.jar` from the binary's folder (an
/// installed release: `bin/skein` and `share/skein-rs/`, the tarball's and the Python wheel's
/// layout), and the development build `java-shim/target/skein-shim.jar` of the source tree
/// the binary was built in.
pub fn find_shim_jar() -> Result<PathBuf, SubmitError> {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("SKEIN_SHIM_JAR").filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(path));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("skein-shim.jar"));
        candidates.push(dir.join("../share/skein-rs/skein-shim.jar"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("java-shim/target/skein-shim.jar"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| SubmitError::ShimJarNotFound {
            looked_at: candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// An application the ResourceManager accepted, whose submit is not complete yet: its staging
/// folder holds the submit marker, and the driver's sweeper leaves it alone until this is
/// dropped.
#[derive(Debug)]
#[must_use = "a submit completes once the client has its answer"]
pub struct Submitted {
    /// The application id.
    pub id: String,
    in_progress: super::sweeper::SubmitInProgress,
}

/// How often, and how far apart, [`complete_after_reply`] tries to remove a marker.
const MARKER_ATTEMPTS: u32 = 5;
const MARKER_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// Completes a submit once its reply has left the driver (`reply_sent` resolved): removes the
/// submit marker, retrying a few times. A reply that never left (`reply_sent` failed: the
/// client went away, the connection broke) leaves the marker, so that the staging sweeper ends
/// the application after the grace period; the driver logs which.
pub async fn complete_after_reply(
    hdfs: &Hdfs,
    submitted: Submitted,
    reply_sent: tokio::sync::oneshot::Receiver<super::reply::ReplyMark>,
) {
    let Submitted { id, in_progress } = submitted;
    let delivered = match reply_sent.await {
        Ok(mark) => mark.on_the_wire().await,
        Err(_) => false,
    };
    if !delivered {
        tracing::warn!(
            "the client of {id} went away before it got its answer: the staging sweeper will \
             kill {id} and remove its staging folder after the grace period"
        );
        drop(in_progress);
        return;
    }
    for attempt in 1..=MARKER_ATTEMPTS {
        match hdfs.remove_submit_marker(&id).await {
            Ok(()) => return,
            Err(e) if attempt < MARKER_ATTEMPTS => {
                tracing::warn!("cannot remove the submit marker of {id} (will retry): {e}");
                tokio::time::sleep(MARKER_RETRY).await;
            }
            Err(e) => tracing::error!(
                "cannot remove the submit marker of {id}: {e}. The staging sweeper will take \
                 {id} for an interrupted submit and kill it after the grace period; remove \
                 {}/{} to keep it",
                hdfs.staging_dir(&id),
                skein_hadoop::hdfs::staging::SUBMIT_MARKER
            ),
        }
    }
}

/// What a submission needs from the driver.
pub struct Submitter<'a> {
    /// The ResourceManager.
    pub rm: &'a ResourceManager,
    /// HDFS, as the submitting user.
    pub hdfs: &'a Hdfs,
    /// The cluster's configuration.
    pub config: &'a HadoopConfig,
    /// The submitting user.
    pub user: &'a str,
    /// The driver's key pair: the application's when the spec names none.
    pub credentials: &'a Credentials,
    /// The `skein` binary to stage as the ApplicationMaster (normally the running one).
    pub am_binary: &'a Path,
    /// The driver's submits in progress, which its staging sweeper leaves alone.
    pub in_progress: &'a super::sweeper::SubmitsInProgress,
    /// Where this submit reports its progress.
    pub progress: &'a super::progress::SubmitProgress,
}

/// The `skein` binary applications run as their AM: `$SKEIN_AM_BINARY`, else this process's.
pub fn default_am_binary() -> Result<PathBuf, SubmitError> {
    match std::env::var_os("SKEIN_AM_BINARY").filter(|p| !p.is_empty()) {
        Some(path) => Ok(PathBuf::from(path)),
        None => std::env::current_exe().map_err(SubmitError::NoAmBinary),
    }
}

/// Why a submission failed. Nothing stays staged after any of these. The gRPC edge maps them
/// to Skein's statuses: [`SubmitError::is_invalid_argument`] ones to `INVALID_ARGUMENT`, the
/// rest to `INTERNAL` "Failed to submit application, exception:\n<message>".
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The spec breaks the spec's rules.
    #[error("{0}")]
    InvalidSpec(#[from] skein_core::spec::SpecError),
    /// The ResourceManager refused or failed a call (new application, submit).
    #[error("{}", with_proxy_user_hint(.source.to_string(), .real_user))]
    ResourceManager {
        /// The RM's error.
        source: YarnError,
        /// The driver's own user (who would need the proxy-user rights).
        real_user: String,
    },
    /// HDFS failed while staging.
    #[error(transparent)]
    Hdfs(#[from] HdfsError),
    /// A container the cluster could never grant (memory or vcores above its maximum).
    #[error("Resource request for {what} ({amount} {unit}) exceeds the cluster's maximum {limit}")]
    AboveMaximum {
        /// `the application master` or `service '<name>'`.
        what: String,
        /// What was asked.
        amount: i64,
        /// `MiB`, `vcores`, `yarn.io/gpu`, ...
        unit: String,
        /// How the limit reads (`container memory of 1024 MiB`, ...).
        limit: String,
    },
    /// GPUs or FPGAs for the application master, which the REST submission cannot carry.
    #[error(
        "skein-rs does not request GPUs or FPGAs for the application master: request them for a service"
    )]
    MasterAccelerators,
    /// The spec asks for a resource type the cluster does not define.
    #[error("Resource '{0}' is not defined in your cluster's configuration")]
    UndefinedResource(&'static str),
    /// The ResourceManager has no resource types at all (Hadoop 2).
    #[error(
        "Custom resources not supported in this version of Hadoop, can't set request for '{0}'"
    )]
    NoResourceTypes(&'static str),
    /// The Java shim jar the AM needs was not found.
    #[error(
        "the skein AM shim jar was not found (looked at {looked_at}): build it with `mvn -f java-shim/pom.xml package` and set SKEIN_SHIM_JAR to it"
    )]
    ShimJarNotFound {
        /// Every place looked at.
        looked_at: String,
    },
    /// The running binary cannot be located to stage it as the AM.
    #[error("cannot locate the running skein binary: {0}")]
    NoAmBinary(std::io::Error),
    /// The application's certificate or key names a file that is not local.
    #[error("Cannot read security file {0} locally")]
    SecurityFileNotLocal(String),
    /// The application's certificate or key cannot be read.
    #[error("cannot read {path}: {source}")]
    SecurityFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A service's script is missing from the staged scripts (a bug, named rather than hidden).
    #[error("the script of service '{0}' was not staged")]
    ScriptNotStaged(String),
    /// The delegation tokens the application needs (Kerberos mode: HDFS and the
    /// ResourceManager) could not be obtained.
    #[error("{}", tokens_message(.user, .source, .real_user))]
    DelegationTokens {
        /// The user the tokens were asked for.
        user: String,
        /// The driver's own user (who would need the proxy-user rights).
        real_user: String,
        /// Why.
        source: Box<skein_hadoop::security::delegation::DelegationError>,
    },
    /// The spec's `kerberos_principal` cannot be used (keytab unreadable, principal not in it,
    /// KDC login refused).
    #[error(transparent)]
    Keytab(#[from] super::keytab::KeytabError),
    /// The spec's lifetime could not be set; the application was killed.
    #[error("{0}; the application was killed")]
    Lifetime(#[from] super::lifetime::LifetimeError),
    /// The driver was started without a key pair to give applications.
    #[error("the driver has no credentials to give the application")]
    NoCredentials,
    /// The ResourceManager accepted the application but its submit marker could not be
    /// removed, so the application was killed rather than left for the staging sweeper to kill
    /// after the client had been told it runs.
    #[error(
        "the ResourceManager accepted {id}, but its staging folder could not be marked as \
         complete ({source}), so the application was killed; submit it again"
    )]
    NotCompleted {
        /// The application.
        id: String,
        /// Why the marker stayed.
        source: HdfsError,
    },
}

impl SubmitError {
    /// Whether Skein answers this with `INVALID_ARGUMENT` (the request itself is wrong) rather
    /// than `INTERNAL`.
    pub fn is_invalid_argument(&self) -> bool {
        matches!(
            self,
            SubmitError::UndefinedResource(_)
                | SubmitError::NoResourceTypes(_)
                | SubmitError::Keytab(_)
        )
    }
}

/// Refuses, before anything is staged, a container the cluster could never grant: YARN would
/// accept the application and then leave that request pending (or fail the AM) forever.
fn check_fits(spec: &ApplicationSpec, max: ResourceInfo) -> Result<(), SubmitError> {
    for (what, r) in container_requests(spec) {
        if i64::from(r.memory) > max.memory {
            return Err(SubmitError::AboveMaximum {
                what,
                amount: i64::from(r.memory),
                unit: "MiB".into(),
                limit: format!("container memory of {} MiB", max.memory),
            });
        }
        if i64::from(r.vcores) > max.vcores {
            return Err(SubmitError::AboveMaximum {
                what,
                amount: i64::from(r.vcores),
                unit: "vcores".into(),
                limit: format!("of {} vcores per container", max.vcores),
            });
        }
    }
    Ok(())
}

/// YARN's refusal of an impersonation (`User: <real> is not allowed to impersonate <user>`),
/// with how to allow it; other messages unchanged.
fn with_proxy_user_hint(message: String, real_user: &str) -> String {
    if message.contains("is not allowed to impersonate") {
        format!(
            "{message}\nTo allow it, a cluster administrator sets \
             hadoop.proxyuser.{real_user}.hosts and hadoop.proxyuser.{real_user}.users (or .groups) \
             in core-site.xml and refreshes them (yarn rmadmin -refreshSuperUserGroupsConfiguration)."
        )
    } else {
        message
    }
}

fn tokens_message(
    user: &str,
    source: &skein_hadoop::security::delegation::DelegationError,
    real_user: &str,
) -> String {
    // An error about a `file_systems` entry names it; the others are the default
    // filesystem's or the ResourceManager's.
    let what = if source.filesystem().is_some() {
        ""
    } else {
        " (HDFS and the ResourceManager)"
    };
    with_proxy_user_hint(
        format!("cannot get the delegation tokens of {user}{what}: {source}"),
        real_user,
    )
}

/// The containers the spec asks for, the AM's first and then each service's, with their
/// resources and how errors name them.
fn container_requests(spec: &ApplicationSpec) -> impl Iterator<Item = (String, Resources)> + '_ {
    std::iter::once(("the application master".to_string(), spec.master.resources)).chain(
        spec.services
            .iter()
            .map(|(n, s)| (format!("service '{n}'"), s.resources)),
    )
}

/// YARN's names of the resource types a spec may request besides memory and vcores.
pub const GPU: &str = "yarn.io/gpu";
/// See [`GPU`].
pub const FPGA: &str = "yarn.io/fpga";

/// Checks the GPUs and FPGAs the spec requests against the resource types the cluster defines
/// (`types` from `new-application`; `None`: a ResourceManager without resource types), before
/// anything is staged.
///
/// # Errors
/// [`SubmitError::UndefinedResource`] / [`SubmitError::NoResourceTypes`] for a resource the
/// cluster lacks (Skein's `INVALID_ARGUMENT`); [`SubmitError::AboveMaximum`] for more than a
/// container may have; [`SubmitError::MasterAccelerators`] for the application master, whose
/// REST submission carries only memory and vcores.
fn check_resource_types(
    spec: &ApplicationSpec,
    types: Option<&[ResourceType]>,
) -> Result<(), SubmitError> {
    for (index, (what, r)) in container_requests(spec).enumerate() {
        let is_master = index == 0;
        if is_master && (r.gpus > 0 || r.fpgas > 0) {
            return Err(SubmitError::MasterAccelerators);
        }
        for (kind, amount) in [(GPU, r.gpus), (FPGA, r.fpgas)] {
            if amount <= 0 {
                continue;
            }
            let types = types.ok_or(SubmitError::NoResourceTypes(kind))?;
            let max = types
                .iter()
                .find(|t| t.name == kind)
                .ok_or(SubmitError::UndefinedResource(kind))?;
            if amount > max.value {
                return Err(SubmitError::AboveMaximum {
                    what,
                    amount,
                    unit: kind.to_string(),
                    limit: format!("of {} per container", max.value),
                });
            }
        }
    }
    Ok(())
}

impl Submitter<'_> {
    /// Submits `spec` (validated: the type says so) and returns the application the
    /// ResourceManager accepted. Its staging folder keeps the submit marker until
    /// [`Submitter::complete`] or [`complete_after_reply`] removes it, once the client has
    /// its answer.
    ///
    /// # Errors
    /// A [`SubmitError`], after removing whatever was staged.
    pub async fn submit(&self, spec: ApplicationSpec) -> Result<Submitted, SubmitError> {
        // Boxed, as the futures inside: debug builds poll these deep futures on small stacks.
        let result = Box::pin(self.submit_timed(spec)).await;
        if let Some(metrics) = crate::metrics::driver() {
            let result_label = if result.is_ok() { "ok" } else { "error" };
            metrics.inc("submits", &[("result", result_label)]);
        }
        result
    }

    async fn submit_timed(&self, mut spec: ApplicationSpec) -> Result<Submitted, SubmitError> {
        let started = std::time::Instant::now();
        let keytab = if !self.config.security_enabled() {
            if spec.kerberos_principal.take().is_some() {
                tracing::warn!(
                    "ignoring the spec's kerberos_principal: the cluster does not use Kerberos"
                );
            }
            None
        } else {
            // Before anything is asked of YARN or staged.
            Box::pin(super::keytab::check(&spec, self.hdfs, |source| {
                self.on_default_fs(source)
            }))
            .await?
        };
        let app = self
            .rm
            .new_application()
            .await
            .map_err(|source| self.rm_error(source))?;
        check_fits(&spec, app.maximum_resource_capability)?;
        check_resource_types(&spec, app.resource_types.as_deref())?;
        let id = app.application_id;
        phase_done("prepare", started);
        self.progress.enter(Phase::Stage);
        let in_progress = self.in_progress.begin(&id);
        let lifetime = spec.lifetime;
        match Box::pin(self.stage_and_submit(&id, spec, keytab)).await {
            Ok(()) => {
                if let Some(lifetime) = lifetime
                    && let Err(error) =
                        super::lifetime::set_at_submission(self.rm, &id, lifetime).await
                {
                    // Not left running without the limit its spec asks for.
                    if let Err(e) = self.rm.kill(&id).await {
                        tracing::warn!("cannot kill {id}: {e}");
                    }
                    if let Err(e) = self.hdfs.remove_staging_dir(&id).await {
                        tracing::warn!("could not remove the staging folder of {id}: {e}");
                    }
                    return Err(error.into());
                }
                Ok(Submitted { id, in_progress })
            }
            Err(error) => {
                if let Err(e) = self.hdfs.remove_staging_dir(&id).await {
                    tracing::warn!("could not remove the staging folder of {id}: {e}");
                }
                Err(error)
            }
        }
    }

    /// Completes a submit whose answer is this call's return (an in-process caller): removes
    /// the submit marker, after which the application is the caller's. Should that fail, the
    /// application is killed and the folder removed, so that nothing runs that the caller is
    /// told failed.
    ///
    /// # Errors
    /// [`SubmitError::NotCompleted`] when the marker stays.
    pub async fn complete(&self, submitted: Submitted) -> Result<String, SubmitError> {
        let id = submitted.id;
        let Err(source) = self.hdfs.remove_submit_marker(&id).await else {
            return Ok(id);
        };
        let id = id.as_str();
        tracing::warn!("cannot remove the submit marker of {id}: {source}; killing it");
        if let Err(e) = self.rm.kill(id).await {
            tracing::warn!("cannot kill {id}: {e}");
        }
        if let Err(e) = self.hdfs.remove_staging_dir(id).await {
            tracing::warn!("could not remove the staging folder of {id}: {e}");
        }
        Err(SubmitError::NotCompleted {
            id: id.to_string(),
            source,
        })
    }

    fn rm_error(&self, source: YarnError) -> SubmitError {
        SubmitError::ResourceManager {
            source,
            real_user: self.rm.user().to_string(),
        }
    }

    async fn stage_and_submit(
        &self,
        id: &str,
        mut spec: ApplicationSpec,
        keytab: Option<super::keytab::Keytab>,
    ) -> Result<(), SubmitError> {
        let staging = std::time::Instant::now();
        let dir = self.hdfs.staging_dir(id);
        self.hdfs
            .create_dir(&dir, skein_hadoop::hdfs::staging::DIR_MODE)
            .await?;

        // The small files go up concurrently: each HDFS write costs a round of completeFile
        // polling (hdfs-native waits 500 ms per retry), so one after another adds up.
        let scripts = futures_util::future::try_join_all(spec.services.iter().map(|(name, s)| {
            let path = format!("{dir}/{name}.sh");
            let text = Bytes::from(s.script.clone());
            Box::pin(async move {
                let staged = self.hdfs.write_file(&path, text, FILE_MODE).await?;
                Ok::<_, HdfsError>((name.clone(), staged))
            })
        }));
        let shim_jar = find_shim_jar()?;
        // Before anything can reach the ResourceManager: the mark of a submit in progress.
        let note = format!(
            "submit of {id} in progress: skein driver pid {} on {}\n",
            std::process::id(),
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .unwrap_or_default()
                .trim()
        );
        // hdfs-native's futures are large: joined on the stack they overflow it, so box them.
        let (marker, tokens, security, scripts, binary, jar) = tokio::join!(
            Box::pin(self.hdfs.write_submit_marker(id, &note)),
            Box::pin(self.delegation_tokens(&spec)),
            Box::pin(self.stage_security(id, spec.master.security.as_ref())),
            scripts,
            Box::pin(self.hdfs.stage_cached_file("skein", self.am_binary)),
            Box::pin(self.hdfs.stage_cached_file("skein-shim.jar", &shim_jar)),
        );
        marker?;
        let tokens = tokens?;
        let (cert, key) = security?;
        let mut scripts: BTreeMap<String, File> = scripts?.into_iter().collect();
        let (binary, jar) = (binary?, jar?);
        let mut uploads: BTreeMap<String, File> = BTreeMap::new();
        let lang = std::env::var("LANG").ok().filter(|l| !l.is_empty());

        let keytab = match keytab {
            Some(keytab) => Some(self.stage_keytab(id, keytab).await?),
            None => None,
        };
        // With a keytab the AM renews the tokens, and a token agent beside each service's
        // script brings them into its container.
        let token_agent = keytab.is_some();
        self.progress.to_upload(local_upload_bytes(&spec).await);
        for (name, service) in spec.services.iter_mut() {
            for file in service.files.values_mut() {
                self.stage_user_file(id, file, &mut uploads).await?;
            }
            let script = scripts
                .remove(name)
                .ok_or_else(|| SubmitError::ScriptNotStaged(name.clone()))?;
            service.files.insert(".skein.sh".into(), script);
            service.files.insert(".skein.crt".into(), cert.clone());
            service.files.insert(".skein.pem".into(), key.clone());
            if token_agent {
                service
                    .files
                    .insert(skein_core::launch::AGENT_FILE.into(), binary.file.clone());
            }
            service.script = skein_core::launch::service_command(name, token_agent);
            if let Some(lang) = &lang {
                service
                    .env
                    .entry("LANG".into())
                    .or_insert_with(|| lang.clone());
            }
        }

        let master = &mut spec.master;
        for file in master.files.values_mut() {
            self.stage_user_file(id, file, &mut uploads).await?;
        }
        master.files.insert("skein".into(), binary.file);
        master.files.insert(".skein.jar".into(), jar.file);
        if let (Some(keytab), Some(principal)) = (keytab, spec.kerberos_principal.as_mut()) {
            master
                .files
                .insert(skein_core::launch::KEYTAB_FILE.into(), keytab.clone());
            principal.keytab = keytab;
        }
        master.security = Some(Security {
            cert: Secret::File(cert.clone()),
            key: Secret::File(key.clone()),
        });

        self.progress.enter(Phase::Stage);
        // The one place the driver writes the wire form: the spec the AM reads.
        let wire = proto::ApplicationSpec::from(&spec);
        let spec_file = self
            .hdfs
            .write_file(
                &format!("{dir}/.skein.proto"),
                Bytes::from(prost::Message::encode_to_vec(&wire)),
                FILE_MODE,
            )
            .await?;

        let mut context = self.submission_context(id, &spec, &spec_file, &cert, &key, lang);
        context.am_container_spec.credentials = tokens;
        phase_done("stage", staging);
        tracing::info!("handing {id} to the ResourceManager");
        self.progress.enter(Phase::Submit);
        let submitting = std::time::Instant::now();
        let submitted = self
            .rm
            .submit(&context)
            .await
            .map_err(|source| self.rm_error(source));
        phase_done("rm_submit", submitting);
        submitted
    }

    /// The application's delegation tokens, obtained for the user the ResourceManager client
    /// acts for (a proxy user's tokens are that user's): none in simple mode; in Kerberos mode
    /// HDFS (the default filesystem and the spec's `file_systems`) and the ResourceManager,
    /// renewable by the RM.
    async fn delegation_tokens(
        &self,
        spec: &ApplicationSpec,
    ) -> Result<Option<skein_hadoop::yarn::Credentials>, SubmitError> {
        if !self.config.security_enabled() {
            return Ok(None);
        }
        let credentials = skein_hadoop::security::delegation::submission_credentials(
            self.config,
            self.rm,
            None,
            &spec.file_systems,
        )
        .await
        .map_err(|source| SubmitError::DelegationTokens {
            user: self.rm.effective_user().to_string(),
            real_user: self.rm.user().to_string(),
            source: Box::new(source),
        })?;
        tracing::debug!(
            tokens = ?credentials.tokens().map(|(alias, _)| alias).collect::<Vec<_>>(),
            "delegation tokens for the application"
        );
        Ok(Some(credentials.to_rest()))
    }

    /// The application's keytab, checked already: a local one staged readable by its owner
    /// alone (0400), one on HDFS described in place.
    async fn stage_keytab(
        &self,
        id: &str,
        keytab: super::keytab::Keytab,
    ) -> Result<File, SubmitError> {
        use super::keytab::Keytab;
        let file = match keytab {
            Keytab::Local(bytes) => {
                let path = format!(
                    "{}/{}",
                    self.hdfs.staging_dir(id),
                    skein_core::launch::KEYTAB_FILE
                );
                self.hdfs
                    .write_file(&path, Bytes::from(bytes), KEYTAB_MODE)
                    .await?
            }
            Keytab::OnHdfs { path } => {
                self.hdfs
                    .describe(&path, skein_core::spec::FileType::File)
                    .await?
            }
        };
        Ok(File {
            visibility: skein_core::spec::Visibility::Application,
            ..file
        })
    }

    /// The application's key pair, staged as `.skein.crt` / `.skein.pem`: the spec's own, or
    /// the driver's when it names none.
    async fn stage_security(
        &self,
        id: &str,
        security: Option<&Security>,
    ) -> Result<(File, File), SubmitError> {
        let (cert, key) = match security {
            None => (
                self.credentials.cert_pem().as_bytes().to_vec(),
                self.credentials.key_pem().as_bytes().to_vec(),
            ),
            Some(security) => (
                self.read_secret(&security.cert).await?,
                self.read_secret(&security.key).await?,
            ),
        };
        let dir = self.hdfs.staging_dir(id);
        let (cert_path, key_path) = (format!("{dir}/.skein.crt"), format!("{dir}/.skein.pem"));
        let (cert, key) = tokio::try_join!(
            self.hdfs
                .write_file(&cert_path, Bytes::from(cert), FILE_MODE),
            self.hdfs.write_file(&key_path, Bytes::from(key), FILE_MODE),
        )?;
        Ok((cert, key))
    }

    async fn read_secret(&self, secret: &Secret) -> Result<Vec<u8>, SubmitError> {
        let file = match secret {
            Secret::Bytes(text) => return Ok(text.as_bytes().to_vec()),
            Secret::File(file) => file,
        };
        let Some(path) = file.source.strip_prefix("file://") else {
            return Err(SubmitError::SecurityFileNotLocal(file.source.clone()));
        };
        tokio::fs::read(path)
            .await
            .map_err(|source| SubmitError::SecurityFile {
                path: path.to_string(),
                source,
            })
    }

    /// Local files are uploaded (once per source); files already on the default filesystem
    /// are used in place with their size and timestamp filled in.
    async fn stage_user_file(
        &self,
        id: &str,
        file: &mut File,
        uploads: &mut BTreeMap<String, File>,
    ) -> Result<(), SubmitError> {
        if let Some(local) = file.source.strip_prefix("file://") {
            let staged = match uploads.get(local) {
                Some(done) => done.clone(),
                None => {
                    self.progress.uploading(local);
                    let staged = self
                        .hdfs
                        .stage_local_file(id, Path::new(local), file.file_type, &|bytes| {
                            self.progress.uploaded(bytes);
                        })
                        .await?;
                    uploads.insert(local.to_string(), staged.file.clone());
                    staged.file
                }
            };
            // The same upload serves every use; each keeps its own type and visibility.
            *file = File {
                file_type: file.file_type,
                visibility: file.visibility,
                ..staged
            };
        } else if self.on_default_fs(&file.source) && (file.size <= 0 || file.timestamp <= 0) {
            let path = skein_core::spec::source::split(&file.source)
                .map(|parts| parts.file)
                .unwrap_or_default();
            let described = self.hdfs.describe(&path, file.file_type).await?;
            file.size = described.size;
            file.timestamp = described.timestamp;
        }
        Ok(())
    }

    fn on_default_fs(&self, source: &str) -> bool {
        let default = self.hdfs.default_fs().trim_end_matches('/');
        let Ok(parts) = skein_core::spec::source::split(source) else {
            return false;
        };
        let mine = if parts.port > 0 {
            format!("{}://{}:{}", parts.scheme, parts.host, parts.port)
        } else {
            format!("{}://{}", parts.scheme, parts.host)
        };
        default.eq_ignore_ascii_case(&mine)
    }

    fn submission_context(
        &self,
        id: &str,
        spec: &ApplicationSpec,
        spec_file: &File,
        cert: &File,
        key: &File,
        lang: Option<String>,
    ) -> SubmissionContext {
        let master = &spec.master;
        let mut local_resources: BTreeMap<String, LocalResource> = master
            .files
            .iter()
            .map(|(name, f)| (name.clone(), LocalResource::from(f)))
            .collect();
        local_resources.insert(".skein.proto".into(), LocalResource::from(spec_file));
        local_resources.insert(".skein.crt".into(), LocalResource::from(cert));
        local_resources.insert(".skein.pem".into(), LocalResource::from(key));

        let mut classpath = vec!["{{CLASSPATH}}".to_string(), "./*".to_string()];
        let configured = self.config.yarn_application_classpath();
        if configured.is_empty() {
            classpath.extend(
                [
                    "{{HADOOP_CONF_DIR}}",
                    "{{HADOOP_COMMON_HOME}}/share/hadoop/common/*",
                    "{{HADOOP_COMMON_HOME}}/share/hadoop/common/lib/*",
                    "{{HADOOP_HDFS_HOME}}/share/hadoop/hdfs/*",
                    "{{HADOOP_HDFS_HOME}}/share/hadoop/hdfs/lib/*",
                    "{{HADOOP_YARN_HOME}}/share/hadoop/yarn/*",
                    "{{HADOOP_YARN_HOME}}/share/hadoop/yarn/lib/*",
                ]
                .map(String::from),
            );
        } else {
            classpath.extend(configured);
        }
        let mut env: BTreeMap<String, String> = master.env.clone();
        env.insert("CLASSPATH".into(), classpath.join("<CPS>"));
        env.insert("SKEIN_APPLICATION_ID".into(), id.to_string());
        if let Some(lang) = lang {
            env.entry("LANG".into()).or_insert(lang);
        }
        if !self.config.security_enabled() {
            env.insert("HADOOP_USER_NAME".into(), self.user.to_string());
        }
        let resources = master.resources;
        let acls = yarn_acls(&spec.acls);
        SubmissionContext {
            application_id: id.to_string(),
            application_name: spec.name.clone(),
            queue: Some(if spec.queue.is_empty() {
                "default".to_string()
            } else {
                spec.queue.clone()
            }),
            priority: spec.priority.unwrap_or(0),
            am_container_spec: ContainerLaunchContext {
                local_resources: local_resources.into_iter().collect(),
                environment: env.into_iter().collect(),
                commands: Commands {
                    command: vec![AM_COMMAND.to_string()],
                },
                credentials: None,
                application_acls: (!acls.is_empty())
                    .then(|| acls.into_iter().collect::<Entries<_>>()),
            },
            unmanaged_am: false,
            max_app_attempts: spec.max_attempts.max(1),
            resource: ResourceInfo {
                memory: i64::from(resources.memory),
                vcores: i64::from(resources.vcores),
            },
            application_type: skein_hadoop::yarn::APPLICATION_TYPE.to_string(),
            keep_containers_across_application_attempts: false,
            application_tags: Tags {
                tag: spec.tags.iter().cloned().collect(),
            },
            app_node_label_expression: (!spec.node_label.is_empty())
                .then(|| spec.node_label.clone()),
            am_container_node_label_expression: None,
            log_aggregation_context: spec
                .log_aggregation
                .as_ref()
                .map(|a| LogAggregationContext {
                    include_pattern: a.include_pattern(),
                    exclude_pattern: a.exclude_pattern(),
                    rolled_include_pattern: a.rolled_include_pattern(),
                    rolled_exclude_pattern: a.rolled_exclude_pattern(),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> ApplicationSpec {
        skein_core::spec::from_yaml_str(yaml, "test.yaml", Path::new("/")).expect("a valid spec")
    }

    #[test]
    fn a_token_refusal_names_the_user_and_how_to_allow_the_impersonation() {
        use skein_hadoop::security::delegation::DelegationError;
        let refused = SubmitError::DelegationTokens {
            user: "bob".into(),
            real_user: "skein".into(),
            source: Box::new(DelegationError::Remote {
                url: "http://nn:9870/webhdfs/v1/".into(),
                status: 403,
                exception: "SecurityException".into(),
                message: "User: skein is not allowed to impersonate bob".into(),
            }),
        };
        let message = refused.to_string();
        assert!(
            message.starts_with("cannot get the delegation tokens of bob"),
            "{message}"
        );
        assert!(
            message.contains("hadoop.proxyuser.skein.users"),
            "{message}"
        );
        assert!(!refused.is_invalid_argument());
    }

    #[test]
    fn requests_above_the_cluster_maximum_are_refused_naming_the_service() {
        let mut spec = spec(
            "master: {resources: {memory: 512, vcores: 1}}\n\
             services:\n  big: {resources: {memory: 32, vcores: 99}, script: x}\n",
        );
        let max = ResourceInfo {
            memory: 1024,
            vcores: 16,
        };
        let err = check_fits(&spec, max)
            .expect_err("too many vcores")
            .to_string();
        assert!(
            err.contains("service 'big'") && err.contains("99 vcores"),
            "{err}"
        );
        spec.services.clear();
        assert!(check_fits(&spec, max).is_ok());
        let small = ResourceInfo {
            memory: 256,
            vcores: 16,
        };
        assert!(
            check_fits(&spec, small)
                .expect_err("master too big")
                .to_string()
                .contains("application master")
        );
    }

    #[test]
    fn a_refused_impersonation_says_how_to_allow_it() {
        let hinted = with_proxy_user_hint(
            "User: root is not allowed to impersonate bob".into(),
            "root",
        );
        assert!(hinted.starts_with("User: root is not allowed to impersonate bob\n"));
        assert!(hinted.contains("hadoop.proxyuser.root.users"), "{hinted}");
        assert_eq!(with_proxy_user_hint("other".into(), "root"), "other");
    }

    #[test]
    fn gpus_and_fpgas_are_checked_against_the_clusters_resource_types() {
        let mut spec =
            spec("services:\n  train: {resources: {memory: 32, vcores: 1, gpus: 2}, script: x}\n");
        let basic = [
            ResourceType {
                name: "memory-mb".into(),
                value: 1024,
            },
            ResourceType {
                name: "vcores".into(),
                value: 8,
            },
        ];
        let err = check_resource_types(&spec, Some(&basic)).expect_err("no GPUs defined");
        assert!(err.is_invalid_argument());
        assert_eq!(
            err.to_string(),
            "Resource 'yarn.io/gpu' is not defined in your cluster's configuration"
        );
        let err = check_resource_types(&spec, None).expect_err("Hadoop 2");
        assert!(err.is_invalid_argument());
        assert!(
            err.to_string()
                .starts_with("Custom resources not supported")
        );

        let mut with_gpus = basic.to_vec();
        with_gpus.push(ResourceType {
            name: GPU.into(),
            value: 1,
        });
        let err = check_resource_types(&spec, Some(&with_gpus)).expect_err("2 > 1 GPU");
        assert!(!err.is_invalid_argument(), "INTERNAL, as for memory");
        assert!(err.to_string().contains("service 'train' (2 yarn.io/gpu)"));
        let train = spec.services.get_mut("train").expect("train");
        train.resources.gpus = 1;
        assert!(check_resource_types(&spec, Some(&with_gpus)).is_ok());
        let mut fpga = spec.services["train"].clone();
        fpga.resources.gpus = 0;
        fpga.resources.fpgas = 1;
        spec.services.insert("fpga".into(), fpga);
        let err = check_resource_types(&spec, Some(&with_gpus)).expect_err("no FPGAs");
        assert_eq!(
            err.to_string(),
            "Resource 'yarn.io/fpga' is not defined in your cluster's configuration"
        );
        spec.services.clear();
        spec.master.resources.gpus = 1;
        assert!(check_resource_types(&spec, Some(&with_gpus)).is_err());
    }
}
