//! Requests that would make the AM do work proportional to a number in them are bounded
//! (issue 16): a scale above the service's `max_instances` is refused and changes nothing; a
//! large scale within it leaves the AM answering.

use serde_json::json;
use skein::proto::app_master_client::AppMasterClient;
use skein_hadoop::yarn::{ApplicationState, FinalStatus, ResourceManager};
use std::time::Duration;
use tonic::transport::Channel;

use skein::proto::{self, container::State};

use crate::fixtures::{
    Cli, LONG, app, app_credentials, connect, containers, resource_manager, service,
    shutdown_request, spec_from_json, submit, wait_running, wait_until_finished,
};

fn scale_to(count: i32) -> proto::ScaleRequest {
    proto::ScaleRequest {
        service_name: "svc".into(),
        count,
        delta: 0,
    }
}

#[tokio::test]
async fn a_scale_to_100000_is_refused_the_application_keeps_running_and_its_containers() {
    let rm = resource_manager();
    let id = submit(&app(
        "scale too far",
        json!({"svc": service("sleep 600\n")}),
    ))
    .await;
    let mut am = connect(&rm, &id).await;
    let before = wait_running(&mut am, "svc", 1).await;

    let err = am
        .scale(scale_to(100_000))
        .await
        .expect_err("a scale above max_instances");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        err.message(),
        "Service 'svc' may have at most 10000 active (waiting, requested or running) containers \
         (its max_instances), so scaling to 100000 is refused; it has 1 and nothing was \
         changed. To allow more, set `services.svc.max_instances` in the application's spec \
         (default 10000) and submit it again."
    );
    let err = am
        .add_container(proto::AddContainerRequest {
            service_name: "svc".into(),
            env: Default::default(),
        })
        .await;
    assert!(err.is_ok(), "one more is within the limit: {err:?}");

    // Nothing changed by the refusal: the old container runs on, the application too.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let report = rm.application(&id).await.expect("report");
    assert_eq!(report.state, ApplicationState::Running, "{report:?}");
    let all = containers(&mut am, "svc", &[]).await;
    assert_eq!(all.len(), 2, "the first and the added one: {all:?}");
    let first = all.iter().find(|c| c.instance == 0).expect("instance 0");
    assert_eq!(first.state, State::Running as i32);
    assert_eq!(first.yarn_container_id, before[0].yarn_container_id);

    shut_down_succeeded(&rm, &mut am, &id).await;
}

#[tokio::test]
async fn a_scale_to_100000_within_a_raised_limit_leaves_the_application_master_answering() {
    // Skein's AM (and skein-rs before its request window) sent every request to the shim's
    // AMRMClient at once: 100,000 of them exhausted its 128 MiB heap and the application died.
    let mut svc = service("sleep 600\n");
    svc["max_instances"] = json!(100_000);
    let rm = resource_manager();
    let id = submit(&app("scale large", json!({ "svc": svc }))).await;
    let mut am = connect(&rm, &id).await;
    let before = wait_running(&mut am, "svc", 1).await;

    // Far more 64 MiB containers than the small test cluster can hold.
    let added = am
        .scale(scale_to(100_000))
        .await
        .expect("a scale within the limit")
        .into_inner();
    assert_eq!(added.containers.len(), 99_999);
    // Several heartbeats later the AM is alive and lists every container.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let report = rm.application(&id).await.expect("report");
    assert_eq!(report.state, ApplicationState::Running, "{report:?}");
    let active = containers(&mut am, "svc", &[]).await;
    assert_eq!(active.len(), 100_000);
    let first = active.iter().find(|c| c.instance == 0).expect("instance 0");
    assert_eq!(first.state, State::Running as i32);
    assert_eq!(first.yarn_container_id, before[0].yarn_container_id);

    // Down in two steps: the reply listing 99,999 killed containers would pass 4 MiB.
    for (count, removed) in [(50_000, 50_000), (1, 49_999)] {
        let down = am
            .scale(scale_to(count))
            .await
            .expect("scale down")
            .into_inner();
        assert_eq!(down.containers.len(), removed);
    }
    shut_down_succeeded(&rm, &mut am, &id).await;
}

