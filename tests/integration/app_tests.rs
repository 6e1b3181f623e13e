//! User stories of skein applications under the Rust ApplicationMaster on the real cluster,
//! submitted through the driver and driven through the AM's `skein.AppMaster` gRPC service with
//! the application's key pair.

use serde_json::json;
use skein_hadoop::yarn::FinalStatus;
use std::time::Duration;

use skein::proto::{self, container::State};

use crate::fixtures::{
    Cli, LONG, app, connect, containers, get_key, kill, logs_of, process_of, resource_manager,
    service, shutdown_request, staging_exists, submit, wait_for, wait_running, wait_until_finished,
    with_skein,
};

#[tokio::test]
async fn a_dependent_service_starts_after_its_dependency_and_shutdown_ends_the_app() {
    let rm = resource_manager();
    // `a` starts with no instance: `b` must wait until `a` is scaled up and allocated.
    let mut a = service("sleep 600\n");
    a["instances"] = json!(0);
    let mut b = service("sleep 600\n");
    b["depends"] = json!(["a"]);
    let id = submit(&app("depends", json!({"a": a, "b": b}))).await;
    let mut am = connect(&rm, &id).await;
    // Registration (which `connect` waits for) comes just before the services start.
    wait_for("b's container", LONG, || {
        let mut am = am.clone();
        async move { (!containers(&mut am, "b", &[]).await.is_empty()).then_some(()) }
    })
    .await;
    for _ in 0..10 {
        let waiting = containers(&mut am, "b", &[]).await;
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert_eq!(waiting[0].state, State::Waiting as i32, "{waiting:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    am.scale(proto::ScaleRequest {
        service_name: "a".into(),
        count: 1,
        delta: 0,
    })
    .await
    .expect("scale a");
    let a = wait_running(&mut am, "a", 1).await;
    let b = wait_running(&mut am, "b", 1).await;
    assert!(
        b[0].start_time >= a[0].start_time,
        "b started before a: {a:?} {b:?}"
    );

    // The spec served is the one staged.
    let spec = am
        .get_application_spec(proto::Empty {})
        .await
        .expect("spec")
        .into_inner();
    assert_eq!(spec.services["b"].depends, vec!["a".to_string()]);
    // Unknown services in a filter are INVALID_ARGUMENT.
    let err = am
        .get_containers(proto::ContainersRequest {
            services: vec!["nope".into()],
            states: vec![],
        })
        .await
        .expect_err("unknown service");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(err.message(), "Unknown service 'nope'");
    let err = am
        .set_progress(proto::SetProgressRequest { progress: 1.5 })
        .await
        .expect_err("progress > 1");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    am.set_progress(proto::SetProgressRequest { progress: 0.5 })
        .await
        .expect("progress");
    wait_for("the progress in the report", LONG, || async {
        let report = rm.application(&id).await.expect("report");
        ((report.progress - 50.0).abs() < 0.01).then_some(())
    })
    .await;

    // The web UI's addresses go through the ResourceManager's proxy.
    let ui = am
        .ui_info(proto::UiInfoRequest {})
        .await
        .expect("ui info")
        .into_inner();
    assert_eq!(ui.proxy_prefix, "/pages");
    assert_eq!(ui.ui_address.len(), 1, "{ui:?}");
    assert!(
        ui.ui_address[0].ends_with(&format!("/proxy/{id}/")),
        "{ui:?}"
    );
    let page = proto::Proxy {
        route: "dash".into(),
        link_name: "Dashboard".into(),
        target: "http://localhost:8787/status".into(),
    };
    am.add_proxy(page.clone()).await.expect("add proxy");
    let err = am.add_proxy(page.clone()).await.expect_err("duplicate");
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    let pages = am
        .get_proxies(proto::GetProxiesRequest {})
        .await
        .expect("proxies")
        .into_inner()
        .proxy;
    assert_eq!(pages, vec![page]);
    am.remove_proxy(proto::RemoveProxyRequest {
        route: "dash".into(),
    })
    .await
    .expect("remove");

    // The CLI reaches the AM of an application id through the driver's getStatus.
    let cli = Cli::with_app_credentials();
    let listed = cli.stdout(&["container", "ls", &id]);
    assert!(listed.contains("a_0") && listed.contains("b_0"), "{listed}");
    cli.stdout(&["kv", "put", &id, "--key", "from-cli", "--value", "v"]);
    assert_eq!(cli.stdout(&["kv", "get", &id, "--key", "from-cli"]), "v\n");

    am.shutdown(shutdown_request(
        proto::final_status::Type::Killed,
        "This is a test diagnostic message",
    ))
    .await
    .expect("shutdown");
    let report = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Killed, "{report:?}");
    assert_eq!(report.diagnostics, "This is a test diagnostic message");
}

