//! Kerberos logins: which credentials a process authenticates with, checking them early, and
//! keytab logins into a private credentials cache.
//!
//! * [`KerberosCredentials::Default`]: the process's default cache (KRB5CCNAME, else
//!   krb5.conf's `default_ccache_name`), as `kinit` fills it. [`check`] says in plain words
//!   when there is no ticket or it has expired.
//! * [`KeytabLogin`]: `--principal` + `--keytab`. The tickets live in a private FILE cache
//!   (0600, in a folder the caller chooses) and MIT krb5's *client keytab* initiation gets and
//!   refreshes them: GSSAPI is given the cred store `{ccache, client_keytab}`
//!   (`gss_acquire_cred_from`), and obtains new tickets from the keytab whenever the cached
//!   ones are missing, expired or near their end. No relogin thread is needed.
//!   [`KeytabLogin::install_in_process_env`] exports the same pair as KRB5CCNAME and
//!   KRB5_CLIENT_KTNAME, for code that only uses default credentials: hdfs-native (which
//!   dlopens the same libgssapi_krb5) and child processes.
//!
//! [`login_at_startup`] is the driver's entry point. All functions here block (they may talk
//! to the KDC): call them before starting the runtime or from `tokio::task::spawn_blocking`.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::Duration;

use libgssapi::credential::{Cred, CredUsage};
use libgssapi::error::{Error as GssError, MajorFlags};
use libgssapi::oid::{GSS_MECH_KRB5, GSS_MECH_SPNEGO, OidSet};

use super::error::{Context, KerberosError};

/// The Kerberos credentials a client authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KerberosCredentials {
    /// The process's default credentials: KRB5CCNAME (else krb5.conf's default cache), and
    /// KRB5_CLIENT_KTNAME when set.
    Default,
    /// The tickets in one cache, e.g. `FILE:/tmp/krb5cc_skein` (a path without a type prefix
    /// is a FILE cache).
    TicketCache(String),
    /// Tickets for `principal` from `keytab`, kept in `cache` and renewed from the keytab.
    Keytab {
        /// The client principal, e.g. `skein@EXAMPLE.COM`.
        principal: String,
        /// The keytab file.
        keytab: PathBuf,
        /// The cache the tickets are kept in.
        cache: String,
    },
}

/// What a credentials check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketInfo {
    /// The principal the tickets are for.
    pub principal: String,
    /// How long the credentials stay valid (for a keytab login, until the next automatic
    /// refresh is due at the latest).
    pub lifetime: Duration,
}

impl KerberosCredentials {
    /// Acquires GSSAPI initiator credentials for SPNEGO (blocking).
    ///
    /// # Errors
    /// A [`KerberosError`] naming the cause: no ticket, expired, keytab problems, KDC...
    pub(crate) fn acquire(&self) -> Result<Cred, KerberosError> {
        self.acquire_for(&GSS_MECH_SPNEGO_BYTES)
    }

    /// Checks that these credentials hold a valid ticket (for a keytab: that it can get one;
    /// an expired ticket, renewed at its next use, shows as zero lifetime) and says for whom
    /// and for how long.
    ///
    /// # Errors
    /// As [`Self::acquire`]; a ticket with no lifetime left is [`KerberosError::TicketExpired`].
    pub fn check(&self) -> Result<TicketInfo, KerberosError> {
        let context = self.error_context();
        let cred = self.acquire_for(&GSS_MECH_KRB5_BYTES)?;
        let info = cred
            .info()
            .map_err(|e| KerberosError::from_gss("reading credentials", &e, &context))?;
        let principal = info
            .name
            .display_name()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        // Expired keytab tickets are renewed at their next use: not an error.
        let renewable = matches!(self, KerberosCredentials::Keytab { .. });
        if info.lifetime.is_zero() && !renewable {
            return Err(KerberosError::TicketExpired {
                cache: context
                    .cache
                    .unwrap_or_else(super::error::default_cache_description),
                detail: format!("the ticket of {principal} has no lifetime left"),
            });
        }
        Ok(TicketInfo {
            principal,
            lifetime: info.lifetime,
        })
    }

