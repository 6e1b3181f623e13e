//! Fault injection (issue 16): the global driver is killed with SIGKILL at random points of
//! submits of a spec with a 50 MB file; the next driver, once its grace period is over, leaves
//! no staging folder and no running application of those submits, and never touches an
//! application whose submit completed.
//!
//! The kill points come from a seeded generator; the seed is printed, and
//! `SKEIN_FAULT_SEED=<seed>` repeats a run's points. Half of the points are a random delay
//! after the submit starts (anywhere in it: mostly while the 50 MB file goes up); the other
//! half a random delay of at most 20 ms after the driver logs that it hands the application to
//! the ResourceManager, to hit the few milliseconds in which an application exists in YARN
//! while its client has no answer yet. Should none of the first ten points land there, up to
//! twenty more of the second kind are tried, so that the run always covers that case.
//!
//! The drivers act as a user of their own, so that their short grace period touches no other
//! test's staging folders.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use skein_hadoop::yarn::{AppQuery, ApplicationState, ClientOptions, ResourceManager};

use crate::cluster;
use crate::fixtures::{Cli, LONG, hdfs_as, shim_jar};

/// The kill points every run has.
const KILLS: usize = 10;
/// The most points a run tries while none has left an application without an answer.
const MAX_POINTS: usize = 30;
/// The drivers' `SKEIN_STAGING_GRACE`, in seconds.
const GRACE: &str = "15";
/// What the driver logs just before its call to the ResourceManager (driver/submit.rs).
const HANDING: &str = " to the ResourceManager";

/// splitmix64: a small seeded generator, so that a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration in [0, max).
    fn below(&mut self, max: Duration) -> Duration {
        let max_us = u64::try_from(max.as_micros()).unwrap_or(u64::MAX).max(1);
        Duration::from_micros(self.next() % max_us)
    }
}

/// Where a kill landed, as seen afterwards.
#[derive(Debug)]
enum Outcome {
    /// The client got its application id: the submit completed.
    Answered(String),
    /// The client got its application id, but the driver died before removing the submit
    /// marker (the instant the sweeper's documentation names): the sweeper ends it.
    AnsweredMarked(String),
    /// The driver died before handing the application to the ResourceManager.
    BeforeHanding,
    /// The driver died after logging that it hands this application to the ResourceManager,
    /// before the client got an answer.
    Handed(String),
}

/// The drivers, the CLI and the cluster, all as the test's own user.
struct Setup {
    cli: Cli,
    user: String,
    shim: std::path::PathBuf,
}

impl Setup {
    fn skein(&self, args: &[&str]) -> Command {
        let mut command = self.cli.command(args);
        command
            .env("HADOOP_USER_NAME", &self.user)
            .env("SKEIN_STAGING_GRACE", GRACE)
            .env("SKEIN_SHIM_JAR", &self.shim);
        command
    }

