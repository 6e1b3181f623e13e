//! An application's aggregated container logs, read from HDFS in Rust for the driver's
//! `getLogs` RPC, with the result and the messages of Skein's `LogClient`.
//!
//! When an application ends, each NodeManager uploads one file per node (`<host>_<port>`, a
//! `.tmp` name while it is written) in YARN's TFile `AggregatedLogFormat`: records keyed by
//! container id (plus the reserved `VERSION`, `APPLICATION_ACL` and `APPLICATION_OWNER` keys)
//! whose value is a sequence of `(writeUTF file name, writeUTF length, bytes)`. The folder is
//! `${yarn.nodemanager.remote-app-log-dir}/<owner>/` then, by Hadoop version:
//! `bucket-<suffix>-tfile/<app number % 10000, 4 digits>/<app_id>` (3.3+),
//! `<suffix>-tfile/<app_id>` and `<suffix>/<app_id>` (older, the only one Skein 0.8 looks in).
//!
//! Supported: the TFile controller (`yarn.log-aggregation.file-formats` containing `TFile`,
//! the default), uncompressed or `gz` (`yarn.nodemanager.log-aggregation.compression-type`).
//! Files of the IndexedFormat controller, or compressed with `lzo`, are reported as unreadable,
//! naming the file.

use std::collections::BTreeMap;

use crate::conf::HadoopConfig;
use crate::hdfs::tfile::{self, Cursor, TFileError};
use crate::hdfs::{Hdfs, HdfsError};

/// Skein's message when the application's log folder does not exist.
pub(crate) const NOT_AGGREGATED: &str = "Log aggregation has not completed or is not enabled.";

/// Skein's message when the folder holds no container log at all.
pub(crate) const NO_LOGS: &str =
    "No logs found. Log aggregation may have not completed, or it may not be enabled.";

/// Keys of the aggregated log format that are not containers.
const RESERVED_KEYS: [&str; 3] = ["VERSION", "APPLICATION_ACL", "APPLICATION_OWNER"];

/// Files a NodeManager is still writing end with this.
const TMP_FILE_SUFFIX: &str = ".tmp";

/// Why an application's logs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// No log folder for the application: aggregation has not run (yet) or is disabled.
    #[error("{NOT_AGGREGATED}")]
    NotAggregated,
    /// The folder holds no container log.
    #[error("{NO_LOGS}")]
    NoLogs,
    /// HDFS failed a listing or a read.
    #[error(transparent)]
    Hdfs(#[from] HdfsError),
    /// A node's file is not in the format this reader understands, or is damaged.
    #[error("cannot read the aggregated log file {path}: {source}")]
    Unreadable {
        /// The file on HDFS.
        path: String,
        /// What is wrong with it.
        source: FormatError,
    },
}

/// What is wrong inside one aggregated log file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The TFile container is damaged or unsupported.
    #[error(transparent)]
    TFile(#[from] TFileError),
    /// A record key is not a Java `writeUTF` string.
    #[error("a record key is not a length-prefixed string")]
    BadKey,
    /// A log's length field is not a number.
    #[error("container {container}: log {log:?} has the length {length:?}, not a number")]
    BadLength {
        /// The container.
        container: String,
        /// The log file name.
        log: String,
        /// The length field as written.
        length: String,
    },
}

/// The logs of every container of `app_id`, owned by `owner`, from YARN's aggregated log files:
/// container id -> its logs as Skein's `LogClient` prints them (see [`container_logs_text`]).
///
/// Call it only for applications that have finished: a running application's logs are still
/// on its nodes.
///
/// # Errors
/// [`LogsError::NotAggregated`] when no log folder exists, [`LogsError::NoLogs`] when the folder
/// holds no container log, [`LogsError::Hdfs`] when HDFS fails, and
/// [`LogsError::Unreadable`] naming a node file that is damaged or in an unsupported format.
pub async fn read_application_logs(
    hdfs: &Hdfs,
    config: &HadoopConfig,
    owner: &str,
    app_id: &str,
) -> Result<BTreeMap<String, String>, LogsError> {
    let files = node_files(hdfs, config, owner, app_id).await?;

    let mut node_files = Vec::with_capacity(files.len());
    for file in files {
        let bytes = read_file(hdfs, &file.path).await?;
        let containers = parse_node_file(&bytes, file.modification_time).map_err(|source| {
            LogsError::Unreadable {
                path: file.path.clone(),
                source,
            }
        })?;
        node_files.push(containers);
    }
    let (logs, found_any) = merge_node_files(node_files);
    if found_any {
        Ok(logs)
    } else {
        Err(LogsError::NoLogs)
    }
}

