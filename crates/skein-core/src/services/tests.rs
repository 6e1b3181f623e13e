//! The service state machine, told as application stories.

use std::collections::BTreeMap;

use super::*;
use crate::kv::{ContainerDirectory, OwnerState};
use crate::runtime::exit_status;

/// A validated spec of one service `a` (128 MiB, 1 vcore, `bash .skein.sh`), with `services`
/// in its place when given.
fn spec_with(services: Vec<(&str, spec::Service)>) -> ApplicationSpec {
    let yaml =
        "services:\n  a:\n    resources: {memory: 128, vcores: 1}\n    script: bash .skein.sh\n";
    let mut spec =
        spec::from_yaml_str(yaml, "test.yaml", std::path::Path::new("/")).expect("a valid spec");
    if !services.is_empty() {
        spec.services = services
            .into_iter()
            .map(|(n, s)| (n.to_string(), s))
            .collect();
    }
    spec
}

fn service(instances: i32, depends: &[&str]) -> spec::Service {
    let mut service = spec_with(vec![]).services.remove("a").expect("service a");
    service.instances = instances;
    service.depends = depends.iter().map(|s| s.to_string()).collect();
    service.env = [("A".to_string(), "service".to_string())].into();
    service
}

fn app(services: Vec<(&str, spec::Service)>) -> Services {
    let spec = spec_with(services);
    let mut s = Services::new(&spec);
    s.start(1000);
    s
}

fn requests(actions: &[Action]) -> Vec<i32> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Request(r) => Some(r.priority),
            _ => None,
        })
        .collect()
}

fn launches(actions: &[Action]) -> Vec<(String, i32)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Launch(l) => Some((l.service.clone(), l.instance)),
            _ => None,
        })
        .collect()
}

fn allocation(id: &str, priority: i32) -> AllocatedContainer {
    AllocatedContainer {
        container_id: id.into(),
        node_id: "node:1".into(),
        node_http_address: "node:2".into(),
        priority,
        memory_mb: 128,
        vcores: 1,
    }
}

fn exited(id: &str, exit: i32) -> CompletedContainer {
    CompletedContainer {
        container_id: id.into(),
        state: "COMPLETE".into(),
        exit_status: exit,
        diagnostics: String::new(),
    }
}

fn states(s: &Services, name: &str) -> Vec<(i32, ContainerState)> {
    s.containers(&[name.to_string()], &ContainerState::ALL)
        .expect("known service")
        .into_iter()
        .map(|c| (c.instance, c.state))
        .collect()
}

#[test]
fn a_hello_world_service_runs_and_the_application_succeeds() {
    let mut s = app(vec![("hello", service(1, &[]))]);
    let actions = s.take_actions();
    assert_eq!(requests(&actions), vec![1]);
    let Action::Request(r) = &actions[0] else {
        panic!("{actions:?}")
    };
    assert_eq!((r.memory_mb, r.vcores, r.relax_locality), (128, 1, true));
    assert!(s.has_outstanding_requests());

    s.on_allocated(&[allocation("c1", 1)], 2000);
    let actions = s.take_actions();
    assert_eq!(actions[0], Action::RemoveRequest { priority: 1 });
    let Action::Launch(launch) = &actions[1] else {
        panic!("{actions:?}")
    };
    assert_eq!(launch.container_id, "c1");
    assert_eq!(launch.env["A"], "service");
    assert!(!s.has_outstanding_requests());
    let running = &s.containers(&[], &[]).expect("all")[0];
    assert_eq!(running.state, ContainerState::Running);
    assert_eq!(running.yarn_container_id, "c1");
    assert_eq!(running.yarn_node_http_address, "node:2");
    assert_eq!(running.start_time, 2000);
    assert!(s.outcome().is_none());

    s.on_completed(&[exited("c1", 0)], 3000);
    let done = &s
        .containers(&[], &[ContainerState::Succeeded])
        .expect("all")[0];
    assert_eq!(done.exit_message, "Completed successfully.");
    assert_eq!(done.finish_time, 3000);
    assert_eq!(
        s.take_actions(),
        vec![Action::Completed(ContainerInstance {
            service_name: "hello".into(),
            instance: 0
        })]
    );
    let outcome = s.outcome().expect("decided");
    assert_eq!(outcome.status, FinalStatus::Succeeded);
    assert_eq!(outcome.diagnostics, "Application completed successfully.");
    assert_eq!(outcome.exit_code, 0);
}

