//! CLI commands get a driver the way Python's CLI does: the global one if recorded, else a
//! private one that lives as long as the command.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use skein::client::discovery::{GlobalDriver, write_global_driver};
use skein::driver::control::ControlError;
use skein::driver::launch::connect_default_driver;
use skein::driver::logging::LogLevel;
use skein::proto::Empty;
use skein::security::Credentials;

const SKEIN: &str = env!("CARGO_BIN_EXE_skein");

fn skein(config: &Path, args: &[&str]) -> Output {
    Command::new(SKEIN)
        .args(args)
        .env("SKEIN_CONFIG", config)
        .env_remove("SKEIN_LOG_LEVEL")
        .output()
        .expect("run skein")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

fn wait_until_dead(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.contains(") Z "))
    {
        assert!(Instant::now() < deadline, "process {pid} still alive");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn without_a_global_driver_a_private_one_serves_the_command_and_goes_away() {
    let config = tempfile::tempdir().expect("tempdir");
    let credentials = Credentials::generate().expect("generate");
    let (mut client, private) = connect_default_driver(
        config.path(),
        &credentials,
        Path::new(SKEIN),
        LogLevel::Warn,
    )
    .await
    .expect("driver");
    client.ping(Empty {}).await.expect("ping");
    let private = private.expect("a private driver was started");
    assert!(private.address().starts_with("127.0.0.1:"));
    let pid = private.pid().expect("pid");
    // The client is still connected: closing must not wait for it.
    let closing = Instant::now();
    let status = private.close().await.expect("close").expect("status");
    assert!(
        closing.elapsed() < Duration::from_secs(3),
        "{:?}",
        closing.elapsed()
    );
    drop(client);
    assert!(status.success(), "{status}");
    wait_until_dead(pid);
    assert!(
        !config.path().join("driver").exists(),
        "a private driver is not global"
    );
}

#[tokio::test]
async fn a_recorded_global_driver_is_used_and_a_dead_one_is_an_error() {
    let config = tempfile::tempdir().expect("tempdir");
    let credentials = Credentials::load_or_create(config.path())
        .expect("credentials")
        .credentials;
    let started = skein(config.path(), &["driver", "start"]);
    assert!(started.status.success(), "{}", text(&started.stderr));
    let (mut client, private) = connect_default_driver(
        config.path(),
        &credentials,
        Path::new(SKEIN),
        LogLevel::Info,
    )
    .await
    .expect("driver");
    assert!(private.is_none(), "the global driver is used");
    client.ping(Empty {}).await.expect("ping");
    assert!(skein(config.path(), &["driver", "stop"]).status.success());

    let dead = GlobalDriver {
        address: text(&started.stdout),
        pid: 4_000_000,
    };
    write_global_driver(config.path(), &dead).expect("write");
    let err = connect_default_driver(
        config.path(),
        &credentials,
        Path::new(SKEIN),
        LogLevel::Info,
    )
    .await
    .expect_err("recorded driver is gone");
    assert!(
        matches!(err, ControlError::Dead { pid: 4_000_000, .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("Unable to connect to driver")
            && err.to_string().contains("skein driver start"),
        "{err}"
    );
}

#[test]
fn restart_replaces_the_driver_and_honours_a_java_log_level_option() {
    let config = tempfile::tempdir().expect("tempdir");
    let dir = config.path();
    let first = skein(dir, &["driver", "start"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let old_pid: u32 = text(&skein(dir, &["driver", "pid"]).stdout)
        .parse()
        .expect("pid");

    let log = dir.join("restart.log");
    let restarted = skein(
        dir,
        &[
            "driver",
            "restart",
            "--log",
            log.to_str().expect("utf-8"),
            "--java-option",
            "-Dskein.log.level=debug",
        ],
    );
    assert!(restarted.status.success(), "{}", text(&restarted.stderr));
    wait_until_dead(old_pid);
    let new_pid: u32 = text(&skein(dir, &["driver", "pid"]).stdout)
        .parse()
        .expect("pid");
    assert_ne!(new_pid, old_pid);
    assert_eq!(
        text(&skein(dir, &["driver", "address"]).stdout),
        text(&restarted.stdout)
    );
    assert!(skein(dir, &["driver", "stop"]).status.success());
    wait_until_dead(new_pid);
    let log = std::fs::read_to_string(log).expect("log");
    assert!(log.contains("DEBUG"), "{log}");
}
