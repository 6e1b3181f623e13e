//! The driver and an ApplicationMaster as gRPC tools see them: the real `grpcurl` lists,
//! describes and calls them through server reflection, and checks their health, over the same
//! mutual TLS with the application's key pair.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fixtures::Cli;

/// The `grpcurl` to use: `$SKEIN_GRPCURL` (scripts/run-tests installs one and sets it), else
/// one on PATH; `None` (the test says why and passes) when there is none and none is required.
fn grpcurl() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SKEIN_GRPCURL").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "SKEIN_GRPCURL={} does not exist",
            path.display()
        );
        return Some(path);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("grpcurl"))
            .find(|candidate| candidate.exists())
    });
    if found.is_none() {
        eprintln!(
            "skipped: no grpcurl (go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4, \
             or set SKEIN_GRPCURL; scripts/run-tests does)"
        );
    }
    found
}

/// `grpcurl [flags] ADDRESS [what...]` with the key pair in `config`: exit code and output.
fn call(
    grpcurl: &Path,
    config: &Path,
    flags: &[&str],
    address: &str,
    what: &[&str],
) -> (i32, String) {
    let out = Command::new(grpcurl)
        // The certificates name no host: the pair is pinned, not verified by name.
        .arg("-insecure")
        .arg("-cert")
        .arg(config.join("skein.crt"))
        .arg("-key")
        .arg(config.join("skein.pem"))
        .args(flags)
        .arg(address)
        .args(what)
        .output()
        .expect("run grpcurl");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn serving(grpcurl: &Path, config: &Path, address: &str, service: &str) -> String {
    let request = format!("{{\"service\":\"{service}\"}}");
    let (code, out) = call(
        grpcurl,
        config,
        &["-d", &request],
        address,
        &["grpc.health.v1.Health/Check"],
    );
    assert_eq!(code, 0, "health of {service}: {out}");
    out
}

#[test]
fn grpcurl_lists_describes_calls_and_checks_the_driver_and_an_application_master() {
    let Some(grpcurl) = grpcurl() else {
        return;
    };
    let cli = Cli::with_app_credentials();
    let (code, driver, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    let config = cli.config_dir().to_path_buf();

    // The driver: its own service, health and reflection, nothing of the AM's.
    let (code, listed) = call(&grpcurl, &config, &[], &driver, &["list"]);
    assert_eq!(code, 0, "{listed}");
    let services: Vec<&str> = listed.lines().collect();
    for service in [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "skein.Driver",
    ] {
        assert!(services.contains(&service), "{listed}");
    }
    assert!(!services.contains(&"skein.AppMaster"), "{listed}");
    let (code, described) = call(
        &grpcurl,
        &config,
        &[],
        &driver,
        &["describe", "skein.Driver"],
    );
    assert_eq!(code, 0, "{described}");
    assert!(
        described.contains("rpc submit ( .skein.ApplicationSpec ) returns ( .skein.Application )"),
        "{described}"
    );
    assert!(serving(&grpcurl, &config, &driver, "").contains("\"SERVING\""));
    assert!(serving(&grpcurl, &config, &driver, "skein.Driver").contains("\"SERVING\""));

    // An application, found with a driver call made by grpcurl.
    let dir = tempfile::tempdir().expect("spec dir");
    let spec = dir.path().join("grpcurl.yaml");
    let name = format!("grpcurl-{}", std::process::id());
    std::fs::write(
        &spec,
        format!(
            "name: {name}\nservices:\n  sleeper:\n    resources:\n      memory: 32\n      \
             vcores: 1\n    script: sleep 600\n"
        ),
    )
    .expect("write spec");
    let (code, id, err) = cli.run(&["application", "submit", "--wait", &spec.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let (code, applications) = call(
        &grpcurl,
        &config,
        &["-d", "{\"states\": [\"RUNNING\"]}"],
        &driver,
        &["skein.Driver/getApplications"],
    );
    assert_eq!(code, 0, "{applications}");
    assert!(applications.contains(&id), "{applications}");
    let request = format!("{{\"id\": \"{id}\"}}");
    let (code, report) = call(
        &grpcurl,
        &config,
        &["-d", &request],
        &driver,
        &["skein.Driver/getStatus"],
    );
    assert_eq!(code, 0, "{report}");
    let report: serde_json::Value = serde_json::from_str(&report).expect("a JSON report");
    let am = format!(
        "{}:{}",
        report["host"].as_str().expect("host"),
        report["port"].as_i64().expect("port")
    );

    let (code, listed) = call(&grpcurl, &config, &[], &am, &["list"]);
    assert_eq!(code, 0, "{listed}");
    assert!(
        listed.lines().any(|l| l == "skein.AppMaster")
            && listed.lines().any(|l| l == "grpc.health.v1.Health")
            && !listed.lines().any(|l| l == "skein.Driver"),
        "{listed}"
    );
    let (code, described) = call(
        &grpcurl,
        &config,
        &[],
        &am,
        &["describe", "skein.AppMaster"],
    );
    assert_eq!(code, 0, "{described}");
    assert!(described.contains("rpc GetRange"), "{described}");
    assert!(serving(&grpcurl, &config, &am, "skein.AppMaster").contains("\"SERVING\""));
    // RUNNING means registered: the service's container may come a moment later.
    let start = std::time::Instant::now();
    loop {
        let (code, containers) = call(
            &grpcurl,
            &config,
            &[],
            &am,
            &["skein.AppMaster/getContainers"],
        );
        assert_eq!(code, 0, "{containers}");
        if containers.contains("sleeper") {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no sleeper container: {containers}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }

    // Without the key pair nothing answers.
    let out = Command::new(&grpcurl)
        .args(["-insecure", &driver, "list"])
        .output()
        .expect("run grpcurl");
    assert!(
        !out.status.success(),
        "a client without a certificate was served"
    );

    let (code, _, err) = cli.run(&["application", "kill", &id]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli.run(&["driver", "stop"]);
    assert_eq!(code, 0, "{err}");
}
