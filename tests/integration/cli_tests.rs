//! The `skein` CLI as a user runs it, against the real cluster: a global driver, a spec
//! submitted from a file, listed, moved, killed, waited for, and nodes and queues listed.

use std::path::Path;

use crate::fixtures::Cli;

#[test]
fn a_spec_submitted_with_the_cli_is_listed_moved_killed_and_waited_for() {
    let cli = Cli::new();
    let (code, address, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    assert!(address.starts_with("127.0.0.1:"), "{address}");

    let dir = tempfile::tempdir().expect("spec dir");
    let spec = dir.path().join("sleepy.yaml");
    let name = format!("cli-{}", std::process::id());
    std::fs::write(
        &spec,
        format!(
            "name: {name}\nqueue: default\ntags: [cli]\nservices:\n  sleeper:\n    resources:\n      memory: 32\n      vcores: 1\n    script: sleep 600\n"
        ),
    )
    .expect("write spec");
    let (code, id, err) = cli.run(&["application", "submit", &spec.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    assert!(id.starts_with("application_"), "{id}");

    let (code, table, err) = cli.run(&["application", "ls", "--name", &name]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("APPLICATION_ID    "), "{table}");
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[1].starts_with(&id), "{table}");

    let (code, _, err) = cli.run(&["application", "mv", &id, "fruit"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("Error: ") && err.contains("Leaf"), "{err}");
    let (code, _, err) = cli.run(&["application", "mv", &id, "bananas"]);
    assert_eq!(code, 0, "{err}");
    let (code, json, err) = cli.run(&["application", "status", &id, "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let status: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(status[0]["application_id"], id.as_str());
    assert_eq!(status[0]["name"], name.as_str());

    let (code, _, err) = cli.run(&["application", "kill", &id]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli.run(&["application", "wait", &id]);
    assert_eq!(code, 3, "a killed application exits 3: {err}");

    let (code, _, err) = cli.run(&["application", "status", "nope"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "Error: Invalid ApplicationId 'nope'")
    );
    let (code, _, err) = cli.run(&["application", "submit", "/no/such/spec.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Error: No application specification file at '/no/such/spec.yaml'"
    );
}

#[test]
fn a_driver_killed_with_sigkill_and_started_again_serves_the_same_applications() {
    let cli = Cli::new();
    let (code, _, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    let name = format!("survivor-{}", std::process::id());
    let dir = tempfile::tempdir().expect("spec dir");
    let spec = dir.path().join("s.yaml");
    std::fs::write(
        &spec,
        format!("name: {name}\nservices:\n  s:\n    resources:\n      memory: 32\n      vcores: 1\n    script: sleep 600\n"),
    )
    .expect("write");
    let (code, id, err) = cli.run(&["application", "submit", &spec.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");

    let (_, pid, _) = cli.run(&["driver", "pid"]);
    let pid: i32 = pid.parse().expect("a pid");
    // SAFETY: sending a signal to a process we started has no memory-safety implications.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "driver {pid} survived SIGKILL"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // The dead driver's file is still there: start notices and replaces it.
    let (code, _, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    let (code, table, err) = cli.run(&["application", "ls", "--name", &name]);
    assert_eq!(code, 0, "{err}");
    assert!(
        table.lines().nth(1).is_some_and(|l| l.starts_with(&id)),
        "{table}"
    );
    let (code, _, err) = cli.run(&["application", "kill", &id]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn nodes_and_queues_are_listed() {
    let cli = Cli::new();
    let (code, nodes, err) = cli.run(&["node", "ls"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        nodes.lines().nth(1).is_some_and(|l| l.contains("RUNNING")),
        "{nodes}"
    );
    let (code, queues, err) = cli.run(&["queue", "ls", "-o", "yaml"]);
    assert_eq!(code, 0, "{err}");
    for queue in ["root", "default", "fruit", "apples", "bananas"] {
        assert!(queues.contains(&format!("queue: {queue}")), "{queues}");
    }
    assert!(Path::new(&cli.config_dir().join("skein.crt")).exists());
}
