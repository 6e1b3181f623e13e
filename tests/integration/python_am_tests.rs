//! The unchanged Python `skein` 0.8.2 `ApplicationClient` (the one dask-yarn uses) against the
//! Rust ApplicationMaster: kv mapping, events, wait, transactions, containers, scale, kill,
//! progress, proxied pages and the shutdown sequence (`python/am_client.py`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::am_staging::{
    TestApp, TestService, app_credentials, resource_manager, submit_app, wait_until_finished,
};
use crate::cluster::{self, wait_for};

/// The venv of tests/python (created by its setup script when missing).
fn python() -> PathBuf {
    let root = cluster::repo_root();
    let setup = Command::new("bash")
        .arg(root.join("tests/python/setup-venv.sh"))
        .status()
        .expect("run setup-venv.sh");
    assert!(setup.success(), "tests/python/setup-venv.sh failed");
    root.join("tests/python/.venv/bin/python")
}

#[tokio::test]
async fn the_python_application_client_works_against_the_rust_application_master() {
    let c = cluster::shared();
    let rm = resource_manager(&c.info);
    // Inside containers, `ApplicationClient.from_current()` finds the AM and the key pair
    // from the environment skein-rs sets (a service's, and the master script's).
    let python = python();
    let publish = |key: &str, value: &str| {
        format!(
            "{} -c \"import skein; skein.ApplicationClient.from_current().kv['{key}'] = {value}\"\n",
            python.display()
        )
    };
    let app = TestApp {
        name: "python client",
        services: vec![
            TestService::new("svc", "sleep 600\n"),
            TestService::new(
                "py",
                publish("from-service", "skein.properties.container_id.encode()") + "sleep 600\n",
            ),
        ],
        master_script: Some(publish("from-driver", "b'ok'") + "sleep 600\n"),
        ..Default::default()
    };
    let id = submit_app(&c.info, &rm, &app).await;
    let address = wait_for("the AM address", Duration::from_secs(180), || async {
        let app = rm.application(&id).await.expect("report");
        (app.state == "RUNNING" && !app.am_rpc_address.is_empty()).then_some(app.am_rpc_address)
    })
    .await;
    let keys = tempfile::tempdir().expect("temp dir");
    app_credentials()
        .write_to_directory(keys.path(), false)
        .expect("credentials");
    let script = cluster::repo_root().join("tests/integration/python/am_client.py");
    let out = tokio::task::spawn_blocking({
        let (address, id) = (address.clone(), id.clone());
        let keys_dir = keys.path().to_path_buf();
        let crt = keys.path().join("skein.crt");
        let pem = keys.path().join("skein.pem");
        move || {
            Command::new(python)
                .arg(script)
                .args([&address, &id])
                .arg(crt)
                .arg(pem)
                // The key pair is passed explicitly; nothing of the user's config is read.
                .env("SKEIN_CONFIG", keys_dir.join("unused-config"))
                .output()
                .expect("run python")
        }
    })
    .await
    .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = wait_until_finished(&rm, &id, Duration::from_secs(120)).await;
    assert_eq!(
        (report.final_status.as_str(), report.diagnostics.as_str()),
        ("KILLED", "from python")
    );
}
