//! Aggregated logs read in Rust from the real cluster's HDFS: two finished applications, one
//! printing a marker to stdout and stderr, read back container by container and compared with
//! what Hadoop's own `yarn logs` prints.

use std::collections::BTreeMap;

use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::Hdfs;
use skein_hadoop::hdfs::aggregated_logs::{LogsError, read_application_logs};

use crate::cluster;
use crate::fixtures::{resource_manager, wait_for_log_aggregation, yarn_logs};
use crate::shell_app::submit_shell;

/// The `(container, log name) -> contents` blocks of a logs dump, found by each block's
/// `LogType:` and `LogLength:` lines; `container` comes from `Container: <id> on ...` lines in
/// `yarn logs` output, or is given for one container's text. Works on bytes: `LogLength` counts
/// bytes, and a log need not be UTF-8.
fn blocks(text: &[u8], container: Option<&str>) -> BTreeMap<(String, String), String> {
    fn line<'a>(rest: &mut &'a [u8]) -> &'a str {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = std::str::from_utf8(&rest[..end]).unwrap_or("");
        *rest = &rest[(end + 1).min(rest.len())..];
        line
    }
    let mut out = BTreeMap::new();
    let mut current = container.map(str::to_string);
    let mut rest = text;
    while !rest.is_empty() {
        let header = line(&mut rest);
        if let Some(c) = header.strip_prefix("Container: ") {
            current = c.split_whitespace().next().map(str::to_string);
        } else if let Some(name) = header.strip_prefix("LogType:") {
            let mut length = None;
            // Header lines until the contents marker (Hadoop 3 `yarn logs` says `LogContents:`).
            loop {
                assert!(!rest.is_empty(), "a complete header for {name}");
                let field = line(&mut rest);
                if let Some(n) = field.strip_prefix("LogLength:") {
                    length = Some(n.trim().parse::<usize>().expect("a length"));
                }
                if field == "Log Contents:" || field == "LogContents:" {
                    break;
                }
            }
            let length = length.expect("a LogLength line").min(rest.len());
            out.insert(
                (current.clone().expect("a container"), name.to_string()),
                String::from_utf8_lossy(&rest[..length]).into_owned(),
            );
            rest = &rest[length..];
            // Both dumps close a log with this line; finding it right after `LogLength` bytes
            // proves the length and the contents agree.
            let footer = format!("\nEnd of LogType:{name}\n");
            assert!(
                rest.starts_with(footer.as_bytes()) || rest == footer.trim_end().as_bytes(),
                "{name}: {length} bytes of contents are not followed by {footer:?}"
            );
        }
    }
    out
}

async fn wait_for_aggregated_logs(rm: &skein_hadoop::yarn::ResourceManager, id: &str) {
    let app = wait_for_log_aggregation(rm, id).await;
    assert_eq!(app.log_aggregation_status, "SUCCEEDED", "{app:?}");
}

#[tokio::test]
async fn two_applications_logs_read_in_rust_match_yarn_logs() {
    let c = cluster::shared();
    let rm = resource_manager();
    let marker = format!("logs-marker-{}", std::process::id());
    let first = submit_shell(
        &c.info,
        "shell-test",
        "logs one",
        &format!("echo {marker}-stdout; echo {marker}-stderr >&2"),
    )
    .await;
    let second = submit_shell(&c.info, "shell-test", "logs two", "echo second-app").await;
    wait_for_aggregated_logs(&rm, &first).await;
    wait_for_aggregated_logs(&rm, &second).await;

    let config = HadoopConfig::from_dir(&c.info.conf_dir).expect("configuration");
    let user = skein_hadoop::conf::current_user();
    let hdfs = Hdfs::connect(&config, &user).expect("hdfs");
    for (id, expected) in [
        (
            &first,
            vec![format!("{marker}-stdout"), format!("{marker}-stderr")],
        ),
        (&second, vec!["second-app".to_string()]),
    ] {
        let logs = read_application_logs(&hdfs, &config, &user, id)
            .await
            .unwrap_or_else(|e| panic!("logs of {id}: {e}"));
        let am = format!("container_{}_01_000001", &id["application_".len()..]);
        let am_text = logs
            .get(&am)
            .unwrap_or_else(|| panic!("no {am} in {:?}", logs.keys()));
        assert!(am_text.starts_with("LogType:"), "{am_text}");
        assert!(am_text.contains("\nLog Upload Time:"), "{am_text}");
        assert_eq!(am_text.trim_end(), am_text, "right-trimmed");

        let ours: BTreeMap<_, _> = logs
            .iter()
            .flat_map(|(container, text)| blocks(text.as_bytes(), Some(container)))
            .collect();
        for line in &expected {
            assert!(
                ours.values()
                    .any(|contents| contents.contains(line.as_str())),
                "{line} is in no log of {id}: {ours:#?}"
            );
        }
        if id == &first {
            assert_eq!(
                ours[&(am.clone(), "stdout".to_string())],
                format!("{marker}-stdout\n")
            );
            // The AM's own log lines go to stderr too.
            let stderr = &ours[&(am.clone(), "stderr".to_string())];
            assert!(
                stderr.lines().any(|l| l == format!("{marker}-stderr")),
                "{stderr}"
            );
        }

        let out = yarn_logs(&c.info.conf_dir, id);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = blocks(&out.stdout, None);
        assert_eq!(ours, theirs, "our reading of {id} differs from yarn logs");
    }
}

