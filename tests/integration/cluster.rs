//! The real Hadoop cluster the integration tests run against.
//!
//! One cluster serves a whole test run. When `SKEIN_TEST_CLUSTER` names a running cluster's
//! configuration folder (as `make test` and `.ci/run` do), the tests attach to it; otherwise the
//! first test to ask starts one with `scripts/cluster run` and keeps its stdin open: when the
//! test process exits, however it exits, the cluster sees EOF and stops.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::Deserialize;

/// What the cluster's READY line says (also in `<conf_dir>/cluster.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterInfo {
    pub hadoop_version: String,
    pub rm_webapp: String,
    pub default_fs: String,
    pub conf_dir: PathBuf,
    /// Where the cluster keeps its state (NodeManager logs under `nodemanager/logs`).
    #[serde(default)]
    pub work_dir: PathBuf,
}

/// A running test cluster.
pub struct TestCluster {
    pub info: ClusterInfo,
    // Held so the cluster lives exactly as long as this process.
    _stdin: Mutex<Option<ChildStdin>>,
    _child: Mutex<Option<Child>>,
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared cluster (started on first use unless `SKEIN_TEST_CLUSTER` points at one).
pub fn shared() -> &'static TestCluster {
    static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| match std::env::var_os("SKEIN_TEST_CLUSTER") {
        Some(dir) if !dir.is_empty() => attach(Path::new(&dir)),
        _ => {
            let dir = repo_root()
                .join("target")
                .join(format!("test-cluster-{}", std::process::id()));
            let (info, stdin, child) = start(&dir, &[]);
            TestCluster {
                info,
                _stdin: Mutex::new(Some(stdin)),
                _child: Mutex::new(Some(child)),
            }
        }
    })
}

fn attach(conf_dir: &Path) -> TestCluster {
    let path = conf_dir.join("cluster.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("SKEIN_TEST_CLUSTER: cannot read {}: {e}", path.display()));
    let info: ClusterInfo = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not a cluster description: {e}", path.display()));
    TestCluster {
        info,
        _stdin: Mutex::new(None),
        _child: Mutex::new(None),
    }
}

/// Starts a cluster in `dir` in the foreground of a child process and waits for READY.
pub fn start(dir: &Path, extra_args: &[&str]) -> (ClusterInfo, ChildStdin, Child) {
    std::fs::create_dir_all(dir).expect("create the cluster folder");
    let log = std::fs::File::create(dir.join("cluster.log")).expect("create cluster.log");
    let mut child = Command::new(repo_root().join("scripts/cluster"))
        .arg("run")
        .args(extra_args)
        .env("SKEIN_CLUSTER_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("run scripts/cluster");
    let stdout = child.stdout.take().expect("piped stdout");
    let stdin = child.stdin.take().expect("piped stdin");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(json) = line.strip_prefix("READY ") {
                let _ = tx.send(json.to_string());
                break;
            }
        }
    });
    let json = match rx.recv_timeout(Duration::from_secs(600)) {
        Ok(json) => json,
        Err(_) => {
            let _ = child.kill();
            let log = std::fs::read_to_string(dir.join("cluster.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "the test cluster did not become ready; end of its log:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    };
    let info: ClusterInfo = serde_json::from_str(&json).expect("READY line is JSON");
    (info, stdin, child)
}