#[tokio::test]
async fn scaling_changes_the_containers_and_a_killed_container_is_restarted() {
    let rm = resource_manager();
    let mut svc = service("sleep 600\n");
    svc["max_restarts"] = json!(1);
    let id = submit(&app("scale", json!({"svc": svc}))).await;
    let mut am = connect(&rm, &id).await;
    wait_running(&mut am, "svc", 1).await;

    let scaled = am
        .scale(proto::ScaleRequest {
            service_name: "svc".into(),
            count: 3,
            delta: 0,
        })
        .await
        .expect("scale up")
        .into_inner();
    assert_eq!(scaled.containers.len(), 2, "two new containers");
    wait_running(&mut am, "svc", 3).await;
    let down = am
        .scale(proto::ScaleRequest {
            service_name: "svc".into(),
            count: 0,
            delta: -1,
        })
        .await
        .expect("scale down")
        .into_inner();
    assert_eq!(down.containers.len(), 1);
    assert_eq!(down.containers[0].state, State::Killed as i32);
    let running = wait_running(&mut am, "svc", 2).await;

    // Killed by the user: KILLED, not restarted.
    let victim = running[0].instance;
    am.kill_container(proto::ContainerInstance {
        service_name: "svc".into(),
        instance: victim,
    })
    .await
    .expect("kill");
    let killed = containers(&mut am, "svc", &[State::Killed]).await;
    assert!(killed.iter().any(|c| c.instance == victim), "{killed:?}");
    let err = am
        .kill_container(proto::ContainerInstance {
            service_name: "svc".into(),
            instance: 99,
        })
        .await
        .expect_err("unknown instance");
    assert_eq!(err.message(), "Service 'svc' has no container instance 99");

    // A container that fails (its process killed) is restarted as a new instance.
    let running = wait_running(&mut am, "svc", 1).await;
    let yarn_id = running[0].yarn_container_id.clone();
    assert!(!yarn_id.is_empty(), "{running:?}");
    // RUNNING from allocation on (as in Skein): the process may not have started yet.
    let pid = wait_for("the service's sleep", LONG, || {
        let found = process_of(&yarn_id, "sleep\x00600");
        async move { found }
    })
    .await;
    kill("-9", pid);
    let restarted = wait_for("a restart", LONG, || {
        let mut am = am.clone();
        async move {
            let failed = containers(&mut am, "svc", &[State::Failed]).await;
            let running = containers(&mut am, "svc", &[State::Running]).await;
            (!failed.is_empty() && running.len() == 1).then_some(running)
        }
    })
    .await;
    assert!(
        restarted[0].instance > running[0].instance,
        "a new instance: {restarted:?}"
    );
    am.shutdown(shutdown_request(proto::final_status::Type::Succeeded, ""))
        .await
        .expect("shutdown");
    let report = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Succeeded);
    assert_eq!(report.diagnostics, "Shutdown requested by user.");
}

#[tokio::test]
async fn a_failing_service_fails_the_application() {
    let rm = resource_manager();
    let id = submit(&app("failing", json!({"broken": service("exit 1\n")}))).await;
    let report = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Failed, "{report:?}");
    assert_eq!(
        report.diagnostics,
        "Failure in service broken, see logs for more information."
    );
}

#[tokio::test]
async fn a_master_script_decides_the_applications_status() {
    let rm = resource_manager();
    let mut spec = app("driver", json!({}));
    spec["master"]["script"] = json!(
        "echo \"driver at $SKEIN_APPMASTER_ADDRESS mem $SKEIN_RESOURCE_MEMORY \
         cp=${CLASSPATH:-none}\"\nls .skein.crt .skein.pem\nexit 3\n"
    );
    // YARN rounds the AM container up to the 32 MiB minimum allocation's multiple: the
    // script sees what the container got (256), as in Skein, not what was asked.
    spec["master"]["resources"]["memory"] = json!(250);
    let id = submit(&spec).await;
    let report = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Failed, "{report:?}");
    assert_eq!(
        report.diagnostics,
        "Application driver failed with exit code 3, see logs for more information."
    );
    let logs = logs_of(&rm, &id).await;
    assert!(logs.contains("LogType:application.driver.log"), "{logs}");
    assert!(logs.contains("mem 256 cp=none"), "{logs}");
    assert!(logs.contains(".skein.pem"), "{logs}");
    // The staging folder is gone at the application's end.
    assert!(!staging_exists(&id).await, "{id}'s staging folder is left");
}