#[test]
fn a_failing_service_is_restarted_until_max_restarts_then_fails_the_application() {
    let mut svc = service(1, &[]);
    svc.max_restarts = 1;
    let mut s = app(vec![("worker", svc)]);
    s.take_actions();
    s.on_allocated(&[allocation("c1", 1)], 2000);
    s.take_actions();
    s.on_completed(&[exited("c1", 3)], 3000);
    // Instance 0 failed; instance 1 (never a reused number) replaces it.
    assert_eq!(
        states(&s, "worker"),
        vec![(0, ContainerState::Failed), (1, ContainerState::Requested)]
    );
    let failed = &s.containers(&[], &[ContainerState::Failed]).expect("all")[0];
    assert_eq!(failed.exit_message, FAILED_DURING_EXECUTION);
    assert!(s.outcome().is_none());
    assert_eq!(requests(&s.take_actions()), vec![2]);

    s.on_allocated(&[allocation("c2", 2)], 4000);
    s.on_completed(&[exited("c2", 1)], 5000);
    let outcome = s.outcome().expect("decided");
    assert_eq!(outcome.status, FinalStatus::Failed);
    assert_eq!(
        outcome.diagnostics,
        "Failure in service worker, see logs for more information."
    );
    assert_eq!(outcome.exit_code, 12);
}

#[test]
fn unlimited_restarts_and_allowed_failures_keep_the_application_alive() {
    let mut forever = service(1, &[]);
    forever.max_restarts = -1;
    let mut tolerant = service(1, &[]);
    tolerant.allow_failures = true;
    let mut s = app(vec![("forever", forever), ("tolerant", tolerant)]);
    s.take_actions();
    s.on_allocated(&[allocation("f1", 1), allocation("t1", 2)], 1);
    s.on_completed(&[exited("t1", 1)], 2);
    for round in 0..5 {
        let id = format!("f{}", round + 1);
        s.on_completed(&[exited(&id, 1)], 3);
        let priority = *requests(&s.take_actions()).last().expect("restarted");
        s.on_allocated(&[allocation(&format!("f{}", round + 2), priority)], 4);
        assert!(s.outcome().is_none(), "round {round}");
    }
    assert_eq!(s.containers(&["forever".into()], &[]).expect("ok").len(), 1);
}

#[test]
fn dependents_wait_until_every_initial_container_of_their_dependencies_is_allocated() {
    let mut s = app(vec![
        ("scheduler", service(2, &[])),
        ("worker", service(2, &["scheduler"])),
    ]);
    assert_eq!(requests(&s.take_actions()), vec![1, 2]);
    assert_eq!(
        states(&s, "worker"),
        vec![(0, ContainerState::Waiting), (1, ContainerState::Waiting)]
    );
    s.on_allocated(&[allocation("s1", 1)], 10);
    assert!(
        requests(&s.take_actions()).is_empty(),
        "one of two is not enough"
    );
    s.on_allocated(&[allocation("s2", 2)], 11);
    assert_eq!(requests(&s.take_actions()), vec![3, 4]);
    assert_eq!(
        states(&s, "worker"),
        vec![
            (0, ContainerState::Requested),
            (1, ContainerState::Requested)
        ]
    );
    // Added later, once the dependency is ready: requested at once.
    s.add_container("worker", BTreeMap::new(), 12)
        .expect("added");
    assert_eq!(requests(&s.take_actions()), vec![5]);
}

#[test]
fn a_dependency_with_zero_instances_blocks_dependents_until_scaled() {
    let mut s = app(vec![("db", service(0, &[])), ("web", service(1, &["db"]))]);
    assert!(requests(&s.take_actions()).is_empty());
    s.scale("db", 1, 0, 5).expect("scaled");
    assert_eq!(requests(&s.take_actions()), vec![1]);
    s.on_allocated(&[allocation("d1", 1)], 6);
    assert_eq!(requests(&s.take_actions()), vec![2]);
    assert_eq!(states(&s, "web"), vec![(0, ContainerState::Requested)]);
}

