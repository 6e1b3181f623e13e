//! Fetching delegation tokens for an application: HDFS (through WebHDFS) and the
//! ResourceManager (through its REST API), both over SPNEGO.
//!
//! **Why WebHDFS and not the NameNode RPC.** hdfs-native's RPC client (the only Rust client of
//! the NameNode's `ClientProtocol`) is crate-private and offers no `getDelegationToken`; it can
//! only *use* tokens from `HADOOP_TOKEN_FILE_LOCATION`. WebHDFS's `GETDELEGATIONTOKEN` is the
//! same operation of the same NameNode over HTTP, and the SPNEGO layer already exists for the
//! RM.
//!
//! **Why the HDFS token is rewritten.** The NameNode labels a token fetched over WebHDFS with
//! kind `WEBHDFS delegation` (`SWEBHDFS delegation` over https), but its identifier and
//! password are those of an ordinary HDFS delegation token from the same secret manager, and
//! the NameNode's RPC SASL check looks only at those. What reads the label is the client
//! side: Hadoop's token selectors pick a token by (kind, service) — `HDFS_DELEGATION_TOKEN`
//! and the NameNode's RPC address for Java clients, and hdfs-native the same kind with the
//! service it computes from `fs.defaultFS` — and the RM chooses how to renew a token at
//! submission by its kind (a `WEBHDFS delegation` token is renewed over HTTP at its service,
//! the RPC port: the test cluster's RM fails such an application with "Failed to renew
//! token: Kind: WEBHDFS delegation"). So
//! [`hdfs_rpc_tokens`] relabels the token `HDFS_DELEGATION_TOKEN` for each service a reader
//! may look for: `ha-hdfs:<nameservice>` under HA; otherwise `<ip>:<port>` (Java's
//! `SecurityUtil.buildTokenService`, `hadoop.security.token.service.use_ip=true`) and, when
//! it differs, the `<host>:<port>` written in `fs.defaultFS` (hdfs-native's lookup).
//!
//! **Renewer.** The RM renews an application's tokens while it runs and refuses a submission
//! whose tokens it cannot renew, so the renewer must be the RM's user. As MapReduce's
//! `TokenCache` (`Master.getMasterPrincipal`), [`default_renewer`] gives the full RM principal
//! with `_HOST` resolved; the NameNode and the RM turn it into a short name with their own
//! `auth_to_local` rules.

use std::net::ToSocketAddrs;

use reqwest::{Method, StatusCode};

use super::credentials::Credentials;
use super::error::KerberosError;
use super::filesystems::{FileSystemError, FileSystemTokens, filesystem_tokens};
use super::principal;
use super::spnego::SendError;
use super::token::{HDFS_DELEGATION_KIND, Token, TokenError};
use super::{Auth, SecurityMode};
use crate::conf::HadoopConfig;
use crate::yarn::{ResourceManager, YarnError};

/// Default RPC port of a NameNode (`fs.defaultFS` without a port).
const NAMENODE_RPC_PORT: u16 = 8020;
/// Default RPC port of a ResourceManager (`yarn.resourcemanager.address`).
const RESOURCEMANAGER_RPC_PORT: u16 = 8032;

