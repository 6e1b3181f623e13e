//! The driver's log: human-readable lines on stderr through `tracing`, with Skein's log
//! levels (`-Dskein.log.level=LEVEL`, `--log-level LEVEL`, case-insensitive, INFO by default).
//!
//! Like Java Skein's `skein.log.level`, the level applies to skein's own messages; other
//! crates (TLS, HTTP/2) only report errors unless `RUST_LOG` says otherwise.

use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The Java system property Python Skein passes the level in.
pub const JAVA_LOG_LEVEL_PROPERTY: &str = "-Dskein.log.level=";

/// Skein's log levels (log4j's names): the same type as a spec's `master.log_level`.
pub use skein_core::spec::LogLevel;

/// A log level name that is not one of Skein's (the message lists the valid names).
pub type UnknownLogLevel = skein_core::spec::UnknownName;

/// The `tracing` filter for a log level.
pub fn level_filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::All | LogLevel::Trace => LevelFilter::TRACE,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Error | LogLevel::Fatal => LevelFilter::ERROR,
        LogLevel::Off => LevelFilter::OFF,
    }
}

/// The value of the *last* `-Dskein.log.level=` among `args` (Python may pass one from
/// `log_level` and another through the Java options; the JVM keeps the last).
///
/// Returns `None` when there is none.
pub fn log_level_from_java_args<'a>(
    args: impl IntoIterator<Item = &'a str>,
) -> Option<Result<LogLevel, UnknownLogLevel>> {
    args.into_iter()
        .filter_map(|arg| arg.strip_prefix(JAVA_LOG_LEVEL_PROPERTY))
        .last()
        .map(|text| text.parse::<LogLevel>())
}

/// The folder of the global driver's own log files inside the configuration folder.
pub(crate) const LOG_DIR_NAME: &str = "logs";

/// How many daily log files the global driver keeps.
pub(crate) const KEPT_LOG_FILES: usize = 7;

/// The global driver's log folder for a configuration folder: `<config>/logs`, holding
/// `driver.YYYY-MM-DD.log`, one per day, the last [`KEPT_LOG_FILES`] kept.
pub(crate) fn driver_log_dir(config_dir: &Path) -> PathBuf {
    config_dir.join(LOG_DIR_NAME)
}

/// A log folder that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the driver's log into {}: {source}", dir.display())]
pub(crate) struct LogDirError {
    /// The folder.
    pub dir: PathBuf,
    /// Why.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

fn filter(level: LogLevel) -> EnvFilter {
    match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::default()
            .add_directive(LevelFilter::ERROR.into())
            .add_directive(
                format!("skein={}", level_filter(level))
                    .parse()
                    .unwrap_or_else(|_| LevelFilter::INFO.into()),
            ),
    }
}

/// Sends `tracing` output to stderr at `level` for skein's own messages. Does nothing if a
/// subscriber is already installed (e.g. in tests).
pub(crate) fn init_stderr_logging(level: LogLevel) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(level))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Like [`init_stderr_logging`], and the same lines into a daily file in `dir` (created
/// private, 0700): the global driver always keeps a log, whether or not `--log` was given.
///
/// # Errors
/// [`LogDirError`] when the folder cannot be created or the file not opened.
pub(crate) fn init_stderr_and_file_logging(level: LogLevel, dir: &Path) -> Result<(), LogDirError> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let failed = |source: Box<dyn std::error::Error + Send + Sync>| LogDirError {
        dir: dir.to_path_buf(),
        source,
    };
    crate::security::credentials::create_private_dir(dir).map_err(|e| failed(Box::new(e)))?;
    let file = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("driver")
        .filename_suffix("log")
        .max_log_files(KEPT_LOG_FILES)
        .build(dir)
        .map_err(|e| failed(Box::new(e)))?;
    let _ = tracing_subscriber::registry()
        .with(filter(level))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(file)
                .with_ansi(false),
        )
        .try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_java_log_level_wins_case_insensitively() {
        let args = [
            "-Dskein.log.level=INFO",
            "-Xmx1g",
            "-Dskein.log.level=debug",
            "com.anaconda.skein.Driver",
        ];
        assert_eq!(
            log_level_from_java_args(args).map(Result::ok),
            Some(Some(LogLevel::Debug))
        );
        assert!(log_level_from_java_args(["-Xmx1g"]).is_none());
        assert!(
            log_level_from_java_args(["-Dskein.log.level=loud"])
                .is_some_and(|level| level.is_err())
        );
    }

    #[test]
    fn levels_print_in_upper_case_and_round_trip() {
        for name in [
            "ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF",
        ] {
            let level: LogLevel = name.to_lowercase().parse().expect("known level");
            assert_eq!(level.to_string(), name);
        }
    }
}
