//! The ResourceManager REST client (`/ws/v1/cluster`): new application, submit, report, list,
//! kill, move, lifetime and priority (`lifetime`), nodes and the scheduler's queues.
//!
//! Every call has a timeout and a bounded number of retries. Under ResourceManager HA the
//! client keeps the index of the RM that answered last, and moves to the next one when an RM
//! cannot be reached, answers 503, or redirects to an active RM it does not name.
//!
//! Authentication follows the cluster's [`Auth`]: in simple mode requests carry
//! `user.name=<user>`, the simple-authentication identity of Hadoop's web endpoints; in
//! Kerberos mode they authenticate with SPNEGO (and its `hadoop.auth` cookie) and never send
//! `user.name`. In both modes `doAs=<user>` asks for Hadoop's proxy-user impersonation.

mod lifetime;
mod skein_apps;
mod states;
pub mod types;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

pub use lifetime::{AppTimeout, LIFETIME, format_iso8601_utc, parse_iso8601_millis};
pub use skein_apps::{APPLICATION_TYPE, LookupError, validate_application_id};
use types::NewApplication;
pub use types::{
    AppInfo, ApplicationState, ClusterInfo, Commands, ContainerLaunchContext, Credentials, Entries,
    FinalStatus, LocalResource, LogAggregationContext, NodeInfo, NodeState, ResourceInfo,
    ResourceType, SubmissionContext, Tags,
};

use crate::conf::HadoopConfig;
use crate::security::spnego::SendError;
use crate::security::{Auth, KerberosError, SecurityConfigError};