#[tokio::test]
async fn an_application_without_aggregated_logs_says_so_in_skeins_words() {
    let c = cluster::shared();
    let config = HadoopConfig::from_dir(&c.info.conf_dir).expect("configuration");
    let user = skein_hadoop::conf::current_user();
    let hdfs = Hdfs::connect(&config, &user).expect("hdfs");
    let err = read_application_logs(&hdfs, &config, &user, "application_1_9999")
        .await
        .expect_err("no such application");
    assert!(matches!(err, LogsError::NotAggregated), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Log aggregation has not completed or is not enabled."
    );
}

/// A node file captured from Hadoop 3.4.2 (see crates/skein-hadoop/src/hdfs/aggregated_logs_tests.rs).
const CAPTURED_NODE_FILE: &[u8] = include_bytes!(
    "../../crates/skein-hadoop/tests/data/aggregated-logs/hadoop-3.4.2_localhost_34381"
);

#[tokio::test]
async fn the_hadoop_2_layout_is_read_and_files_being_written_are_skipped() {
    let c = cluster::shared();
    let config = HadoopConfig::from_dir(&c.info.conf_dir).expect("configuration");
    let user = skein_hadoop::conf::current_user();
    let hdfs = Hdfs::connect(&config, &user).expect("hdfs");
    let pid = std::process::id();
    let put = |path: String, bytes: &'static [u8]| {
        let hdfs = &hdfs;
        async move {
            hdfs.write_file(&path, bytes::Bytes::from_static(bytes), 0o640)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    };

    // `<root>/<user>/logs/<app_id>/`, the folder of Hadoop 2 and of Skein's own reader, with a
    // half-written `.tmp` file next to a complete one.
    let app = format!("application_{pid}_0001");
    let folder = format!("/tmp/logs/{user}/logs/{app}");
    put(format!("{folder}/localhost_1"), CAPTURED_NODE_FILE).await;
    put(format!("{folder}/localhost_2.tmp"), b"half written").await;
    let logs = read_application_logs(&hdfs, &config, &user, &app)
        .await
        .expect("logs");
    let ids: Vec<_> = logs.keys().map(String::as_str).collect();
    assert_eq!(ids, ["container_1795639292774_0006_01_000001"]);
    assert!(logs[ids[0]].ends_with("second-app\n\nEnd of LogType:stdout"));

    // Only a file being written: nothing to read yet.
    let app = format!("application_{pid}_0002");
    put(
        format!("/tmp/logs/{user}/logs/{app}/localhost_1.tmp"),
        b"partial",
    )
    .await;
    let err = read_application_logs(&hdfs, &config, &user, &app)
        .await
        .expect_err("no complete file");
    assert_eq!(
        err.to_string(),
        "No logs found. Log aggregation may have not completed, or it may not be enabled."
    );

    // A damaged file is an error that names it.
    let app = format!("application_{pid}_0003");
    let damaged = format!("/tmp/logs/{user}/logs/{app}/localhost_1");
    put(damaged.clone(), &CAPTURED_NODE_FILE[..4000]).await;
    let err = read_application_logs(&hdfs, &config, &user, &app)
        .await
        .expect_err("damaged");
    assert!(
        matches!(&err, LogsError::Unreadable { path, .. } if path.ends_with(&damaged)),
        "{err:?}"
    );
    assert!(err.to_string().contains(&damaged), "{err}");

    for n in 1..=3 {
        let dir = format!("/tmp/logs/{user}/logs/application_{pid}_000{n}");
        hdfs.client().delete(&dir, true).await.expect("clean up");
    }
}
