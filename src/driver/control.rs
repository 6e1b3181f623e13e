//! `skein driver start|stop|restart` semantics, shared by the CLI (Python Skein's
//! `Client.start_global_driver` / `stop_global_driver`).
//!
//! `start` is idempotent: a driver named by the driver file that answers `ping` is reused.
//! Otherwise a new daemon (`skein driver serve --global --daemon`) is spawned in its own
//! session with the launch handshake; it writes the driver file itself before it calls back,
//! so the file is in place once `start` returns. `stop` pings (unless `force`), sends
//! SIGTERM to the recorded PID and deletes the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::client::discovery::{self, GlobalDriver};
use crate::client::ping_driver;
pub use crate::driver::error::ControlError;
use crate::driver::launch::launch_driver;
use crate::driver::logging::LogLevel;
use crate::security::{Credentials, SecurityError};

/// Options of `skein driver start`.
#[derive(Debug, Clone)]
pub(crate) struct StartOptions {
    /// The `skein` executable to run as the daemon.
    pub program: PathBuf,
    /// Where the daemon logs (stdout and stderr); `None` discards its output.
    pub log: Option<PathBuf>,
    /// The daemon's log level.
    pub log_level: LogLevel,
    /// Kerberos keytab for the daemon's login (with `principal`).
    pub keytab: Option<PathBuf>,
    /// Kerberos principal for the keytab.
    pub principal: Option<String>,
    /// Serve Prometheus metrics at `http://<address>/metrics`.
    pub metrics_address: Option<std::net::SocketAddr>,
}

/// Outcome of [`start_global_driver`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Started {
    /// A live global driver was already there.
    AlreadyRunning {
        /// Its address.
        address: String,
    },
    /// A new daemon was started.
    New {
        /// Its address.
        address: String,
        /// The dead driver it replaces, if the file named one (Skein warns about it).
        replaced: Option<GlobalDriver>,
    },
}

impl Started {
    /// The driver's address either way.
    pub fn address(&self) -> &str {
        match self {
            Self::AlreadyRunning { address } | Self::New { address, .. } => address,
        }
    }
}

/// Starts the global driver for `config_dir` unless a live one is there.
///
/// # Errors
/// [`ControlError`] when the existing driver is alive but unreachable, or the new one fails.
pub(crate) async fn start_global_driver(
    config_dir: &Path,
    credentials: &Credentials,
    options: &StartOptions,
) -> Result<Started, ControlError> {
    let keytab = check_kerberos_options(options)?;
    let mut replaced = None;
    if let Some(existing) = discovery::read_global_driver(config_dir) {
        match ping_driver(&existing.address, credentials).await {
            Ok(()) => {
                return Ok(Started::AlreadyRunning {
                    address: existing.address,
                });
            }
            Err(_) if pid_exists(existing.pid) => {
                return Err(ControlError::Unreachable {
                    address: existing.address,
                    pid: existing.pid,
                });
            }
            Err(_) => {
                discovery::remove_global_driver(config_dir)?;
                replaced = Some(existing);
            }
        }
    }
    let address = spawn_daemon(config_dir, credentials, options, keytab.as_deref()).await?;
    Ok(Started::New { address, replaced })
}

/// Stops the global driver named in `config_dir`'s driver file, if any; silent when none.
///
/// Without `force` the driver must answer `ping` unless its process is gone; with `force`
/// the PID is signalled regardless (and "permission denied" is ignored).
///
/// # Errors
/// [`ControlError`] when the driver is alive but unreachable, or the signal fails.
pub(crate) async fn stop_global_driver(
    config_dir: &Path,
    credentials: &Credentials,
    force: bool,
) -> Result<(), ControlError> {
    let Some(existing) = discovery::read_global_driver(config_dir) else {
        return Ok(());
    };
    if !force
        && ping_driver(&existing.address, credentials).await.is_err()
        && pid_exists(existing.pid)
    {
        return Err(ControlError::Unreachable {
            address: existing.address,
            pid: existing.pid,
        });
    }
    match terminate(existing.pid) {
        Ok(()) => {}
        Err(err) if err.raw_os_error() == Some(libc::ESRCH) => {}
        Err(err) if force && err.raw_os_error() == Some(libc::EPERM) => {}
        Err(source) => {
            return Err(ControlError::Kill {
                pid: existing.pid,
                source,
            });
        }
    }
    discovery::remove_global_driver(config_dir)?;
    Ok(())
}

