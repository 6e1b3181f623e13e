//! [`KerberosError`]: what went wrong with Kerberos, in words a user can act on.
//!
//! GSSAPI reports a major status (the GSS-level outcome) and a minor status (here MIT krb5's
//! `com_err` code). [`KerberosError::from_gss`] maps the common causes to variants whose
//! message names the cause and the fix, and keeps GSSAPI's own text (which for MIT includes
//! details such as the cache file name) for everything else.

use libgssapi::error::{Error as GssError, MajorFlags};

// MIT krb5 com_err codes (krb5.h), as GSSAPI minor statuses.
const KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN: i32 = -1765328378;
const KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = -1765328377;
const KRB5KDC_ERR_PREAUTH_FAILED: i32 = -1765328360;
const KRB5KRB_AP_ERR_BAD_INTEGRITY: i32 = -1765328353;
const KRB5KRB_AP_ERR_TKT_EXPIRED: i32 = -1765328352;
const KRB5KRB_AP_ERR_SKEW: i32 = -1765328347;
const KRB5_CC_NOTFOUND: i32 = -1765328243;
const KRB5_CC_END: i32 = -1765328242;
const KRB5_REALM_UNKNOWN: i32 = -1765328230;
const KRB5_KDC_UNREACH: i32 = -1765328228;
const KRB5_KT_NOTFOUND: i32 = -1765328203;
const KRB5_KT_END: i32 = -1765328202;
const KRB5_FCC_NOFILE: i32 = -1765328189;
const KRB5_CONFIG_NODEFREALM: i32 = -1765328160;
const KRB5_KT_FORMAT: i32 = -1765328149;

/// What the failing Kerberos step was working with, to name it in messages.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The credentials cache, e.g. `FILE:/tmp/krb5cc_1000`.
    pub cache: Option<String>,
    /// The client principal.
    pub principal: Option<String>,
    /// The keytab.
    pub keytab: Option<String>,
    /// The service asked for, e.g. `HTTP@rm.example.com`.
    pub service: Option<String>,
}

