//! The driver's log: human-readable lines on stderr through `tracing`, with Skein's log
//! levels (`-Dskein.log.level=LEVEL`, `--log-level LEVEL`, case-insensitive, INFO by default).
//!
//! Like Java Skein's `skein.log.level`, the level applies to skein's own messages; other
//! crates (TLS, HTTP/2) only report errors unless `RUST_LOG` says otherwise.

use std::fmt;
use std::str::FromStr;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The Java system property Python Skein passes the level in.
pub const JAVA_LOG_LEVEL_PROPERTY: &str = "-Dskein.log.level=";

/// Skein's log levels (log4j's names), from most to least verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Everything.
    All,
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation (the default).
    #[default]
    Info,
    /// Problems that were worked around.
    Warn,
    /// Failures.
    Error,
    /// Failures (log4j's FATAL; same as ERROR here).
    Fatal,
    /// Nothing.
    Off,
}

/// A log level name that is not one of Skein's.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown log level '{0}': use one of ALL, TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF")]
pub struct UnknownLogLevel(pub String);

impl FromStr for LogLevel {
    type Err = UnknownLogLevel;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text.trim().to_ascii_uppercase().as_str() {
            "ALL" => Self::All,
            "TRACE" => Self::Trace,
            "DEBUG" => Self::Debug,
            "INFO" => Self::Info,
            "WARN" => Self::Warn,
            "ERROR" => Self::Error,
            "FATAL" => Self::Fatal,
            "OFF" => Self::Off,
            _ => return Err(UnknownLogLevel(text.to_string())),
        })
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::All => "ALL",
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
            Self::Fatal => "FATAL",
            Self::Off => "OFF",
        })
    }
}

impl LogLevel {
    /// The `tracing` filter for this level.
    pub fn level_filter(self) -> LevelFilter {
        match self {
            Self::All | Self::Trace => LevelFilter::TRACE,
            Self::Debug => LevelFilter::DEBUG,
            Self::Info => LevelFilter::INFO,
            Self::Warn => LevelFilter::WARN,
            Self::Error | Self::Fatal => LevelFilter::ERROR,
            Self::Off => LevelFilter::OFF,
        }
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
        .map(str::parse)
}

/// Sends `tracing` output to stderr at `level` for skein's own messages. Does nothing if a
/// subscriber is already installed (e.g. in tests).
pub fn init_stderr_logging(level: LogLevel) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::default()
            .add_directive(LevelFilter::ERROR.into())
            .add_directive(
                format!("skein={}", level.level_filter())
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