/// Why a delegation token could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum DelegationError {
    /// The configuration names no NameNode web address.
    #[error(
        "no NameNode web address for {fs}: set dfs.namenode.http-address (HA: dfs.namenode.http-address.<nameservice>.<namenode>) in hdfs-site.xml"
    )]
    NoNamenode {
        /// The default filesystem.
        fs: String,
    },
    /// No renewer was given and the configuration names no RM principal.
    #[error(
        "no renewer for delegation tokens: set yarn.resourcemanager.principal in yarn-site.xml"
    )]
    NoRenewer,
    /// Kerberos authentication failed.
    #[error(transparent)]
    Kerberos(#[from] KerberosError),
    /// No NameNode answered.
    #[error("cannot reach the NameNode web server at {urls}: {last_error}")]
    Unreachable {
        /// The URLs tried.
        urls: String,
        /// The last error.
        last_error: String,
    },
    /// The NameNode refused (e.g. a proxy user that may not impersonate).
    #[error("{url}: HTTP {status} {exception}: {message}")]
    Remote {
        /// The URL (without query).
        url: String,
        /// The HTTP status.
        status: u16,
        /// The Java exception's short name.
        exception: String,
        /// The server's message.
        message: String,
    },
    /// The answer is not the expected JSON.
    #[error("unexpected answer from {url}: {message}")]
    Decode {
        /// The URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The token in the answer does not decode.
    #[error("the token from {url} does not decode: {source}")]
    Token {
        /// The URL.
        url: String,
        /// Why.
        source: TokenError,
    },
    /// The ResourceManager call failed.
    #[error(transparent)]
    Yarn(#[from] YarnError),
    /// An entry of the spec's `file_systems` that no Hadoop client could use.
    #[error(transparent)]
    FileSystem(#[from] FileSystemError),
    /// The token of a filesystem of the spec's `file_systems` could not be fetched.
    #[error("the delegation token of {filesystem} (in file_systems): {source}")]
    ExtraFileSystem {
        /// The filesystem as the spec names it.
        filesystem: String,
        /// Why.
        source: Box<DelegationError>,
    },
}

impl DelegationError {
    /// The `file_systems` entry this error is about, if it is about one.
    pub fn filesystem(&self) -> Option<&str> {
        match self {
            DelegationError::ExtraFileSystem { filesystem, .. } => Some(filesystem),
            DelegationError::FileSystem(
                FileSystemError::NoFileSystem { filesystem, .. }
                | FileSystemError::Invalid { filesystem, .. }
                | FileSystemError::EmptyMountTable { filesystem, .. },
            ) => Some(filesystem),
            _ => None,
        }
    }
}

/// The renewer Hadoop clients give tokens an application's RM must renew: the RM principal
/// with `_HOST` resolved ([`principal::resourcemanager_principal`]).
pub fn default_renewer(config: &HadoopConfig) -> Option<String> {
    principal::resourcemanager_principal(config)
}

/// Everything an application needs at submission in `config`'s security mode: nothing in
/// simple mode; in Kerberos mode an HDFS delegation token (under each service name a client
/// may look for, see [`hdfs_rpc_tokens`]), one for each filesystem of `file_systems` (the
/// spec's, see [`filesystems`](super::filesystems)) and an RM delegation token, for the user
/// `rm` acts for (`doAs`/`doas` when it impersonates), renewable by `renewer` (default
/// [`default_renewer`]). Put [`Credentials::to_rest`] into the submission's
/// `am-container-spec.credentials`.
///
/// # Errors
/// See [`DelegationError`]; a failure for an entry of `file_systems` names it
/// ([`DelegationError::filesystem`]). Every entry is checked before the cluster is asked.
pub async fn submission_credentials(
    config: &HadoopConfig,
    rm: &ResourceManager,
    renewer: Option<&str>,
    file_systems: &[String],
) -> Result<Credentials, DelegationError> {
    let mut credentials = Credentials::new();
    if rm.auth().mode() == SecurityMode::Simple {
        return Ok(credentials);
    }
    let extra = file_systems
        .iter()
        .map(|fs| Ok((fs.as_str(), filesystem_tokens(config, fs)?)))
        .collect::<Result<Vec<_>, FileSystemError>>()?;
    let renewer = match renewer {
        Some(r) => r.to_string(),
        None => default_renewer(config).ok_or(DelegationError::NoRenewer)?,
    };
    let webhdfs = fetch_webhdfs_token(config, rm.auth(), rm.user(), &renewer, rm.do_as()).await?;
    for (alias, token) in hdfs_rpc_tokens(&webhdfs, config) {
        credentials.add_token(alias, token);
    }
    for (filesystem, tokens) in &extra {
        add_filesystem_token(&mut credentials, filesystem, tokens, rm, &renewer)
            .await
            .map_err(|source| DelegationError::ExtraFileSystem {
                filesystem: filesystem.to_string(),
                source: Box::new(source),
            })?;
    }
    let mut rm_token = fetch_rm_token(rm, &renewer).await?;
    // The RM hands it out with an empty service, and renews the tokens of a submission by
    // their service: without one it fails the application ("Does not contain a valid
    // host:port authority").
    rm_token.set_service(rm_token_service(config));
    credentials.add_token(rm_token.service().to_string(), rm_token);
    Ok(credentials)
}

/// Adds the token of `filesystem` (a `file_systems` entry) as `tokens` says, unless a token
/// under its service is held already (Java's `addDelegationTokens` skips those too); for a
/// `viewfs://` entry, those of its mount targets.
async fn add_filesystem_token(
    credentials: &mut Credentials,
    filesystem: &str,
    tokens: &FileSystemTokens,
    rm: &ResourceManager,
    renewer: &str,
) -> Result<(), DelegationError> {
    let FileSystemTokens::View {
        mount_table,
        targets,
        ignored,
    } = tokens
    else {
        let label = format!("{filesystem} (file_systems)");
        return add_token(credentials, filesystem, &label, tokens, rm, renewer).await;
    };
    for key in ignored {
        tracing::warn!(
            "no delegation token is fetched for the targets of {key} (mount table \
             {mount_table} of {filesystem} in file_systems): skein-rs does not read linkRegex \
             entries (list their target filesystems in file_systems instead)"
        );
    }
    for target in targets {
        let label = format!(
            "{} (the mount target {} of {filesystem} in file_systems)",
            target.target, target.link
        );
        add_token(
            credentials,
            &target.target,
            &label,
            &target.tokens,
            rm,
            renewer,
        )
        .await?;
    }
    Ok(())
}

/// [`add_filesystem_token`] for one filesystem, `filesystem` (`label` in log messages) that
/// is not a view.
async fn add_token(
    credentials: &mut Credentials,
    filesystem: &str,
    label: &str,
    tokens: &FileSystemTokens,
    rm: &ResourceManager,
    renewer: &str,
) -> Result<(), DelegationError> {
    let web_urls = match tokens {
        FileSystemTokens::DefaultFileSystem | FileSystemTokens::NotNeeded => {
            tracing::debug!("{label} needs no token of its own");
            return Ok(());
        }
        FileSystemTokens::Unsupported { scheme } => {
            tracing::warn!(
                "no delegation token is fetched for {label}: skein-rs gets tokens for hdfs://, \
                 webhdfs:// and swebhdfs:// filesystems (and the targets of viewfs:// mount \
                 tables), not {scheme}://"
            );
            return Ok(());
        }
        FileSystemTokens::View { .. } => {
            // Nested views are flattened by `filesystem_tokens`.
            return Ok(());
        }
        FileSystemTokens::Hdfs { web_urls, .. } | FileSystemTokens::WebHdfs { web_urls, .. } => {
            web_urls
        }
    };
    if let Some(service) = tokens.canonical_service()
        && credentials.token(service).is_some()
    {
        tracing::debug!("{label}: a token for {service} is held already");
        return Ok(());
    }
    if web_urls.is_empty() {
        return Err(DelegationError::NoNamenode {
            fs: filesystem.to_string(),
        });
    }
    let token =
        fetch_webhdfs_token_from(web_urls, rm.auth(), rm.user(), renewer, rm.do_as()).await?;
    match tokens {
        FileSystemTokens::Hdfs { services, .. } => {
            for service in services {
                let relabelled = token
                    .clone()
                    .with_kind_and_service(HDFS_DELEGATION_KIND, service.clone());
                credentials.add_token(service.clone(), relabelled);
            }
        }
        FileSystemTokens::WebHdfs { service, .. } => {
            // The NameNode's kind (`WEBHDFS delegation` over http, `SWEBHDFS delegation` over
            // https) is what WebHdfsFileSystem selects and how the RM renews it (over HTTP at
            // the service, which must therefore be the web address).
            let mut token = token;
            token.set_service(service.clone());
            credentials.add_token(service.clone(), token);
        }
        _ => {}
    }
    Ok(())
}

/// `GET <namenode-web>/webhdfs/v1/?op=GETDELEGATIONTOKEN&renewer=<renewer>[&doas=<user>]`
/// on each NameNode of the default filesystem until one answers (a standby refuses): the
/// token as the NameNode labels it (kind `WEBHDFS delegation`, service its RPC address).
/// `user` is sent as `user.name` in simple mode only.
///
/// # Errors
/// See [`DelegationError`]; a refused impersonation is `Remote` 403.
pub async fn fetch_webhdfs_token(
    config: &HadoopConfig,
    auth: &Auth,
    user: &str,
    renewer: &str,
    do_as: Option<&str>,
) -> Result<Token, DelegationError> {
    let urls = config.namenode_web_urls();
    if urls.is_empty() {
        return Err(DelegationError::NoNamenode {
            fs: config.default_fs(),
        });
    }
    fetch_webhdfs_token_from(&urls, auth, user, renewer, do_as).await
}

/// As [`fetch_webhdfs_token`], from the NameNode web servers at `urls` (base URLs, tried in
/// turn until one that is not a standby answers).
///
/// # Errors
/// See [`DelegationError`].
pub async fn fetch_webhdfs_token_from(
    urls: &[String],
    auth: &Auth,
    user: &str,
    renewer: &str,
    do_as: Option<&str>,
) -> Result<Token, DelegationError> {
    let mut query = vec![("op", "GETDELEGATIONTOKEN"), ("renewer", renewer)];
    if let Some(user) = do_as {
        // WebHDFS's parameter is `doas` (DoAsParam), not YARN's `doAs`.
        query.push(("doas", user));
    }
    let (url, body) = namenode_call(urls, auth, user, Method::GET, &query).await?;
    decode_webhdfs_answer(&url, &body)
}

/// `<method> <namenode-web>/webhdfs/v1/?<query>` on each NameNode web server at `urls` (base
/// URLs) in turn until one that is not a standby answers with success: that URL (without
/// query) and the body. `user` is sent as `user.name` in simple mode only.
///
/// # Errors
/// See [`DelegationError`]: the NameNode's refusal, or none reachable.
pub(crate) async fn namenode_call(
    urls: &[String],
    auth: &Auth,
    user: &str,
    method: Method,
    query: &[(&str, &str)],
) -> Result<(String, bytes::Bytes), DelegationError> {
    crate::ensure_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .no_proxy()
        .build()
        .map_err(|e| DelegationError::Unreachable {
            urls: urls.join(", "),
            last_error: e.to_string(),
        })?;
    let mut last_error = String::new();
    let mut last_remote = None;
    for base in urls {
        let url = format!("{}/webhdfs/v1/", base.trim_end_matches('/'));
        let mut query = query.to_vec();
        if auth.mode() == SecurityMode::Simple {
            query.push(("user.name", user));
        }
        let request = match http.request(method.clone(), &url).query(&query).build() {
            Ok(r) => r,
            Err(e) => {
                last_error = format!("{url}: {e}");
                continue;
            }
        };
        let response = match auth.send(&http, request).await {
            Ok(r) => r,
            Err(SendError::Http(e)) => {
                last_error = format!("{url}: {e}");
                continue;
            }
            Err(SendError::Kerberos(e)) => return Err(e.into()),
        };
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| DelegationError::Unreachable {
                urls: url.clone(),
                last_error: e.to_string(),
            })?;
        if status.is_success() {
            return Ok((url, body));
        }
        let remote = remote_error(&url, status, &body);
        // A standby NameNode answers 403 StandbyException: try the next one.
        if remote_is_standby(&remote) {
            last_remote = Some(remote);
            continue;
        }
        return Err(remote);
    }
    Err(last_remote.unwrap_or(DelegationError::Unreachable {
        urls: urls.join(", "),
        last_error,
    }))
}

/// The RPC tokens for a token fetched over WebHDFS: kind `HDFS_DELEGATION_TOKEN`, one per
/// service name readers look for (see the module documentation), each with the service as
/// its alias (as MapReduce's TokenCache does).
pub fn hdfs_rpc_tokens(webhdfs: &Token, config: &HadoopConfig) -> Vec<(String, Token)> {
    hdfs_token_services(config)
        .into_iter()
        .map(|service| {
            let token = webhdfs
                .clone()
                .with_kind_and_service(HDFS_DELEGATION_KIND, service.clone());
            (service, token)
        })
        .collect()
}

/// The services an HDFS token of the default filesystem must carry: `ha-hdfs:<ns>` under HA
/// (Java and hdfs-native agree); otherwise `<ip>:<port>` (Java) and the literal `<host>:<port>`
/// of `fs.defaultFS` (hdfs-native) when it differs; `ha-hdfs:<host>` as well when
/// `fs.defaultFS` has no port (hdfs-native treats such a host as a name service).
pub fn hdfs_token_services(config: &HadoopConfig) -> Vec<String> {
    if let Some(ns) = config.default_nameservice() {
        return vec![format!("ha-hdfs:{ns}")];
    }
    let Ok(fs) = reqwest::Url::parse(&config.default_fs()) else {
        return Vec::new();
    };
    let Some(host) = fs.host_str() else {
        return Vec::new();
    };
    hdfs_services(host, fs.port())
}

/// The services of an HDFS token of the NameNode at `hdfs://<host>[:<port>]` (not a name
/// service): `<ip>:<port>` (Java) and the literal `<host>:<port>` (hdfs-native) when it
/// differs, `ha-hdfs:<host>` without a port (hdfs-native takes such a host for a name service).
pub(crate) fn hdfs_services(host: &str, port: Option<u16>) -> Vec<String> {
    let mut services = vec![token_service(host, port.unwrap_or(NAMENODE_RPC_PORT))];
    let literal = match port {
        Some(port) => format!("{host}:{port}"),
        None => format!("ha-hdfs:{host}"),
    };
    if !services.contains(&literal) {
        services.push(literal);
    }
    services
}

/// `SecurityUtil.buildTokenService`: `<ip>:<port>` of a host (IPv4 preferred, as Hadoop's
/// JVMs run with `java.net.preferIPv4Stack`), or `<host>:<port>` when it does not resolve.
pub fn token_service(host: &str, port: u16) -> String {
    let addresses: Vec<std::net::SocketAddr> = (host, port)
        .to_socket_addrs()
        .map(|a| a.collect())
        .unwrap_or_default();
    match addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addresses.first())
    {
        Some(address) => address.to_string(),
        None => format!("{host}:{port}"),
    }
}

/// The service of an RM delegation token, as YARN clients select it
/// (`ClientRMProxy.getRMDelegationTokenService`): `<ip>:<port>` of
/// `yarn.resourcemanager.address`, one per RM id joined by commas under HA.
pub fn rm_token_service(config: &HadoopConfig) -> String {
    let ids = if config.get_bool("yarn.resourcemanager.ha.enabled", false) {
        config.get_list("yarn.resourcemanager.ha.rm-ids")
    } else {
        Vec::new()
    };
    let suffixes: Vec<String> = if ids.is_empty() {
        vec![String::new()]
    } else {
        ids.iter().map(|id| format!(".{id}")).collect()
    };
    suffixes
        .iter()
        .map(|suffix| {
            let address = config
                .get(&format!("yarn.resourcemanager.address{suffix}"))
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| {
                    let host = config
                        .get(&format!("yarn.resourcemanager.hostname{suffix}"))
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| "0.0.0.0".to_string());
                    format!("{host}:{RESOURCEMANAGER_RPC_PORT}")
                });
            let (host, port) = match address.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().unwrap_or(RESOURCEMANAGER_RPC_PORT)),
                None => (address.clone(), RESOURCEMANAGER_RPC_PORT),
            };
            token_service(&host, port)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `POST /ws/v1/cluster/delegation-token {"renewer": renewer}` as `rm`'s user (with `doAs`