    /// Starts the global driver; returns its pid.
    fn start_driver(&self) -> u32 {
        let out = self
            .skein(&["driver", "start"])
            .output()
            .expect("driver start");
        assert!(
            out.status.success(),
            "driver start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = self.skein(&["driver", "pid"]).output().expect("driver pid");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("driver pid: {out:?}"))
    }

    /// Everything the drivers logged so far.
    fn driver_log(&self) -> String {
        let dir = self.cli.config_dir().join("logs");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }

    /// The ids the drivers logged handing to the ResourceManager, in order.
    fn handed(&self) -> Vec<String> {
        self.driver_log()
            .lines()
            .filter(|l| l.ends_with(HANDING))
            .filter_map(|l| l.split_whitespace().rev().nth(3).map(str::to_string))
            .collect()
    }
}

fn spec_with_a_50_mb_file(dir: &Path) -> std::path::PathBuf {
    let big = dir.join("big.bin");
    std::fs::write(&big, vec![7u8; 50 * 1024 * 1024]).expect("write the 50 MB file");
    let spec = dir.join("spec.yaml");
    std::fs::write(
        &spec,
        format!(
            "name: fault-injection\nqueue: default\n\
             master:\n  resources: {{memory: 256, vcores: 1}}\n\
             services:\n  sleeper:\n    resources: {{memory: 32, vcores: 1}}\n    \
             files:\n      big.bin: {}\n    script: sleep 600\n",
            big.display()
        ),
    )
    .expect("write the spec");
    spec
}

#[tokio::test]
async fn a_driver_killed_at_random_points_of_submits_leaves_nothing_behind() {
    let seed = std::env::var("SKEIN_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or_default()
        });
    println!("fault injection seed: {seed} (SKEIN_FAULT_SEED={seed} repeats the kill points)");
    let mut rng = Rng(seed);
    let setup = Setup {
        cli: Cli::with_app_credentials(),
        user: format!("skein-fault-{}", std::process::id()),
        shim: shim_jar(),
    };
    let fs = hdfs_as(&setup.user);
    let rm = ResourceManager::new(
        vec![cluster::shared().info.rm_webapp.clone()],
        &setup.user,
        ClientOptions::default(),
    )
    .expect("a client");
    let files = tempfile::tempdir().expect("temp dir");
    let spec = spec_with_a_50_mb_file(files.path());
    let spec = spec.to_str().expect("a UTF-8 path");

    // A submit that completes, timed to place the kill points: its application must outlive
    // every sweep below.
    setup.start_driver();
    let started = Instant::now();
    let out = setup
        .skein(&["application", "submit", spec])
        .output()
        .expect("submit");
    let duration = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = String::from_utf8_lossy(&out.stdout).trim().to_string();