/// Why Kerberos authentication failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KerberosError {
    /// There is no credentials cache, or no ticket in it.
    #[error(
        "no Kerberos ticket{for_principal} in cache {cache}: run kinit, or start the driver with --principal and --keytab ({detail})",
        for_principal = principal.as_deref().map(|p| format!(" for {p}")).unwrap_or_default()
    )]
    NoTicket {
        /// The cache looked at.
        cache: String,
        /// The principal wanted, if one.
        principal: Option<String>,
        /// GSSAPI's message.
        detail: String,
    },
    /// The ticket-granting ticket has expired.
    #[error(
        "the Kerberos ticket in cache {cache} has expired: run kinit again, or start the driver with --principal and --keytab so tickets are renewed from the keytab ({detail})"
    )]
    TicketExpired {
        /// The cache looked at.
        cache: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// The keytab file is missing or unreadable.
    #[error("cannot read keytab {keytab}: {reason}: check the path and that this user may read it")]
    KeytabUnreadable {
        /// The keytab.
        keytab: String,
        /// Why.
        reason: String,
    },
    /// The keytab holds no key for the principal.
    #[error(
        "keytab {keytab} has no key for {principal}: check the principal's spelling and realm (klist -kt {keytab} lists the keytab's principals) ({detail})"
    )]
    PrincipalNotInKeytab {
        /// The principal.
        principal: String,
        /// The keytab.
        keytab: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// The key in the keytab does not match the KDC's (the password was changed since).
    #[error(
        "the KDC refused the key of {principal} from keytab {keytab}: the keytab is out of date (the principal's key was changed); export a new keytab ({detail})"
    )]
    KeytabOutdated {
        /// The principal.
        principal: String,
        /// The keytab.
        keytab: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// No KDC answered.
    #[error(
        "cannot contact any KDC for the realm{of_principal}: check that the KDC runs and that the kdc entries of [realms] in the krb5.conf in use ({krb5_conf}) are right ({detail})",
        of_principal = principal.as_deref().map(|p| format!(" of {p}")).unwrap_or_default()
    )]
    KdcUnreachable {
        /// The principal whose realm was asked.
        principal: Option<String>,
        /// KRB5_CONFIG, else /etc/krb5.conf.
        krb5_conf: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// The realm is not configured.
    #[error(
        "unknown Kerberos realm{of_principal}: add it to [realms] (and default_realm to [libdefaults]) in the krb5.conf in use ({krb5_conf}) ({detail})",
        of_principal = principal.as_deref().map(|p| format!(" of {p}")).unwrap_or_default()
    )]
    UnknownRealm {
        /// The principal whose realm was asked.
        principal: Option<String>,
        /// KRB5_CONFIG, else /etc/krb5.conf.
        krb5_conf: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// The clocks of this host and the KDC (or server) differ too much.
    #[error(
        "clock skew too great between this host and the Kerberos KDC or server: synchronize the clocks (NTP) ({detail})"
    )]
    ClockSkew {
        /// GSSAPI's message.
        detail: String,
    },
    /// The KDC has no principal for the service asked for.
    #[error(
        "the KDC knows no principal for service {service}: use the host name the server's HTTP principal was made for (its canonical name, not an IP address or alias), or map the host to the right realm in [domain_realm] ({detail})"
    )]
    ServerPrincipalUnknown {
        /// The service, e.g. `HTTP@rm.example.com`.
        service: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// The KDC has no such client principal.
    #[error("the KDC knows no principal {principal}: check its spelling and realm ({detail})")]
    ClientPrincipalUnknown {
        /// The principal.
        principal: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// The server refused the SPNEGO token or the session cookie after a negotiation.
    #[error(
        "{url} refused Kerberos (SPNEGO) authentication with HTTP {status}: {message}; check that the server's HTTP principal and keytab match its host name, and that this principal may use it"
    )]
    Rejected {
        /// The URL.
        url: String,
        /// The HTTP status (401 or 403).
        status: u16,
        /// What the server said.
        message: String,
    },
    /// A server's reply token did not verify (mutual authentication failed).
    #[error("{url}: the server's Kerberos reply did not verify: {detail}")]
    MutualAuthFailed {
        /// The URL.
        url: String,
        /// GSSAPI's message.
        detail: String,
    },
    /// Setting up a private credentials cache failed.
    #[error("cannot prepare the credentials cache {path}: {reason}")]
    CacheSetup {
        /// The file or folder.
        path: String,
        /// Why.
        reason: String,
    },
    /// Any other GSSAPI failure.
    #[error("Kerberos {operation} failed: {detail}")]
    Gss {
        /// What was attempted.
        operation: &'static str,
        /// GSSAPI's message.
        detail: String,
    },
}

impl KerberosError {
    /// Maps a GSSAPI failure of `operation`, with what it was working on, to a variant.
    pub(crate) fn from_gss(operation: &'static str, error: &GssError, context: &Context) -> Self {
        let detail = error.to_string().trim().to_string();
        Self::classify(operation, error.major, error.minor as i32, detail, context)
    }