/// when `rm` impersonates): an `RM_DELEGATION_TOKEN`. The RM leaves its service empty;
/// the caller sets it ([`rm_token_service`]) — [`submission_credentials`] does.
///
/// # Errors
/// `Yarn` with the RM's answer; the RM allows this only on a Kerberos-authenticated
/// connection.
pub async fn fetch_rm_token(rm: &ResourceManager, renewer: &str) -> Result<Token, DelegationError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        token: String,
    }
    let body = serde_json::to_vec(&serde_json::json!({ "renewer": renewer })).map_err(|e| {
        DelegationError::Decode {
            url: "delegation-token".into(),
            message: e.to_string(),
        }
    })?;
    let path = "/ws/v1/cluster/delegation-token";
    let answer: Answer = rm.call(Method::POST, path, &[], Some(body)).await?;
    Token::decode_from_url_string(&answer.token).map_err(|source| DelegationError::Token {
        url: format!("{}{path}", rm.active_url()),
        source,
    })
}

fn decode_webhdfs_answer(url: &str, body: &[u8]) -> Result<Token, DelegationError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Token")]
        token: Option<UrlString>,
    }
    #[derive(serde::Deserialize)]
    struct UrlString {
        #[serde(rename = "urlString")]
        url_string: String,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| DelegationError::Decode {
        url: url.to_string(),
        message: format!(
            "{e}; body starts with {:?}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ),
    })?;
    let Some(token) = answer.token else {
        return Err(DelegationError::Decode {
            url: url.to_string(),
            message: "no token (\"Token\": null): the NameNode issues delegation tokens only to Kerberos-authenticated callers".into(),
        });
    };
    Token::decode_from_url_string(&token.url_string).map_err(|source| DelegationError::Token {
        url: url.to_string(),
        source,
    })
}

