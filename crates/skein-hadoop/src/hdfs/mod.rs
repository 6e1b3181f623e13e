//! HDFS for the driver: the per-application staging folder `<home>/.skein/<app_id>/`
//! ([`staging`]) and YARN's aggregated container logs ([`aggregated_logs`], in the TFile
//! format read by [`tfile`]).
//!
//! Every call runs under a timeout: hdfs-native keeps retrying an unreachable NameNode for
//! minutes, and the driver must answer its clients instead.

pub mod aggregated_logs;
pub mod staging;
pub(crate) mod tfile;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use crate::conf::HadoopConfig;

/// An application's staging folder as listed by [`Hdfs::staging_folders`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingFolder {
    /// The application id the folder is named after.
    pub app_id: String,
    /// Its last modification, milliseconds since the epoch.
    pub modified_ms: u64,
}

/// Why an HDFS call failed.
#[derive(Debug, thiserror::Error)]
pub enum HdfsError {
    /// The client could not be set up from the configuration.
    #[error("cannot set up an HDFS client for {fs}: {message}")]
    Setup {
        /// The default filesystem.
        fs: String,
        /// hdfs-native's reason.
        message: String,
    },
    /// The NameNode refused or failed the call.
    #[error("HDFS {operation} {path}: {message}")]
    Call {
        /// What was attempted.
        operation: &'static str,
        /// The path.
        path: String,
        /// hdfs-native's reason.
        message: String,
    },
    /// The call did not finish in time.
    #[error("HDFS {operation} {path}: no answer from the NameNode within {seconds} s")]
    Timeout {
        /// What was attempted.
        operation: &'static str,
        /// The path.
        path: String,
        /// The limit.
        seconds: u64,
    },
}

/// Whether acting as `user` under Kerberos is an impersonation. The ticket names the caller:
/// hdfs-native sends a `with_user` name as the effective user beside the principal's short
/// name, and the NameNode compares it with the full principal (`skein@REALM`), so naming
/// the principal's own user would be refused as impersonation ("skein@REALM is not allowed
/// to impersonate skein"). Without a ticket (a YARN container with a token file) the token
/// names the user.
fn is_impersonation(user: &str) -> bool {
    match crate::security::login::default_principal() {
        Some(principal) => {
            principal != user && crate::security::principal::short_name(&principal) != user
        }
        None => false,
    }
}

/// An HDFS client acting as one user.
pub struct Hdfs {
    client: hdfs_native::Client,
    default_fs: String,
    user: String,
    timeout: Duration,
}

impl std::fmt::Debug for Hdfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdfs")
            .field("default_fs", &self.default_fs)
            .field("user", &self.user)
            .finish()
    }
}

impl Hdfs {
    /// A client of the configuration's default filesystem, as `user`. Call it inside a tokio
    /// runtime: the client runs its IO on the caller's runtime. Under Kerberos the process's
    /// default credentials authenticate, and `user` is impersonated (a proxy user) only when
    /// it is not the ticket's own user.
    ///
    /// # Errors
    /// When hdfs-native rejects the configuration (e.g. an unknown name service).
    pub fn connect(config: &HadoopConfig, user: &str) -> Result<Self, HdfsError> {
        let default_fs = config.default_fs();
        let mut settings: HashMap<String, String> = config
            .iter_expanded()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        // Fail over quickly; the timeout below bounds every call anyway.
        settings
            .entry("dfs.client.failover.max.attempts".into())
            .or_insert_with(|| "3".into());
        let mut builder = hdfs_native::ClientBuilder::new()
            .with_url(&default_fs)
            .with_config(settings);
        if !config.security_enabled() || is_impersonation(user) {
            builder = builder.with_user(user);
        }
        // Without a runtime handle hdfs-native makes a runtime of its own, which panics when
        // dropped inside ours: always lend it the caller's.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            builder = builder.with_io_runtime(handle);
        }
        let client = builder.build().map_err(|e| HdfsError::Setup {
            fs: default_fs.clone(),
            message: e.to_string(),
        })?;
        Ok(Hdfs {
            client,
            default_fs,
            user: user.to_string(),
            timeout: Duration::from_secs(60),
        })
    }

    /// This client with another limit per call (60 s by default).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The default filesystem URI (`hdfs://nn:port`).
    pub fn default_fs(&self) -> &str {
        &self.default_fs
    }

    /// The underlying client.
    pub fn client(&self) -> &hdfs_native::Client {
        &self.client
    }

    /// `/user/<user>/.skein/<app_id>`: where an application's files are staged.
    pub fn staging_dir(&self, app_id: &str) -> String {
        format!("/user/{}/.skein/{app_id}", self.user)
    }

    /// Deletes an application's staging folder; true when there was one.
    ///
    /// # Errors
    /// When the NameNode fails the call or does not answer in time.
    pub async fn remove_staging_dir(&self, app_id: &str) -> Result<bool, HdfsError> {
        let path = self.staging_dir(app_id);
        self.timed("delete", &path, self.client.delete(&path, true))
            .await
    }

    /// The folders in `/user/<user>/.skein` named like an application id, with their last
    /// modification (empty when the folder does not exist yet).
    ///
    /// # Errors
    /// When the NameNode fails the call or does not answer in time.
    pub async fn staging_folders(&self) -> Result<Vec<StagingFolder>, HdfsError> {
        let parent = format!("/user/{}/.skein", self.user);
        let listed = tokio::time::timeout(self.timeout, self.client.list_status(&parent, false));
        let entries = match listed.await {
            Ok(Ok(entries)) => entries,
            Ok(Err(hdfs_native::HdfsError::FileNotFound(_))) => return Ok(Vec::new()),
            Ok(Err(e)) => {
                return Err(HdfsError::Call {
                    operation: "list",
                    path: parent,
                    message: e.to_string(),
                });
            }
            Err(_) => {
                return Err(HdfsError::Timeout {
                    operation: "list",
                    path: parent,
                    seconds: self.timeout.as_secs(),
                });
            }
        };
        Ok(entries
            .into_iter()
            .filter(|entry| entry.isdir)
            .filter_map(|entry| {
                let name = entry.path.rsplit('/').next()?.to_string();
                crate::yarn::validate_application_id(&name)
                    .is_ok()
                    .then_some(StagingFolder {
                        app_id: name,
                        modified_ms: entry.modification_time,
                    })
            })
            .collect())
    }

    /// Runs one hdfs-native call under the client's timeout.
    pub async fn timed<T>(
        &self,
        operation: &'static str,
        path: &str,
        call: impl Future<Output = hdfs_native::Result<T>>,
    ) -> Result<T, HdfsError> {
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(self.timeout, call).await;
        crate::observe::observe(
            crate::observe::System::Hdfs,
            operation,
            started,
            matches!(result, Ok(Ok(_))),
        );
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(HdfsError::Call {
                operation,
                path: path.to_string(),
                message: e.to_string(),
            }),
            Err(_) => Err(HdfsError::Timeout {
                operation,
                path: path.to_string(),
                seconds: self.timeout.as_secs(),
            }),
        }
    }
}
