//! The aggregated log format on bytes: a node file captured from a real Hadoop 3.4.2 cluster,
//! files built here the way YARN's writer lays them out, and damaged values.

use super::*;
use crate::hdfs::tfile::tests::build_tfile;

/// Java's `DataOutput.writeUTF` for ASCII text.
fn java_utf(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// A container's record value: `(name, contents)` per log file.
fn container_value(logs: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, contents) in logs {
        out.extend(java_utf(name));
        out.extend(java_utf(&contents.len().to_string()));
        out.extend_from_slice(contents);
    }
    out
}

/// A node file as YARN writes it: VERSION, APPLICATION_ACL, APPLICATION_OWNER, then containers.
fn node_file(containers: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut acl = java_utf("VIEW_APP");
    acl.extend(java_utf("alice"));
    let mut records = vec![
        (java_utf("VERSION"), 1i32.to_be_bytes().to_vec()),
        (java_utf("APPLICATION_ACL"), acl),
        (java_utf("APPLICATION_OWNER"), java_utf("alice")),
    ];
    for (id, value) in containers {
        records.push((java_utf(id), value.clone()));
    }
    build_tfile(&[records], 4096)
}

const NOV_25: u64 = 1_795_636_986_000;

#[test]
fn upload_time_is_printed_like_javas_date() {
    assert_eq!(java_date(NOV_25), "Wed Nov 25 20:03:06 +0000 2026");
    assert_eq!(
        java_date(1_709_168_523_000),
        "Thu Feb 29 01:02:03 +0000 2024"
    );
    assert_eq!(java_date(1), "Thu Jan 01 00:00:00 +0000 1970");
    assert_eq!(java_date(0), "N/A");
}

#[test]
fn each_log_file_becomes_a_block_and_the_whole_is_right_trimmed() {
    let value = container_value(&[("stdout", b"out line\n"), ("stderr", b"err line\n\n  \t")]);
    let (text, count) = container_logs_text("c1", &value, "TIME").expect("valid");
    assert_eq!(count, 2);
    assert_eq!(
        text,
        "LogType:stdout\nLog Upload Time:TIME\nLogLength:9\nLog Contents:\nout line\n\n\
         End of LogType:stdout\n\n\
         LogType:stderr\nLog Upload Time:TIME\nLogLength:13\nLog Contents:\nerr line\n\n  \t\n\
         End of LogType:stderr"
    );
}

#[test]
fn a_container_without_log_files_is_listed_with_empty_text() {
    assert_eq!(
        container_logs_text("c1", &[], "TIME"),
        Ok((String::new(), 0))
    );
}

#[test]
fn a_value_cut_inside_a_log_keeps_what_is_there_like_hadoops_reader() {
    let mut value = container_value(&[("stdout", b"0123456789")]);
    value.truncate(value.len() - 4);
    let (text, count) = container_logs_text("c1", &value, "T").expect("lenient");
    assert_eq!(count, 1);
    assert!(text.ends_with("LogLength:10\nLog Contents:\n012345\nEnd of LogType:stdout"));
    // Cut inside the next header: the logs end before it.
    let mut two = container_value(&[("stdout", b"a"), ("stderr", b"b")]);
    two.truncate(two.len() - 5);
    assert_eq!(container_logs_text("c1", &two, "T").expect("lenient").1, 1);
}

#[test]
fn a_length_that_is_not_a_number_is_an_error() {
    let mut value = java_utf("stdout");
    value.extend(java_utf("ten"));
    value.extend_from_slice(b"0123456789");
    assert_eq!(
        container_logs_text("c1", &value, "T"),
        Err(FormatError::BadLength {
            container: "c1".into(),
            log: "stdout".into(),
            length: "ten".into()
        })
    );
}

