//! The driver's log: human-readable lines on stderr through `tracing`, with Skein's log
//! levels (`-Dskein.log.level=LEVEL`, `--log-level LEVEL`, case-insensitive, INFO by default).
//!
//! Like Java Skein's `skein.log.level`, the level applies to skein's own messages; other
//! crates (TLS, HTTP/2) only report errors unless `RUST_LOG` says otherwise.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The Java system property Python Skein passes the level in.
pub(crate) const JAVA_LOG_LEVEL_PROPERTY: &str = "-Dskein.log.level=";

/// Skein's log levels (log4j's names): the same type as a spec's `master.log_level`.
pub use skein_core::spec::LogLevel;

/// A log level name that is not one of Skein's (the message lists the valid names).
pub(crate) type UnknownLogLevel = skein_core::spec::UnknownName;

/// The `tracing` filter for a log level.
pub(crate) fn level_filter(level: LogLevel) -> LevelFilter {
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
pub(crate) fn log_level_from_java_args<'a>(
    args: impl IntoIterator<Item = &'a str>,
) -> Option<Result<LogLevel, UnknownLogLevel>> {
    args.into_iter()
        .filter_map(|arg| arg.strip_prefix(JAVA_LOG_LEVEL_PROPERTY))
        .last()
        .map(|text| text.parse::<LogLevel>())
}

/// Sends `tracing` output to stderr at `level` for skein's own messages. Does nothing if a
/// subscriber is already installed (e.g. in tests).
pub(crate) fn init_stderr_logging(level: LogLevel) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::default()
            .add_directive(LevelFilter::ERROR.into())
            .add_directive(
                format!("skein={}", level_filter(level))
                    .parse()
                    .unwrap_or_else(|_| LevelFilter::INFO.into()),
            ),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
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
