//! What the integration tests share, so that each test states only what it checks.
//!
//! Skein applications are submitted the way users submit them: a spec (JSON here, as a spec
//! file may be) is loaded and validated by `skein_core::spec`, and handed to the driver's own
//! `submit` ([`YarnDriver`], the `skein.Driver` service the CLI and the Python client call),
//! which stages it with the production `Submitter` and submits it to the ResourceManager. Around
//! that: waiting for YARN states, the AM's gRPC client with the application's key pair, the
//! `skein` CLI with the cluster's environment, aggregated logs, and the staging folder.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skein::driver::error::ClusterUnavailable;
use skein::driver::service::YarnDriver;
use skein::proto::app_master_client::AppMasterClient;
use skein::proto::driver_server::Driver;
use skein::proto::{self, container::State};
use skein::security::Credentials;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::Hdfs;
use skein_hadoop::yarn::{AppInfo, ApplicationState, ClientOptions, ResourceManager};
use tonic::Request;
use tonic::transport::Channel;

use crate::cluster;

/// How long a test waits for an application to start, run or end.
pub const LONG: Duration = Duration::from_secs(180);

/// The `skein` binary under test: the CLI, and the ApplicationMaster the driver stages.
pub const SKEIN: &str = env!("CARGO_BIN_EXE_skein");

/// Polls `check` until it returns Some, or panics after `timeout` naming `what`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---- specs and submitting ----------------------------------------------------------------

/// A service of a test application: `script` in a 64 MiB, one-vcore container.
pub fn service(script: &str) -> Value {
    json!({"resources": {"memory": 64, "vcores": 1}, "script": script})
}

/// `service` with the `skein` binary localized as `./skein` (for `./skein kv ... current`).
pub fn with_skein(mut service: Value) -> Value {
    service["files"]["skein"] = json!(SKEIN);
    service
}

/// The spec of a test application `name` with `services` (`{name: service}`) and a 256 MiB,
/// one-vcore ApplicationMaster, in the `default` queue.
pub fn app(name: &str, services: Value) -> Value {
    json!({
        "name": name,
        "queue": "default",
        "tags": ["skein-rs-test"],
        "master": {"resources": {"memory": 256, "vcores": 1}},
        "services": services,
    })
}

/// A JSON spec loaded and validated as `skein application submit spec.json` loads it.
pub fn spec_from_json(spec: &Value) -> proto::ApplicationSpec {
    let model = skein_core::spec::from_json_str(&spec.to_string(), "test.json", Path::new("/"))
        .unwrap_or_else(|e| panic!("an invalid test spec: {e}\n{spec:#}"));
    proto::ApplicationSpec::from(&model)
}

/// A YAML spec loaded and validated as `skein application submit spec.yaml` loads it.
pub fn spec_from_yaml(yaml: &str) -> proto::ApplicationSpec {
    let model = skein_core::spec::from_yaml_str(yaml, "test.yaml", Path::new("/"))
        .unwrap_or_else(|e| panic!("an invalid test spec: {e}\n{yaml}"));
    proto::ApplicationSpec::from(&model)
}

/// Builds java-shim/ once per test run (the driver stages the jar Maven writes to
/// `java-shim/target/`), unless `SKEIN_SHIM_JAR` names a built one, as `make test` sets it.
pub fn shim_jar() -> PathBuf {
    static JAR: OnceLock<PathBuf> = OnceLock::new();
    JAR.get_or_init(|| {
        if let Some(jar) = std::env::var_os("SKEIN_SHIM_JAR").filter(|p| !p.is_empty()) {
            return PathBuf::from(jar);
        }
        let root = cluster::repo_root();
        let mut mvn = Command::new("mvn");
        mvn.args(["-B", "-q", "package", "-DskipTests", "-f"])
            .arg(root.join("java-shim/pom.xml"));
        let java17 = PathBuf::from("/usr/lib/jvm/java-17-openjdk-amd64");
        if java17.exists() {
            mvn.env("JAVA_HOME", java17);
        }
        let out = mvn.output().expect("run mvn");
        assert!(
            out.status.success(),
            "building java-shim failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        root.join("java-shim/target/skein-shim.jar")
    })
    .clone()
}

/// One key pair for every application of the test run (RSA generation is slow in debug): the
/// driver gives it to applications, and [`connect`] and [`Cli::with_app_credentials`] use it.
pub fn app_credentials() -> &'static Credentials {
    static CREDS: OnceLock<Credentials> = OnceLock::new();
    CREDS.get_or_init(|| Credentials::generate().expect("credentials"))
}

/// The driver service for the test cluster, acting as `user`: what `skein driver start` serves.
pub fn driver_as(user: &str) -> YarnDriver {
    let config = HadoopConfig::from_dir(&cluster::shared().info.conf_dir).map_err(Into::into);
    driver_with(config, user)
}

/// The driver service for the cluster `config` describes, acting as `user`, with the test
/// run's key pair for applications and this build's `skein` as their ApplicationMaster.
pub fn driver_with(config: Result<HadoopConfig, ClusterUnavailable>, user: &str) -> YarnDriver {
    shim_jar();
    YarnDriver::new(config, user)
        .with_credentials(app_credentials().clone())
        .with_am_binary(PathBuf::from(SKEIN))
}

