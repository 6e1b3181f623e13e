//! The shared key pair: generation in Skein's exact format, and loading from / storing to the
//! configuration directory, the environment, or a Skein container's localized files.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::SecurityError;

/// File name of the certificate in the configuration directory.
pub(crate) const CERT_FILE_NAME: &str = "skein.crt";
/// File name of the private key in the configuration directory.
pub(crate) const KEY_FILE_NAME: &str = "skein.pem";
/// File locked (exclusive `flock`) while credentials are written, as Python Skein does.
pub(crate) const LOCK_FILE_NAME: &str = "skein.lock";
/// Environment variable carrying the certificate PEM to a spawned driver.
pub(crate) const ENV_CERTIFICATE: &str = "SKEIN_CERTIFICATE";
/// Environment variable carrying the private key PEM to a spawned driver.
pub(crate) const ENV_KEY: &str = "SKEIN_KEY";

/// The common name of every certificate Skein generates; clients use it as the TLS name.
pub(crate) const SKEIN_COMMON_NAME: &str = "skein-internal";

const RSA_BITS: usize = 2048;
const VALIDITY_DAYS: i64 = 365;

/// The skein configuration directory: `$SKEIN_CONFIG`, else `~/.skein`.
///
/// # Errors
/// [`SecurityError::NoConfigDir`] when neither variable gives a directory.
pub fn config_dir() -> Result<PathBuf, SecurityError> {
    if let Some(dir) = std::env::var_os("SKEIN_CONFIG") {
        return Ok(PathBuf::from(dir));
    }
    std::env::home_dir()
        .filter(|home| !home.as_os_str().is_empty())
        .map(|home| home.join(".skein"))
        .ok_or(SecurityError::NoConfigDir)
}

/// A certificate and its private key, both PEM text, checked to parse.
///
/// `Debug` never prints the key.
#[derive(Clone)]
pub struct Credentials {
    cert_pem: String,
    key_pem: String,
    cert_der: CertificateDer<'static>,
}

/// Result of [`Credentials::from_default`]: the credentials, and where they were just written
/// when none existed yet (callers print Skein's warning, see [`DefaultCredentials::warning`]).
#[derive(Debug, Clone)]
pub struct DefaultCredentials {
    /// The credentials to use.
    pub credentials: Credentials,
    /// The configuration directory they were written to, if they were created just now.
    pub written_to: Option<PathBuf>,
}