/// The logs of each container over an application's node files, oldest first, and whether any
/// log file was found. Rolled aggregation uploads a container's log files over several node
/// files, each holding (whole) the files that changed since the one before: a log's latest
/// upload is the log.
pub(crate) fn merge_node_files(
    node_files: Vec<Vec<ContainerLogs>>,
) -> (BTreeMap<String, String>, bool) {
    // Each container's log sections, in the order first seen.
    let mut sections: BTreeMap<String, Vec<LogSection>> = BTreeMap::new();
    let mut found_any = false;
    for container in node_files.into_iter().flatten() {
        found_any |= container.log_count > 0;
        let known = sections.entry(container.container_id).or_default();
        for section in container.sections {
            match known.iter_mut().find(|s| s.name == section.name) {
                Some(old) => *old = section,
                None => known.push(section),
            }
        }
    }
    let logs = sections
        .into_iter()
        .map(|(container, sections)| (container, render_sections(&sections)))
        .collect();
    (logs, found_any)
}

/// The node files of an application's aggregated logs, by path. Listing order is the
/// NameNode's (by name); sorted anyway so that a container found in two files (rolled
/// aggregation, whose files are named `<node>_<upload time>`) reads oldest first, and the
/// latest upload of each log wins. Skein kept only the latest file's part of a container.
async fn node_files(
    hdfs: &Hdfs,
    config: &HadoopConfig,
    owner: &str,
    app_id: &str,
) -> Result<Vec<hdfs_native::client::FileStatus>, LogsError> {
    let mut folder = None;
    for candidate in app_log_dir_candidates(config, owner, app_id) {
        if is_dir(hdfs, &candidate).await? {
            folder = Some(candidate);
            break;
        }
    }
    let folder = folder.ok_or(LogsError::NotAggregated)?;
    let mut files = hdfs
        .timed("list", &folder, hdfs.client().list_status(&folder, false))
        .await?;
    files.retain(|f| !f.isdir && !f.path.ends_with(TMP_FILE_SUFFIX));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The folders an application's aggregated logs may be in, most recent Hadoop layout first.
pub(crate) fn app_log_dir_candidates(
    config: &HadoopConfig,
    owner: &str,
    app_id: &str,
) -> Vec<String> {
    let node_root = config.get_or("yarn.nodemanager.remote-app-log-dir", "/tmp/logs");
    let suffix = config.get_or("yarn.nodemanager.remote-app-log-dir-suffix", "logs");
    // The TFile controller may have a root and suffix of its own (Hadoop 3+).
    let tfile_root = config.get_or("yarn.log-aggregation.TFile.remote-app-log-dir", &node_root);
    let tfile_suffix = config.get_or(
        "yarn.log-aggregation.TFile.remote-app-log-dir-suffix",
        &format!("{suffix}-tfile"),
    );
    let bucket = app_bucket(app_id);
    let mut candidates = Vec::new();
    for root in [tfile_root, node_root] {
        let user_dir = format!("{}/{owner}", path_of(&root).trim_end_matches('/'));
        for suffix in [&tfile_suffix, &suffix] {
            if let Some(bucket) = &bucket {
                candidates.push(format!("{user_dir}/bucket-{suffix}/{bucket}/{app_id}"));
            }
            candidates.push(format!("{user_dir}/{suffix}/{app_id}"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| seen.insert(c.clone()));
    candidates
}

/// The bucket folder of Hadoop 3.3+: the application's sequence number modulo 10000, on 4
/// digits, so that no folder holds more than 10000 applications.
fn app_bucket(app_id: &str) -> Option<String> {
    let sequence: u64 = app_id.rsplit('_').next()?.parse().ok()?;
    Some(format!("{:04}", sequence % 10_000))
}

/// The path part of a configured folder, which may be a full URI (`hdfs://nn:8020/tmp/logs`).
fn path_of(folder: &str) -> &str {
    match folder.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => folder,
    }
}

async fn is_dir(hdfs: &Hdfs, path: &str) -> Result<bool, HdfsError> {
    // Not found is an answer here, not an error.
    let stat = async {
        match hdfs.client().get_file_info(path).await {
            Ok(status) => Ok(status.isdir),
            Err(hdfs_native::HdfsError::FileNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    };
    hdfs.timed("stat", path, stat).await
}

async fn read_file(hdfs: &Hdfs, path: &str) -> Result<Vec<u8>, HdfsError> {
    let read = async {
        let reader = hdfs.client().read(path).await?;
        reader.read_range(0, reader.file_length()).await
    };
    Ok(hdfs.timed("read", path, read).await?.to_vec())
}

/// One container's logs from one node file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerLogs {
    /// The container id (the record key).
    pub container_id: String,
    /// Its logs as Skein prints them.
    pub text: String,
    /// How many log files (stdout, stderr, ...) it had.
    pub log_count: usize,
    /// Each log file's part of `text`.
    pub sections: Vec<LogSection>,
}

/// One log file of a container as Skein prints it (`LogType:<name>` to `End of LogType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogSection {
    /// The log file's name.
    pub name: String,
    /// Its printed form, bytes as read.
    pub printed: Vec<u8>,
}

/// Reads one node's aggregated log file: every container in it, with `upload_time_millis`
/// (the file's modification time) as the upload time.
///
/// # Errors
/// [`FormatError`] when the bytes are not a TFile (codec `none` or `gz`) of the aggregated log
/// format.
pub(crate) fn parse_node_file(
    bytes: &[u8],
    upload_time_millis: u64,
) -> Result<Vec<ContainerLogs>, FormatError> {
    let upload_time = java_date(upload_time_millis);
    let mut containers = Vec::new();
    for record in tfile::read_records(bytes)? {
        let key = read_java_utf(&mut Cursor::new(&record.key, 0)).ok_or(FormatError::BadKey)?;
        if RESERVED_KEYS.contains(&key.as_str()) {
            continue;
        }
        let sections = container_log_sections(&key, &record.value, &upload_time)?;
        containers.push(ContainerLogs {
            container_id: key,
            text: render_sections(&sections),
            log_count: sections.len(),
            sections,
        });
    }
    Ok(containers)
}

/// One container's record value as Skein's `LogClient` prints it with Hadoop 3's
/// `AggregatedLogFormat.LogReader.readAContainerLogsForALogType`: per log file
/// `LogType:<name>\nLog Upload Time:<time>\nLogLength:<n>\nLog Contents:\n<bytes>\nEnd of
/// LogType:<name>\n\n`, the whole right-trimmed of bytes up to the space, as Skein does. Returns
/// the text and the number of log files.
///
/// Like Hadoop's reader, a value that ends inside a log (a file that shrank while it was being
/// uploaded) ends the container's logs with what is there.
///
/// The reader itself goes through the sections ([`parse_node_file`]); the tests check the
/// printed form through this.
///
/// # Errors
/// [`FormatError::BadLength`] when a length field is not a number.
#[cfg(test)]
pub(crate) fn container_logs_text(
    container: &str,
    value: &[u8],
    upload_time: &str,
) -> Result<(String, usize), FormatError> {
    let sections = container_log_sections(container, value, upload_time)?;
    Ok((render_sections(&sections), sections.len()))
}

/// The log files of one container's record value, each printed as [`container_logs_text`]
/// prints it.
fn container_log_sections(
    container: &str,
    value: &[u8],
    upload_time: &str,
) -> Result<Vec<LogSection>, FormatError> {
    let files = container_log_files(container, value)?;
    Ok(files
        .iter()
        .map(|file| {
            let (log, length) = (&file.name, &file.declared_length);
            let mut printed = format!(
                "LogType:{log}\nLog Upload Time:{upload_time}\nLogLength:{length}\nLog Contents:\n"
            )
            .into_bytes();
            printed.extend_from_slice(file.contents);
            printed.extend_from_slice(format!("\nEnd of LogType:{log}\n\n").as_bytes());
            LogSection {
                name: log.clone(),
                printed,
            }
        })
        .collect())
}

/// A container's log sections as one text, right-trimmed as Skein does.
fn render_sections(sections: &[LogSection]) -> String {
    let mut out: Vec<u8> = sections.iter().flat_map(|s| s.printed.clone()).collect();
    // Skein trims every byte up to the space, control characters included.
    let end = out.iter().rposition(|&b| b > b' ').map_or(0, |i| i + 1);
    out.truncate(end);
    String::from_utf8_lossy(&out).into_owned()
}

/// One log file in a container's record.
struct LogFileRecord<'a> {
    name: String,
    /// The length as written (a decimal string).
    declared_length: String,
    contents: &'a [u8],
}

/// The log files of one container's record value, in order. Like Hadoop's reader, a value that
/// ends inside a log (a file that shrank while it was being uploaded) ends with what is there.
fn container_log_files<'a>(
    container: &str,
    value: &'a [u8],
) -> Result<Vec<LogFileRecord<'a>>, FormatError> {
    let mut cursor = Cursor::new(value, 0);
    let mut files = Vec::new();
    while !cursor.is_empty() {
        let (Some(log), Some(length)) = (read_java_utf(&mut cursor), read_java_utf(&mut cursor))
        else {
            break;
        };
        let declared: u64 = length.parse().map_err(|_| FormatError::BadLength {
            container: container.to_string(),
            log: log.clone(),
            length: length.clone(),
        })?;
        let available = cursor.remaining() as u64;
        let contents = cursor
            .take(declared.min(available), "log contents")
            .map_err(FormatError::TFile)?;
        files.push(LogFileRecord {
            name: log,
            declared_length: length,
            contents,
        });
        if declared > available {
            break;
        }
    }
    Ok(files)
}

