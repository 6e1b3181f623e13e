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
    LONG, app, connect, containers, resource_manager, service, shutdown_request, submit,
    wait_running, wait_until_finished,
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
async fn a_large_scale_within_the_limit_leaves_the_application_master_answering() {
    let rm = resource_manager();
    let id = submit(&app("scale large", json!({"svc": service("sleep 600\n")}))).await;
    let mut am = connect(&rm, &id).await;
    wait_running(&mut am, "svc", 1).await;

    // Far more 64 MiB containers than the small test cluster can hold.
    let added = am
        .scale(scale_to(2_000))
        .await
        .expect("a scale within the limit")
        .into_inner();
    assert_eq!(added.containers.len(), 1_999);
    // Several heartbeats later the AM is alive and lists every container.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let report = rm.application(&id).await.expect("report");
    assert_eq!(report.state, ApplicationState::Running, "{report:?}");
    let active = containers(&mut am, "svc", &[]).await;
    assert_eq!(active.len(), 2_000);
    let running = active
        .iter()
        .filter(|c| c.state == State::Running as i32)
        .count();
    assert!(running >= 1, "{running} running");

    let down = am
        .scale(scale_to(1))
        .await
        .expect("scale down")
        .into_inner();
    assert_eq!(down.containers.len(), 1_999);
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
