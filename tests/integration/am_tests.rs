//! The Rust ApplicationMaster with its Java shim on the real cluster: a hello-world service runs
//! to completion through AMRMClientAsync/NMClientAsync, and a killed shim fails the application
//! quickly with a diagnostic that names it.
//!
//! The tests stage what the driver will stage (the `skein-am` binary, the shim jar, the
//! rewritten spec as `.skein.proto`, the service script as `.skein.sh`) and submit through the
//! ResourceManager REST API.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use prost::Message;
use skein::hadoop::HadoopConfig;
use skein::proto;
use skein::yarn::{
    AppInfo, ClientOptions, Commands, ContainerLaunchContext, LocalResource, ResourceInfo,
    ResourceManager, SubmissionContext, Tags,
};

use crate::cluster::{self, ClusterInfo, hadoop_tool, wait_for};

/// Builds java-shim/ once per test run (Maven is quick when nothing changed).
fn shim_jar() -> PathBuf {
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

struct Staged {
    resource: LocalResource,
    file: proto::File,
}

async fn stage(info: &ClusterInfo, app_id: &str, name: &str, bytes: Vec<u8>) -> Staged {
    let path = format!("/tmp/skein-rs-test/{app_id}/{name}");
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

/// Submits a skein application whose one service `svc` runs `script`, with the Rust AM.
async fn submit(info: &ClusterInfo, rm: &ResourceManager, name: &str, script: &str) -> String {
    let app = rm.new_application().await.expect("new-application");
    let id = app.application_id.clone();
    let service_script = stage(info, &id, "svc.sh", script.as_bytes().to_vec()).await;
    let spec = proto::ApplicationSpec {
        name: name.into(),
        queue: "default".into(),
        max_attempts: 1,
        services: [(
            "svc".to_string(),
            proto::Service {
                instances: 1,
                resources: Some(proto::Resources {
                    memory: 128,
                    vcores: 1,
                    ..Default::default()
                }),
                files: [(".skein.sh".to_string(), service_script.file)].into(),
                script: "bash .skein.sh ><LOG_DIR>/svc.log 2>&1".into(),
                ..Default::default()
            },
        )]
        .into(),
        ..Default::default()
    };
    let spec_file = stage(info, &id, ".skein.proto", spec.encode_to_vec()).await;
    let am_binary = std::fs::read(env!("CARGO_BIN_EXE_skein-am")).expect("skein-am binary");
    let am = stage(info, &id, "skein-am", am_binary).await;
    let jar = stage(
        info,
        &id,
        "skein-shim.jar",
        std::fs::read(shim_jar()).expect("shim jar"),
    )
    .await;

    let config = HadoopConfig::from_dir(&info.conf_dir).expect("configuration");
    let mut classpath = vec!["{{CLASSPATH}}".to_string(), "./*".to_string()];
    classpath.extend(config.yarn_application_classpath());
    let context = SubmissionContext {
        application_id: id.clone(),
        application_name: name.into(),
        queue: Some("default".into()),
        max_app_attempts: 1,
        resource: ResourceInfo {
            memory: 256,
            vcores: 1,
        },
        application_type: "skein".into(),
        application_tags: Tags {
            tag: vec!["skein-rs-test".into()],
        },
        am_container_spec: ContainerLaunchContext {
            local_resources: [
                (".skein.proto".to_string(), spec_file.resource),
                ("skein-am".to_string(), am.resource),
                (".skein.jar".to_string(), jar.resource),
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
                command: vec!["./skein-am ><LOG_DIR>/application.master.log 2>&1".into()],
            },
            ..Default::default()
        },
        ..Default::default()
    };
    rm.submit(&context).await.expect("submit");
    id
}

fn resource_manager(info: &ClusterInfo) -> ResourceManager {
    ResourceManager::new(
        vec![info.rm_webapp.clone()],
        &skein::hadoop::current_user(),
        ClientOptions::default(),
    )
    .expect("a client")
}

async fn wait_until_finished(rm: &ResourceManager, id: &str, timeout: Duration) -> AppInfo {
    wait_for(&format!("{id} to finish"), timeout, || async {
        let app = rm.application(id).await.expect("report");
        matches!(app.state.as_str(), "FINISHED" | "FAILED" | "KILLED").then_some(app)
    })
    .await
}

fn aggregated_logs(info: &ClusterInfo, id: &str) -> String {
    let out = hadoop_tool(
        &info.conf_dir,
        "org.apache.hadoop.yarn.client.cli.LogsCLI",
        &["-applicationId", id],
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_hello_world_service_runs_under_the_rust_application_master() {
    let c = cluster::shared();
    let rm = resource_manager(&c.info);
    let marker = format!("hello-from-skein-am-{}", std::process::id());
    let id = submit(&c.info, &rm, "hello world", &format!("echo {marker}\n")).await;
    let app = wait_until_finished(&rm, &id, Duration::from_secs(180)).await;
    if (app.state.as_str(), app.final_status.as_str()) != ("FINISHED", "SUCCEEDED") {
        wait_for("log aggregation", Duration::from_secs(60), || async {
            let app = rm.application(&id).await.expect("report");
            (app.log_aggregation_status == "SUCCEEDED").then_some(())
        })
        .await;
        panic!("{app:?}\n{}", aggregated_logs(&c.info, &id));
    }
    assert_eq!(app.diagnostics, "Application completed successfully.");
    assert_eq!(app.application_type, "skein");

    wait_for("log aggregation", Duration::from_secs(60), || async {
        let app = rm.application(&id).await.expect("report");
        (app.log_aggregation_status == "SUCCEEDED").then_some(())
    })
    .await;
    let logs = aggregated_logs(&c.info, &id);
    assert!(
        logs.contains("LogType:svc.log") && logs.contains(&marker),
        "the service's log did not show {marker}:\n{logs}"
    );
    assert!(
        logs.contains("Registered with the ResourceManager"),
        "AM log:\n{logs}"
    );
}

/// The pid of the shim JVM of application `id` (its working folder is the AM container's,
/// under `appcache/<id>/`).
fn shim_process_of(id: &str) -> Option<u32> {
    process_of(id, "skeinrs.shim.Shim")
}

/// The pid of a process of application `id` whose command line contains `needle`.
fn process_of(id: &str, needle: &str) -> Option<u32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains(needle) {
            continue;
        }
        let cwd = std::fs::read_link(entry.path().join("cwd")).unwrap_or_default();
        if cwd.to_string_lossy().contains(id) {
            return Some(pid);
        }
    }
    None
}

#[tokio::test]
async fn a_killed_shim_fails_the_application_quickly_with_a_diagnostic_naming_it() {
    let c = cluster::shared();
    let rm = resource_manager(&c.info);
    let id = submit(&c.info, &rm, "shim killed", "sleep 600\n").await;
    let pid = wait_for("the shim JVM", Duration::from_secs(180), || {
        let found = shim_process_of(&id);
        async move { found }
    })
    .await;
    wait_for(
        "the application to run",
        Duration::from_secs(120),
        || async {
            let app = rm.application(&id).await.expect("report");
            (app.state == "RUNNING" || app.state == "FINISHED").then_some(())
        },
    )
    .await;

    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let start = Instant::now();
    let app = wait_until_finished(&rm, &id, Duration::from_secs(30)).await;
    let took = start.elapsed();
    assert_eq!(app.final_status, "FAILED", "{app:?}");
    assert!(
        app.diagnostics
            .contains("the YARN shim (Java) exited unexpectedly"),
        "the diagnostics do not name the shim: {}",
        app.diagnostics
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[tokio::test]
async fn a_killed_rust_application_master_fails_the_application_quickly() {
    let c = cluster::shared();
    let rm = resource_manager(&c.info);
    let id = submit(&c.info, &rm, "am killed", "sleep 600\n").await;
    // Registered and running: the shim is up and talking.
    wait_for(
        "the application to run",
        Duration::from_secs(180),
        || async {
            let app = rm.application(&id).await.expect("report");
            (app.state == "RUNNING" && shim_process_of(&id).is_some()).then_some(())
        },
    )
    .await;
    let pid = process_of(&id, "./skein-am").expect("the skein-am process");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let app = wait_until_finished(&rm, &id, Duration::from_secs(30)).await;
    assert_eq!(app.final_status, "FAILED", "{app:?}");
    // Either the shim's unregister wins, or (as seen on this cluster) the NodeManager notices
    // the container's main process died and kills the shim with it first: the attempt fails.
    assert!(
        app.diagnostics
            .contains("the skein application master process exited unexpectedly")
            || app.diagnostics.contains("exitCode: 137"),
        "neither the shim's diagnostic nor the AM's death: {}",
        app.diagnostics
    );
}
