//! Errors of starting, reaching and stopping driver daemons, shared by [`super::control`]
//! (the global driver) and [`super::launch`] (spawning one), and why a started driver cannot
//! serve its cluster ([`ClusterUnavailable`]).

use std::path::PathBuf;
use std::sync::Arc;

use skein_hadoop::conf::ConfigError;
use skein_hadoop::security::login::LoginError;
use skein_hadoop::yarn::YarnError;

use crate::security::SecurityError;

/// What can go wrong while starting or stopping the global driver.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The driver file names a live process that does not answer.
    #[error(
        "Unable to connect to driver at {address}, but its process (PID {pid}) is alive; \
         if it is not a skein driver, use `skein driver stop --force`"
    )]
    Unreachable {
        /// Address from the driver file.
        address: String,
        /// PID from the driver file.
        pid: u32,
    },
    /// Keytab and principal must be given together.
    #[error("{0}")]
    KerberosOptions(String),
    /// The daemon could not be spawned.
    #[error("cannot start the driver process '{}': {source}", program.display())]
    Spawn {
        /// The executable.
        program: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The daemon exited or never called back.
    #[error("Failed to start the driver process: {reason}{}", log_hint(log))]
    StartFailed {
        /// What happened.
        reason: String,
        /// Its log file, if any.
        log: Option<PathBuf>,
    },
    /// Sending SIGTERM failed for another reason than "no such process".
    #[error("cannot stop the driver process {pid}: {source}")]
    Kill {
        /// The PID.
        pid: u32,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The driver file could not be removed.
    #[error(transparent)]
    Security(#[from] SecurityError),
    /// The driver file names a process that is gone: the driver exited or was killed.
    #[error(
        "Unable to connect to driver at {address}: the global skein driver (PID {pid}) is not \
         running, it exited or was killed; see its log in '{}', then start it again with \
         `skein driver start`",
        log_dir.display()
    )]
    Dead {
        /// Address from the driver file.
        address: String,
        /// PID from the driver file.
        pid: u32,
        /// Where the global driver logs.
        log_dir: PathBuf,
    },
    /// A driver could not be reached (`Unable to connect to driver ...` with the cause).
    #[error("Unable to connect to driver: {0}")]
    Connect(String),
}

fn log_hint(log: &Option<PathBuf>) -> String {
    match log {
        Some(path) => format!("; see its log at '{}'", path.display()),
        None => "; run `skein driver start --log FILE` or `skein driver serve` to see its log"
            .to_string(),
    }
}

/// Why a driver cannot serve the cluster. The driver still starts, as Skein's does: `ping`
/// answers and every other RPC reports this message (`FAILED_PRECONDITION`).
///
/// The causes are shared (`Arc`) because every clone of the service reports the same one.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClusterUnavailable {
    /// The Hadoop configuration cannot be read.
    #[error(transparent)]
    Config(Arc<ConfigError>),
    /// Kerberos mode without usable credentials (no ticket, a bad security setting...).
    #[error(
        "the driver has no usable Kerberos credentials: {0}. Restart the driver once that is done."
    )]
    NoCredentials(#[source] LoginError),
    /// No ResourceManager client can be made from the configuration.
    #[error(transparent)]
    ResourceManager(Arc<YarnError>),
}

impl From<ConfigError> for ClusterUnavailable {
    fn from(error: ConfigError) -> Self {
        ClusterUnavailable::Config(Arc::new(error))
    }
}

impl From<YarnError> for ClusterUnavailable {
    fn from(error: YarnError) -> Self {
        ClusterUnavailable::ResourceManager(Arc::new(error))
    }
}