    fn acquire_for(&self, mech: &'static [u8]) -> Result<Cred, KerberosError> {
        let context = self.error_context();
        match self {
            KerberosCredentials::Default => {
                let oid = mech_oid(mech);
                let mut mechs = OidSet::new();
                mechs
                    .add(oid)
                    .map_err(|e| KerberosError::from_gss("acquiring credentials", &e, &context))?;
                Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs))
                    .map_err(|e| KerberosError::from_gss("acquiring credentials", &e, &context))
            }
            KerberosCredentials::TicketCache(cache) => {
                acquire_from(None, &[("ccache", cache)], mech, &context)
            }
            KerberosCredentials::Keytab {
                principal,
                keytab,
                cache,
            } => {
                check_keytab(keytab, principal)?;
                let keytab = keytab.display().to_string();
                acquire_from(
                    Some(principal),
                    &[("ccache", cache), ("client_keytab", &keytab)],
                    mech,
                    &context,
                )
            }
        }
    }
}

/// Checks the process's default credentials (the ticket cache `kinit` fills): for the driver
/// to say at start-up what to do when there is no ticket.
///
/// # Errors
/// [`KerberosError::NoTicket`], [`KerberosError::TicketExpired`] and the other causes.
pub fn check_default_credentials() -> Result<TicketInfo, KerberosError> {
    KerberosCredentials::Default.check()
}

/// How the process is logged in, after [`login_at_startup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Simple authentication: no Kerberos.
    Simple,
    /// Kerberos with the tickets of the default cache (`kinit`).
    TicketCache(TicketInfo),
    /// Kerberos with a keytab login into a private cache.
    Keytab(KeytabLogin),
}

/// Why the start-up login failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoginError {
    /// The security settings are invalid.
    #[error(transparent)]
    Config(#[from] super::SecurityConfigError),
    /// Kerberos failed.
    #[error(transparent)]
    Kerberos(#[from] KerberosError),
}

/// The driver's login, whatever the security mode: nothing in simple mode; in Kerberos mode
/// a [`KeytabLogin`] into `cache_dir` when `keytab` (principal, keytab file) is given, else a
/// check of the ticket cache, which says to run kinit or pass `--principal`/`--keytab` when
/// there is no valid ticket. A keytab login still has to be made the process's default
/// ([`KeytabLogin::install_in_process_env`]) for hdfs-native.
///
/// # Errors
/// See [`LoginError`].
pub fn login_at_startup(
    config: &crate::conf::HadoopConfig,
    keytab: Option<(&str, &Path)>,
    cache_dir: &Path,
) -> Result<Login, LoginError> {
    if super::SecurityMode::from_config(config)? == super::SecurityMode::Simple {
        return Ok(Login::Simple);
    }
    Ok(match keytab {
        Some((principal, keytab)) => {
            Login::Keytab(KeytabLogin::login(principal, keytab, cache_dir)?)
        }
        None => Login::TicketCache(check_default_credentials()?),
    })
}

/// The principal of the process's default credentials, if there are valid ones.
pub(crate) fn default_principal() -> Option<String> {
    KerberosCredentials::Default
        .check()
        .ok()
        .map(|i| i.principal)
}

/// A keytab login: tickets for one principal in a private cache, renewed from the keytab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeytabLogin {
    principal: String,
    keytab: PathBuf,
    cache_file: PathBuf,
}

impl KeytabLogin {
    /// Logs `principal` in from `keytab`: creates `cache_dir` (0700) if needed, and gets the
    /// first tickets into `cache_dir/krb5cc` (0600) now, so that a wrong principal or keytab
    /// fails here rather than at the first request.
    ///
    /// # Errors
    /// [`KerberosError::KeytabUnreadable`], [`KerberosError::PrincipalNotInKeytab`],
    /// [`KerberosError::KdcUnreachable`], [`KerberosError::CacheSetup`]...
    pub fn login(principal: &str, keytab: &Path, cache_dir: &Path) -> Result<Self, KerberosError> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let setup = |path: &Path, e: std::io::Error| KerberosError::CacheSetup {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(cache_dir)
            .map_err(|e| setup(cache_dir, e))?;
        let keytab = std::path::absolute(keytab).unwrap_or_else(|_| keytab.to_path_buf());
        let cache_file = std::path::absolute(cache_dir.join("krb5cc"))
            .unwrap_or_else(|_| cache_dir.join("krb5cc"));
        let login = KeytabLogin {
            principal: principal.to_string(),
            keytab,
            cache_file,
        };
        // A fresh login, as kinit makes: MIT refreshes expired tickets from the client keytab
        // when a context is made, not when credentials are acquired, so an expired cache left
        // by an earlier run would make this first check fail.
        match std::fs::remove_file(&login.cache_file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(setup(&login.cache_file, e)),
        }
        let info = login.credentials().check()?;
        if login.cache_file.exists() {
            std::fs::set_permissions(&login.cache_file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| setup(&login.cache_file, e))?;
        }
        tracing::info!(
            principal = %info.principal,
            cache = %login.cache_name(),
            lifetime_s = info.lifetime.as_secs(),
            "Kerberos keytab login"
        );
        Ok(login)
    }