    /// The classification itself, on plain values (unit-tested without a KDC).
    fn classify(
        operation: &'static str,
        major: MajorFlags,
        minor: i32,
        detail: String,
        context: &Context,
    ) -> Self {
        let cache = || {
            context
                .cache
                .clone()
                .unwrap_or_else(default_cache_description)
        };
        let principal = || context.principal.clone().unwrap_or_else(|| "?".into());
        let keytab = || context.keytab.clone().unwrap_or_else(|| "?".into());
        let lower = detail.to_ascii_lowercase();
        match minor {
            KRB5_FCC_NOFILE | KRB5_CC_NOTFOUND | KRB5_CC_END => {
                return KerberosError::NoTicket {
                    cache: cache(),
                    principal: context.principal.clone(),
                    detail,
                };
            }
            KRB5KRB_AP_ERR_TKT_EXPIRED => {
                return KerberosError::TicketExpired {
                    cache: cache(),
                    detail,
                };
            }
            KRB5_KDC_UNREACH => {
                return KerberosError::KdcUnreachable {
                    principal: context.principal.clone(),
                    krb5_conf: krb5_conf(),
                    detail,
                };
            }
            KRB5_REALM_UNKNOWN | KRB5_CONFIG_NODEFREALM => {
                return KerberosError::UnknownRealm {
                    principal: context.principal.clone(),
                    krb5_conf: krb5_conf(),
                    detail,
                };
            }
            KRB5KRB_AP_ERR_SKEW => return KerberosError::ClockSkew { detail },
            KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN => {
                return KerberosError::ServerPrincipalUnknown {
                    service: context.service.clone().unwrap_or_else(|| "?".into()),
                    detail,
                };
            }
            KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN => {
                return KerberosError::ClientPrincipalUnknown {
                    principal: principal(),
                    detail,
                };
            }
            KRB5_KT_NOTFOUND | KRB5_KT_END if context.keytab.is_some() => {
                return KerberosError::PrincipalNotInKeytab {
                    principal: principal(),
                    keytab: keytab(),
                    detail,
                };
            }
            KRB5_KT_FORMAT if context.keytab.is_some() => {
                return KerberosError::KeytabUnreadable {
                    keytab: keytab(),
                    reason: format!("not a keytab ({detail})"),
                };
            }
            KRB5KDC_ERR_PREAUTH_FAILED | KRB5KRB_AP_ERR_BAD_INTEGRITY
                if context.keytab.is_some() =>
            {
                return KerberosError::KeytabOutdated {
                    principal: principal(),
                    keytab: keytab(),
                    detail,
                };
            }
            // errno values: the keytab file (or the cache's folder) is missing or unreadable.
            2 | 13 if context.keytab.is_some() => {
                return KerberosError::KeytabUnreadable {
                    keytab: keytab(),
                    reason: detail,
                };
            }
            _ => {}
        }
        // Through SPNEGO (and MIT's mechglue in general) minor codes arrive remapped, and the
        // krb5 mechanism's own codes (KG_*) have no public header: match com_err's text.
        if let Some(error) = Self::classify_text(&lower, &detail, context) {
            return error;
        }
        if lower.contains("credential cache is empty")
            || lower.contains("no kerberos credentials available")
            || lower.contains("credential cache has no tgt")
        {
            return KerberosError::NoTicket {
                cache: cache(),
                principal: context.principal.clone(),
                detail,
            };
        }
        if lower.contains("no principal in keytab matches") && context.keytab.is_some() {
            return KerberosError::PrincipalNotInKeytab {
                principal: principal(),
                keytab: keytab(),
                detail,
            };
        }
        if major.contains(MajorFlags::GSS_S_CREDENTIALS_EXPIRED) {
            return KerberosError::TicketExpired {
                cache: cache(),
                detail,
            };
        }
        if major.contains(MajorFlags::GSS_S_NO_CRED) && context.keytab.is_none() {
            return KerberosError::NoTicket {
                cache: cache(),
                principal: context.principal.clone(),
                detail,
            };
        }
        KerberosError::Gss { operation, detail }
    }
}

