//! The Driver RPCs against the real cluster, called on the service itself (the gRPC transport
//! and mTLS are tested on their own): reports, filters, nodes, queues, move, kill, waitForStart,
//! logs, and Skein's error codes and messages, on applications the driver submitted.

use std::time::{Duration, Instant};

use serde_json::json;
use skein::driver::service::YarnDriver;
use skein::proto::driver_server::Driver;
use skein::proto::{self, application_state::Type as AppState};
use skein_hadoop::conf::{ConfigError, HadoopConfig};
use tonic::{Code, Request};

use crate::cluster;
use crate::fixtures::{
    app as app_spec, current_user, driver_as, driver_with, service, submit_with, wait_for,
};
use crate::shell_app::submit_shell;

fn driver() -> YarnDriver {
    driver_as(&current_user())
}

fn app(id: &str) -> Request<proto::Application> {
    Request::new(proto::Application { id: id.to_string() })
}

#[tokio::test]
async fn status_errors_match_skein() {
    let d = driver();
    let err = d.get_status(app("nope")).await.expect_err("invalid");
    assert_eq!(
        (err.code(), err.message()),
        (Code::InvalidArgument, "Invalid ApplicationId 'nope'")
    );
    let unknown = "application_1234_9999";
    let err = d.get_status(app(unknown)).await.expect_err("unknown");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.message(), format!("Unknown ApplicationId '{unknown}'"));

    let c = cluster::shared();
    let other = submit_shell(&c.info, "not-skein", "not skein", "true").await;
    let err = d.get_status(app(&other)).await.expect_err("not skein");
    assert_eq!(
        err.message(),
        format!("ApplicationId '{other}' is not a skein application")
    );
}

#[tokio::test]
async fn nodes_and_queues_are_reported() {
    let d = driver();
    let nodes = d
        .get_nodes(Request::new(proto::NodesRequest { states: vec![] }))
        .await
        .expect("nodes")
        .into_inner()
        .reports;
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert_eq!(nodes[0].state(), proto::node_state::Type::Running);
    assert!(
        nodes[0]
            .total_resources
            .as_ref()
            .is_some_and(|r| r.memory >= 4096)
    );
    let none = d
        .get_nodes(Request::new(proto::NodesRequest {
            states: vec![proto::node_state::Type::Lost.into()],
        }))
        .await
        .expect("nodes")
        .into_inner()
        .reports;
    assert!(none.is_empty(), "no LOST node expected: {none:?}");

    let default = d
        .get_queue(Request::new(proto::QueueRequest {
            name: "default".into(),
        }))
        .await
        .expect("default queue")
        .into_inner();
    assert_eq!(default.name, "default");
    assert!((default.capacity - 70.0).abs() < 0.01, "{default:?}");
    let children = d
        .get_child_queues(Request::new(proto::QueueRequest {
            name: "fruit".into(),
        }))
        .await
        .expect("children")
        .into_inner()
        .queues;
    let mut names: Vec<String> = children.into_iter().map(|q| q.name).collect();
    names.sort();
    assert_eq!(names, vec!["apples", "bananas"]);
    let all = d
        .get_all_queues(Request::new(proto::Empty {}))
        .await
        .expect("all")
        .into_inner()
        .queues;
    let mut all: Vec<String> = all.into_iter().map(|q| q.name).collect();
    all.sort();
    // YARN's getAllQueues, as Skein answers it: the queues below root.
    assert_eq!(all, vec!["apples", "bananas", "default", "fruit"]);
    let err = d
        .get_queue(Request::new(proto::QueueRequest {
            name: "nope".into(),
        }))
        .await
        .expect_err("missing queue");
    assert_eq!(
        (err.code(), err.message()),
        (Code::InvalidArgument, "Queue 'nope' does not exist")
    );
}

#[tokio::test]
async fn a_skein_application_is_listed_moved_and_killed() {
    let d = driver();
    let marker = format!("driver-test-{}", std::process::id());
    let id = submit_with(
        &d,
        &app_spec(&marker, json!({"sleeper": service("sleep 300")})),
    )
    .await;

    let started = Instant::now();
    let report = d
        .wait_for_start(app(&id))
        .await
        .expect("started")
        .into_inner();
    assert_eq!(report.state(), AppState::Running, "{report:?}");
    assert!(started.elapsed() < Duration::from_secs(120));
    assert_eq!(report.name, marker);

    let listed = d
        .get_applications(Request::new(proto::ApplicationsRequest {
            name: marker.clone(),
            ..Default::default()
        }))
        .await
        .expect("list")
        .into_inner()
        .reports;
    assert_eq!(
        listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec![id.as_str()]
    );
    let finished_only = d
        .get_applications(Request::new(proto::ApplicationsRequest {
            states: vec![AppState::Finished.into()],
            name: marker.clone(),
            ..Default::default()
        }))
        .await
        .expect("list")
        .into_inner()
        .reports;
    assert!(finished_only.is_empty(), "{finished_only:?}");
    let in_other_queue = d
        .get_applications(Request::new(proto::ApplicationsRequest {
            name: marker.clone(),
            queue: "apples".into(),
            ..Default::default()
        }))
        .await
        .expect("list")
        .into_inner()
        .reports;
    assert!(in_other_queue.is_empty());

    let move_to = |queue: &str| {
        Request::new(proto::MoveRequest {
            id: id.clone(),
            queue: queue.to_string(),
        })
    };
    let err = d
        .move_application(move_to("fruit"))
        .await
        .expect_err("not a leaf");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("Leaf") || err.message().contains("leaf"),
        "{}",
        err.message()
    );
    assert!(
        !err.message().contains("org.apache.hadoop"),
        "{}",
        err.message()
    );
    let err = d
        .move_application(move_to("nope"))
        .await
        .expect_err("no such queue");
    assert!(
        err.message().contains("doesn't exist") || err.message().contains("does not exist"),
        "{}",
        err.message()
    );
    d.move_application(move_to("apples"))
        .await
        .expect("move to a leaf");
    let moved = d.get_status(app(&id)).await.expect("status").into_inner();
    assert!(moved.queue.ends_with("apples"), "{moved:?}");

    d.kill(Request::new(proto::KillRequest {
        id: id.clone(),
        user: String::new(),
    }))
    .await
    .expect("kill");
    let killed = wait_for("the kill", Duration::from_secs(60), || async {
        let r = d.get_status(app(&id)).await.expect("status").into_inner();
        (r.state() == AppState::Killed).then_some(r)
    })
    .await;
    assert_eq!(killed.final_status(), proto::final_status::Type::Killed);
    // waitForStart answers at once for a finished application.
    let r = d
        .wait_for_start(app(&id))
        .await
        .expect("finished")
        .into_inner();
    assert_eq!(r.state(), AppState::Killed);
    let err = d
        .move_application(move_to("bananas"))
        .await
        .expect_err("finished app");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(!err.message().is_empty());
}