/// Submits `spec` (see [`app`]) through the driver as the current user; returns its id.
pub async fn submit(spec: &Value) -> String {
    submit_with(&driver_as(&current_user()), spec).await
}

/// Submits `spec` through driver `d`; returns the application id.
pub async fn submit_with(d: &YarnDriver, spec: &Value) -> String {
    // Boxed: the submit's future is large, and a test's future holds it inline.
    Box::pin(d.submit(Request::new(spec_from_json(spec))))
        .await
        .unwrap_or_else(|e| panic!("submit: {e:?}\n{spec:#}"))
        .into_inner()
        .id
}

/// Submits an application of one service `svc` running `script`.
pub async fn submit_one(name: &str, script: &str) -> String {
    submit(&app(name, json!({"svc": service(script)}))).await
}

// ---- YARN --------------------------------------------------------------------------------

/// The user the tests run as.
pub fn current_user() -> String {
    skein_hadoop::conf::current_user()
}

/// A REST client of the shared cluster's ResourceManager, as the current user.
pub fn resource_manager() -> ResourceManager {
    resource_manager_at(&cluster::shared().info.rm_webapp)
}

/// A REST client of the ResourceManager at `rm_webapp`, as the current user.
pub fn resource_manager_at(rm_webapp: &str) -> ResourceManager {
    ResourceManager::new(
        vec![rm_webapp.to_string()],
        &current_user(),
        ClientOptions::default(),
    )
    .expect("a client")
}

/// HDFS of the shared cluster, as `user`.
pub fn hdfs_as(user: &str) -> Hdfs {
    let config = HadoopConfig::from_dir(&cluster::shared().info.conf_dir).expect("configuration");
    Hdfs::connect(&config, user).expect("hdfs")
}

/// Waits until YARN reports `id` in `state` (panicking should it end first); returns the report.
pub async fn wait_until_state(rm: &ResourceManager, id: &str, state: ApplicationState) -> AppInfo {
    wait_for(&format!("{id} to be {state}"), LONG, || async {
        let app = rm.application(id).await.expect("report");
        if app.state == state {
            return Some(app);
        }
        assert!(!app.state.is_terminal(), "{id} ended: {app:?}");
        None
    })
    .await
}

/// Waits until `id` is finished, failed or killed; returns its report.
pub async fn wait_until_finished(rm: &ResourceManager, id: &str, timeout: Duration) -> AppInfo {
    wait_for(&format!("{id} to finish"), timeout, || async {
        let app = rm.application(id).await.expect("report");
        app.state.is_terminal().then_some(app)
    })
    .await
}

/// Waits until `id` has ended and the NodeManager is done aggregating its logs (successfully
/// or not); returns its report.
pub async fn wait_for_log_aggregation(rm: &ResourceManager, id: &str) -> AppInfo {
    wait_for(
        &format!("{id} to finish and its logs to be aggregated"),
        LONG,
        || async {
            let app = rm.application(id).await.expect("report");
            (app.state.is_terminal()
                && matches!(
                    app.log_aggregation_status.as_str(),
                    "SUCCEEDED" | "FAILED" | "TIME_OUT"
                ))
            .then_some(app)
        },
    )
    .await
}

/// Hadoop's own `yarn logs -applicationId <id>` against the cluster of `conf_dir`, with its own
/// classpath (`scripts/cluster hadoop CLASS ARGS...`).
pub fn yarn_logs(conf_dir: &Path, id: &str) -> std::process::Output {
    Command::new(cluster::repo_root().join("scripts/cluster"))
        .args(["hadoop", "org.apache.hadoop.yarn.client.cli.LogsCLI"])
        .args(["-applicationId", id])
        .env("HADOOP_CONF_DIR", conf_dir)
        .output()
        .expect("run scripts/cluster hadoop")
}