    let mut outcomes = Vec::new();
    let reached_rm_unanswered = |outcomes: &[(String, Outcome)], known: &BTreeSet<String>| {
        outcomes
            .iter()
            .any(|(_, o)| matches!(o, Outcome::Handed(id) if known.contains(id)))
    };
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut ended_by_test: BTreeSet<String> = BTreeSet::new();
    while outcomes.len() < KILLS
        || (outcomes.len() < MAX_POINTS && !reached_rm_unanswered(&outcomes, &known))
    {
        let pid = setup.start_driver();
        let handed_before = setup.handed().len();
        let mut client = setup
            .skein(&["application", "submit", spec])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("submit");
        let point = if outcomes.len() % 2 == 0 && outcomes.len() < KILLS {
            let delay = rng.below(duration.mul_f64(1.2));
            std::thread::sleep(delay);
            format!("{} ms into the submit", delay.as_millis())
        } else {
            // The application reaches YARN within a few milliseconds of this line, and the
            // client has its answer some 10 to 30 ms after it: watch closely (blocking this
            // test's thread, which has nothing else to do meanwhile).
            let delay = rng.below(Duration::from_millis(20));
            let deadline = Instant::now() + LONG;
            while setup.handed().len() == handed_before
                && client.try_wait().ok().flatten().is_none()
            {
                assert!(Instant::now() < deadline, "the driver never handed it over");
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(delay);
            format!("{} µs after handing it over", delay.as_micros())
        };
        // SAFETY: kill(2) on the driver this test started.
        let killed = unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        assert_eq!(killed, 0, "kill -9 {pid}");
        let out = client.wait_with_output().expect("the submit's client");
        let handed = setup.handed();
        let outcome = if out.status.success() {
            let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if fs.has_submit_marker(&id).await.expect("stat") {
                Outcome::AnsweredMarked(id)
            } else {
                // Two completed submits are enough to watch; the others would only load the
                // cluster, so they end here.
                if answered(&outcomes).count() > 0 {
                    rm.kill(&id).await.expect("kill");
                    fs.remove_staging_dir(&id).await.expect("remove");
                    ended_by_test.insert(id.clone());
                }
                Outcome::Answered(id)
            }
        } else if handed.len() > handed_before {
            Outcome::Handed(handed[handed.len() - 1].clone())
        } else {
            Outcome::BeforeHanding
        };
        outcomes.push((point, outcome));
        known = applications(&rm, &setup.user)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
    }

    let completed: Vec<String> = std::iter::once(first)
        .chain(
            answered(&outcomes)
                .filter(|id| !ended_by_test.contains(*id))
                .cloned(),
        )
        .collect();

    // The next driver sweeps once the grace period is over: what remains is the completed
    // submits' folders and applications, nothing else.
    setup.start_driver();
    let deadline = Instant::now() + LONG;
    let (folders, alive) = loop {
        let folders: BTreeSet<String> = fs
            .staging_folders()
            .await
            .expect("staging folders")
            .into_iter()
            .map(|f| f.app_id)
            .collect();
        let alive: BTreeSet<String> = applications(&rm, &setup.user)
            .await
            .into_iter()
            .filter(|(_, state)| !state.is_terminal())
            .map(|(id, _)| id)
            .collect();
        let expected: BTreeSet<String> = completed.iter().cloned().collect();
        if (folders == expected && alive == expected) || Instant::now() > deadline {
            break (folders, alive);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let apps = applications(&rm, &setup.user).await;
    let log = setup.driver_log();
    let report = format!(
        "seed {seed}\nkill points: {outcomes:#?}\ncompleted submits: {completed:?}\n\
         staging folders: {folders:?}\nalive applications: {alive:?}\nall: {apps:?}"
    );
    println!("{report}");
    let expected: BTreeSet<String> = completed.iter().cloned().collect();
    assert_eq!(folders, expected, "staging folders left behind\n{report}");
    assert_eq!(alive, expected, "applications left running\n{report}");
    for id in &completed {
        assert!(
            !fs.has_submit_marker(id).await.expect("stat"),
            "{id}: a completed submit keeps its marker"
        );
    }
    // Each application of an interrupted submit was killed by a sweeper, which said so.
    let interrupted = apps
        .iter()
        .filter(|(id, _)| !expected.contains(id) && !ended_by_test.contains(id));
    for (id, state) in interrupted {
        assert_eq!(*state, ApplicationState::Killed, "{id}\n{report}");
        assert!(
            log.contains(&format!("killed application {id} ")),
            "no kill of {id} logged\n{report}\n{log}"
        );
    }
    // Answered in the instant before the marker went: ended as interrupted, as documented.
    for (_, outcome) in &outcomes {
        if let Outcome::AnsweredMarked(id) = outcome {
            assert!(
                apps.contains(&(id.clone(), ApplicationState::Killed)),
                "{id}\n{report}"
            );
        }
    }
    assert!(
        reached_rm_unanswered(&outcomes, &apps.iter().map(|(id, _)| id.clone()).collect()),
        "no kill point left an application in YARN without an answer to its client: the run \
         did not cover that case\n{report}"
    );

    for id in &completed {
        let out = setup
            .skein(&["application", "kill", id])
            .output()
            .expect("kill");
        assert!(out.status.success(), "{out:?}");
    }
    let _ = setup.skein(&["driver", "stop"]).output();
}

/// The ids of the completed submits among `outcomes`.
fn answered(outcomes: &[(String, Outcome)]) -> impl Iterator<Item = &String> {
    outcomes.iter().filter_map(|(_, o)| match o {
        Outcome::Answered(id) => Some(id),
        _ => None,
    })
}

/// The applications `user` submitted, with their states.
async fn applications(rm: &ResourceManager, user: &str) -> Vec<(String, ApplicationState)> {
    rm.applications(&AppQuery {
        user: Some(user.to_string()),
        ..AppQuery::default()
    })
    .await
    .expect("applications")
    .into_iter()
    .map(|a| (a.id, a.state))
    .collect()
}