#[tokio::test]
async fn a_master_script_exiting_zero_succeeds_and_drives_the_app_with_the_cli() {
    let rm = resource_manager();
    let mut spec = app("driver ok", json!({"svc": service("sleep 600\n")}));
    spec["master"]["script"] = json!(
        "set -ex\n./skein kv put current --key done --value yes\n\
         ./skein kv get current --key done\n./skein kv ls current\n\
         ./skein kv del current --key done\n\
         printf piped | ./skein kv put current --key piped\n\
         test \"$(./skein kv get current --key piped)\" = piped\n\
         ./skein container scale current -s svc -n 2\n\
         ./skein container kill current --id svc_0\n\
         ./skein container ls current --all\n\
         ! ./skein kv get current --key missing\n"
    );
    let id = submit(&spec).await;
    let report = wait_until_finished(&rm, &id, LONG).await;
    let logs = logs_of(&rm, &id).await;
    assert_eq!(
        (report.final_status.as_str(), report.diagnostics.as_str()),
        ("SUCCEEDED", "Application driver completed successfully."),
        "{logs}"
    );
    assert!(logs.contains("SERVICE    ID"), "{logs}");
    assert!(logs.contains("svc_0    KILLED"), "{logs}");
    assert!(logs.contains("svc_1"), "{logs}");
    assert!(logs.contains("Error: Key 'missing' is not set"), "{logs}");
}

#[tokio::test]
async fn sigterm_fails_the_application_with_skeins_diagnostic() {
    let rm = resource_manager();
    let id = submit(&app("sigterm", json!({"svc": service("sleep 600\n")}))).await;
    let mut am = connect(&rm, &id).await;
    wait_running(&mut am, "svc", 1).await;
    // The AM process itself, not the `bash -c` YARN wraps its command in.
    let pid = process_of(&id, "./skein\0application-master\0").expect("the AM");
    kill("-TERM", pid);
    let report = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Failed, "{report:?}");
    assert_eq!(report.diagnostics, skein::am::container::EXTERNAL_SIGNAL);
    let logs = logs_of(&rm, &id).await;
    assert!(
        logs.contains("Application master exiting with code 143"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_failed_attempt_is_retried_up_to_the_clusters_maximum() {
    let rm = resource_manager();
    let mut spec = app("retries", json!({"broken": service("exit 1\n")}));
    // The cluster allows 2.
    spec["max_attempts"] = json!(10);
    let id = submit(&spec).await;
    let report = wait_until_finished(&rm, &id, Duration::from_secs(300)).await;
    assert_eq!(report.final_status, FinalStatus::Failed, "{report:?}");
    let logs = logs_of(&rm, &id).await;
    assert!(
        logs.contains("Application attempt 1 out of 2 failed, will retry"),
        "{logs}"
    );
    assert!(
        report
            .diagnostics
            .contains("Failure in service broken, see logs for more information."),
        "{report:?}"
    );
}

#[tokio::test]
async fn containers_share_keys_through_the_cli() {
    let rm = resource_manager();
    let waiter = with_skein(service(
        "set -e\nv=$(./skein kv get current --key greeting --wait)\n\
         ./skein kv put current --key answer --value \"got $v\"\nsleep 600\n",
    ));
    let publisher = with_skein(service(
        "set -e\nsleep 3\n./skein kv put current --key greeting --value hello\nsleep 600\n",
    ));
    let spec = app("kv cli", json!({"waiter": waiter, "publisher": publisher}));
    let id = submit(&spec).await;
    let mut am = connect(&rm, &id).await;
    let answer = wait_for("the waiter's answer", LONG, || {
        let mut am = am.clone();
        async move { get_key(&mut am, "answer").await }
    })
    .await;
    assert_eq!(answer, b"got hello");
    am.shutdown(shutdown_request(proto::final_status::Type::Succeeded, ""))
        .await
        .expect("shutdown");
    wait_until_finished(&rm, &id, LONG).await;
}