    /// The principal logged in.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// The keytab.
    pub fn keytab(&self) -> &Path {
        &self.keytab
    }

    /// The cache, as KRB5CCNAME names it (`FILE:<path>`).
    pub fn cache_name(&self) -> String {
        format!("FILE:{}", self.cache_file.display())
    }

    /// The cache file.
    pub fn cache_file(&self) -> &Path {
        &self.cache_file
    }

    /// The credentials to give [`super::Auth::kerberos`] or a [`super::Spnego`]: tickets from
    /// this cache, refreshed from the keytab.
    pub fn credentials(&self) -> KerberosCredentials {
        KerberosCredentials::Keytab {
            principal: self.principal.clone(),
            keytab: self.keytab.clone(),
            cache: self.cache_name(),
        }
    }

    /// The environment that makes this login the default credentials of a process:
    /// `KRB5CCNAME` (the cache) and `KRB5_CLIENT_KTNAME` (the keytab MIT krb5 refreshes it
    /// from). For child processes (`Command::envs`), or see [`Self::install_in_process_env`].
    pub fn process_env(&self) -> [(&'static str, String); 2] {
        [
            ("KRB5CCNAME", self.cache_name()),
            ("KRB5_CLIENT_KTNAME", self.keytab.display().to_string()),
        ]
    }

    /// Makes this login this process's default Kerberos credentials ([`Self::process_env`]),
    /// so that [`KerberosCredentials::Default`] and hdfs-native (which only uses default
    /// credentials) authenticate as [`Self::principal`] and renew from the keytab.
    ///
    /// # Safety
    /// Changes the process environment: no other thread may read or write environment
    /// variables at the same time (libc's getenv is not synchronised). Call it at start-up,
    /// before starting threads or the tokio runtime.
    pub unsafe fn install_in_process_env(&self) {
        for (name, value) in self.process_env() {
            // SAFETY: the caller guarantees no concurrent environment access.
            unsafe { std::env::set_var(name, value) };
        }
    }
}

/// Reads the keytab before GSSAPI does: MIT reports a missing key as "no credentials cache
/// found" once a cred store names a cache, which would send the user after the wrong file.
fn check_keytab(keytab: &Path, principal: &str) -> Result<(), KerberosError> {
    let unreadable = |reason: String| KerberosError::KeytabUnreadable {
        keytab: keytab.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(keytab).map_err(|e| unreadable(e.to_string()))?;
    let found = super::keytab::principals(&bytes).map_err(|e| unreadable(e.to_string()))?;
    if super::keytab::contains(&found, principal) {
        return Ok(());
    }
    Err(KerberosError::PrincipalNotInKeytab {
        principal: principal.to_string(),
        keytab: keytab.display().to_string(),
        detail: if found.is_empty() {
            "the keytab holds no keys".to_string()
        } else {
            format!("it holds keys for {}", found.join(", "))
        },
    })
}

// The DER bodies of the mechanism OIDs, for the raw cred-store call.
static GSS_MECH_KRB5_BYTES: [u8; 9] = *b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02";
static GSS_MECH_SPNEGO_BYTES: [u8; 6] = *b"\x2b\x06\x01\x05\x05\x02";

fn mech_oid(mech: &'static [u8]) -> libgssapi::oid::Oid<'static> {
    if mech == GSS_MECH_KRB5_BYTES {
        GSS_MECH_KRB5
    } else {
        GSS_MECH_SPNEGO
    }
}

/// `gss_acquire_cred_from` (MIT's credential store extension, not wrapped by libgssapi 0.11):
/// initiator credentials for `principal` (or the cache's) from the key/value `store`.
fn acquire_from(
    principal: Option<&str>,
    store: &[(&str, &str)],
    mech: &'static [u8],
    context: &Context,
) -> Result<Cred, KerberosError> {
    use libgssapi_sys as sys;
    let fail = |major: u32, minor: u32| {
        let error = GssError {
            major: MajorFlags::from_bits_retain(major),
            minor,
        };
        KerberosError::from_gss("acquiring credentials", &error, context)
    };
    let invalid = |what: &str| KerberosError::CacheSetup {
        path: what.to_string(),
        reason: "contains a NUL byte".to_string(),
    };
    let pairs: Vec<(CString, CString)> = store
        .iter()
        .map(|(k, v)| {
            Ok((
                CString::new(*k).map_err(|_| invalid(k))?,
                CString::new(*v).map_err(|_| invalid(v))?,
            ))
        })
        .collect::<Result<_, KerberosError>>()?;
    let mut elements: Vec<sys::gss_key_value_element_desc> = pairs
        .iter()
        .map(|(k, v)| sys::gss_key_value_element_desc {
            key: k.as_ptr(),
            value: v.as_ptr(),
        })
        .collect();
    let store = sys::gss_key_value_set_desc {
        count: elements.len() as u32,
        elements: elements.as_mut_ptr(),
    };
    let mut oid = sys::gss_OID_desc {
        length: mech.len() as u32,
        elements: mech.as_ptr() as *mut std::ffi::c_void,
    };
    let mut mechs = sys::gss_OID_set_desc {
        count: 1,
        elements: &mut oid,
    };
    let mut minor: u32 = 0;
    let mut name: sys::gss_name_t = ptr::null_mut();
    if let Some(principal) = principal {
        let mut buffer = sys::gss_buffer_desc {
            length: principal.len(),
            value: principal.as_ptr() as *mut std::ffi::c_void,
        };
        // SAFETY: the buffer points at `principal`, alive for the call; GSS_C_NT_USER_NAME is
        // a static of the library; `name` receives a new name we release below.
        let major = unsafe {
            sys::gss_import_name(&mut minor, &mut buffer, sys::GSS_C_NT_USER_NAME, &mut name)
        };
        if major != sys::GSS_S_COMPLETE {
            return Err(fail(major, minor));
        }
    }
    let mut cred: sys::gss_cred_id_t = ptr::null_mut();
    // SAFETY: every pointer refers to locals that outlive the call (`store` borrows
    // `elements`, which borrows `pairs`; `mechs` borrows `oid`, which borrows a static); the
    // library writes a new credential into `cred`, which we hand to `Cred` below.
    let major = unsafe {
        sys::gss_acquire_cred_from(
            &mut minor,
            name,
            sys::_GSS_C_INDEFINITE,
            &mut mechs,
            sys::GSS_C_INITIATE as sys::gss_cred_usage_t,
            &store,
            &mut cred,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if !name.is_null() {
        let mut ignored = 0;
        // SAFETY: `name` came from gss_import_name and is released once.
        unsafe { sys::gss_release_name(&mut ignored, &mut name) };
    }
    if major != sys::GSS_S_COMPLETE {
        return Err(fail(major, minor));
    }
    // SAFETY: `cred` is a fresh credential that nothing else owns.
    Ok(unsafe { Cred::from_c(cred) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_mode_needs_no_kerberos() {
        let config = crate::conf::HadoopConfig::default();
        let dir = Path::new("/nonexistent/never-created");
        let login = login_at_startup(&config, Some(("x@R", Path::new("/no/keytab"))), dir);
        assert_eq!(login.ok(), Some(Login::Simple));
        assert!(!dir.exists());
    }

    #[test]
    fn a_missing_keytab_fails_before_gssapi() {
        let mut config = crate::conf::HadoopConfig::default();
        config.set("hadoop.security.authentication", "kerberos");
        let dir = tempfile::tempdir().expect("tempdir");
        let err = login_at_startup(
            &config,
            Some(("skein@EXAMPLE.COM", &dir.path().join("none.keytab"))),
            &dir.path().join("cache"),
        )
        .expect_err("no keytab");
        assert!(
            matches!(
                err,
                LoginError::Kerberos(KerberosError::KeytabUnreadable { .. })
            ),
            "{err:?}"
        );
    }
}
