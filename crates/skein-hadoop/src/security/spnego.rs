//! SPNEGO (`Authorization: Negotiate`) for reqwest, as Hadoop's web endpoints expect it.
//!
//! Hadoop's `AuthenticationFilter` (RM REST API, WebHDFS, NM and JHS web) accepts a GSSAPI
//! SPNEGO token for `HTTP/<host>` and answers with a signed `hadoop.auth` cookie that
//! authenticates later requests without Kerberos until it expires (10 h by default). So
//! [`Spnego::send`]:
//!
//! 1. with a remembered cookie for the server (host and port), sends it; if the server
//!    refuses it (401), forgets it and negotiates once;
//! 2. otherwise builds a GSSAPI context for `HTTP@<host>` (host-based service name, SPNEGO
//!    mechanism, mutual authentication) from [`KerberosCredentials`] and sends its first token;
//! 3. verifies the server's reply token (`WWW-Authenticate: Negotiate <token>`) when there is
//!    one, remembers the new cookie, and turns a 401 into [`KerberosError::Rejected`].
//!
//! GSSAPI calls may talk to the KDC, so they run on tokio's blocking pool.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use libgssapi::context::{ClientCtx, CtxFlags};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_SPNEGO, GSS_NT_HOSTBASED_SERVICE};
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderValue, SET_COOKIE, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};

use super::error::{Context, KerberosError};
use super::login::KerberosCredentials;

/// The name of Hadoop's authentication cookie.
pub(crate) const AUTH_COOKIE: &str = "hadoop.auth";

/// Why an authenticated request failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request could not be sent or answered.
    #[error(transparent)]
    Http(reqwest::Error),
    /// Kerberos authentication failed.
    #[error(transparent)]
    Kerberos(#[from] KerberosError),
}

/// A SPNEGO session: the credentials to negotiate with and the `hadoop.auth` cookies got so
/// far, per server.
#[derive(Debug)]
pub struct Spnego {
    credentials: KerberosCredentials,
    cookies: Mutex<HashMap<String, String>>,
}

impl Spnego {
    /// A session negotiating with `credentials`.
    pub fn new(credentials: KerberosCredentials) -> Self {
        Spnego {
            credentials,
            cookies: Mutex::new(HashMap::new()),
        }
    }

    /// The credentials negotiations use.
    pub fn credentials(&self) -> &KerberosCredentials {
        &self.credentials
    }

    /// The `hadoop.auth=...` cookie remembered for `host:port`, if any.
    pub fn cookie(&self, authority: &str) -> Option<String> {
        self.lock().get(authority).cloned()
    }

    /// Forgets every cookie (the next request to each server negotiates).
    pub fn clear_cookies(&self) {
        self.lock().clear();
    }