fn remote_error(url: &str, status: StatusCode, body: &[u8]) -> DelegationError {
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(rename = "RemoteException")]
        remote_exception: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        #[serde(default)]
        exception: String,
        #[serde(default)]
        message: String,
    }
    let (exception, message) = match serde_json::from_slice::<Envelope>(body) {
        Ok(env) => (env.remote_exception.exception, env.remote_exception.message),
        Err(_) => (
            String::new(),
            String::from_utf8_lossy(&body[..body.len().min(300)])
                .trim()
                .to_string(),
        ),
    };
    DelegationError::Remote {
        url: url.to_string(),
        status: status.as_u16(),
        exception,
        message,
    }
}

fn remote_is_standby(error: &DelegationError) -> bool {
    matches!(error, DelegationError::Remote { exception, .. } if exception == "StandbyException")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ha_services_cover_java_and_hdfs_native() {
        let mut c = HadoopConfig::default();
        c.set("fs.defaultFS", "hdfs://localhost:9000");
        assert_eq!(
            hdfs_token_services(&c),
            vec!["127.0.0.1:9000".to_string(), "localhost:9000".to_string()]
        );
        c.set("fs.defaultFS", "hdfs://127.0.0.1:9000");
        assert_eq!(hdfs_token_services(&c), vec!["127.0.0.1:9000".to_string()]);
        c.set("fs.defaultFS", "hdfs://127.0.0.1");
        assert_eq!(
            hdfs_token_services(&c),
            vec![
                "127.0.0.1:8020".to_string(),
                "ha-hdfs:127.0.0.1".to_string()
            ]
        );
    }

    #[test]
    fn ha_service_is_the_nameservice() {
        let mut c = HadoopConfig::default();
        c.set("fs.defaultFS", "hdfs://ns1");
        c.set("dfs.ha.namenodes.ns1", "nn1,nn2");
        assert_eq!(hdfs_token_services(&c), vec!["ha-hdfs:ns1".to_string()]);
        let webhdfs = Token::new(vec![1], vec![2], "WEBHDFS delegation", "127.0.0.1:8020");
        let tokens = hdfs_rpc_tokens(&webhdfs, &c);
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].0, "ha-hdfs:ns1");
        assert_eq!(tokens[0].1.kind(), HDFS_DELEGATION_KIND);
        assert_eq!(tokens[0].1.service(), "ha-hdfs:ns1");
        assert_eq!(tokens[0].1.password(), &[2]);
    }

    #[test]
    fn rm_services_are_ip_and_port_per_rm() {
        let mut c = HadoopConfig::default();
        c.set("yarn.resourcemanager.address", "localhost:8032");
        assert_eq!(rm_token_service(&c), "127.0.0.1:8032");
        c.set("yarn.resourcemanager.ha.enabled", "true");
        c.set("yarn.resourcemanager.ha.rm-ids", "rm1,rm2");
        c.set("yarn.resourcemanager.hostname.rm1", "127.0.0.1");
        c.set("yarn.resourcemanager.address.rm2", "127.0.0.2:18032");
        assert_eq!(rm_token_service(&c), "127.0.0.1:8032,127.0.0.2:18032");
    }

    #[test]
    fn webhdfs_answers_and_errors_decode() {
        let token = Token::new(vec![1], vec![2], "WEBHDFS delegation", "127.0.0.1:8020");
        let body = format!(
            r#"{{"Token":{{"urlString":"{}"}}}}"#,
            token.encode_to_url_string()
        );
        assert_eq!(
            decode_webhdfs_answer("u", body.as_bytes()).ok(),
            Some(token)
        );
        let err = decode_webhdfs_answer("u", br#"{"Token":null}"#).expect_err("null");
        assert!(err.to_string().contains("Kerberos-authenticated"), "{err}");
        let err = remote_error(
            "u",
            StatusCode::FORBIDDEN,
            br#"{"RemoteException":{"exception":"StandbyException","javaClassName":"x","message":"Operation category READ is not supported in state standby"}}"#,
        );
        assert!(remote_is_standby(&err));
        let err = remote_error("u", StatusCode::FORBIDDEN, b"<html>nope</html>");
        assert!(!remote_is_standby(&err));
        assert_eq!(err.to_string(), "u: HTTP 403 : <html>nope</html>");
    }
}