#[test]
fn scaling_down_removes_waiting_then_requested_then_running_oldest_first() {
    let mut s = app(vec![
        ("dep", service(1, &[])),
        ("a", service(0, &[])),
        ("b", service(2, &["dep"])),
    ]);
    s.take_actions();
    // a: instances 0,1 requested; 0 and 1 allocated in reverse order; 2 and 3 requested.
    s.scale("a", 4, 0, 1).expect("up");
    let prios = requests(&s.take_actions());
    assert_eq!(prios.len(), 4);
    s.on_allocated(&[allocation("a1", prios[1])], 2);
    s.on_allocated(&[allocation("a0", prios[0])], 3);
    let removed = s.scale("a", 0, -3, 4).expect("down");
    let order: Vec<i32> = removed.iter().map(|c| c.instance).collect();
    assert_eq!(
        order,
        vec![2, 3, 1],
        "requested by age, then oldest running"
    );
    assert!(removed.iter().all(|c| c.state == ContainerState::Killed));
    assert!(
        removed
            .iter()
            .all(|c| c.exit_message == "Killed by user request.")
    );
    let actions = s.take_actions();
    assert!(actions.contains(&Action::RemoveRequest { priority: prios[2] }));
    assert!(actions.contains(&Action::Stop {
        container_id: "a1".into()
    }));
    // b's containers wait on dep: they go first.
    s.scale("b", 1, 0, 5).expect("down");
    assert_eq!(
        states(&s, "b"),
        vec![(0, ContainerState::Killed), (1, ContainerState::Waiting)]
    );
    // A delta below the active count clamps to zero containers.
    s.scale("a", 0, -10, 6).expect("clamped");
    assert!(s.containers(&["a".into()], &[]).expect("ok").is_empty());
}

#[test]
fn scale_errors_use_skeins_messages() {
    let mut s = app(vec![("a", service(1, &[]))]);
    assert_eq!(
        s.scale("nope", 1, 0, 0).expect_err("unknown").to_string(),
        "Unknown service 'nope'"
    );
    assert_eq!(
        s.scale("a", 2, 1, 0).expect_err("both").to_string(),
        "Can't specify both count and delta"
    );
    assert_eq!(
        s.scale("a", -1, 0, 0).expect_err("negative").to_string(),
        "count must be >= 0"
    );
}

#[test]
fn add_container_env_overrides_are_inherited_by_restarts() {
    let mut svc = service(0, &[]);
    svc.max_restarts = 1;
    let mut s = app(vec![("test", svc)]);
    let env = BTreeMap::from([("A".to_string(), "override".to_string())]);
    let c = s.add_container("test", env, 1).expect("added");
    assert_eq!((c.instance, c.state), (0, ContainerState::Requested));
    s.take_actions();
    s.on_allocated(&[allocation("c1", 1)], 2);
    s.on_completed(&[exited("c1", 1)], 3);
    s.take_actions();
    s.on_allocated(&[allocation("c2", 2)], 4);
    let actions = s.take_actions();
    let Some(Action::Launch(restart)) = actions.iter().find(|a| matches!(a, Action::Launch(_)))
    else {
        panic!("{actions:?}")
    };
    assert_eq!(
        (restart.instance, restart.env["A"].as_str()),
        (1, "override")
    );
    assert_eq!(
        s.add_container("nope", BTreeMap::new(), 5)
            .expect_err("unknown")
            .to_string(),
        "Unknown service 'nope'"
    );
}

#[test]
fn kill_container_stops_running_containers_and_is_idempotent_for_completed_ones() {
    let mut s = app(vec![("a", service(2, &[]))]);
    s.take_actions();
    s.on_allocated(&[allocation("c0", 1)], 2);
    s.take_actions();
    s.kill_container("a", 0, 3).expect("killed");
    assert_eq!(
        s.take_actions(),
        vec![
            Action::Stop {
                container_id: "c0".into()
            },
            Action::Completed(ContainerInstance {
                service_name: "a".into(),
                instance: 0
            })
        ]
    );
    s.kill_container("a", 0, 4).expect("no-op");
    assert!(s.take_actions().is_empty());
    assert_eq!(
        s.kill_container("a", 7, 5).expect_err("none").to_string(),
        "Service 'a' has no container instance 7"
    );
    assert_eq!(
        s.kill_container("b", 0, 5).expect_err("none").to_string(),
        "Unknown service 'b'"
    );
    // Killing the requested one ends the application (no master script, nothing active).
    s.kill_container("a", 1, 6).expect("killed");
    assert_eq!(s.take_actions()[0], Action::RemoveRequest { priority: 2 });
    assert_eq!(s.outcome().map(|o| o.status), Some(FinalStatus::Succeeded));
}