    /// Sends `request` authenticated: with the server's cookie when there is one, else (or when
    /// the server refuses the cookie) with a new SPNEGO negotiation.
    ///
    /// # Errors
    /// [`SendError::Http`] for transport errors; [`SendError::Kerberos`] when no context can
    /// be made (no ticket, unknown server principal...), the server's reply does not verify,
    /// or the server answers 401 to a fresh negotiation.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> Result<Response, SendError> {
        let authority = authority(request.url());
        if let Some(cookie) = self.cookie(&authority)
            && let Some(mut attempt) = request.try_clone()
            && let Ok(value) = HeaderValue::from_str(&cookie)
        {
            attempt.headers_mut().insert(COOKIE, value);
            let response = http.execute(attempt).await.map_err(SendError::Http)?;
            if response.status() != StatusCode::UNAUTHORIZED {
                self.remember(&authority, &response);
                return Ok(response);
            }
            tracing::debug!(%authority, "hadoop.auth cookie refused; negotiating again");
            self.lock().remove(&authority);
        }
        self.negotiate(http, request, &authority).await
    }

    async fn negotiate(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        authority: &str,
    ) -> Result<Response, SendError> {
        let url = request.url().clone();
        let host = url.host_str().unwrap_or("localhost").to_string();
        let credentials = self.credentials.clone();
        let (context, token) =
            tokio::task::spawn_blocking(move || initial_token(&credentials, &host))
                .await
                .map_err(|e| KerberosError::Gss {
                    operation: "SPNEGO negotiation",
                    detail: e.to_string(),
                })??;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&token);
        let header =
            HeaderValue::from_str(&format!("Negotiate {b64}")).map_err(|e| KerberosError::Gss {
                operation: "SPNEGO negotiation",
                detail: e.to_string(),
            })?;
        request.headers_mut().insert(AUTHORIZATION, header);
        let response = http.execute(request).await.map_err(SendError::Http)?;
        let status = response.status();
        if let Some(reply) = reply_token(&response) {
            let mut context = context;
            let verified = tokio::task::spawn_blocking(move || context.step(Some(&reply), None))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            // A 401 carries no proof of the server's identity to verify.
            if let Err(detail) = verified
                && status != StatusCode::UNAUTHORIZED
            {
                return Err(KerberosError::MutualAuthFailed {
                    url: redact(&url),
                    detail,
                }
                .into());
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            let body = response.text().await.unwrap_or_default();
            return Err(KerberosError::Rejected {
                url: redact(&url),
                status: status.as_u16(),
                message: summary(&body),
            }
            .into());
        }
        self.remember(authority, &response);
        Ok(response)
    }

    /// Keeps the `hadoop.auth` cookie a response sets (an empty one deletes it).
    fn remember(&self, authority: &str, response: &Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let Some(pair) = value.to_str().ok().and_then(auth_cookie_pair) else {
                continue;
            };
            let mut cookies = self.lock();
            match pair {
                Some(pair) => cookies.insert(authority.to_string(), pair),
                None => cookies.remove(authority),
            };
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A panic while holding the lock leaves a valid map: keep using it.
        self.cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A new SPNEGO context for `HTTP@host` and its first token (blocking).
fn initial_token(
    credentials: &KerberosCredentials,
    host: &str,
) -> Result<(ClientCtx, Vec<u8>), KerberosError> {
    let service = format!("HTTP@{}", service_host(host));
    let mut context = credentials.error_context();
    context.service = Some(service.clone());
    let cred = credentials.acquire()?;
    let name = Name::new(service.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
        .map_err(|e| KerberosError::from_gss("naming the HTTP service", &e, &context))?;
    let mut ctx = ClientCtx::new(
        Some(cred),
        name,
        CtxFlags::GSS_C_MUTUAL_FLAG,
        Some(GSS_MECH_SPNEGO),
    );
    let token = ctx
        .step(None, None)
        .map_err(|e| KerberosError::from_gss("SPNEGO negotiation", &e, &context))?
        .map(|buf| buf.to_vec())
        .unwrap_or_default();
    Ok((ctx, token))
}

/// The host of the server's `HTTP/<host>` principal, as Hadoop's own client names it
/// (`KerberosUtil.getServicePrincipal`): lower case, and an IP address replaced by its host
/// name (reverse lookup; Java's `getCanonicalHostName`), since host-based principals name
/// hosts, never addresses. Other names are left to krb5.conf's `dns_canonicalize_hostname`.
fn service_host(host: &str) -> String {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<std::net::IpAddr>() {
        Ok(ip) => reverse_lookup(ip).unwrap_or_else(|| literal.to_string()),
        Err(_) => host.to_ascii_lowercase(),
    }
}

/// `getnameinfo(NI_NAMEREQD)`: the name of an address, if it has one.
fn reverse_lookup(ip: std::net::IpAddr) -> Option<String> {
    use std::mem::{size_of, zeroed};
    let mut name = [0 as libc::c_char; 1025];
    // SAFETY: the socket addresses are zero-initialised plain C structs filled with valid
    // fields; getnameinfo reads `len` bytes of them and writes a NUL-terminated string of at
    // most `name.len()` bytes into `name`.
    let rc = unsafe {
        match ip {
            std::net::IpAddr::V4(v4) => {
                let mut sin: libc::sockaddr_in = zeroed();
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_addr.s_addr = u32::from_ne_bytes(v4.octets());
                libc::getnameinfo(
                    (&raw const sin).cast(),
                    size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    name.as_mut_ptr(),
                    name.len() as libc::socklen_t,
                    std::ptr::null_mut(),
                    0,
                    libc::NI_NAMEREQD,
                )
            }
            std::net::IpAddr::V6(v6) => {
                let mut sin6: libc::sockaddr_in6 = zeroed();
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_addr.s6_addr = v6.octets();
                libc::getnameinfo(
                    (&raw const sin6).cast(),
                    size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                    name.as_mut_ptr(),
                    name.len() as libc::socklen_t,
                    std::ptr::null_mut(),
                    0,
                    libc::NI_NAMEREQD,
                )
            }
        }
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: on success getnameinfo wrote a NUL-terminated string into `name`.
    let text = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    text.to_str().ok().map(str::to_ascii_lowercase)
}

/// The server's token in `WWW-Authenticate: Negotiate <base64>`, if any.
fn reply_token(response: &Response) -> Option<Vec<u8>> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(negotiate_token)
}

fn negotiate_token(header: &str) -> Option<Vec<u8>> {
    let (scheme, data) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("negotiate") {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()
        .filter(|t| !t.is_empty())
}

/// `Some(Some("hadoop.auth=..."))` for a Set-Cookie of the auth cookie, `Some(None)` when it
/// deletes it (empty value), `None` for other cookies.
fn auth_cookie_pair(set_cookie: &str) -> Option<Option<String>> {
    let pair = set_cookie.split(';').next()?.trim();
    let (name, value) = pair.split_once('=')?;
    if name.trim() != AUTH_COOKIE {
        return None;
    }
    let value = value.trim();
    Some((!value.is_empty() && value != "\"\"").then(|| format!("{AUTH_COOKIE}={value}")))
}

/// `host:port` of a URL: cookies are kept per server.
fn authority(url: &reqwest::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// The URL without its query (which may hold a delegation token).
fn redact(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

/// The first useful line of an error page (Jetty's pages put the message in a `<title>` or
/// after "Message").
fn summary(body: &str) -> String {
    if let Some(start) = body.find("<title>")
        && let Some(end) = body[start..].find("</title>")
    {
        return body[start + 7..start + end].trim().to_string();
    }
    let text = body.trim();
    if text.is_empty() {
        "no message".to_string()
    } else {
        text.chars().take(300).collect()
    }
}

impl KerberosCredentials {
    /// What these credentials are, to name them in errors.
    pub(crate) fn error_context(&self) -> Context {
        match self {
            KerberosCredentials::Default => Context::default(),
            KerberosCredentials::TicketCache(cache) => Context {
                cache: Some(cache.clone()),
                ..Context::default()
            },
            KerberosCredentials::Keytab {
                principal,
                keytab,
                cache,
            } => Context {
                cache: Some(cache.clone()),
                principal: Some(principal.clone()),
                keytab: Some(keytab.display().to_string()),
                service: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_cookie_is_recognised_set_and_deleted() {
        assert_eq!(
            auth_cookie_pair(
                "hadoop.auth=\"u=skein&p=skein@EXAMPLE.COM&t=kerberos&e=1&s=abc=\"; Path=/; HttpOnly"
            ),
            Some(Some(
                "hadoop.auth=\"u=skein&p=skein@EXAMPLE.COM&t=kerberos&e=1&s=abc=\"".to_string()
            ))
        );
        assert_eq!(
            auth_cookie_pair("hadoop.auth=; Path=/; Expires=Thu, 01-Jan-1970 00:00:00 GMT"),
            Some(None)
        );
        assert_eq!(auth_cookie_pair("JSESSIONID=x; Path=/"), None);
    }

    #[test]
    fn negotiate_reply_tokens_are_decoded() {
        assert_eq!(negotiate_token("Negotiate AQID"), Some(vec![1, 2, 3]));
        assert_eq!(negotiate_token("negotiate  AQID "), Some(vec![1, 2, 3]));
        assert_eq!(negotiate_token("Negotiate"), None);
        assert_eq!(negotiate_token("Basic AQID"), None);
    }

    #[test]
    fn service_hosts_are_names_in_lower_case() {
        assert_eq!(service_host("RM1.Example.COM"), "rm1.example.com");
        // /etc/hosts names the loopback address on every Linux.
        let loopback = service_host("127.0.0.1");
        assert!(loopback.starts_with("localhost"), "{loopback}");
    }

    #[test]
    fn cookies_are_per_server_and_queries_are_not_logged() {
        let url = reqwest::Url::parse("http://rm.example.com/ws?delegation=secret").expect("url");
        assert_eq!(authority(&url), "rm.example.com:80");
        assert_eq!(redact(&url), "http://rm.example.com/ws");
        assert_eq!(
            summary("<html><head><title>Error 401 Authentication required</title>"),
            "Error 401 Authentication required"
        );
    }
}
