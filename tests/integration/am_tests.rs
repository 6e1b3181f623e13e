//! The Rust ApplicationMaster with its Java shim on the real cluster: a hello-world service runs
//! to completion through AMRMClientAsync/NMClientAsync; a killed shim or a killed Rust AM fails
//! the application quickly with a diagnostic naming which side died, and leaves no container
//! running; with attempts left, a killed Rust AM is retried.

use serde_json::json;
use skein_hadoop::yarn::{ApplicationState, FinalStatus};
use std::time::{Duration, Instant};

use crate::fixtures::{
    app, cwd_of, kill, logs_of, process_of, processes_of, resource_manager, service,
    staging_exists, submit, submit_one, wait_for, wait_until_finished,
};

#[tokio::test]
async fn a_hello_world_service_runs_under_the_rust_application_master() {
    let rm = resource_manager();
    let marker = format!("hello-from-skein-am-{}", std::process::id());
    let id = submit_one("hello world", &format!("echo {marker}\n")).await;
    let app = wait_until_finished(&rm, &id, Duration::from_secs(180)).await;
    if (&app.state, &app.final_status) != (&ApplicationState::Finished, &FinalStatus::Succeeded) {
        panic!("{app:?}\n{}", logs_of(&rm, &id).await);
    }
    assert_eq!(app.diagnostics, "Application completed successfully.");
    assert_eq!(app.application_type, "skein");

    let logs = logs_of(&rm, &id).await;
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

/// The Rust AM process of application `id` (not the `bash -c` around it, whose command line
/// also names it).
fn rust_am_process_of(id: &str) -> Option<u32> {
    process_of(id, "./skein\0application-master\0")
}

/// Submits a one-service application (`sleep 600`) and waits until it runs: registered, the
/// shim up and the service container's `sleep` started.
async fn running_sleeper(
    rm: &skein_hadoop::yarn::ResourceManager,
    name: &str,
    max_attempts: i32,
) -> String {
    let mut spec = app(name, json!({"svc": service("sleep 600\n")}));
    spec["max_attempts"] = json!(max_attempts);
    let id = submit(&spec).await;
    wait_for(
        "the application, its shim and its service to run",
        Duration::from_secs(180),
        || async {
            let app = rm.application(&id).await.expect("report");
            (app.state == ApplicationState::Running
                && shim_process_of(&id).is_some()
                && process_of(&id, "sleep\x00600").is_some())
            .then_some(())
        },
    )
    .await;
    id
}

/// After the application ended, the NodeManager stops every container of it: no process is
/// left working in any of its containers (the AM's and the service's).
async fn assert_no_container_left(id: &str) {
    let left = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let left = processes_of(id);
            if left.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(
        left.is_ok(),
        "processes of {id} still run 30 s after it ended: {:?}",
        processes_of(id)
    );
}

#[tokio::test]
async fn a_killed_shim_fails_the_application_quickly_with_a_diagnostic_naming_it() {
    let rm = resource_manager();
    let id = running_sleeper(&rm, "shim killed", 1).await;
    kill("-9", shim_process_of(&id).expect("the shim JVM"));
    let start = Instant::now();
    let app = wait_until_finished(&rm, &id, Duration::from_secs(30)).await;
    let took = start.elapsed();
    assert_eq!(app.final_status, FinalStatus::Failed, "{app:?}");
    // Unregistered by a new shim with the AM's own diagnostic (not YARN's note of a failed AM
    // container, which quotes it only among the container's exit details).
    assert!(
        app.diagnostics.starts_with(
            "The YARN shim (the application master's Java process) failed: it exited \
             unexpectedly: killed by signal 9 (SIGKILL)"
        ),
        "the diagnostics do not name the shim and its death: {}",
        app.diagnostics
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_no_container_left(&id).await;
    // The only attempt failed: the AM still removed the staging folder.
    assert!(!staging_exists(&id).await, "{id}'s staging folder is left");
}

#[tokio::test]
async fn a_killed_rust_application_master_fails_the_application_quickly_with_a_diagnostic_naming_it()
 {
    let rm = resource_manager();
    let id = running_sleeper(&rm, "am killed", 1).await;
    kill("-9", rust_am_process_of(&id).expect("the skein AM process"));
    let start = Instant::now();
    let app = wait_until_finished(&rm, &id, Duration::from_secs(30)).await;
    let took = start.elapsed();
    assert_eq!(app.final_status, FinalStatus::Failed, "{app:?}");
    // The shim outlives the Rust process (the AM command waits for it) and unregisters with
    // the exit status the command recorded.
    assert!(
        app.diagnostics.contains(
            "the skein application master process exited unexpectedly: \
             killed by signal 9 (SIGKILL), before it unregistered."
        ),
        "the diagnostics do not name the Rust AM and its death: {}",
        app.diagnostics
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_no_container_left(&id).await;
}

#[tokio::test]
async fn a_killed_rust_application_master_is_retried_when_attempts_remain() {
    let rm = resource_manager();
    // The cluster allows 2 attempts.
    let id = running_sleeper(&rm, "am killed, retried", 2).await;
    let first = rust_am_process_of(&id).expect("the skein AM process");
    kill("-9", first);
    // The first attempt's shim does not unregister: YARN starts attempt 2, whose AM runs the
    // service again.
    wait_for(
        "a second attempt to run the service",
        Duration::from_secs(180),
        || async {
            let second = rust_am_process_of(&id).filter(|pid| *pid != first);
            let running =
                rm.application(&id).await.expect("report").state == ApplicationState::Running;
            (second.is_some() && running && process_of(&id, "sleep\x00600").is_some()).then_some(())
        },
    )
    .await;
    let shim = shim_process_of(&id).expect("the second attempt's shim");
    let cwd = cwd_of(shim).expect("cwd");
    assert!(
        cwd.to_string_lossy().contains("_02_000001"),
        "the shim does not run in attempt 2's AM container: {}",
        cwd.display()
    );
    let app = rm.application(&id).await.expect("report");
    assert_eq!(app.final_status, FinalStatus::Undefined, "{app:?}");
    rm.kill(&id).await.expect("kill");
    wait_until_finished(&rm, &id, Duration::from_secs(60)).await;
    assert_no_container_left(&id).await;
}
