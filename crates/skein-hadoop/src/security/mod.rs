//! Hadoop security: Kerberos logins, SPNEGO for Hadoop's web endpoints, and delegation tokens.
//!
//! The driver never branches on the security mode: [`Auth::from_config`] reads
//! `hadoop.security.authentication`; in simple mode requests carry `user.name`, in Kerberos
//! mode they authenticate with SPNEGO from the process's Kerberos credentials (a ticket cache,
//! or a keytab login made with [`login::KeytabLogin`]).
//!
//! Where to start: [`login_at_startup`] once (and, for a keytab login,
//! [`KeytabLogin::install_in_process_env`] before the runtime starts, for hdfs-native); then
//! `yarn::ResourceManager::from_config(config, user).acting_as(proxy_user)` and
//! `hdfs::Hdfs::connect(config, user)` as in simple mode; at submission
//! [`delegation::submission_credentials`], whose [`Credentials::to_rest`] goes into the
//! AM's `am-container-spec.credentials` (empty in simple mode).
//!
//! * [`token`], [`credentials`], [`writable`]: Hadoop's token and token-file formats (pure).
//! * [`principal`]: principals, `_HOST`, the server principals named in the configuration.
//! * [`spnego`]: `Authorization: Negotiate` and the `hadoop.auth` cookie for reqwest.
//! * [`login`], [`keytab`]: ticket-cache checks and keytab logins into a private cache.
//! * [`delegation`]: fetching HDFS (WebHDFS) and ResourceManager delegation tokens.
//! * [`filesystems`]: where the token of each filesystem of a spec's `file_systems` comes from.
//! * [`refresh`]: new tokens for a running application (its keytab login), token file updates.
//! * [`error`]: [`KerberosError`], GSSAPI failures mapped to causes and fixes.

pub mod credentials;
pub mod delegation;
pub mod error;
pub mod filesystems;
pub mod keytab;
pub mod login;
pub mod principal;
pub mod refresh;
pub mod spnego;
pub mod token;
pub(crate) mod writable;

use std::sync::Arc;

pub use credentials::{Credentials, StorageFormat};
pub use error::KerberosError;
pub use login::{KerberosCredentials, KeytabLogin, Login, login_at_startup};
pub use spnego::Spnego;
pub use token::{DelegationTokenIdentifier, Token};

use crate::conf::HadoopConfig;

/// `hadoop.security.authentication`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityMode {
    /// `simple`: the client names its user (`user.name`); the default.
    Simple,
    /// `kerberos`: clients authenticate with Kerberos (SPNEGO over HTTP, SASL over RPC).
    Kerberos,
}

/// A configuration value Hadoop itself would refuse.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SecurityConfigError {
    /// `hadoop.security.authentication` is neither `simple` nor `kerberos`.
    #[error(
        "hadoop.security.authentication is {0:?} in core-site.xml: use \"simple\" or \"kerberos\""
    )]
    UnknownMode(String),
}

impl SecurityMode {
    /// The mode of `config` (`simple` when unset; case-insensitive, as Hadoop).
    ///
    /// # Errors
    /// [`SecurityConfigError::UnknownMode`] for any other value.
    pub fn from_config(config: &HadoopConfig) -> Result<Self, SecurityConfigError> {
        let value = config.get_or("hadoop.security.authentication", "simple");
        match value.trim().to_ascii_lowercase().as_str() {
            "simple" => Ok(SecurityMode::Simple),
            "kerberos" => Ok(SecurityMode::Kerberos),
            _ => Err(SecurityConfigError::UnknownMode(value)),
        }
    }
}

/// How this process authenticates to a cluster's HTTP endpoints (the ResourceManager REST
/// API, WebHDFS). Cheap to clone; clones share the SPNEGO session cookies.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Simple authentication: requests name their user with `user.name=`.
    Simple,
    /// Kerberos: requests authenticate with SPNEGO and never send `user.name`.
    Kerberos(Arc<Spnego>),
}

impl Auth {
    /// The authentication `config` asks for, with the process's default Kerberos credentials
    /// (KRB5CCNAME, or the cache a [`KeytabLogin`] installed) in Kerberos mode.
    ///
    /// # Errors
    /// When `hadoop.security.authentication` has an unknown value.
    pub fn from_config(config: &HadoopConfig) -> Result<Self, SecurityConfigError> {
        Self::from_config_with(config, KerberosCredentials::Default)
    }

    /// As [`Self::from_config`], with explicit Kerberos credentials (used in Kerberos mode
    /// only).
    ///
    /// # Errors
    /// When `hadoop.security.authentication` has an unknown value.
    pub(crate) fn from_config_with(
        config: &HadoopConfig,
        credentials: KerberosCredentials,
    ) -> Result<Self, SecurityConfigError> {
        Ok(match SecurityMode::from_config(config)? {
            SecurityMode::Simple => Auth::Simple,
            SecurityMode::Kerberos => Auth::Kerberos(Arc::new(Spnego::new(credentials))),
        })
    }

    /// SPNEGO with `credentials`, whatever the configuration says.
    pub fn kerberos(credentials: KerberosCredentials) -> Self {
        Auth::Kerberos(Arc::new(Spnego::new(credentials)))
    }

    /// The security mode.
    pub fn mode(&self) -> SecurityMode {
        match self {
            Auth::Simple => SecurityMode::Simple,
            Auth::Kerberos(_) => SecurityMode::Kerberos,
        }
    }

    /// The SPNEGO session, in Kerberos mode.
    pub fn spnego(&self) -> Option<&Spnego> {
        match self {
            Auth::Simple => None,
            Auth::Kerberos(s) => Some(s),
        }
    }

    /// Sends `request` with this authentication: as is in simple mode (the caller added
    /// `user.name`), through SPNEGO in Kerberos mode.
    ///
    /// # Errors
    /// Transport errors, and in Kerberos mode [`KerberosError`]s.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, spnego::SendError> {
        match self {
            Auth::Simple => http.execute(request).await.map_err(spnego::SendError::Http),
            Auth::Kerberos(s) => s.send(http, request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_defaults_to_simple_and_reads_kerberos() {
        let mut c = HadoopConfig::default();
        assert_eq!(
            SecurityMode::from_config(&c).ok(),
            Some(SecurityMode::Simple)
        );
        c.set("hadoop.security.authentication", "Kerberos");
        assert_eq!(
            SecurityMode::from_config(&c).ok(),
            Some(SecurityMode::Kerberos)
        );
        assert_eq!(
            Auth::from_config(&c).map(|a| a.mode()).ok(),
            Some(SecurityMode::Kerberos)
        );
        c.set("hadoop.security.authentication", "kerbros");
        let err = SecurityMode::from_config(&c).expect_err("typo");
        assert!(err.to_string().contains("\"kerbros\""), "{err}");
    }
}