/// Why a ResourceManager call failed.
#[derive(Debug, thiserror::Error)]
pub enum YarnError {
    /// The RM answered with an error document (`RemoteException`).
    #[error("{message}")]
    Remote {
        /// HTTP status.
        status: u16,
        /// Java exception class (short name), e.g. `NotFoundException`.
        exception: String,
        /// The RM's message.
        message: String,
    },
    /// No ResourceManager could be reached.
    #[error("cannot reach the ResourceManager at {urls}: {last_error}")]
    Unreachable {
        /// The URLs tried.
        urls: String,
        /// The last transport error seen.
        last_error: String,
    },
    /// The RM answered something that is not the expected JSON.
    #[error("unexpected answer from {url}: {message}")]
    Decode {
        /// The request URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
    /// There is no ResourceManager address in the configuration.
    #[error(
        "no ResourceManager web address: set yarn.resourcemanager.webapp.address (or yarn.resourcemanager.hostname) in yarn-site.xml"
    )]
    NoAddress,
    /// The security settings of the configuration are invalid.
    #[error(transparent)]
    Security(#[from] SecurityConfigError),
    /// Kerberos (SPNEGO) authentication to the ResourceManager failed.
    #[error(transparent)]
    Kerberos(#[from] KerberosError),
}

impl YarnError {
    /// The HTTP status of a remote error.
    pub fn status(&self) -> Option<u16> {
        match self {
            YarnError::Remote { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Filters for [`ResourceManager::applications`]; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AppQuery {
    /// Application states.
    pub states: Vec<ApplicationState>,
    /// Application types (e.g. `skein`).
    pub application_types: Vec<String>,
    /// Submitting user.
    pub user: Option<String>,
    /// Queue.
    pub queue: Option<String>,
    /// Started at or after (ms).
    pub started_time_begin: Option<i64>,
    /// Started at or before (ms).
    pub started_time_end: Option<i64>,
    /// Finished at or after (ms).
    pub finished_time_begin: Option<i64>,
    /// Finished at or before (ms).
    pub finished_time_end: Option<i64>,
}

/// Tunables of the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Attempts per call over all RMs (>= 1).
    pub attempts: usize,
    /// Pause between attempts (doubled each time, at most 2 s).
    pub backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            attempts: 4,
            backoff: Duration::from_millis(100),
        }
    }
}

/// A client of one cluster's ResourceManager(s).
#[derive(Debug)]
pub struct ResourceManager {
    http: reqwest::Client,
    bases: Vec<String>,
    active: AtomicUsize,
    user: String,
    /// The user impersonated with `doAs=` (Hadoop proxy users), if any.
    do_as: Option<String>,
    options: ClientOptions,
    auth: Auth,
}

impl ResourceManager {
    /// A client for the RMs named in `config`, acting as `user`, authenticating as the
    /// configuration says ([`Auth::from_config`]: in Kerberos mode with the process's default
    /// Kerberos credentials; `user` then only names the client in logs and errors, the RM
    /// takes the identity from the Kerberos ticket).
    ///
    /// # Errors
    /// When the configuration names no RM, has an unknown security mode, or the HTTP client
    /// cannot be built.
    pub fn from_config(config: &HadoopConfig, user: &str) -> Result<Self, YarnError> {
        Ok(Self::new(
            config.resourcemanager_web_urls(),
            user,
            ClientOptions::default(),
        )?
        .with_auth(Auth::from_config(config)?))
    }

    /// A client for explicit RM web base URLs (`http://host:port`).
    ///
    /// # Errors
    /// When `urls` is empty or the HTTP client cannot be built.
    pub fn new(urls: Vec<String>, user: &str, options: ClientOptions) -> Result<Self, YarnError> {
        if urls.is_empty() {
            return Err(YarnError::NoAddress);
        }
        crate::ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(Duration::from_secs(10))
            // Standby RMs answer 307; we follow them ourselves so that POST bodies are resent.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| YarnError::Client(e.to_string()))?;
        Ok(ResourceManager {
            http,
            bases: urls
                .into_iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            active: AtomicUsize::new(0),
            user: user.to_string(),
            do_as: None,
            options,
            auth: Auth::Simple,
        })
    }

    /// This client with another authentication (a client from [`Self::new`] uses simple
    /// authentication).
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// How requests authenticate.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// This client acting for `user` through Hadoop's proxy-user mechanism (`doAs=<user>` on
    /// every request): the ResourceManager checks that [`Self::user`] may impersonate `user`
    /// (`hadoop.proxyuser.<user>.*`). The same client when `user` is empty or its own user.
    pub fn acting_as(&self, user: &str) -> ResourceManager {
        let do_as = (!user.is_empty() && user != self.user).then(|| user.to_string());
        ResourceManager {
            http: self.http.clone(),
            bases: self.bases.clone(),
            active: AtomicUsize::new(self.active.load(Ordering::Relaxed)),
            user: self.user.clone(),
            do_as,
            options: self.options.clone(),
            auth: self.auth.clone(),
        }
    }

    /// The user requests act for: the impersonated one, else [`Self::user`].
    pub fn effective_user(&self) -> &str {
        self.do_as.as_deref().unwrap_or(&self.user)
    }

    /// The user requests are made as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The user impersonated with `doAs=`, if any.
    pub(crate) fn do_as(&self) -> Option<&str> {
        self.do_as.as_deref()
    }

    /// The base URL of the RM that answered last (the active one under HA).
    pub fn active_url(&self) -> &str {
        &self.bases[self.active.load(Ordering::Relaxed) % self.bases.len()]
    }

    /// `GET /ws/v1/cluster/info` (never redirected by a standby, so it names the RM asked).
    ///
    /// # Errors
    /// See [`YarnError`].
    pub async fn cluster_info(&self) -> Result<ClusterInfo, YarnError> {
        #[derive(serde::Deserialize)]
        struct Envelope {
            #[serde(rename = "clusterInfo")]
            cluster_info: ClusterInfo,
        }
        let env: Envelope = self
            .call(Method::GET, "/ws/v1/cluster/info", &[], None)
            .await?;
        Ok(env.cluster_info)
    }

    /// `GET /ws/v1/cluster/nodes?states=...`.
    ///
    /// # Errors
    /// See [`YarnError`].
    pub async fn nodes(&self, states: &[NodeState]) -> Result<Vec<NodeInfo>, YarnError> {
        let mut query = Vec::new();
        if !states.is_empty() {
            let names: Vec<&str> = states.iter().map(NodeState::as_str).collect();
            query.push(("states".to_string(), names.join(",")));
        }
        let env: types::NodesEnvelope = self
            .call(Method::GET, "/ws/v1/cluster/nodes", &query, None)
            .await?;
        Ok(env.nodes.map(|n| n.node).unwrap_or_default())
    }

    /// `POST /ws/v1/cluster/apps/new-application`.
    ///
    /// # Errors
    /// See [`YarnError`].
    pub async fn new_application(&self) -> Result<NewApplication, YarnError> {
        self.call(
            Method::POST,
            "/ws/v1/cluster/apps/new-application",
            &[],
            None,
        )
        .await
    }

    /// `POST /ws/v1/cluster/apps`: submits; the RM answers 202 and starts the AM asynchronously.
    ///
    /// # Errors
    /// See [`YarnError`]; a bad request (e.g. more vcores than the maximum) is `Remote` 400.
    pub async fn submit(&self, context: &SubmissionContext) -> Result<(), YarnError> {
        let body = serde_json::to_vec(context).map_err(|e| YarnError::Decode {
            url: "/ws/v1/cluster/apps".into(),
            message: e.to_string(),
        })?;
        self.call_raw(Method::POST, "/ws/v1/cluster/apps", &[], Some(body))
            .await
            .map(|_| ())
    }

    /// `GET /ws/v1/cluster/apps/{id}`.
    ///
    /// # Errors
    /// `Remote` 404 for an unknown application; see [`YarnError`].
    pub async fn application(&self, id: &str) -> Result<AppInfo, YarnError> {
        let env: types::AppEnvelope = self
            .call(
                Method::GET,
                &format!("/ws/v1/cluster/apps/{}", path_segment(id)),
                &[],
                None,
            )
            .await?;
        Ok(env.app)
    }

    /// `GET /ws/v1/cluster/apps?...`.
    ///
    /// # Errors
    /// See [`YarnError`].
    pub async fn applications(&self, q: &AppQuery) -> Result<Vec<AppInfo>, YarnError> {
        let mut query = Vec::new();
        let mut push = |k: &str, v: String| query.push((k.to_string(), v));
        if !q.states.is_empty() {
            let names: Vec<&str> = q.states.iter().map(ApplicationState::as_str).collect();
            push("states", names.join(","));
        }
        if !q.application_types.is_empty() {
            push("applicationTypes", q.application_types.join(","));
        }
        if let Some(u) = &q.user {
            push("user", u.clone());
        }
        if let Some(v) = &q.queue {
            push("queue", v.clone());
        }
        for (k, v) in [
            ("startedTimeBegin", q.started_time_begin),
            ("startedTimeEnd", q.started_time_end),
            ("finishedTimeBegin", q.finished_time_begin),
            ("finishedTimeEnd", q.finished_time_end),
        ] {
            if let Some(v) = v {
                push(k, v.to_string());
            }
        }
        let env: types::AppsEnvelope = self
            .call(Method::GET, "/ws/v1/cluster/apps", &query, None)
            .await?;
        Ok(env.apps.map(|a| a.app).unwrap_or_default())
    }

    /// `PUT /ws/v1/cluster/apps/{id}/state {"state":"KILLED"}`; returns once the RM accepted
    /// the request (the application reaches KILLED shortly after).
    ///
    /// # Errors
    /// See [`YarnError`].
    pub async fn kill(&self, id: &str) -> Result<(), YarnError> {
        let body = br#"{"state":"KILLED"}"#.to_vec();
        self.call_raw(
            Method::PUT,
            &format!("/ws/v1/cluster/apps/{}/state", path_segment(id)),
            &[],
            Some(body),
        )
        .await
        .map(|_| ())
    }

    /// `PUT /ws/v1/cluster/apps/{id}/queue {"queue": queue}`.
    ///
    /// # Errors
    /// `Remote` with the scheduler's reason (unknown queue, not a leaf, finished app).
    pub async fn move_to_queue(&self, id: &str, queue: &str) -> Result<(), YarnError> {
        let body = serde_json::to_vec(&serde_json::json!({ "queue": queue })).map_err(|e| {
            YarnError::Decode {
                url: "queue".into(),
                message: e.to_string(),
            }
        })?;
        self.call_raw(
            Method::PUT,
            &format!("/ws/v1/cluster/apps/{}/queue", path_segment(id)),
            &[],
            Some(body),
        )
        .await
        .map(|_| ())
    }

    /// `GET /ws/v1/cluster/scheduler`, as JSON (its shape depends on the scheduler).
    ///
    /// # Errors
    /// See [`YarnError`].
    pub async fn scheduler(&self) -> Result<serde_json::Value, YarnError> {
        self.call(Method::GET, "/ws/v1/cluster/scheduler", &[], None)
            .await
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<T, YarnError> {
        let (url, bytes) = self.call_raw(method, path, query, body).await?;
        decode_json(url, &bytes)
    }

    /// A call without a body whose request carries the header `name: value` (e.g. a
    /// delegation token to renew).
    pub(crate) async fn call_with_header<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        (name, value): (&'static str, String),
    ) -> Result<T, YarnError> {
        let (url, bytes) = self
            .call_raw_with(method, path, &[], None, Some((name, value.as_str())))
            .await?;
        decode_json(url, &bytes)
    }

    async fn call_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<(String, Vec<u8>), YarnError> {
        self.call_raw_with(method, path, query, body, None).await
    }

    /// [`Self::call_raw_once`], measured ([`crate::observe`]).
    async fn call_raw_with(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
        header: Option<(&'static str, &str)>,
    ) -> Result<(String, Vec<u8>), YarnError> {
        let started = std::time::Instant::now();
        let operation = format!("{method} {}", crate::observe::path_template(path));
        let result = self.call_raw_once(method, path, query, body, header).await;
        crate::observe::observe(
            crate::observe::System::ResourceManager,
            &operation,
            started,
            result.is_ok(),
        );
        result
    }

    /// One logical call: retried with backoff, moving to the next RM on transport errors,
    /// 503 and standby redirects. Returns the URL that answered and the body.
    async fn call_raw_once(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
        header: Option<(&'static str, &str)>,
    ) -> Result<(String, Vec<u8>), YarnError> {
        let mut last_error = String::new();
        let mut backoff = self.options.backoff;
        let mut redirect: Option<String> = None;
        for attempt in 0..self.options.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            let index = self.active.load(Ordering::Relaxed) % self.bases.len();
            let url = match redirect.take() {
                Some(location) => location,
                None => format!("{}{}", self.bases[index], path),
            };
            let mut request = self.http.request(method.clone(), &url);
            // user.name is simple authentication's identity; with Kerberos the ticket names
            // the caller, so it is only sent in simple mode.
            if matches!(self.auth, Auth::Simple) {
                request = request.query(&[("user.name", self.user.as_str())]);
            }
            let mut request = request
                .query(query)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(user) = &self.do_as {
                request = request.query(&[("doAs", user.as_str())]);
            }
            if let Some(body) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let sent = match request.build() {
                Ok(request) => self.auth.send(&self.http, request).await,
                Err(e) => Err(SendError::Http(e)),
            };
            let response = match sent {
                Ok(r) => r,
                Err(SendError::Http(e)) => {
                    last_error = format!("{url}: {e}");
                    self.fail_over(index);
                    continue;
                }
                Err(SendError::Kerberos(e)) => return Err(YarnError::Kerberos(e)),
            };
            let status = response.status();
            if status == StatusCode::TEMPORARY_REDIRECT {
                // A standby RM names the active one; without a name, try the next RM.
                match response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                {
                    Some(location) => redirect = Some(strip_user_param(location)),
                    None => {
                        last_error = format!("{url}: standby ResourceManager");
                        self.fail_over(index);
                    }
                }
                continue;
            }
            let bytes = match response.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => {
                    last_error = format!("{url}: {e}");
                    continue;
                }
            };
            // Recent RMs answer 503 for any server-side exception, with a RemoteException
            // document: that is an answer. A 503 without one means "not available": retry.
            if status == StatusCode::SERVICE_UNAVAILABLE && !is_remote_exception(&bytes) {
                last_error = format!("{url}: 503 {}", String::from_utf8_lossy(&bytes));
                self.fail_over(index);
                continue;
            }
            if status.is_success() {
                return Ok((url, bytes));
            }
            return Err(remote_error(status, &bytes));
        }
        Err(YarnError::Unreachable {
            urls: self.bases.join(", "),
            last_error,
        })
    }

    fn fail_over(&self, from: usize) {
        if self.bases.len() > 1 {
            let _ = self.active.compare_exchange(
                from,
                (from + 1) % self.bases.len(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }
}

fn decode_json<T: DeserializeOwned>(url: String, bytes: &[u8]) -> Result<T, YarnError> {
    serde_json::from_slice(bytes).map_err(|e| YarnError::Decode {
        url,
        message: format!(
            "{e}; body starts with {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ),
    })
}

/// A Location from a standby keeps our query; drop its user.name, which we add again.
fn strip_user_param(location: &str) -> String {
    match reqwest::Url::parse(location) {
        Ok(mut url) => {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "user.name" && k != "doAs")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.set_query(None);
            if !kept.is_empty() {
                url.query_pairs_mut().extend_pairs(kept);
            }
            url.to_string()
        }
        Err(_) => location.to_string(),
    }
}

fn is_remote_exception(bytes: &[u8]) -> bool {
    serde_json::from_slice::<types::RemoteExceptionEnvelope>(bytes)
        .is_ok_and(|env| env.remote_exception.is_some())
}

/// Reads the RM's error document; falls back to the raw body.
fn remote_error(status: StatusCode, bytes: &[u8]) -> YarnError {
    let parsed: Option<types::RemoteExceptionEnvelope> = serde_json::from_slice(bytes).ok();
    let (exception, message) = match parsed {
        Some(env) => match env.remote_exception {
            Some(inner) => (inner.exception, inner.message),
            None => (env.exception, env.message),
        },
        None => (String::new(), String::new()),
    };
    let message = if message.is_empty() && !exception.is_empty() {
        format!("the ResourceManager failed the request with {exception} (HTTP {status})")
    } else if message.is_empty() {
        let text = String::from_utf8_lossy(bytes);
        format!("HTTP {status}: {}", text.trim())
    } else {
        message
    };
    YarnError::Remote {
        status: status.as_u16(),
        exception,
        message,
    }
}

/// Application ids go into URL paths; anything but `[A-Za-z0-9_-]` is percent-encoded so a bad
/// id becomes a clean 404/400 from the RM instead of another endpoint.
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_errors_read_wrapped_and_unwrapped_documents() {
        let wrapped = remote_error(
            StatusCode::NOT_FOUND,
            br#"{"RemoteException":{"exception":"NotFoundException","message":"app with id: x not found","javaClassName":"x"}}"#,
        );
        assert_eq!(wrapped.to_string(), "app with id: x not found");
        assert_eq!(wrapped.status(), Some(404));
        let raw = remote_error(StatusCode::BAD_REQUEST, b"nope");
        assert_eq!(raw.to_string(), "HTTP 400 Bad Request: nope");
    }

    #[test]
    fn ids_are_escaped_in_paths() {
        assert_eq!(path_segment("application_1_0001"), "application_1_0001");
        assert_eq!(path_segment("../x"), "%2E%2E%2Fx");
    }

    #[test]
    fn standby_redirects_lose_their_user_parameter() {
        assert_eq!(
            strip_user_param(
                "http://rm2:8088/ws/v1/cluster/apps?user.name=a&states=RUNNING&doAs=b"
            ),
            "http://rm2:8088/ws/v1/cluster/apps?states=RUNNING"
        );
    }

    #[test]
    fn no_urls_is_a_clear_error() {
        let err = ResourceManager::new(vec![], "u", ClientOptions::default()).expect_err("empty");
        assert!(
            err.to_string()
                .contains("yarn.resourcemanager.webapp.address")
        );
    }
}