/// The application's aggregated logs as `yarn logs` prints them, once aggregation is done.
pub async fn logs_of(rm: &ResourceManager, id: &str) -> String {
    wait_for_log_aggregation(rm, id).await;
    let out = yarn_logs(&cluster::shared().info.conf_dir, id);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the application's staging folder (`/user/<user>/.skein/<id>`) still exists.
pub async fn staging_exists(id: &str) -> bool {
    let fs = hdfs_as(&current_user());
    fs.client().get_file_info(&fs.staging_dir(id)).await.is_ok()
}

// ---- the ApplicationMaster -----------------------------------------------------------------

/// Waits for the application to run, then connects to its AM with the app's key pair.
pub async fn connect(rm: &ResourceManager, id: &str) -> AppMasterClient<Channel> {
    let address = wait_for("the application master to register", LONG, || async {
        let app = rm.application(id).await.expect("report");
        assert!(
            !app.state.is_terminal(),
            "{id} ended before running: {app:?}"
        );
        (app.state == ApplicationState::Running && !app.am_rpc_address.is_empty())
            .then_some(app.am_rpc_address)
    })
    .await;
    skein::client::connect_app_master(&address, app_credentials())
        .await
        .unwrap_or_else(|e| panic!("connect to {address}: {e}"))
}

/// The value of `key` in the application's key-value store, if set (GetRange of that one key).
pub async fn get_key(am: &mut AppMasterClient<Channel>, key: &str) -> Option<Vec<u8>> {
    am.get_range(proto::GetRangeRequest {
        start: key.into(),
        end: format!("{key}\0"),
        result_type: proto::get_range_request::ResultType::Items as i32,
    })
    .await
    .expect("get")
    .into_inner()
    .result
    .into_iter()
    .next()
    .map(|kv| kv.value)
}

/// The containers of `service` in `states` (empty: the active ones).
pub async fn containers(
    am: &mut AppMasterClient<Channel>,
    service: &str,
    states: &[State],
) -> Vec<proto::Container> {
    am.get_containers(proto::ContainersRequest {
        services: vec![service.to_string()],
        states: states.iter().map(|s| *s as i32).collect(),
    })
    .await
    .expect("getContainers")
    .into_inner()
    .containers
}

/// Waits until `service` has `n` RUNNING containers; returns them.
pub async fn wait_running(
    am: &mut AppMasterClient<Channel>,
    service: &str,
    n: usize,
) -> Vec<proto::Container> {
    let what = format!("{service} to have {n} running containers");
    wait_for(&what, Duration::from_secs(120), || {
        let mut am = am.clone();
        async move {
            let running = containers(&mut am, service, &[State::Running]).await;
            (running.len() == n).then_some(running)
        }
    })
    .await
}

/// A request to shut the application down with `status` and `diagnostics`.
pub fn shutdown_request(
    status: proto::final_status::Type,
    diagnostics: &str,
) -> proto::ShutdownRequest {
    proto::ShutdownRequest {
        final_status: status as i32,
        diagnostics: diagnostics.into(),
    }
}

// ---- processes -----------------------------------------------------------------------------

/// (pid, command line with NULs) of every process but this one.
pub fn all_processes() -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            (pid != std::process::id()).then(|| (pid, String::from_utf8_lossy(&cmdline).into()))
        })
        .collect()
}

/// The working folder of process `pid`.
pub fn cwd_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/cwd")).ok()
}

/// Every process working in a folder whose path contains `id` (an application's or a YARN
/// container's id: their container folders are named after them), command lines with spaces.
pub fn processes_of(id: &str) -> Vec<(u32, String)> {
    all_processes()
        .into_iter()
        .filter(|(pid, _)| cwd_of(*pid).is_some_and(|d| d.to_string_lossy().contains(id)))
        .map(|(pid, cmdline)| (pid, cmdline.replace('\0', " ")))
        .collect()
}

/// The pid of a process working in a folder of `id` (see [`processes_of`]) whose command line
/// (arguments separated by NULs) contains `needle`.
pub fn process_of(id: &str, needle: &str) -> Option<u32> {
    all_processes()
        .into_iter()
        .find(|(pid, cmdline)| {
            cmdline.contains(needle)
                && cwd_of(*pid).is_some_and(|d| d.to_string_lossy().contains(id))
        })
        .map(|(pid, _)| pid)
}

/// Sends `signal` (`-9`, `-TERM`) to `pid` with kill(1), asserting it was delivered.
pub fn kill(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal} {pid}");
}

// ---- the skein CLI -------------------------------------------------------------------------

/// The `skein` CLI as a user runs it against the shared cluster: `HADOOP_CONF_DIR` set, and a
/// configuration folder of its own (`SKEIN_CONFIG`) holding its key pair and driver file.
pub struct Cli {
    config: tempfile::TempDir,
    conf_dir: PathBuf,
}

impl Cli {
    /// A user with an empty configuration (the CLI makes a key pair on first use).
    pub fn new() -> Cli {
        Cli {
            config: tempfile::tempdir().expect("config dir"),
            conf_dir: cluster::shared().info.conf_dir.clone(),
        }
    }

    /// A user whose configuration holds the applications' key pair, so that its driver and
    /// the AMs accept it.
    pub fn with_app_credentials() -> Cli {
        let cli = Cli::new();
        app_credentials()
            .write_to_directory(cli.config.path(), false)
            .expect("credentials");
        cli
    }

    /// The configuration folder.
    pub fn config_dir(&self) -> &Path {
        self.config.path()
    }

    /// `skein ARGS...`, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(SKEIN);
        command
            .args(args)
            .env("SKEIN_CONFIG", self.config.path())
            .env("HADOOP_CONF_DIR", &self.conf_dir)
            .env_remove("SKEIN_APPLICATION_ID");
        command
    }

    /// Runs `skein ARGS...`: exit code, trimmed stdout and trimmed stderr.
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.command(args).output().expect("run skein");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    }

    /// Runs `skein ARGS...`, panicking on failure; returns stdout as printed.
    pub fn stdout(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("run skein");
        assert!(
            out.status.success(),
            "skein {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = self.run(&["driver", "stop", "--force"]);
    }
}