#[test]
fn completions_after_a_killed_by_appmaster_one_in_the_same_heartbeat_are_all_handled() {
    let mut s = app(vec![("a", service(3, &[]))]);
    s.take_actions();
    s.on_allocated(
        &[
            allocation("c0", 1),
            allocation("c1", 2),
            allocation("c2", 3),
        ],
        2,
    );
    s.kill_container("a", 0, 3).expect("killed");
    s.on_completed(
        &[
            exited("c0", exit_status::KILLED_BY_APPMASTER),
            exited("c1", 0),
            exited("c2", 0),
        ],
        4,
    );
    assert_eq!(
        states(&s, "a"),
        vec![
            (0, ContainerState::Killed),
            (1, ContainerState::Succeeded),
            (2, ContainerState::Succeeded)
        ]
    );
    assert_eq!(s.outcome().map(|o| o.status), Some(FinalStatus::Succeeded));
}

#[test]
fn allocations_match_by_priority_and_memory_whatever_the_vcores() {
    let mut s = app(vec![("a", service(1, &[]))]);
    s.take_actions();
    // More memory and other vcores than asked (schedulers round up, DefaultResourceCalculator
    // ignores vcores): accepted.
    let mut bigger = allocation("c1", 1);
    bigger.memory_mb = 256;
    bigger.vcores = 4;
    s.on_allocated(&[bigger], 2);
    assert_eq!(launches(&s.take_actions()), vec![("a".to_string(), 0)]);
    // A late allocation for a request nobody has any more: released.
    s.on_allocated(&[allocation("stray", 99)], 3);
    assert_eq!(
        s.take_actions(),
        vec![Action::Release {
            container_id: "stray".into()
        }]
    );
}

#[test]
fn an_allocation_with_too_little_memory_is_released_and_asked_again() {
    let mut s = app(vec![("a", service(1, &[]))]);
    s.take_actions();
    let mut small = allocation("c1", 1);
    small.memory_mb = 64;
    s.on_allocated(&[small], 2);
    let actions = s.take_actions();
    assert!(actions.contains(&Action::Release {
        container_id: "c1".into()
    }));
    assert_eq!(requests(&actions), vec![2]);
    assert_eq!(states(&s, "a"), vec![(0, ContainerState::Requested)]);
}

#[test]
fn a_start_failure_fails_the_container_with_the_exception_text() {
    let mut s = app(vec![("a", service(1, &[]))]);
    s.take_actions();
    s.on_allocated(&[allocation("c1", 1)], 2);
    s.take_actions();
    s.on_start_failed("c1", "java.io.IOException: boom", 3);
    let c = &s.containers(&[], &[ContainerState::Failed]).expect("ok")[0];
    assert_eq!(
        c.exit_message,
        "Failed to start, exception raised: java.io.IOException: boom"
    );
    assert!(s.take_actions().contains(&Action::Release {
        container_id: "c1".into()
    }));
    // Its (ABORTED) completion afterwards changes nothing.
    s.on_completed(&[exited("c1", exit_status::ABORTED)], 4);
    assert_eq!(states(&s, "a"), vec![(0, ContainerState::Failed)]);
    assert_eq!(s.outcome().map(|o| o.exit_code), Some(12));
}

#[test]
fn get_containers_filters_by_service_and_state_and_rejects_unknown_services() {
    let mut s = app(vec![("a", service(1, &[])), ("b", service(1, &[]))]);
    s.on_allocated(&[allocation("c1", 1)], 2);
    let active = s.containers(&[], &[]).expect("ok");
    assert_eq!(
        active
            .iter()
            .map(|c| (c.service.as_str(), c.state))
            .collect::<Vec<_>>(),
        vec![
            ("a", ContainerState::Running),
            ("b", ContainerState::Requested)
        ]
    );
    let running = s
        .containers(&["b".into()], &[ContainerState::Running])
        .expect("ok");
    assert!(running.is_empty());
    assert_eq!(
        s.containers(&["x".into()], &[])
            .expect_err("unknown")
            .to_string(),
        "Unknown service 'x'"
    );
}

