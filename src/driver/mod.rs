//! The driver: the daemon that serves `skein.Driver` to the Python client, dask-yarn and the
//! `skein` CLI.
//!
//! * [`daemon`] runs any [`Driver`] implementation over mTLS on `127.0.0.1` and handles its
//!   lifecycle: the global driver file, Python's launch handshake, signals, stdin EOF.
//! * [`control`] is `skein driver start|stop|restart` (spawning and signalling the daemon).
//! * [`launch`] starts a driver process through the launch handshake, and gives CLI commands
//!   their driver: the global one, else a private one ([`launch::connect_default_driver`]).
//! * [`jvm_compat`] lets the unchanged Python client launch this driver where it expects Java.
//! * [`logging`] is the daemon's stderr log with Skein's log levels.
//! * [`service`] is the YARN-backed implementation of the Driver RPCs the daemon serves.
//! * [`reports`] converts the ResourceManager's documents to the wire contract's reports.

pub mod control;
pub mod daemon;
pub mod error;
pub mod jvm_compat;
pub mod launch;
pub mod logging;
pub mod reports;
pub mod service;
pub mod submit;

use std::path::PathBuf;

pub use crate::proto::driver_server::Driver;
pub use daemon::{BoundDriver, DaemonError, ServeOptions, serve};

/// What the driver service is started with (from `skein driver serve` or the Java command
/// line Python runs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Kerberos keytab to log in with (together with `principal`).
    pub keytab: Option<PathBuf>,
    /// Kerberos principal for the keytab.
    pub principal: Option<String>,
}

/// The Driver implementation every daemon entry point serves: [`service::YarnDriver`] for the
/// cluster of `$HADOOP_CONF_DIR`, acting as the current user, giving applications
/// `credentials` when their spec names no key pair.
pub fn service(
    config: &ServiceConfig,
    credentials: &crate::security::Credentials,
) -> impl Driver + use<> {
    tracing::debug!(?config, "building the driver service");
    service::YarnDriver::from_environment().with_credentials(credentials.clone())
}
