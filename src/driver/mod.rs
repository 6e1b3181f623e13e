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
//! * [`lifetime`] sets an application's lifetime (YARN's LIFETIME timeout) and priority.
//! * [`reports`] converts the ResourceManager's documents to the wire contract's reports.

pub mod control;
pub mod daemon;
pub mod error;
pub(crate) mod jvm_compat;
pub mod keytab;
pub mod launch;
pub mod lifetime;
pub mod logging;
pub mod progress;
pub mod reply;
pub mod reports;
pub mod service;
pub mod submit;
pub mod sweeper;

use std::path::PathBuf;

pub use crate::proto::driver_server::Driver;
pub use daemon::{BoundDriver, DaemonError, ServeOptions};

/// What the driver service is started with (from `skein driver serve` or the Java command
/// line Python runs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Kerberos keytab to log in with (together with `principal`).
    pub keytab: Option<PathBuf>,
    /// Kerberos principal for the keytab.
    pub principal: Option<String>,
}

/// Who the driver is on the cluster, decided once at start-up by [`login`].
#[derive(Debug, Clone)]
pub struct DriverLogin {
    /// The cluster's configuration, or why it cannot be used (unreadable `*-site.xml`, no
    /// Kerberos ticket...): then `ping` answers and every other RPC reports this message.
    pub config: Result<skein_hadoop::conf::HadoopConfig, error::ClusterUnavailable>,
    /// The user the driver acts as: the current user in simple mode, the short name of the
    /// Kerberos principal otherwise.
    pub user: String,
    /// The private credentials cache of a keytab login (removed by [`DriverLogin::cleanup`]).
    pub cache_dir: Option<PathBuf>,
}

impl DriverLogin {
    /// Removes the private credentials cache of a keytab login, if any.
    pub(crate) fn cleanup(&self) {
        if let Some(dir) = &self.cache_dir
            && let Err(e) = std::fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove the Kerberos cache {}: {e}", dir.display());
        }
    }
}

/// Why the driver refuses to start: a keytab login that failed (`--principal`/`--keytab`
/// were given, so a driver without them would only hide the mistake; Skein's
/// `loginUserFromKeytab` fails the start too).
#[derive(Debug, thiserror::Error)]
pub enum DriverLoginError {
    /// The keytab login failed.
    #[error("cannot log in as {principal} with keytab {keytab}")]
    Keytab {
        /// `--principal`.
        principal: String,
        /// `--keytab`.
        keytab: String,
        /// Why.
        source: Box<skein_hadoop::security::KerberosError>,
    },
    /// No folder for the private credentials cache.
    #[error(transparent)]
    ConfigDir(#[from] crate::security::SecurityError),
    /// The private credentials cache folder cannot be made.
    #[error("cannot create the Kerberos cache folder {path}: {source}")]
    CacheDir {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The driver's login, once, before anything else runs: reads `$HADOOP_CONF_DIR`; in
/// Kerberos mode logs in from `--keytab`/`--principal` into a private cache
/// (`<config dir>/kerberos/driver-<pid>/`, 0700) and makes it the process's default
/// credentials (for hdfs-native), or checks the ticket cache. Without a valid ticket the
/// driver still starts, as Skein's does, and reports the problem (run kinit) on every RPC
/// that needs the cluster.
///
/// # Errors
/// [`DriverLoginError`] when a keytab login fails.
///
/// # Safety
/// A keytab login sets KRB5CCNAME and KRB5_CLIENT_KTNAME in the process environment: call
/// this before starting any thread (the tokio runtime included).
pub unsafe fn login(service: &ServiceConfig) -> Result<DriverLogin, DriverLoginError> {
    use skein_hadoop::security::login::{Login, LoginError};
    use skein_hadoop::security::principal::short_name;
    let current = skein_hadoop::conf::current_user();
    let config = match skein_hadoop::conf::HadoopConfig::load() {
        Ok(config) => config,
        Err(e) => {
            return Ok(DriverLogin {
                config: Err(e.into()),
                user: current,
                cache_dir: None,
            });
        }
    };
    let keytab = match (&service.principal, &service.keytab) {
        (Some(principal), Some(keytab)) => Some((principal.as_str(), keytab.as_path())),
        _ => None,
    };
    let cache_dir = match keytab {
        Some(_) if config.security_enabled() => {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            let parent = crate::security::config_dir()?.join("kerberos");
            let made = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&parent)
                .and_then(|()| {
                    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o700))
                });
            made.map_err(|source| DriverLoginError::CacheDir {
                path: parent.display().to_string(),
                source,
            })?;
            Some(parent.join(format!("driver-{}", std::process::id())))
        }
        _ => None,
    };
    let scratch = cache_dir.clone().unwrap_or_default();
    match skein_hadoop::security::login_at_startup(&config, keytab, &scratch) {
        Ok(Login::Simple) => {
            tracing::info!("Hadoop simple authentication, acting as user {current}");
            Ok(DriverLogin {
                config: Ok(config),
                user: current,
                cache_dir: None,
            })
        }
        Ok(Login::TicketCache(ticket)) => {
            let user = short_name(&ticket.principal).to_string();
            tracing::info!(
                "Kerberos: using the ticket cache of {} (valid {} s more), acting as user {user}",
                ticket.principal,
                ticket.lifetime.as_secs()
            );
            Ok(DriverLogin {
                config: Ok(config),
                user,
                cache_dir: None,
            })
        }
        Ok(Login::Keytab(login)) => {
            // SAFETY: the caller guarantees that no other thread runs yet.
            unsafe { login.install_in_process_env() };
            let user = short_name(login.principal()).to_string();
            tracing::info!(
                "Kerberos: logged in as {} from keytab {} (cache {}), acting as user {user}",
                login.principal(),
                login.keytab().display(),
                login.cache_name()
            );
            Ok(DriverLogin {
                config: Ok(config),
                user,
                cache_dir,
            })
        }
        Err(LoginError::Kerberos(source)) if keytab.is_some() => {
            if let Some(dir) = &cache_dir {
                let _ = std::fs::remove_dir_all(dir);
            }
            Err(DriverLoginError::Keytab {
                principal: service.principal.clone().unwrap_or_default(),
                keytab: service
                    .keytab
                    .as_deref()
                    .map(|k| k.display().to_string())
                    .unwrap_or_default(),
                source: Box::new(source),
            })
        }
        Err(e) => {
            let unavailable = error::ClusterUnavailable::NoCredentials(e);
            tracing::warn!("{unavailable}");
            Ok(DriverLogin {
                config: Err(unavailable),
                user: current,
                cache_dir: None,
            })
        }
    }
}

/// The Driver implementation every daemon entry point serves: [`service::YarnDriver`] for the
/// cluster and user of `login`, giving applications `credentials` when their spec names no
/// key pair.
pub fn service(
    config: &ServiceConfig,
    login: &DriverLogin,
    credentials: &crate::security::Credentials,
) -> service::YarnDriver {
    tracing::debug!(?config, "building the driver service");
    service::YarnDriver::new(login.config.clone(), &login.user)
        .with_credentials(credentials.clone())
}
