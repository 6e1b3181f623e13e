//! The spec's `log_aggregation` (a skein-rs extension) on the real cluster: only the files its
//! globs include reach HDFS, and with `rolled: true` they do while the application runs;
//! `skein application logs` reads them as before.

use serde_json::json;
use skein::proto::{self, driver_server::Driver};
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::aggregated_logs::read_application_logs;
use skein_hadoop::yarn::ApplicationState;
use tonic::Request;

use crate::cluster;
use crate::fixtures::{
    Cli, LONG, app, current_user, driver_as, hdfs_as, resource_manager, service, submit, wait_for,
    wait_for_log_aggregation,
};

/// A script writing `marker` into the files `names` of the container's first log folder.
fn write_logs(names: &[&str], marker: &str) -> String {
    let writes: Vec<String> = names
        .iter()
        .map(|name| format!("echo {marker} > \"$dir/{name}\""))
        .collect();
    format!("dir=\"${{LOG_DIRS%%,*}}\"\n{}\n", writes.join("\n"))
}

/// `skein application logs ID` through a driver of the CLI's own.
fn cli_logs(id: &str) -> String {
    let cli = Cli::new();
    let (code, logs, err) = cli.run(&["application", "logs", id]);
    assert_eq!(code, 0, "{err}");
    logs
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_log_files_the_spec_includes_are_aggregated() {
    let script = write_logs(&["a.log", "b.txt", "debug.log"], "aggregated-marker");
    let mut spec = app("include-logs", json!({"writer": service(&script)}));
    spec["log_aggregation"] = json!({"include": "*.log", "exclude": ["debug.*"]});
    let id = submit(&spec).await;
    let app = wait_for_log_aggregation(&resource_manager(), &id).await;
    assert_eq!(app.state, ApplicationState::Finished, "{app:?}");

    let logs = cli_logs(&id);
    assert!(logs.contains("LogType:a.log"), "{logs}");
    // The service's own output is `writer.log`, which "*.log" includes.
    assert!(logs.contains("LogType:writer.log"), "{logs}");
    assert!(
        !logs.contains("LogType:b.txt"),
        "b.txt is not included: {logs}"
    );
    assert!(
        !logs.contains("LogType:debug.log"),
        "debug.log is excluded: {logs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rolled_logs_reach_hdfs_while_the_application_runs() {
    let script = format!("{}sleep 600\n", write_logs(&["r.log"], "rolled-marker"));
    let mut spec = app("rolled-logs", json!({"writer": service(&script)}));
    spec["log_aggregation"] = json!({"include": ["*.log"], "rolled": true});
    let id = submit(&spec).await;
    let rm = resource_manager();
    let hdfs = hdfs_as(&current_user());
    let config = HadoopConfig::from_dir(&cluster::shared().info.conf_dir).expect("configuration");
    let state = wait_for("the rolled logs on HDFS", LONG, || async {
        let logs = read_application_logs(&hdfs, &config, &current_user(), &id).await;
        let found = logs.is_ok_and(|logs| logs.values().any(|t| t.contains("rolled-marker")));
        let app = rm.application(&id).await.expect("report");
        assert!(
            !app.state.is_terminal(),
            "ended before its logs rolled: {app:?}"
        );
        found.then_some(app.state)
    })
    .await;
    assert_eq!(state, ApplicationState::Running, "read while it runs");

    driver_as(&current_user())
        .kill(Request::new(proto::KillRequest {
            id: id.clone(),
            user: String::new(),
        }))
        .await
        .expect("kill");
    wait_for_log_aggregation(&rm, &id).await;
    let logs = cli_logs(&id);
    assert!(logs.contains("rolled-marker"), "{logs}");
    // The AM's log was uploaded by the roll and again, longer, at the end: shown once.
    let am_logs = logs
        .lines()
        .filter(|l| *l == "LogType:application.master.log")
        .count();
    assert_eq!(am_logs, 1, "{logs}");
}