/// Whether a process with this PID exists (possibly owned by someone else).
pub(crate) fn pid_exists(pid: u32) -> bool {
    let Some(pid) = safe_pid(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission; no signal is delivered.
    let result = unsafe { libc::kill(pid, 0) };
    let exists = result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    // A driver that died but was not reaped yet (a zombie) still answers kill(0): it is dead.
    exists && !is_zombie(pid)
}

/// Whether /proc says the process is a zombie (state `Z`); false where /proc is unavailable.
fn is_zombie(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // The state follows the command name, which is in parentheses and may hold spaces.
            let after = &stat[stat.rfind(')')? + 1..];
            after.split_whitespace().next().map(|state| state == "Z")
        })
        .unwrap_or(false)
}

/// Sends SIGTERM to `pid`.
fn terminate(pid: u32) -> std::io::Result<()> {
    let Some(pid) = safe_pid(pid) else {
        return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
    };
    // SAFETY: plain kill(2) on a single positive PID.
    if unsafe { libc::kill(pid, libc::SIGTERM) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// A PID that names exactly one process: never 0, 1 or negative (which would signal process
/// groups or every process).
fn safe_pid(pid: u32) -> Option<libc::pid_t> {
    libc::pid_t::try_from(pid).ok().filter(|pid| *pid > 1)
}

/// Python's checks: an absolute, existing keytab, and keytab and principal together.
fn check_kerberos_options(options: &StartOptions) -> Result<Option<PathBuf>, ControlError> {
    match (&options.keytab, &options.principal) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ControlError::KerberosOptions(
            "Principal must be specified for keytab login (--principal)".to_string(),
        )),
        (None, Some(_)) => Err(ControlError::KerberosOptions(
            "Keytab must be specified for keytab login (--keytab)".to_string(),
        )),
        (Some(keytab), Some(_)) => {
            let keytab = std::path::absolute(keytab).unwrap_or_else(|_| keytab.clone());
            if keytab.exists() {
                Ok(Some(keytab))
            } else {
                Err(ControlError::KerberosOptions(format!(
                    "keytab doesn't exist at '{}'",
                    keytab.display()
                )))
            }
        }
    }
}

/// Spawns `skein driver serve --global --daemon` in a new session and waits for its callback.
async fn spawn_daemon(
    config_dir: &Path,
    credentials: &Credentials,
    options: &StartOptions,
    keytab: Option<&Path>,
) -> Result<String, ControlError> {
    let mut command = Command::new(&options.program);
    command
        .args(["driver", "serve", "--global", "--daemon", "--log-level"])
        .arg(options.log_level.to_string());
    if let (Some(keytab), Some(principal)) = (keytab, &options.principal) {
        command
            .arg("--keytab")
            .arg(keytab)
            .arg("--principal")
            .arg(principal);
    }
    if let Some(address) = options.metrics_address {
        command.arg("--metrics-address").arg(address.to_string());
    }
    command.env("SKEIN_CONFIG", config_dir).stdin(Stdio::null());
    match &options.log {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|source| SecurityError::Io {
                action: "cannot create log file",
                path: path.clone(),
                source,
            })?;
            let copy = file.try_clone().map_err(|source| SecurityError::Io {
                action: "cannot open log file",
                path: path.clone(),
                source,
            })?;
            command.stdout(file).stderr(copy);
        }
        None => {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let (_daemon, address) = launch_driver(command, credentials, options.log.as_deref()).await?;
    Ok(address)
}