#[test]
fn reserved_keys_are_skipped_and_containers_kept_in_file_order() {
    let file = node_file(&[
        (
            "container_1_0001_01_000001",
            container_value(&[("stdout", b"am\n")]),
        ),
        ("container_1_0001_01_000002", Vec::new()),
    ]);
    let containers = parse_node_file(&file, NOV_25).expect("valid");
    let ids: Vec<_> = containers.iter().map(|c| c.container_id.as_str()).collect();
    assert_eq!(
        ids,
        ["container_1_0001_01_000001", "container_1_0001_01_000002"]
    );
    assert_eq!(
        containers[0].text,
        "LogType:stdout\nLog Upload Time:Wed Nov 25 20:03:06 +0000 2026\nLogLength:3\n\
         Log Contents:\nam\n\nEnd of LogType:stdout"
    );
    assert_eq!((containers[0].log_count, containers[1].log_count), (1, 0));
}

#[test]
fn a_damaged_node_file_is_an_error_never_a_panic() {
    let file = node_file(&[(
        "container_1_0001_01_000001",
        container_value(&[("stdout", b"hello\n"), ("stderr", b"")]),
    )]);
    for len in 0..file.len() {
        assert!(
            parse_node_file(&file[..len], NOV_25).is_err(),
            "cut at {len}"
        );
    }
    for i in 0..file.len() {
        let mut bad = file.clone();
        bad[i] ^= 0xa5;
        let _ = parse_node_file(&bad, NOV_25);
    }
    assert!(matches!(
        parse_node_file(b"not a tfile at all, just some text long enough", NOV_25),
        Err(FormatError::TFile(TFileError::BadMagic))
    ));
}

#[test]
fn log_folders_are_looked_for_in_every_hadoop_layout() {
    let config = HadoopConfig::default();
    assert_eq!(
        app_log_dir_candidates(&config, "alice", "application_1764100000000_0042"),
        [
            "/tmp/logs/alice/bucket-logs-tfile/0042/application_1764100000000_0042",
            "/tmp/logs/alice/logs-tfile/application_1764100000000_0042",
            "/tmp/logs/alice/bucket-logs/0042/application_1764100000000_0042",
            "/tmp/logs/alice/logs/application_1764100000000_0042",
        ]
    );
    let mut custom = HadoopConfig::default();
    custom.set(
        "yarn.nodemanager.remote-app-log-dir",
        "hdfs://nn:8020/app-logs/",
    );
    custom.set("yarn.nodemanager.remote-app-log-dir-suffix", "agg");
    custom.set("yarn.log-aggregation.TFile.remote-app-log-dir-suffix", "tf");
    let candidates = app_log_dir_candidates(&custom, "bob", "application_1_12345");
    assert_eq!(
        candidates[0],
        "/app-logs/bob/bucket-tf/2345/application_1_12345"
    );
    assert!(candidates.contains(&"/app-logs/bob/agg/application_1_12345".to_string()));
}

#[test]
fn errors_carry_skeins_messages() {
    assert_eq!(
        LogsError::NotAggregated.to_string(),
        "Log aggregation has not completed or is not enabled."
    );
    assert_eq!(
        LogsError::NoLogs.to_string(),
        "No logs found. Log aggregation may have not completed, or it may not be enabled."
    );
}

/// A node file uploaded by Hadoop 3.4.2's NodeManager for `echo second-app` run by the test
/// cluster's shell ApplicationMaster, and its HDFS modification time.
const HADOOP_3_4_2_FILE: &[u8] =
    include_bytes!("../../tests/data/aggregated-logs/hadoop-3.4.2_localhost_34381");
const HADOOP_3_4_2_MTIME: u64 = 1_795_639_707_244;

#[test]
fn a_file_written_by_hadoop_3_4_2_reads_back() {
    let containers = parse_node_file(HADOOP_3_4_2_FILE, HADOOP_3_4_2_MTIME).expect("valid");
    let ids: Vec<_> = containers.iter().map(|c| c.container_id.as_str()).collect();
    assert_eq!(ids, ["container_1795639292774_0006_01_000001"]);
    let text = &containers[0].text;
    let types: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix("LogType:"))
        .collect();
    assert_eq!(
        types,
        [
            "directory.info",
            "launch_container.sh",
            "prelaunch.err",
            "prelaunch.out",
            "stderr",
            "stdout"
        ]
    );
    assert_eq!(containers[0].log_count, types.len());
    assert!(text.starts_with(
        "LogType:directory.info\nLog Upload Time:Wed Nov 25 20:48:27 +0000 2026\n\
         LogLength:1655\nLog Contents:\nls -l:\n"
    ));
    assert!(
        text.ends_with("LogLength:11\nLog Contents:\nsecond-app\n\nEnd of LogType:stdout"),
        "{text}"
    );
}

