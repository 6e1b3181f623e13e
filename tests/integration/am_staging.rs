//! Submitting skein applications run by the Rust ApplicationMaster, staged the way the driver
//! stages them (Skein's layout: `skein`, `.skein.jar`, `.skein.proto`, `.skein.crt`,
//! `.skein.pem` for the AM; `.skein.sh`, `.skein.crt`, `.skein.pem` per service), and submitted
//! through the ResourceManager REST API, until the driver's own `submit` takes over.

use skein_hadoop::yarn::ApplicationState;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use prost::Message;
use skein::proto;
use skein::proto::app_master_client::AppMasterClient;
use skein::security::Credentials;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::yarn::{
    AppInfo, Commands, ContainerLaunchContext, LocalResource, ResourceInfo, ResourceManager,
    SubmissionContext, Tags,
};
use tonic::transport::Channel;

use crate::cluster::{self, ClusterInfo, hadoop_tool, wait_for};

/// Builds java-shim/ once per test run (Maven is quick when nothing changed).
pub fn shim_jar() -> PathBuf {
    static JAR: OnceLock<PathBuf> = OnceLock::new();
    JAR.get_or_init(|| {
        let root = cluster::repo_root();
        let mut mvn = std::process::Command::new("mvn");
        mvn.args(["-B", "-q", "package", "-f"])
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

/// One key pair for every application of the test run (RSA generation is slow in debug).
pub fn app_credentials() -> &'static Credentials {
    static CREDS: OnceLock<Credentials> = OnceLock::new();
    CREDS.get_or_init(|| Credentials::generate().expect("credentials"))
}

/// A service of a test application.
#[derive(Clone)]
pub struct TestService {
    pub name: &'static str,
    pub script: String,
    pub instances: i32,
    pub depends: Vec<String>,
    pub max_restarts: i32,
    pub allow_failures: bool,
    /// Localize the `skein` binary as `./skein` (for `skein kv ... current`).
    pub with_skein: bool,
}

impl TestService {
    pub fn new(name: &'static str, script: impl Into<String>) -> Self {
        TestService {
            name,
            script: script.into(),
            instances: 1,
            depends: Vec::new(),
            max_restarts: 0,
            allow_failures: false,
            with_skein: false,
        }
    }
}

/// A test application.
#[derive(Clone, Default)]
pub struct TestApp {
    pub name: &'static str,
    pub services: Vec<TestService>,
    pub master_script: Option<String>,
    /// `max_attempts` of the spec and the submission (0: 1).
    pub max_attempts: i32,
    /// The AM's memory in MiB, in the spec and the submission (0: 256).
    pub master_memory: i64,
    /// The spec's ACLs.
    pub acls: Option<proto::Acls>,
}

struct Staged {
    resource: LocalResource,
    file: proto::File,
}

async fn stage(info: &ClusterInfo, app_id: &str, name: &str, bytes: Vec<u8>) -> Staged {
    let user = skein_hadoop::conf::current_user();
    let path = format!("/user/{user}/.skein/{app_id}/{name}");
    let resource = cluster::upload(info, &path, bytes).await;
    let (size, timestamp) = (resource.size, resource.timestamp);
    // hdfs://host:port of the default filesystem, for the spec's Url record.
    let authority = info
        .default_fs
        .trim_start_matches("hdfs://")
        .trim_end_matches('/');
    let (host, port) = authority.rsplit_once(':').expect("host:port");
    Staged {
        resource,
        file: proto::File {
            source: Some(proto::Url {
                scheme: "hdfs".into(),
                host: host.into(),
                port: port.parse().expect("port"),
                file: path,
            }),
            r#type: proto::file::Type::File as i32,
            visibility: proto::file::Visibility::Application as i32,
            size,
            timestamp,
        },
    }
}

fn skein_binary() -> Vec<u8> {
    std::fs::read(env!("CARGO_BIN_EXE_skein")).expect("skein binary")
}

/// Stages and submits `app`; returns its id.
pub async fn submit_app(info: &ClusterInfo, rm: &ResourceManager, app: &TestApp) -> String {
    let new = rm.new_application().await.expect("new-application");
    let id = new.application_id.clone();
    let master_memory = if app.master_memory > 0 {
        app.master_memory
    } else {
        256
    };
    let creds = app_credentials();
    let crt = stage(
        info,
        &id,
        ".skein.crt",
        creds.cert_pem().as_bytes().to_vec(),
    )
    .await;
    let pem = stage(info, &id, ".skein.pem", creds.key_pem().as_bytes().to_vec()).await;
    let skein = stage(info, &id, "skein", skein_binary()).await;
    let mut services = std::collections::HashMap::new();
    for s in &app.services {
        let script = stage(
            info,
            &id,
            &format!("{}.sh", s.name),
            s.script.as_bytes().to_vec(),
        )
        .await;
        let mut files: std::collections::HashMap<String, proto::File> = [
            (".skein.sh".to_string(), script.file),
            (".skein.crt".to_string(), crt.file.clone()),
            (".skein.pem".to_string(), pem.file.clone()),
        ]
        .into();
        if s.with_skein {
            files.insert("skein".into(), skein.file.clone());
        }
        services.insert(
            s.name.to_string(),
            proto::Service {
                instances: s.instances,
                max_restarts: s.max_restarts,
                allow_failures: s.allow_failures,
                depends: s.depends.clone(),
                resources: Some(proto::Resources {
                    memory: 64,
                    vcores: 1,
                    ..Default::default()
                }),
                files,
                script: format!("bash .skein.sh ><LOG_DIR>/{}.log 2>&1", s.name),
                ..Default::default()
            },
        );
    }
    let spec = proto::ApplicationSpec {
        name: app.name.into(),
        queue: "default".into(),
        max_attempts: app.max_attempts.max(1),
        acls: app.acls.clone(),
        services,
        master: Some(proto::Master {
            script: app.master_script.clone().unwrap_or_default(),
            resources: Some(proto::Resources {
                memory: i32::try_from(master_memory).expect("memory"),
                vcores: 1,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let spec_file = stage(info, &id, ".skein.proto", spec.encode_to_vec()).await;
    let jar = stage(
        info,
        &id,
        ".skein.jar",
        std::fs::read(shim_jar()).expect("shim jar"),
    )
    .await;

    let config = HadoopConfig::from_dir(&info.conf_dir).expect("configuration");
    let mut classpath = vec!["{{CLASSPATH}}".to_string(), "./*".to_string()];
    classpath.extend(config.yarn_application_classpath());
    let context = SubmissionContext {
        application_id: id.clone(),
        application_name: app.name.into(),
        queue: Some("default".into()),
        max_app_attempts: app.max_attempts.max(1),
        resource: ResourceInfo {
            memory: master_memory,
            vcores: 1,
        },
        application_type: "skein".into(),
        application_tags: Tags {
            tag: vec!["skein-rs-test".into()],
        },
        am_container_spec: ContainerLaunchContext {
            local_resources: [
                (".skein.proto".to_string(), spec_file.resource),
                ("skein".to_string(), skein.resource),
                (".skein.jar".to_string(), jar.resource),
                (".skein.crt".to_string(), crt.resource),
                (".skein.pem".to_string(), pem.resource),
            ]
            .into_iter()
            .collect(),
            environment: [
                ("CLASSPATH".to_string(), classpath.join("<CPS>")),
                ("SKEIN_APPLICATION_ID".to_string(), id.clone()),
                ("HADOOP_USER_NAME".to_string(), rm.user().to_string()),
            ]
            .into_iter()
            .collect(),
            commands: Commands {
                command: vec![skein::driver::submit::AM_COMMAND.into()],
            },
            ..Default::default()
        },
        ..Default::default()
    };
    rm.submit(&context).await.expect("submit");
    id
}

/// Submits an application of one service `svc` running `script`.
pub async fn submit_one(
    info: &ClusterInfo,
    rm: &ResourceManager,
    name: &'static str,
    script: &str,
) -> String {
    let app = TestApp {
        name,
        services: vec![TestService::new("svc", script)],
        ..Default::default()
    };
    submit_app(info, rm, &app).await
}

pub fn resource_manager(info: &ClusterInfo) -> ResourceManager {
    crate::shell_app::resource_manager(&info.rm_webapp)
}

pub async fn wait_until_finished(rm: &ResourceManager, id: &str, timeout: Duration) -> AppInfo {
    wait_for(&format!("{id} to finish"), timeout, || async {
        let app = rm.application(id).await.expect("report");
        app.state.is_terminal().then_some(app)
    })
    .await
}

/// The application's aggregated logs, once aggregation is done.
pub async fn logs_of(info: &ClusterInfo, rm: &ResourceManager, id: &str) -> String {
    wait_for("log aggregation", Duration::from_secs(60), || async {
        let app = rm.application(id).await.expect("report");
        matches!(
            app.log_aggregation_status.as_str(),
            "SUCCEEDED" | "FAILED" | "TIME_OUT"
        )
        .then_some(())
    })
    .await;
    let out = hadoop_tool(
        &info.conf_dir,
        "org.apache.hadoop.yarn.client.cli.LogsCLI",
        &["-applicationId", id],
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits for the application to run, then connects to its AM with the app's key pair.
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

pub async fn connect(rm: &ResourceManager, id: &str) -> AppMasterClient<Channel> {
    let address = wait_for(
        "the application master to register",
        Duration::from_secs(180),
        || async {
            let app = rm.application(id).await.expect("report");
            assert!(
                !app.state.is_terminal(),
                "{id} ended before running: {app:?}"
            );
            (app.state == ApplicationState::Running && !app.am_rpc_address.is_empty())
                .then_some(app.am_rpc_address)
        },
    )
    .await;
    skein::client::connect_app_master(&address, app_credentials())
        .await
        .unwrap_or_else(|e| panic!("connect to {address}: {e}"))
}

/// The containers of `service` in `states` (empty: the active ones).
pub async fn containers(
    am: &mut AppMasterClient<Channel>,
    service: &str,
    states: &[proto::container::State],
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
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let running = containers(am, service, &[proto::container::State::Running]).await;
        if running.len() == n {
            return running;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{service} never had {n} running containers: {running:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A `skein` CLI command run as a user whose configuration holds the application's key pair
/// (so its private driver and the AM accept it); keep the folder alive while it runs.
pub fn cli_command(
    info: &ClusterInfo,
    args: &[&str],
) -> (std::process::Command, tempfile::TempDir) {
    let config = tempfile::tempdir().expect("config dir");
    app_credentials()
        .write_to_directory(config.path(), false)
        .expect("credentials");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_skein"));
    command
        .args(args)
        .env("SKEIN_CONFIG", config.path())
        .env("HADOOP_CONF_DIR", &info.conf_dir)
        .env_remove("SKEIN_APPLICATION_ID");
    (command, config)
}

/// Runs the `skein` CLI (see [`cli_command`]); returns stdout, panicking on failure.
pub fn cli(info: &ClusterInfo, args: &[&str]) -> String {
    let (mut command, _config) = cli_command(info, args);
    let out = command.output().expect("run skein");
    assert!(
        out.status.success(),
        "skein {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the application's staging folder (`/user/<user>/.skein/<id>`) still exists.
pub async fn staging_exists(info: &ClusterInfo, id: &str) -> bool {
    let config = HadoopConfig::from_dir(&info.conf_dir).expect("configuration");
    let fs = skein_hadoop::hdfs::Hdfs::connect(&config, &skein_hadoop::conf::current_user())
        .expect("hdfs");
    fs.client().get_file_info(&fs.staging_dir(id)).await.is_ok()
}