#[test]
fn the_first_outcome_wins_and_a_master_script_keeps_the_application_running() {
    let mut spec = spec_with(vec![("a", service(1, &[]))]);
    spec.master.script = "sleep 10".into();
    let mut s = Services::new(&spec);
    s.start(0);
    s.on_allocated(&[allocation("c1", 1)], 1);
    s.on_completed(&[exited("c1", 0)], 2);
    assert!(s.outcome().is_none(), "the master script decides");
    s.finish(FinalStatus::Killed, "user", 0);
    s.finish(FinalStatus::Succeeded, "later", 0);
    assert_eq!(s.outcome().map(|o| o.diagnostics.as_str()), Some("user"));
}

#[test]
fn the_container_directory_tells_the_kv_store_who_may_own_keys() {
    let mut s = app(vec![("a", service(2, &[]))]);
    s.on_allocated(&[allocation("c1", 1)], 1);
    s.on_completed(&[exited("c1", 0)], 2);
    let owner = |service: &str, instance| ContainerInstance {
        service_name: service.into(),
        instance,
    };
    assert_eq!(s.owner_state(&owner("a", 0)), OwnerState::Completed);
    assert_eq!(s.owner_state(&owner("a", 1)), OwnerState::Active);
    assert_eq!(s.owner_state(&owner("a", 2)), OwnerState::UnknownInstance);
    assert_eq!(s.owner_state(&owner("z", 0)), OwnerState::UnknownService);
}

#[test]
fn strict_locality_is_kept_only_with_a_location() {
    let mut pinned = service(1, &[]);
    pinned.nodes = vec!["n1".into()];
    pinned.relax_locality = false;
    let mut nowhere = service(1, &[]);
    nowhere.relax_locality = false;
    nowhere.node_label = "gpu".into();
    let mut s = app(vec![("pinned", pinned), ("nowhere", nowhere)]);
    let requests: Vec<ContainerRequest> = s
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::Request(r) => Some(r),
            _ => None,
        })
        .collect();
    // BTreeMap order: nowhere, pinned.
    assert!(requests[0].relax_locality);
    assert_eq!(requests[0].node_label, "gpu");
    assert!(!requests[1].relax_locality);
    assert_eq!(requests[1].nodes, vec!["n1"]);
}

#[test]
fn a_scale_above_max_instances_is_refused_and_changes_nothing() {
    let mut svc = service(2, &[]);
    svc.max_instances = 5;
    let mut s = app(vec![("worker", svc)]);
    s.take_actions();
    s.on_allocated(&[allocation("c1", 1)], 2);
    s.take_actions();
    let before = states(&s, "worker");

    let err = s
        .scale("worker", 100_000, 0, 3)
        .expect_err("above the limit");
    assert_eq!(
        err.to_string(),
        "Service 'worker' may have at most 5 active (waiting, requested or running) containers \
         (its max_instances), so scaling to 100000 is refused; it has 2 and nothing was \
         changed. To allow more, set `services.worker.max_instances` in the application's spec \
         (default 10000) and submit it again."
    );
    assert!(
        matches!(err, ServiceError::TooManyInstances { .. }),
        "{err:?}"
    );
    // By delta too, even one that would overflow an i32 on top of the active ones.
    assert!(s.scale("worker", 0, 4, 3).is_err());
    assert!(s.scale("worker", 0, i32::MAX, 3).is_err());
    assert_eq!(states(&s, "worker"), before);
    assert!(s.take_actions().is_empty(), "nothing asked of YARN");

    // Up to the limit is fine, and then one more container is refused.
    assert_eq!(s.scale("worker", 5, 0, 4).expect("at the limit").len(), 3);
    let err = s
        .add_container("worker", BTreeMap::new(), 5)
        .expect_err("above the limit");
    assert!(
        err.to_string()
            .contains("so adding a container to 6 is refused")
    );
    assert_eq!(states(&s, "worker").len(), 5);
    // Scaling down always works.
    assert_eq!(s.scale("worker", 1, 0, 6).expect("down").len(), 4);
}