#[test]
fn every_cut_of_a_real_file_is_an_error() {
    for len in 0..HADOOP_3_4_2_FILE.len() {
        assert!(
            parse_node_file(&HADOOP_3_4_2_FILE[..len], HADOOP_3_4_2_MTIME).is_err(),
            "cut at {len}"
        );
    }
}

/// Written by Hadoop 3.4.2's `TFile.Writer` with codec `gz` and 1 KiB blocks
/// (tests/data/aggregated-logs/write-gz-tfile.jsh): VERSION, APPLICATION_OWNER, then containers
/// 1 to 3 with `400 × n` stdout lines and an empty stderr.
const GZ_FILE: &[u8] = include_bytes!("../../tests/data/aggregated-logs/tfile-gz-hadoop-3.4.2");

#[test]
fn a_gz_file_written_by_hadoops_tfile_writer_reads_back() {
    let containers = parse_node_file(GZ_FILE, NOV_25).expect("valid");
    assert_eq!(containers.len(), 3);
    for (n, container) in (1..=3).zip(&containers) {
        assert_eq!(
            container.container_id,
            format!("container_1_0001_01_00000{n}")
        );
        assert_eq!(container.log_count, 2);
        let stdout: String = (0..400 * n)
            .map(|i| format!("container {n} line {i}\n"))
            .collect();
        let expected = format!(
            "LogType:stdout\nLog Upload Time:Wed Nov 25 20:03:06 +0000 2026\nLogLength:{}\n\
             Log Contents:\n{stdout}\nEnd of LogType:stdout\n\n\
             LogType:stderr\nLog Upload Time:Wed Nov 25 20:03:06 +0000 2026\nLogLength:0\n\
             Log Contents:\n\nEnd of LogType:stderr",
            stdout.len()
        );
        assert_eq!(container.text, expected);
    }
}

#[test]
fn a_damaged_gz_file_is_an_error_never_a_panic() {
    for len in 0..GZ_FILE.len() {
        assert!(
            parse_node_file(&GZ_FILE[..len], NOV_25).is_err(),
            "cut at {len}"
        );
    }
    for i in (0..GZ_FILE.len()).step_by(7) {
        let mut bad = GZ_FILE.to_vec();
        bad[i] ^= 0x5a;
        let _ = parse_node_file(&bad, NOV_25);
    }
}

#[test]
fn rolled_uploads_of_a_container_merge_with_each_logs_latest_upload() {
    // A first roll uploads both logs; the last upload holds only the one that changed since.
    let first = node_file(&[(
        "c1",
        container_value(&[("app.log", b"start"), ("r.log", b"rolled")]),
    )]);
    let last = node_file(&[
        ("c1", container_value(&[("app.log", b"start\nend")])),
        ("c2", container_value(&[("x.log", b"x")])),
    ]);
    let files = vec![
        parse_node_file(&first, 0).expect("first"),
        parse_node_file(&last, 60_000).expect("last"),
    ];
    let (logs, found_any) = merge_node_files(files);
    assert!(found_any);
    let c1 = &logs["c1"];
    assert!(
        c1.contains("LogType:r.log") && c1.contains("rolled"),
        "{c1}"
    );
    let app_logs = c1.lines().filter(|l| *l == "LogType:app.log").count();
    assert_eq!(app_logs, 1, "{c1}");
    assert!(
        c1.contains("start\nend"),
        "the latest upload of app.log: {c1}"
    );
    assert!(
        c1.find("app.log") < c1.find("r.log"),
        "first-seen order: {c1}"
    );
    assert!(logs["c2"].starts_with("LogType:x.log\n"), "{}", logs["c2"]);
}
