//! The Rust ApplicationMaster with its Java shim on the real cluster: a hello-world service runs
//! to completion through AMRMClientAsync/NMClientAsync, and a killed shim fails the application
//! quickly with a diagnostic that names it.
//!
//! The tests stage what the driver stages (see `am_staging`) and submit through the
//! ResourceManager REST API.

use std::time::{Duration, Instant};

use crate::am_staging::{
    logs_of, resource_manager, staging_exists, submit_one, wait_until_finished,
};
use crate::cluster::{self, wait_for};

#[tokio::test]
async fn a_hello_world_service_runs_under_the_rust_application_master() {
    let c = cluster::shared();
    let rm = resource_manager(&c.info);
    let marker = format!("hello-from-skein-am-{}", std::process::id());
    let id = submit_one(&c.info, &rm, "hello world", &format!("echo {marker}\n")).await;
    let app = wait_until_finished(&rm, &id, Duration::from_secs(180)).await;
    if (app.state.as_str(), app.final_status.as_str()) != ("FINISHED", "SUCCEEDED") {
        panic!("{app:?}\n{}", logs_of(&c.info, &rm, &id).await);
    }
    assert_eq!(app.diagnostics, "Application completed successfully.");
    assert_eq!(app.application_type, "skein");

    let logs = logs_of(&c.info, &rm, &id).await;
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
pub fn process_of(id: &str, needle: &str) -> Option<u32> {
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
    let id = submit_one(&c.info, &rm, "shim killed", "sleep 600\n").await;
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
    // The only attempt failed: the AM still removed the staging folder.
    assert!(
        !staging_exists(&c.info, &id).await,
        "{id}'s staging folder is left"
    );
}

#[tokio::test]
async fn a_killed_rust_application_master_fails_the_application_quickly() {
    let c = cluster::shared();
    let rm = resource_manager(&c.info);
    let id = submit_one(&c.info, &rm, "am killed", "sleep 600\n").await;
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
    let pid = process_of(&id, "application-master").expect("the skein AM process");
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