/// The raw bytes of every log file of every container of `app_id` (owned by `owner`), by
/// container id and file name, from YARN's aggregated log files: for readers that continue
/// where live logs left off (`skein application logs --follow`).
///
/// # Errors
/// As [`read_application_logs`].
pub async fn read_application_log_files(
    hdfs: &Hdfs,
    config: &HadoopConfig,
    owner: &str,
    app_id: &str,
) -> Result<BTreeMap<(String, String), Vec<u8>>, LogsError> {
    let files = node_files(hdfs, config, owner, app_id).await?;
    let mut logs = BTreeMap::new();
    for file in files {
        let bytes = read_file(hdfs, &file.path).await?;
        let unreadable = |source| LogsError::Unreadable {
            path: file.path.clone(),
            source,
        };
        for record in tfile::read_records(&bytes).map_err(|e| unreadable(e.into()))? {
            let key = read_java_utf(&mut Cursor::new(&record.key, 0))
                .ok_or(FormatError::BadKey)
                .map_err(unreadable)?;
            if RESERVED_KEYS.contains(&key.as_str()) {
                continue;
            }
            for log in container_log_files(&key, &record.value).map_err(unreadable)? {
                logs.insert((key.clone(), log.name), log.contents.to_vec());
            }
        }
    }
    if logs.is_empty() {
        Err(LogsError::NoLogs)
    } else {
        Ok(logs)
    }
}

/// A Java `DataInput.readUTF` string: an unsigned 16-bit length, then (modified) UTF-8, decoded
/// leniently. `None` when the bytes end first.
fn read_java_utf(cursor: &mut Cursor<'_>) -> Option<String> {
    let len = cursor.u16("string length").ok()?;
    let bytes = cursor.take(u64::from(len), "string").ok()?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// Hadoop's `Times.format`: `EEE MMM dd HH:mm:ss Z yyyy` (as Java's `Date.toString`), here in
/// UTC since the driver has no JVM time zone; `N/A` for 0.
pub(crate) fn java_date(millis: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    if millis == 0 {
        return "N/A".into();
    }
    let seconds = millis / 1000;
    let days = seconds / 86_400;
    let (hour, minute, second) = (seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {day:02} {hour:02}:{minute:02}:{second:02} +0000 {year}",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize]
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm,
/// restricted to days after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
#[path = "aggregated_logs_tests.rs"]
mod tests;