#[tokio::test]
async fn a_scale_whose_reply_would_pass_the_message_limit_is_refused_and_changes_nothing() {
    // A service allowed far more containers than the default, with a long name: the reply
    // listing 50,000 new containers (~120 bytes each) would be ~6 MB, above gRPC's 4 MiB.
    let name = format!("a-service-with-a-long-name-{}", "x".repeat(74));
    let mut svc = service("sleep 600\n");
    svc["max_instances"] = json!(100_000);
    let rm = resource_manager();
    let id = submit(&app("scale reply too large", json!({ name.clone(): svc }))).await;
    let mut am = connect(&rm, &id).await;
    let before = wait_running(&mut am, &name, 1).await;

    let scale = |count| proto::ScaleRequest {
        service_name: name.clone(),
        count,
        delta: 0,
    };
    let err = am
        .scale(scale(50_000))
        .await
        .expect_err("a reply above 4 MiB");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{err:?}");
    assert!(
        err.message().starts_with(&format!(
            "Scaling service '{name}' would add or remove 49999 containers, and the reply \
             listing them would take "
        )) && err.message().contains(
            "bytes, above gRPC's message limit of 4194304 bytes (4 MiB); nothing was changed. \
             Scale in smaller steps (at most about "
        ),
        "{err:?}"
    );
    // Nothing changed: the one container runs on; a small scale still works.
    let all = containers(&mut am, &name, &[]).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].yarn_container_id, before[0].yarn_container_id);
    assert_eq!(all[0].state, State::Running as i32);
    let added = am
        .scale(scale(3))
        .await
        .expect("a small scale")
        .into_inner();
    assert_eq!(added.containers.len(), 2);
    let report = rm.application(&id).await.expect("report");
    assert_eq!(report.state, ApplicationState::Running, "{report:?}");
    shut_down_succeeded(&rm, &mut am, &id).await;
}

/// Shuts the application down SUCCEEDED through its AM and waits until YARN reports it so.
async fn shut_down_succeeded(rm: &ResourceManager, am: &mut AppMasterClient<Channel>, id: &str) {
    am.shutdown(shutdown_request(
        proto::final_status::Type::Succeeded,
        "done",
    ))
    .await
    .expect("shutdown");
    let report = wait_until_finished(rm, id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Succeeded, "{report:?}");
}

/// The resident memory of process `pid` (VmRSS), in KiB.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in {status}"))
}

#[tokio::test]
async fn a_refused_10000_service_spec_leaves_the_drivers_memory_at_its_idle_level() {
    // The CLI refuses such a spec itself; the Python client sends it as this test does.
    let cli = Cli::with_app_credentials();
    let started = cli
        .command(&["driver", "start"])
        .env("SKEIN_STAGING_GRACE", "off")
        .output()
        .expect("driver start");
    assert!(started.status.success(), "{started:?}");
    let pid: u32 = cli.stdout(&["driver", "pid"]).trim().parse().expect("pid");
    let address = cli.stdout(&["driver", "address"]).trim().to_string();
    let mut driver = skein::client::connect_driver(&address, app_credentials())
        .await
        .expect("connect");
    // Idle: after the calls every client makes first, and a refused spec of ordinary size.
    driver.ping(proto::Empty {}).await.expect("ping");
    driver
        .get_applications(proto::ApplicationsRequest::default())
        .await
        .expect("applications");
    let one = spec_from_json(&app("many", json!({"svc": service("sleep 1\n")})));
    let service = one.services.get("svc").expect("svc").clone();
    let with = |count: usize| proto::ApplicationSpec {
        services: (0..count)
            .map(|i| (format!("service-{i}"), service.clone()))
            .collect(),
        ..one.clone()
    };
    let refused = driver
        .submit(with(1_001))
        .await
        .expect_err("1,001 services");
    assert!(refused.message().contains("1001 services"), "{refused:?}");
    let idle = resident_kib(pid);

    let spec = with(10_000);
    let refused = driver.submit(spec).await.expect_err("10,000 services");
    // Skein's code for a spec it cannot submit: INTERNAL, "Failed to submit application".
    assert_eq!(refused.code(), tonic::Code::Internal, "{refused:?}");
    assert!(
        refused
            .message()
            .contains("the application has 10000 services; skein-rs takes at most 1000"),
        "{refused:?}"
    );
    let after = resident_kib(pid);
    println!("driver VmRSS: {idle} KiB idle, {after} KiB after the refused 10,000-service spec");
    assert!(
        after * 10 <= idle * 11,
        "the driver kept {after} KiB resident after the refused spec, {idle} KiB before"
    );
    let _ = cli.run(&["driver", "stop"]);
}