impl KerberosError {
    /// The MIT krb5 messages (`krb5_err.et`, as gss_display_status shows them) of the causes
    /// above.
    fn classify_text(lower: &str, detail: &str, context: &Context) -> Option<Self> {
        let detail = || detail.to_string();
        let cache = || {
            context
                .cache
                .clone()
                .unwrap_or_else(default_cache_description)
        };
        let principal = || context.principal.clone().unwrap_or_else(|| "?".into());
        let keytab = || context.keytab.clone().unwrap_or_else(|| "?".into());
        let with_keytab = context.keytab.is_some();
        Some(if lower.contains("ticket expired") {
            KerberosError::TicketExpired {
                cache: cache(),
                detail: detail(),
            }
        } else if lower.contains("cannot contact any kdc") {
            KerberosError::KdcUnreachable {
                principal: context.principal.clone(),
                krb5_conf: krb5_conf(),
                detail: detail(),
            }
        } else if lower.contains("cannot find kdc for")
            || lower.contains("configuration file does not specify default realm")
        {
            KerberosError::UnknownRealm {
                principal: context.principal.clone(),
                krb5_conf: krb5_conf(),
                detail: detail(),
            }
        } else if lower.contains("clock skew too great") {
            KerberosError::ClockSkew { detail: detail() }
        } else if lower.contains("not found in kerberos database") && lower.contains("server ") {
            KerberosError::ServerPrincipalUnknown {
                service: context.service.clone().unwrap_or_else(|| "?".into()),
                detail: detail(),
            }
        } else if lower.contains("not found in kerberos database") && lower.contains("client ") {
            KerberosError::ClientPrincipalUnknown {
                principal: principal(),
                detail: detail(),
            }
        } else if with_keytab
            && (lower.contains("key table entry not found")
                || lower.contains("no principal in keytab matches"))
        {
            KerberosError::PrincipalNotInKeytab {
                principal: principal(),
                keytab: keytab(),
                detail: detail(),
            }
        } else if with_keytab
            && (lower.contains("preauthentication failed")
                || lower.contains("integrity check failed"))
        {
            KerberosError::KeytabOutdated {
                principal: principal(),
                keytab: keytab(),
                detail: detail(),
            }
        } else if lower.contains("no credentials cache found")
            || lower.contains("matching credential not found")
        {
            KerberosError::NoTicket {
                cache: cache(),
                principal: context.principal.clone(),
                detail: detail(),
            }
        } else {
            return None;
        })
    }
}

/// The credentials cache in use when none is named: KRB5CCNAME, else krb5.conf's default.
pub(crate) fn default_cache_description() -> String {
    match std::env::var("KRB5CCNAME") {
        Ok(name) if !name.is_empty() => name,
        _ => format!(
            "the default cache (default_ccache_name of {}, else /tmp/krb5cc_{})",
            krb5_conf(),
            current_uid()
        ),
    }
}

/// The krb5.conf MIT krb5 reads: KRB5_CONFIG, else /etc/krb5.conf.
pub fn krb5_conf() -> String {
    match std::env::var("KRB5_CONFIG") {
        Ok(path) if !path.is_empty() => path,
        _ => "/etc/krb5.conf".to_string(),
    }
}