impl DefaultCredentials {
    /// Skein's warning text for newly written credentials, if any were written.
    pub fn warning(&self) -> Option<String> {
        self.written_to.as_ref().map(|dir| {
            format!(
                "Skein global security credentials not found, writing now to '{}'.",
                dir.display()
            )
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("cert_pem_bytes", &self.cert_pem.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Builds credentials from PEM text; `origin` names the source in error messages.
    ///
    /// The certificate must be a PEM `CERTIFICATE` block (the first one is used); the key may
    /// be PKCS#8 (`PRIVATE KEY`, what Skein writes), PKCS#1 or SEC1.
    ///
    /// # Errors
    /// [`SecurityError::InvalidCertificate`] or [`SecurityError::InvalidKey`].
    pub fn from_pem(
        cert_pem: impl Into<String>,
        key_pem: impl Into<String>,
        origin: &str,
    ) -> Result<Self, SecurityError> {
        Self::from_pem_parts(cert_pem.into(), origin, key_pem.into(), origin)
    }

    fn from_pem_parts(
        cert_pem: String,
        cert_origin: &str,
        key_pem: String,
        key_origin: &str,
    ) -> Result<Self, SecurityError> {
        let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|err| {
            SecurityError::InvalidCertificate {
                origin: cert_origin.to_string(),
                reason: format!("expected a PEM 'CERTIFICATE' block ({err})"),
            }
        })?;
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|err| {
            SecurityError::InvalidKey {
                origin: key_origin.to_string(),
                reason: format!("expected a PEM 'PRIVATE KEY' block ({err})"),
            }
        })?;
        Ok(Self {
            cert_pem,
            key_pem,
            cert_der,
        })
    }

    /// Generates a new key pair exactly like Python's `Security.new_credentials()`.
    ///
    /// RSA-2048 key as unencrypted PKCS#8 PEM; X.509 v3 self-signed certificate with subject
    /// and issuer `CN=skein-internal`, no extensions, a random serial, valid from now for 365
    /// days, signed with SHA-256.
    ///
    /// # Errors
    /// [`SecurityError::Generate`] when the operating system's random source or signing fails.
    pub fn generate() -> Result<Self, SecurityError> {
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};

        let generate =
            |what: &str, err: &dyn fmt::Display| SecurityError::Generate(format!("{what}: {err}"));
        let rsa_key = rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS)
            .map_err(|err| generate("RSA key generation failed", &err))?;
        let key_pem = rsa_key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|err| generate("PKCS#8 encoding failed", &err))?;
        let signing_key =
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256)
                .map_err(|err| generate("loading the new key for signing failed", &err))?;

        let mut params = rcgen::CertificateParams::default();
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CommonName, SKEIN_COMMON_NAME);
        params.distinguished_name = name;
        params.serial_number = Some(random_serial()?);
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now;
        params.not_after = now + time::Duration::days(VALIDITY_DAYS);
        let cert = params
            .self_signed(&signing_key)
            .map_err(|err| generate("self-signing the certificate failed", &err))?;
        Self::from_pem(cert.pem(), key_pem.as_str(), "newly generated credentials")
    }

    /// Loads `skein.crt` and `skein.pem` from `dir`, like `Security.from_directory`.
    ///
    /// # Errors
    /// [`SecurityError::NotFound`] when a file is missing; read or parse errors otherwise.
    pub fn from_directory(dir: &Path) -> Result<Self, SecurityError> {
        Self::from_files(&dir.join(CERT_FILE_NAME), &dir.join(KEY_FILE_NAME))
    }

    /// Loads a certificate file and a key file (PEM).
    ///
    /// # Errors
    /// [`SecurityError::NotFound`] when a file is missing; read or parse errors otherwise.
    pub fn from_files(cert_path: &Path, key_path: &Path) -> Result<Self, SecurityError> {
        for (path, what) in [(cert_path, "cert"), (key_path, "key")] {
            if !path.exists() {
                return Err(SecurityError::NotFound {
                    what,
                    path: path.to_path_buf(),
                });
            }
        }
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| SecurityError::Io {
                action: "cannot read",
                path: path.to_path_buf(),
                source,
            })
        };
        Self::from_pem_parts(
            read(cert_path)?,
            &format!("'{}'", cert_path.display()),
            read(key_path)?,
            &format!("'{}'", key_path.display()),
        )
    }

    /// Loads credentials passed to a spawned driver in `SKEIN_CERTIFICATE` / `SKEIN_KEY`.
    ///
    /// Returns `Ok(None)` when neither variable is set.
    ///
    /// # Errors
    /// [`SecurityError::IncompleteEnvironment`] when only one is set; parse errors otherwise.
    pub(crate) fn from_env() -> Result<Option<Self>, SecurityError> {
        let cert = std::env::var(ENV_CERTIFICATE).ok();
        let key = std::env::var(ENV_KEY).ok();
        match (cert, key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(Self::from_pem_parts(
                cert,
                ENV_CERTIFICATE,
                key,
                ENV_KEY,
            )?)),
            _ => Err(SecurityError::IncompleteEnvironment),
        }
    }

    /// The default credentials, like Python's `Security.from_default()`.
    ///
    /// Inside a YARN container started by Skein (`SKEIN_APPLICATION_ID` set) these are the
    /// application's localized `.skein.crt`/`.skein.pem` in `$LOCAL_DIRS/$CONTAINER_ID`.
    /// Otherwise they are loaded from [`config_dir`], and generated and written there when
    /// absent (another process winning that race is fine: its files are used).
    ///
    /// # Errors
    /// [`SecurityError::NotInContainer`], configuration directory, IO and parse errors.
    pub fn from_default() -> Result<DefaultCredentials, SecurityError> {
        if std::env::var_os("SKEIN_APPLICATION_ID").is_some() {
            let (cert, key) = container_credential_files().ok_or(SecurityError::NotInContainer)?;
            return Ok(DefaultCredentials {
                credentials: Self::from_files(&cert, &key)?,
                written_to: None,
            });
        }
        Self::load_or_create(&config_dir()?)
    }

    /// Loads the credentials in `dir`, generating and writing new ones when absent.
    ///
    /// # Errors
    /// IO and parse errors.
    pub fn load_or_create(dir: &Path) -> Result<DefaultCredentials, SecurityError> {
        match Self::from_directory(dir) {
            Ok(credentials) => {
                return Ok(DefaultCredentials {
                    credentials,
                    written_to: None,
                });
            }
            Err(SecurityError::NotFound { .. }) => {}
            Err(err) => return Err(err),
        }
        let new = Self::generate()?;
        match new.write_to_directory(dir, false) {
            Ok(()) => Ok(DefaultCredentials {
                credentials: new,
                written_to: Some(dir.to_path_buf()),
            }),
            Err(SecurityError::AlreadyExists { .. }) => Ok(DefaultCredentials {
                credentials: Self::from_directory(dir)?,
                written_to: None,
            }),
            Err(err) => Err(err),
        }
    }

    /// Writes `skein.crt` and `skein.pem` into `dir` (created if needed), like
    /// `Security.to_directory`: both files mode 0600, created with `O_EXCL` while holding an
    /// exclusive lock on `skein.lock`. Existing files are an error unless `force`.
    ///
    /// # Errors
    /// [`SecurityError::AlreadyExists`] naming the first existing file; IO errors.
    pub fn write_to_directory(&self, dir: &Path, force: bool) -> Result<(), SecurityError> {
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| SecurityError::Io {
                action,
                path,
                source,
            }
        };
        create_private_dir(dir).map_err(io("cannot create directory", dir))?;
        let _lock = lock_config_dir(dir)?;
        let files = [
            (CERT_FILE_NAME, self.cert_pem.as_bytes()),
            (KEY_FILE_NAME, self.key_pem.as_bytes()),
        ];
        for (name, _) in files {
            let path = dir.join(name);
            if path.exists() {
                if force {
                    std::fs::remove_file(&path).map_err(io("cannot remove", &path))?;
                } else {
                    return Err(SecurityError::AlreadyExists { name, path });
                }
            }
        }
        for (name, contents) in files {
            let path = dir.join(name);
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(io("cannot create", &path))?;
            file.write_all(contents)
                .and_then(|()| file.sync_all())
                .map_err(io("cannot write", &path))?;
        }
        Ok(())
    }

    /// The certificate, PEM text.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The private key, PEM text.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The private key, DER (parsed again on each call; it was validated on construction).
    ///
    /// # Errors
    /// [`SecurityError::InvalidKey`], which cannot happen for a constructed value.
    pub(crate) fn key_der(&self) -> Result<PrivateKeyDer<'static>, SecurityError> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|err| {
            SecurityError::InvalidKey {
                origin: "credentials".to_string(),
                reason: err.to_string(),
            }
        })
    }
}

