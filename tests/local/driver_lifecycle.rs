//! The driver daemon's lifecycle: the launch handshake, the global driver file, and the
//! `skein driver ...` commands run as a user would.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{RunningDriver, credentials};
use skein::client::discovery::{GlobalDriver, read_global_driver, write_global_driver};
use skein::driver::ServeOptions;
use skein::proto::Empty;
use skein::security::Credentials;

const SKEIN: &str = env!("CARGO_BIN_EXE_skein");

/// Accepts the driver's callback and returns the port it sent (big-endian int32).
fn read_callback(listener: &TcpListener) -> u16 {
    let (mut stream, _) = listener.accept().expect("callback");
    let mut bytes = [0u8; 4];
    stream.read_exact(&mut bytes).expect("4 bytes");
    u16::try_from(i32::from_be_bytes(bytes)).expect("a port")
}

#[tokio::test]
async fn a_spawned_driver_sends_its_port_to_the_callback_socket() {
    let callback = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = callback.local_addr().expect("addr").port();
    let accept = tokio::task::spawn_blocking(move || read_callback(&callback));
    let driver = RunningDriver::start(credentials(), ServeOptions::spawned(port, true)).await;
    let announced = accept.await.expect("callback thread");
    assert_eq!(announced, driver.address.port());

    let mut client =
        skein::client::connect_driver(&format!("127.0.0.1:{announced}"), credentials())
            .await
            .expect("connect");
    client.ping(Empty {}).await.expect("ping");
    driver.stop().await.expect("clean stop");
}

#[tokio::test]
async fn the_global_driver_file_names_the_driver_until_it_stops() {
    let config = tempfile::tempdir().expect("tempdir");
    let options = ServeOptions::global(config.path().to_path_buf());
    let driver = RunningDriver::start(credentials(), options).await;
    let file = wait_for(|| read_global_driver(config.path())).await;
    assert_eq!(file.address, driver.address.to_string());
    assert_eq!(file.pid, std::process::id());
    let raw = std::fs::read_to_string(config.path().join("driver")).expect("read");
    let json: serde_json::Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(json["address"], driver.address.to_string());

    driver.stop().await.expect("clean stop");
    assert!(
        !config.path().join("driver").exists(),
        "removed on clean exit"
    );
}

#[tokio::test]
async fn a_stopping_driver_leaves_a_newer_drivers_file_alone() {
    let config = tempfile::tempdir().expect("tempdir");
    let options = ServeOptions::global(config.path().to_path_buf());
    let driver = RunningDriver::start(credentials(), options).await;
    wait_for(|| read_global_driver(config.path())).await;
    let newer = GlobalDriver {
        address: "127.0.0.1:1".to_string(),
        pid: 4_000_000,
    };
    write_global_driver(config.path(), &newer).expect("write");
    driver.stop().await.expect("clean stop");
    assert_eq!(read_global_driver(config.path()), Some(newer));
}

async fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn skein(config: &Path, args: &[&str]) -> Output {
    Command::new(SKEIN)
        .args(args)
        .env("SKEIN_CONFIG", config)
        // A Hadoop configuration folder (empty: defaults), so that the driver has nothing to
        // warn about whatever the environment of the test run holds.
        .env("HADOOP_CONF_DIR", config)
        .env_remove("SKEIN_LOG_LEVEL")
        .output()
        .expect("run skein")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

fn process_alive(pid: u32) -> bool {
    // A zombie still "exists"; /proc tells the state.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

#[test]
fn driver_start_address_pid_stop_as_a_user_runs_them() {
    let config = tempfile::tempdir().expect("tempdir");
    let dir = config.path();

    let none = skein(dir, &["driver", "address"]);
    assert_eq!(none.status.code(), Some(1));
    assert_eq!(stderr(&none), "Error: No skein driver is running");
    assert!(
        skein(dir, &["driver", "stop"]).status.success(),
        "stop without driver is silent"
    );

    let log = dir.join("driver.log");
    let started = skein(
        dir,
        &["driver", "start", "--log", log.to_str().expect("utf-8")],
    );
    assert!(started.status.success(), "{}", stderr(&started));
    assert!(
        stderr(&started).contains("writing now to"),
        "credentials created on first use"
    );
    let address = stdout(&started);
    assert!(address.starts_with("127.0.0.1:"), "{address}");

    let again = skein(dir, &["driver", "start"]);
    assert_eq!(stdout(&again), address, "start is idempotent");
    assert_eq!(stdout(&skein(dir, &["driver", "address"])), address);
    let pid: u32 = stdout(&skein(dir, &["driver", "pid"]))
        .parse()
        .expect("pid");
    assert!(process_alive(pid));

    let stopped = skein(dir, &["driver", "stop"]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    assert!(!dir.join("driver").exists());
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(pid) {
        assert!(
            Instant::now() < deadline,
            "driver {pid} still alive after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = std::fs::read_to_string(&log).expect("log");
    assert!(log.contains("INFO"), "{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(!log.contains("WARN"), "{log}");
}

#[test]
fn a_dead_driver_is_replaced_and_a_live_stranger_is_not_touched_without_force() {
    let config = tempfile::tempdir().expect("tempdir");
    let dir = config.path();
    Credentials::load_or_create(dir).expect("credentials");

    // A driver file left by a driver that died: start warns and replaces it.
    let mut dead = Command::new("true").spawn().expect("spawn");
    let dead_pid = dead.id();
    dead.wait().expect("wait");
    let stale = GlobalDriver {
        address: "127.0.0.1:1".to_string(),
        pid: dead_pid,
    };
    write_global_driver(dir, &stale).expect("write");
    let started = skein(dir, &["driver", "start"]);
    assert!(started.status.success(), "{}", stderr(&started));
    assert!(
        stderr(&started).contains(&format!(
            "Previous driver at 127.0.0.1:1, PID {dead_pid} has died"
        )),
        "{}",
        stderr(&started)
    );
    assert_ne!(stdout(&started), "127.0.0.1:1");
    assert!(skein(dir, &["driver", "stop"]).status.success());

    // A live process that is not a driver: refused, unless forced (then it gets SIGTERM).
    let mut stranger = Command::new("sleep").arg("60").spawn().expect("spawn");
    let file = GlobalDriver {
        address: "127.0.0.1:1".to_string(),
        pid: stranger.id(),
    };
    write_global_driver(dir, &file).expect("write");
    let refused = skein(dir, &["driver", "stop"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert!(process_alive(stranger.id()));
    let refused = skein(dir, &["driver", "start"]);
    assert_eq!(refused.status.code(), Some(1));

    let forced = skein(dir, &["driver", "stop", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let status = stranger.wait().expect("wait");
    assert!(!status.success(), "the stranger was terminated");
    assert!(!dir.join("driver").exists());
}

#[test]
fn the_java_command_line_python_runs_starts_a_driver_that_exits_on_stdin_eof() {
    let credentials = Credentials::generate().expect("generate");
    let callback = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = callback.local_addr().expect("addr").port();
    let config = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(SKEIN)
        .args(["driver", "jvm-compat", "--"])
        .args([
            "-Dskein.log.level=INFO",
            "-Xmx128m",
            "-Dskein.log.level=debug",
            "com.anaconda.skein.Driver",
            "--jar",
            "/nonexistent/skein.jar",
        ])
        .env("SKEIN_CONFIG", config.path())
        .env("SKEIN_CERTIFICATE", credentials.cert_pem())
        .env("SKEIN_KEY", credentials.key_pem())
        .env("SKEIN_CALLBACK_PORT", port.to_string())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let driver_port = read_callback(&callback);

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut client =
            skein::client::connect_driver(&format!("127.0.0.1:{driver_port}"), &credentials)
                .await
                .expect("connect");
        client.ping(Empty {}).await.expect("ping");
    });

    let mut stdin = child.stdin.take().expect("stdin");
    stdin.flush().expect("flush");
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "driver did not exit on stdin EOF"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("log");
    assert!(
        log.contains("DEBUG"),
        "the last -Dskein.log.level (debug) applies:\n{log}"
    );
    assert!(log.contains("end of file on stdin"), "{log}");
}

#[test]
fn a_java_command_line_that_is_not_the_driver_is_a_usage_error() {
    let output = Command::new(SKEIN)
        .args([
            "driver",
            "jvm-compat",
            "--",
            "com.anaconda.skein.Driver",
            "--daemon",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--jar is required"),
        "{}",
        stderr(&output)
    );
}

/// The global driver's log file(s) for a configuration folder, concatenated.
fn driver_logs(config: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(config.join("logs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    text
}

#[tokio::test]
async fn the_global_driver_keeps_a_private_log_and_a_dead_one_is_named_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().expect("tempdir");
    // A configuration folder skein creates itself.
    let dir = parent.path().join("skein");
    let run = |args: &[&str]| {
        Command::new(SKEIN)
            .args(args)
            .env("SKEIN_CONFIG", &dir)
            .env("HADOOP_CONF_DIR", parent.path())
            .env_remove("SKEIN_LOG_LEVEL")
            .output()
            .expect("run skein")
    };
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    let started = run(&["driver", "start"]);
    assert!(started.status.success(), "{}", stderr(&started));
    let address = stdout(&started);
    assert_eq!(mode(&dir), 0o700, "the configuration folder is private");
    assert_eq!(
        mode(&dir.join("driver")),
        0o600,
        "the driver file is private"
    );
    assert_eq!(mode(&dir.join("logs")), 0o700, "the log folder is private");

    // Without --log, the driver still logs, including a refused handshake with its peer.
    let credentials = Credentials::load_or_create(&dir)
        .expect("credentials")
        .credentials;
    let stranger = skein::security::tls::client_config_with(
        credentials.cert_der(),
        Some(crate::common::foreign_credentials()),
    )
    .expect("config");
    if let Ok(channel) = skein::client::connect_channel(&address, stranger, "driver").await {
        let refused = skein::proto::driver_client::DriverClient::new(channel)
            .ping(Empty {})
            .await;
        assert!(refused.is_err(), "a stranger was served");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let logged = loop {
        let logged = driver_logs(&dir);
        if logged.contains("refused a connection") || Instant::now() > deadline {
            break logged;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(logged.contains("Driver started, listening on"), "{logged}");
    assert!(
        logged.contains("driver: refused a connection from 127.0.0.1:"),
        "the refused handshake and its peer are logged: {logged}"
    );

    // The driver dies without cleaning up.
    let pid: u32 = stdout(&run(&["driver", "pid"])).parse().expect("pid");
    // SAFETY: signalling a process this test started.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(pid) {
        assert!(Instant::now() < deadline, "driver {pid} survived SIGKILL");
        std::thread::sleep(Duration::from_millis(20));
    }
    for args in [
        &["driver", "pid"][..],
        &["driver", "address"],
        &["application", "ls"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("(PID {pid}")) && err.contains("exited or was killed"),
            "{args:?} names the dead driver: {err}"
        );
        assert!(
            err.contains("skein driver start")
                && err.contains(&dir.join("logs").display().to_string()),
            "{args:?} says where to look and how to restart: {err}"
        );
    }
    let restarted = run(&["driver", "start"]);
    assert!(restarted.status.success(), "{}", stderr(&restarted));
    assert!(run(&["driver", "stop"]).status.success());
}

#[test]
fn a_call_cut_by_a_dying_driver_says_the_driver_went_away() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("skein");
    let hadoop = parent.path().join("hadoop");
    std::fs::create_dir_all(&hadoop).expect("mkdir");
    // A ResourceManager address that accepts connections and never answers keeps the
    // driver busy inside the call.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let rm = silent.local_addr().expect("address");
    std::fs::write(
        hadoop.join("yarn-site.xml"),
        format!(
            "<configuration><property><name>yarn.resourcemanager.webapp.address</name>\
             <value>{rm}</value></property></configuration>"
        ),
    )
    .expect("yarn-site.xml");
    let command = |args: &[&str]| {
        let mut c = Command::new(SKEIN);
        c.args(args)
            .env("SKEIN_CONFIG", &dir)
            .env("HADOOP_CONF_DIR", &hadoop)
            .env_remove("SKEIN_LOG_LEVEL");
        c
    };
    let started = command(&["driver", "start"]).output().expect("run skein");
    assert!(started.status.success(), "{}", stderr(&started));
    let pid: u32 = stdout(&command(&["driver", "pid"]).output().expect("run skein"))
        .parse()
        .expect("pid");
    let call = command(&["application", "ls"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn skein");
    // Wait until the driver is inside the call, talking to the silent "ResourceManager".
    let (_held, _) = silent
        .accept()
        .expect("the driver calls the ResourceManager");
    // SAFETY: signalling a process this test started.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    let out = call.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("The skein driver went away during the call")
            && err.contains("skein driver start"),
        "{err}"
    );
}