#[tokio::test]
async fn a_driver_without_configuration_still_answers_ping() {
    let d = YarnDriver::new(Err(ConfigError::NotFound.into()), "u");
    d.ping(Request::new(proto::Empty {})).await.expect("ping");
    let err = d
        .get_status(app("application_1_0001"))
        .await
        .expect_err("no config");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("no Hadoop configuration"));
}

#[tokio::test]
async fn logs_of_a_finished_application_come_from_the_aggregated_files() {
    let d = driver();
    let marker = format!("logs-via-driver-{}", std::process::id());
    // Written to the container's `stdout` log file (the service's own output goes to svc.log).
    let script = format!("echo {marker} >\"${{LOG_DIRS%%,*}}/stdout\"");
    let id = submit_with(&d, &app_spec("logs", json!({"svc": service(&script)}))).await;
    let logs_request = || {
        Request::new(proto::LogsRequest {
            id: id.clone(),
            user: String::new(),
        })
    };
    let early = d.get_logs(logs_request()).await;
    if let Err(err) = &early {
        assert_eq!(err.code(), Code::InvalidArgument);
    }
    let logs = wait_for(
        "aggregated logs",
        std::time::Duration::from_secs(120),
        || async {
            d.get_logs(logs_request())
                .await
                .ok()
                .map(|r| r.into_inner().logs)
        },
    )
    .await;
    assert!(
        logs.values()
            .any(|text| text.contains(&marker) && text.contains("LogType:stdout")),
        "{logs:?}"
    );
    assert!(logs.keys().all(|k| k.starts_with("container_")), "{logs:?}");
}

/// The cluster's configuration with ResourceManager HA turned on: `rm1` an address nothing
/// listens on (a ResourceManager that is down), `rm2` the cluster's real one.
fn ha_config_with_a_dead_first_rm() -> (tempfile::TempDir, HadoopConfig) {
    let c = cluster::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(&c.info.conf_dir).expect("conf dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "xml") {
            std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let live = c.info.rm_webapp.trim_start_matches("http://");
    let yarn_site = dir.path().join("yarn-site.xml");
    let xml = std::fs::read_to_string(&yarn_site).expect("yarn-site.xml");
    let ha = format!(
        "<property><name>yarn.resourcemanager.ha.enabled</name><value>true</value></property>\
         <property><name>yarn.resourcemanager.ha.rm-ids</name><value>rm1,rm2</value></property>\
         <property><name>yarn.resourcemanager.webapp.address.rm1</name><value>{dead}</value></property>\
         <property><name>yarn.resourcemanager.webapp.address.rm2</name><value>{live}</value></property>\
         </configuration>"
    );
    std::fs::write(&yarn_site, xml.replace("</configuration>", &ha)).expect("write");
    let config = HadoopConfig::from_dir(dir.path()).expect("HA configuration");
    (dir, config)
}

#[tokio::test]
async fn under_ha_the_driver_fails_over_from_a_dead_resourcemanager() {
    let (_dir, config) = ha_config_with_a_dead_first_rm();
    let urls = config.resourcemanager_web_urls();
    assert_eq!(urls.len(), 2, "{urls:?}");
    let rm =
        skein_hadoop::yarn::ResourceManager::from_config(&config, &current_user()).expect("client");
    assert_eq!(rm.active_url(), urls[0]);
    rm.cluster_info().await.expect("answered by rm2");
    assert_eq!(rm.active_url(), urls[1], "the client did not move to rm2");

    // The whole driver path, writes included, works through the failover.
    let d = driver_with(Ok(config), &current_user());
    let id = submit_with(
        &d,
        &app_spec("ha", json!({"sleeper": service("sleep 600")})),
    )
    .await;
    let report = d
        .get_status(app(&id))
        .await
        .expect("status through rm2")
        .into_inner();
    assert_eq!(report.id, id);
    d.kill(Request::new(proto::KillRequest {
        id: id.clone(),
        user: String::new(),
    }))
    .await
    .expect("kill through rm2");
    let report = d.get_status(app(&id)).await.expect("status").into_inner();
    assert_eq!(report.state, AppState::Killed as i32, "{report:?}");
}