/// Creates `dir` and its missing parents with mode 0700 (private keys and the driver's address
/// live there); an existing folder keeps its mode.
///
/// # Errors
/// The IO error of the creation.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Takes the configuration directory's exclusive lock (`skein.lock`, `flock`), released when
/// the returned file is dropped. Python Skein takes the same lock around credential writes.
///
/// # Errors
/// [`SecurityError::Io`] when the lock file cannot be opened or locked.
pub(crate) fn lock_config_dir(dir: &Path) -> Result<File, SecurityError> {
    let path = dir.join(LOCK_FILE_NAME);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| SecurityError::Io {
            action: "cannot open lock file",
            path: path.clone(),
            source,
        })?;
    file.lock().map_err(|source| SecurityError::Io {
        action: "cannot lock",
        path,
        source,
    })?;
    Ok(file)
}

/// `.skein.crt`/`.skein.pem` in the first `$LOCAL_DIRS/<$CONTAINER_ID>` holding both.
fn container_credential_files() -> Option<(PathBuf, PathBuf)> {
    let container_id = std::env::var("CONTAINER_ID").ok()?;
    let local_dirs = std::env::var("LOCAL_DIRS").unwrap_or_default();
    find_container_credential_files(&container_id, &local_dirs)
}

/// YARN creates the container directory under every local dir but populates one, so the files
/// themselves are looked for, as Python Skein does.
fn find_container_credential_files(
    container_id: &str,
    local_dirs: &str,
) -> Option<(PathBuf, PathBuf)> {
    local_dirs.split(',').find_map(|local_dir| {
        let dir = Path::new(local_dir).join(container_id);
        let cert = dir.join(".skein.crt");
        let key = dir.join(".skein.pem");
        (cert.exists() && key.exists()).then_some((cert, key))
    })
}

/// A random positive 159-bit serial number, as Python's `x509.random_serial_number()`.
fn random_serial() -> Result<rcgen::SerialNumber, SecurityError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)
        .map_err(|err| SecurityError::Generate(format!("no random bytes for a serial: {err}")))?;
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // keep 20 significant bytes so the serial is never zero
    Ok(rcgen::SerialNumber::from_slice(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_credentials_are_found_in_the_local_dir_that_has_both_files() {
        let root = tempfile::tempdir().expect("tempdir");
        let [empty, half, full] = ["a", "b", "c"].map(|name| root.path().join(name));
        let container = "container_1_0001_01_000002";
        for dir in [&empty, &half, &full] {
            std::fs::create_dir_all(dir.join(container)).expect("mkdir");
        }
        std::fs::write(half.join(container).join(".skein.crt"), "x").expect("write");
        for name in [".skein.crt", ".skein.pem"] {
            std::fs::write(full.join(container).join(name), "x").expect("write");
        }
        let local_dirs = [&empty, &half, &full]
            .map(|dir| dir.display().to_string())
            .join(",");
        let (cert, key) = find_container_credential_files(container, &local_dirs).expect("found");
        assert_eq!(cert, full.join(container).join(".skein.crt"));
        assert_eq!(key, full.join(container).join(".skein.pem"));
        assert!(find_container_credential_files(container, "").is_none());
    }
}