fn current_uid() -> String {
    // /proc/self's owner is the process's uid, without libc.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid().to_string())
        .unwrap_or_else(|_| "<uid>".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(major: MajorFlags, minor: i32, detail: &str, context: &Context) -> KerberosError {
        KerberosError::classify("test", major, minor, detail.to_string(), context)
    }

    fn with_cache() -> Context {
        Context {
            cache: Some("FILE:/tmp/cc".into()),
            ..Context::default()
        }
    }

    fn with_keytab() -> Context {
        Context {
            principal: Some("skein@EXAMPLE.COM".into()),
            keytab: Some("/k/skein.keytab".into()),
            ..Context::default()
        }
    }

    #[test]
    fn missing_cache_says_kinit_or_keytab() {
        let e = classify(
            MajorFlags::GSS_S_NO_CRED,
            KRB5_FCC_NOFILE,
            "No credentials cache found",
            &with_cache(),
        );
        assert!(matches!(e, KerberosError::NoTicket { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with("no Kerberos ticket in cache FILE:/tmp/cc: run kinit"),
            "{text}"
        );
        assert!(text.contains("--principal and --keytab"), "{text}");
    }

    #[test]
    fn empty_cache_is_no_ticket_by_text() {
        let e = classify(
            MajorFlags::GSS_S_NO_CRED,
            39756044,
            "No Kerberos credentials available (default cache: FILE:/x)",
            &with_cache(),
        );
        assert!(matches!(e, KerberosError::NoTicket { .. }), "{e:?}");
    }

    #[test]
    fn expiry_by_code_and_by_major_status() {
        for (major, minor) in [
            (MajorFlags::GSS_S_FAILURE, KRB5KRB_AP_ERR_TKT_EXPIRED),
            (MajorFlags::GSS_S_CREDENTIALS_EXPIRED, 0),
        ] {
            let e = classify(major, minor, "Ticket expired", &with_cache());
            assert!(matches!(e, KerberosError::TicketExpired { .. }), "{e:?}");
            assert!(e.to_string().contains("run kinit again"), "{e}");
        }
    }

    #[test]
    fn keytab_problems_name_the_keytab() {
        let e = classify(
            MajorFlags::GSS_S_NO_CRED,
            2,
            "No such file or directory",
            &with_keytab(),
        );
        assert!(matches!(e, KerberosError::KeytabUnreadable { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("cannot read keytab /k/skein.keytab"),
            "{e}"
        );
        let e = classify(
            MajorFlags::GSS_S_NO_CRED,
            KRB5_KT_NOTFOUND,
            "x",
            &with_keytab(),
        );
        assert!(
            matches!(e, KerberosError::PrincipalNotInKeytab { .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("klist -kt /k/skein.keytab"), "{e}");
        let e = classify(
            MajorFlags::GSS_S_FAILURE,
            KRB5KDC_ERR_PREAUTH_FAILED,
            "x",
            &with_keytab(),
        );
        assert!(matches!(e, KerberosError::KeytabOutdated { .. }), "{e:?}");
    }

    #[test]
    fn network_clock_and_server_name_errors() {
        let e = classify(
            MajorFlags::GSS_S_FAILURE,
            KRB5_KDC_UNREACH,
            "x",
            &with_keytab(),
        );
        assert!(matches!(e, KerberosError::KdcUnreachable { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("cannot contact any KDC for the realm of skein@EXAMPLE.COM"),
            "{e}"
        );
        let e = classify(
            MajorFlags::GSS_S_FAILURE,
            KRB5KRB_AP_ERR_SKEW,
            "x",
            &Context::default(),
        );
        assert!(matches!(e, KerberosError::ClockSkew { .. }), "{e:?}");
        let service = Context {
            service: Some("HTTP@10.0.0.1".into()),
            ..Context::default()
        };
        let e = classify(
            MajorFlags::GSS_S_FAILURE,
            KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN,
            "x",
            &service,
        );
        assert!(
            e.to_string()
                .starts_with("the KDC knows no principal for service HTTP@10.0.0.1"),
            "{e}"
        );
    }

    /// What MIT's mechglue hands over through SPNEGO: a remapped minor code, the cause only
    /// in the text (messages seen against the test cluster's KDC).
    #[test]
    fn remapped_minor_codes_are_classified_by_text() {
        let service = Context {
            service: Some("HTTP@127.0.0.1".into()),
            ..Context::default()
        };
        type Expect = fn(&KerberosError) -> bool;
        let cases: [(&str, &Context, Expect); 5] = [
            (
                "Unspecified GSS failure.  Minor code may provide more information (Server HTTP/127.0.0.1@EXAMPLE.COM not found in Kerberos database)",
                &service,
                |e| matches!(e, KerberosError::ServerPrincipalUnknown { .. }),
            ),
            (
                "Unspecified GSS failure.  Minor code may provide more information (Ticket expired)",
                &service,
                |e| matches!(e, KerberosError::TicketExpired { .. }),
            ),
            (
                "Unspecified GSS failure.  Minor code may provide more information (Cannot contact any KDC for realm 'EXAMPLE.COM')",
                &service,
                |e| matches!(e, KerberosError::KdcUnreachable { .. }),
            ),
            (
                "Unspecified GSS failure.  Minor code may provide more information (Clock skew too great)",
                &service,
                |e| matches!(e, KerberosError::ClockSkew { .. }),
            ),
            (
                "Unspecified GSS failure.  Minor code may provide more information (Client 'x@EXAMPLE.COM' not found in Kerberos database)",
                &service,
                |e| matches!(e, KerberosError::ClientPrincipalUnknown { .. }),
            ),
        ];
        for (text, context, expected) in cases {
            let e = classify(MajorFlags::GSS_S_FAILURE, 100_001, text, context);
            assert!(expected(&e), "{text}: {e:?}");
        }
    }

    #[test]
    fn unknown_failures_keep_gssapi_text() {
        let e = classify(
            MajorFlags::GSS_S_FAILURE,
            12345,
            "Something odd",
            &Context::default(),
        );
        assert_eq!(e.to_string(), "Kerberos test failed: Something odd");
    }
}
