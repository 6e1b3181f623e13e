//! Skein-compatible credentials and the mutual-TLS configurations built from them.
//!
//! Skein secures every gRPC connection (client to driver, client or container to
//! ApplicationMaster) with one shared, self-signed key pair: subject and issuer
//! `CN=skein-internal`, no extensions, RSA-2048. The same certificate is the server identity,
//! the client identity and the only trust anchor, so possession of the key pair is the whole
//! authorization model. [`Credentials`] creates, loads and stores that pair exactly as the
//! Python client does (`~/.skein/skein.{crt,pem}`); [`tls`] turns it into a tonic server
//! configuration and a rustls client configuration that pins the certificate.

pub mod credentials;
pub mod tls;

pub use credentials::{Credentials, config_dir};

use std::path::PathBuf;

/// What can go wrong while creating, loading, storing or using credentials.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// A credentials file is already there and `force` was not given.
    #[error("'{name}' file already exists, use `--force` to overwrite")]
    AlreadyExists {
        /// File name inside the configuration directory (`skein.crt` or `skein.pem`).
        name: &'static str,
        /// Full path of the existing file.
        path: PathBuf,
    },
    /// A credentials file is missing.
    #[error(
        "Security {what} file not found at '{}'; create credentials with `skein config gencerts`",
        path.display()
    )]
    NotFound {
        /// `cert` or `key`.
        what: &'static str,
        /// The path that was looked at.
        path: PathBuf,
    },
    /// Inside a YARN container started by Skein, but the localized credentials are missing.
    #[error("Failed to resolve .skein.{{crt,pem}} in 'LOCAL_DIRS'")]
    NotInContainer,
    /// Reading or writing a file failed.
    #[error("{action} '{}': {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot write".
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Neither `$SKEIN_CONFIG` nor `$HOME` tells where the configuration directory is.
    #[error("cannot find the skein configuration directory: set SKEIN_CONFIG or HOME")]
    NoConfigDir,
    /// Exactly one of `SKEIN_CERTIFICATE` / `SKEIN_KEY` is set.
    #[error("only one of SKEIN_CERTIFICATE and SKEIN_KEY is set; set both (PEM text) or neither")]
    IncompleteEnvironment,
    /// The certificate PEM is not a PEM-encoded X.509 certificate.
    #[error("invalid certificate from {origin}: {reason}")]
    InvalidCertificate {
        /// Where the PEM came from (a path or an environment variable).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key PEM is not a PEM-encoded private key.
    #[error("invalid private key from {origin}: {reason}")]
    InvalidKey {
        /// Where the PEM came from (a path or an environment variable).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Generating a new key pair or certificate failed.
    #[error("cannot generate credentials: {0}")]
    Generate(String),
    /// Building a TLS configuration from valid-looking credentials failed.
    #[error("cannot build a TLS configuration from the skein credentials: {0}")]
    Tls(String),
}