#[test]
fn the_default_limit_is_ten_thousand_and_completed_containers_do_not_count() {
    let mut s = app(vec![("a", service(0, &[]))]);
    s.scale("a", 10_000, 0, 1).expect("at the default limit");
    assert!(s.scale("a", 10_001, 0, 1).is_err());
    s.scale("a", 0, 0, 2).expect("all killed");
    s.take_actions();
    s.scale("a", 10_000, 0, 3)
        .expect("killed ones are not active");
}

#[test]
fn a_restart_waits_for_its_backoff_and_the_application_waits_for_the_restart() {
    let mut svc = service(1, &[]);
    svc.restart = Some(spec::RestartPolicy {
        policy: spec::RestartMode::Always,
        max_restarts: 1,
        window: None,
        backoff: std::time::Duration::from_secs(5),
    });
    let mut s = app(vec![("web", svc)]);
    s.take_actions();
    s.on_allocated(&[allocation("c1", 1)], 2000);
    s.take_actions();
    // A success is restarted too (policy always), 5 s later.
    s.on_completed(&[exited("c1", 0)], 3000);
    assert_eq!(states(&s, "web"), vec![(0, ContainerState::Succeeded)]);
    assert_eq!(s.next_restart_due(), Some(8000));
    assert!(
        s.outcome().is_none(),
        "the application waits for the restart"
    );
    s.on_tick(7999);
    assert_eq!(states(&s, "web").len(), 1, "not before the backoff");
    s.on_tick(8000);
    assert_eq!(
        states(&s, "web"),
        vec![
            (0, ContainerState::Succeeded),
            (1, ContainerState::Requested)
        ]
    );
    assert_eq!(s.next_restart_due(), None);
    s.take_actions();
    s.on_allocated(&[allocation("c2", 2)], 9000);
    // The one restart is spent: a failure now fails the application.
    s.on_completed(&[exited("c2", 1)], 10_000);
    assert_eq!(s.next_restart_due(), None);
    assert_eq!(s.outcome().map(|o| o.status), Some(FinalStatus::Failed));
}

#[test]
fn a_scale_replaces_restarts_in_their_backoff() {
    let mut svc = service(1, &[]);
    svc.restart = Some(spec::RestartPolicy {
        backoff: std::time::Duration::from_secs(60),
        ..spec::RestartPolicy::default()
    });
    let mut s = app(vec![("web", svc)]);
    s.on_allocated(&[allocation("c1", 1)], 2000);
    s.on_completed(&[exited("c1", 1)], 3000);
    assert!(s.next_restart_due().is_some());
    s.scale("web", 2, 0, 4000).expect("scale");
    assert_eq!(s.next_restart_due(), None);
    assert_eq!(
        s.containers(&["web".to_string()], &[ContainerState::Requested])
            .expect("containers")
            .len(),
        2
    );
}

#[test]
fn dependents_of_a_checked_service_wait_for_ready_containers() {
    let mut web = service(1, &[]);
    web.readiness = Some(spec::Readiness::new(spec::ReadinessProbe::Tcp {
        port: 8080,
    }));
    let mut s = app(vec![("web", web), ("client", service(1, &["web"]))]);
    s.take_actions();
    let web_priority = s.containers(&["web".to_string()], &[]).expect("web")[0].instance;
    assert_eq!(web_priority, 0);
    s.on_allocated(&[allocation("c1", 1)], 2000);
    // Allocated and running, but not ready: the client still waits.
    assert_eq!(states(&s, "client"), vec![(0, ContainerState::Waiting)]);
    let web_report = &s.containers(&["web".to_string()], &[]).expect("web")[0];
    assert_eq!(web_report.readiness, Some(Readiness::default()));
    assert!(s.on_readiness("c1", false, "tcp localhost:8080: refused"));
    assert_eq!(states(&s, "client"), vec![(0, ContainerState::Waiting)]);
    assert!(s.on_readiness("c1", true, ""));
    assert_eq!(states(&s, "client"), vec![(0, ContainerState::Requested)]);
    let client = &s.containers(&["client".to_string()], &[]).expect("client")[0];
    assert_eq!(client.readiness, None, "no check, no readiness");
    // A container that no longer runs stops its checker.
    s.on_completed(&[exited("c1", 0)], 3000);
    assert!(!s.on_readiness("c1", true, ""));
}
