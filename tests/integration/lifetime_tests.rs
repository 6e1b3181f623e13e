//! An application's lifetime and priority (skein-rs extensions of the spec): YARN ends an
//! application past its `lifetime` and `skein application wait` says why; `update-lifetime`
//! and `update-priority` change a running application, as the ResourceManager reports it.

use std::path::Path;

use skein_hadoop::yarn::ApplicationState;

use crate::fixtures::{Cli, LONG, resource_manager, wait_for, wait_until_state};

/// A spec file of one service sleeping `sleep` seconds, with `extra` top-level lines.
fn spec_file(dir: &Path, name: &str, sleep: u32, extra: &str) -> String {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &path,
        format!(
            "name: {name}\n{extra}services:\n  sleeper:\n    resources:\n      memory: 32\n      \
             vcores: 1\n    script: sleep {sleep}\n"
        ),
    )
    .expect("write the spec");
    path.to_string_lossy().into_owned()
}

#[test]
fn an_application_past_its_lifetime_is_ended_by_yarn_and_wait_says_why() {
    let cli = Cli::new();
    let (code, _, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().expect("spec dir");
    // Without the lifetime the service would sleep for 5 minutes and the application succeed.
    let spec = spec_file(dir.path(), "short-lived", 300, "lifetime: 20s\n");
    let (code, id, err) = cli.run(&["application", "submit", &spec]);
    assert_eq!(code, 0, "{err}");

    let (code, json, err) = cli.run(&["application", "status", &id, "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let status: serde_json::Value = serde_json::from_str(&json).expect("json");
    let remaining = status[0]["lifetime_remaining_seconds"]
        .as_i64()
        .unwrap_or_else(|| panic!("no remaining lifetime in {json}"));
    assert!((0..=20).contains(&remaining), "{json}");
    let (code, table, err) = cli.run(&["application", "status", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("\nLIFETIME  20"), "{table}");

    let (code, _, err) = cli.run(&["application", "wait", &id]);
    assert_eq!(code, 3, "an application YARN killed exits 3: {err}");
    assert!(
        err.contains("exceeded the lifetime period"),
        "wait should print YARN's reason: {err}"
    );
}

#[test]
fn a_running_applications_lifetime_and_priority_can_be_changed() {
    let cli = Cli::new();
    let (code, _, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().expect("spec dir");
    let spec = spec_file(
        dir.path(),
        "prioritised",
        600,
        "lifetime: 20s\npriority: 3\n",
    );
    let (code, id, err) = cli.run(&["application", "submit", &spec]);
    assert_eq!(code, 0, "{err}");
    let rm = resource_manager();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(wait_until_state(&rm, &id, ApplicationState::Running));
    assert_eq!(app.priority, 3, "the spec's priority, as the RM reports it");

    let (code, out, err) = cli.run(&["application", "update-lifetime", &id, "1h"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("{id}: lifetime ends ")), "{out}");
    let app = runtime.block_on(rm.application(&id)).expect("report");
    let lifetime = app.lifetime().expect("a lifetime");
    assert!(
        lifetime.remaining_time_in_seconds > 20 * 60,
        "the RM holds the new lifetime: {lifetime:?}"
    );
    assert!(!app.state.is_terminal(), "{app:?}");

    let (code, out, err) = cli.run(&["application", "update-priority", &id, "7"]);
    assert_eq!(
        (code, out.as_str()),
        (0, format!("{id}: priority 7").as_str()),
        "{err}"
    );
    let app = runtime.block_on(rm.application(&id)).expect("report");
    assert_eq!(app.priority, 7);
    let (code, table, err) = cli.run(&["application", "status", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("\nPRIORITY  7\n"), "{table}");

    // Bad input is refused naming it and what to write.
    let (code, _, err) = cli.run(&["application", "update-lifetime", &id, "soon"]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid duration 'soon'"), "{err}");
    let (code, _, err) = cli.run(&["application", "update-priority", &id, "--", "-1"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "Error: The priority must be 0 or more, got -1")
    );

    let (code, _, err) = cli.run(&["application", "kill", &id]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli.run(&["application", "update-lifetime", &id, "1h"]);
    assert_eq!(code, 1);
    assert!(err.contains("has already ended (KILLED)"), "{err}");
    // The extended application lived past its first 20 s only because of the update: it was
    // the kill that ended it.
    let app = runtime.block_on(wait_for("the kill", LONG, || async {
        let app = rm.application(&id).await.expect("report");
        app.state.is_terminal().then_some(app)
    }));
    assert!(
        !app.diagnostics.contains("lifetime"),
        "killed by the user, not by its lifetime: {}",
        app.diagnostics
    );
}
