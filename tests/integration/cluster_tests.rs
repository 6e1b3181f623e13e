//! The test cluster itself: YARN answers, a node runs, HDFS stores files, a plain shell
//! application runs to completion with readable logs, and stopping leaves nothing behind.

use skein_hadoop::yarn::{ApplicationState, NodeState};
use std::path::Path;
use std::time::Duration;

use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::yarn::{
    Commands, ContainerLaunchContext, ResourceInfo, ResourceManager, SubmissionContext,
};

use crate::cluster;
use crate::fixtures::{
    all_processes, cwd_of, resource_manager, resource_manager_at, wait_for,
    wait_for_log_aggregation, wait_until_finished, wait_until_state, yarn_logs,
};
use crate::shell_app::submit_shell;

#[tokio::test]
async fn resourcemanager_is_started_and_a_node_is_running() {
    let c = cluster::shared();
    let config = HadoopConfig::from_dir(&c.info.conf_dir).expect("the written configuration");
    let rm = ResourceManager::from_config(&config, "alice").expect("client");
    let info = rm.cluster_info().await.expect("cluster info");
    assert_eq!(info.state, "STARTED");
    assert_eq!(info.hadoop_version, c.info.hadoop_version);

    let nodes = rm.nodes(&[]).await.expect("nodes");
    let running: Vec<_> = nodes
        .iter()
        .filter(|n| n.state == NodeState::Running)
        .collect();
    assert_eq!(
        running.len(),
        1,
        "one RUNNING NodeManager expected: {nodes:?}"
    );
    assert!(running[0].avail_memory_mb >= 4096, "{:?}", running[0]);
}

#[tokio::test]
async fn hdfs_stores_and_returns_a_file() {
    let c = cluster::shared();
    let client = hdfs_native::ClientBuilder::new()
        .with_url(&c.info.default_fs)
        .with_config_dir(c.info.conf_dir.to_string_lossy().to_string())
        .build()
        .expect("hdfs client");
    let path = format!("/tmp/skein-rs-test-{}.txt", std::process::id());
    let payload: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let mut writer = client
        .create(&path, hdfs_native::WriteOptions::default().overwrite(true))
        .await
        .expect("create");
    writer
        .write_bytes(bytes::Bytes::from(payload.clone()))
        .await
        .expect("write");
    writer.close().await.expect("close");
    let status = client.get_file_info(&path).await.expect("stat");
    assert_eq!(status.length, payload.len());
    let mut reader = client.read(&path).await.expect("open");
    let read = reader.read_bytes(payload.len()).await.expect("read");
    assert_eq!(read.as_ref(), payload.as_slice());
    assert!(client.delete(&path, false).await.expect("delete"));
}

#[tokio::test]
async fn a_shell_application_succeeds_and_its_output_is_in_the_aggregated_logs() {
    let c = cluster::shared();
    let rm = resource_manager();
    let marker = format!("hello-from-yarn-{}", std::process::id());
    let id = submit_shell(
        &c.info,
        "shell-test",
        "echo hello",
        &format!("echo {marker}"),
    )
    .await;
    let app = wait_until_finished(&rm, &id, Duration::from_secs(120)).await;
    assert_eq!(
        (app.state.as_str(), app.final_status.as_str()),
        ("FINISHED", "SUCCEEDED"),
        "{app:?}"
    );
    assert_eq!(app.application_type, "shell-test");
    assert_eq!(app.tags(), vec!["skein-rs-test"]);

    // Aggregation to HDFS finishes shortly after the application does.
    let app = wait_for_log_aggregation(&rm, &id).await;
    assert_eq!(app.log_aggregation_status, "SUCCEEDED", "{app:?}");
    let out = yarn_logs(&c.info.conf_dir, &id);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&marker),
        "yarn logs did not show {marker}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_failing_command_ends_failed() {
    let c = cluster::shared();
    let rm = resource_manager();
    let id = submit_shell(&c.info, "shell-test", "exit 3", "exit 3").await;
    let app = wait_until_finished(&rm, &id, Duration::from_secs(120)).await;
    assert_eq!(
        (app.state.as_str(), app.final_status.as_str()),
        ("FINISHED", "FAILED"),
        "{app:?}"
    );
    assert!(
        app.diagnostics.contains("exited with 3"),
        "{}",
        app.diagnostics
    );
}

#[tokio::test]
async fn more_vcores_than_the_cluster_maximum_is_refused_at_submit() {
    let rm = resource_manager();
    let app = rm.new_application().await.expect("new-application");
    let max = app.maximum_resource_capability;
    let context = SubmissionContext {
        application_id: app.application_id.clone(),
        application_name: "too big".into(),
        max_app_attempts: 1,
        resource: ResourceInfo {
            memory: 64,
            vcores: max.vcores + 1,
        },
        application_type: "shell-test".into(),
        am_container_spec: ContainerLaunchContext {
            commands: Commands {
                command: vec!["true".into()],
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let err = rm.submit(&context).await.expect_err("over the maximum");
    assert_eq!(err.status(), Some(400), "{err}");
}

/// Every process of a cluster: its JVMs, and whatever runs in its container folders.
fn processes_of(work_dir: &Path) -> Vec<(u32, String)> {
    all_processes()
        .into_iter()
        .filter(|(pid, cmdline)| {
            cwd_of(*pid).is_some_and(|d| d.starts_with(work_dir))
                || cmdline.contains(&*work_dir.to_string_lossy())
        })
        .map(|(pid, cmdline)| (pid, cmdline.replace('\0', " ")))
        .collect()
}

#[tokio::test]
async fn stopping_a_cluster_leaves_no_java_or_container_process() {
    // A cluster of its own: this test stops it.
    let dir = cluster::repo_root()
        .join("target")
        .join(format!("stop-test-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (info, stdin, mut child) = cluster::start(&dir, &[]);
    let rm = resource_manager_at(&info.rm_webapp);
    let marker = format!("skein-rs-sleeper-{}", std::process::id());
    let id = submit_shell(
        &info,
        "shell-test",
        "sleeper",
        &format!("exec -a {marker} sleep 600"),
    )
    .await;
    wait_until_state(&rm, &id, ApplicationState::Running).await;
    wait_for("the sleeper process", Duration::from_secs(30), || {
        let seen = processes_of(&dir)
            .iter()
            .any(|(_, cmd)| cmd.contains(&marker));
        async move { seen.then_some(()) }
    })
    .await;

    drop(stdin); // EOF: the cluster stops its NodeManager (killing containers), RM and HDFS
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "the cluster exited with {status}");
    // Nothing of the cluster may survive it: no JVM, no container (containers are session
    // leaders, so only the NodeManager's stop kills them).
    let left = processes_of(&dir);
    assert!(
        left.is_empty(),
        "processes left after the cluster stopped: {left:?}"
    );
    let sleepers: Vec<u32> = all_processes()
        .into_iter()
        .filter(|(_, cmd)| cmd.contains(&marker))
        .map(|(pid, _)| pid)
        .collect();
    assert!(
        sleepers.is_empty(),
        "the container {id} is still running: {sleepers:?}"
    );
}
