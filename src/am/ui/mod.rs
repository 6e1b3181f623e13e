//! The ApplicationMaster's web UI: Skein's pages behind the YARN web proxy.
//!
//! The AM serves plain HTTP on an ephemeral port of every interface and registers
//! `http://<NM_HOST>:<port>/` as its tracking URL; users reach it through the ResourceManager's
//! proxy at `<rm web>/proxy/<app id>/` (the `UiInfo` addresses). Pages: `/` redirects to
//! `overview` (application, resources, progress, services and their containers), `/kv` (the
//! key-value store), `/favicon.ico`, and `/pages/<route>/...`, a reverse proxy to the service
//! pages registered with `AddProxy`. Anything else is 404.
//!
//! Before any page, [`access`] decides as Hadoop's `AmIpFilter` and Skein's access filter do:
//! a request not coming from a proxy host is redirected to the proxy, and with UI ACLs only
//! the allowed users (named by the proxy's `proxy-user` cookie) get an answer.
//!
//! * [`pages`]: the registry of proxied pages and the reverse proxy's URL rules (pure).
//! * [`render`]: the HTML (pure).
//! * [`access`]: proxy and ACL rules (pure).

pub mod access;
mod favicon;
pub mod pages;
pub(crate) mod render;

use std::collections::HashSet;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;

use crate::am::master::AppMaster;
pub(crate) use access::{AccessPolicy, proxy_uri_bases, url_host};
pub(crate) use pages::Proxies;

/// Skein's `proxy_prefix`: proxied pages live under `<ui address>/pages/<route>`.
pub(crate) const PROXY_PREFIX: &str = "/pages";

/// How long the proxy hosts' resolved addresses are trusted (Hadoop: about 5 minutes).
const PROXY_ADDRESSES_TTL: Duration = Duration::from_secs(300);

/// Why the web UI cannot run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UiError {
    /// The HTTP client of the reverse proxy cannot be built.
    #[error("cannot set up the web UI's HTTP client: {0}")]
    Client(String),
    /// The server failed.
    #[error("the web UI server failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// What the UI knows about the application besides the AM's live state.
#[derive(Debug, Clone)]
pub(crate) struct UiConfig {
    /// `SKEIN_APPLICATION_ID`.
    pub application_id: String,
    /// The application's user (its owner).
    pub user: String,
    /// The AM's own container id (its log links).
    pub am_container_id: String,
    /// `<NM_HOST>:<NM_HTTP_PORT>` of the AM's NodeManager, if known.
    pub nm_http_address: Option<String>,
    /// `http://` or `https://`, for NodeManager log links (`yarn.http.policy`).
    pub http_scheme: String,
    /// The web proxy's base URLs of the application (see [`proxy_uri_bases`]); requests from
    /// elsewhere than their hosts are redirected to the first one.
    pub proxy_uri_bases: Vec<String>,
    /// Who may see the pages.
    pub access: AccessPolicy,
}

/// The web UI of one ApplicationMaster.
pub(crate) struct WebUi {
    am: AppMaster,
    pages: Arc<Mutex<Proxies>>,
    config: UiConfig,
    client: reqwest::Client,
    /// The proxy hosts' addresses, and when they were resolved.
    proxy_addresses: tokio::sync::Mutex<Option<(Instant, HashSet<IpAddr>)>>,
}

impl WebUi {
    /// The UI over `am` and the proxied `pages` (shared with the gRPC service).
    ///
    /// # Errors
    /// [`UiError::Client`] when the reverse proxy's HTTP client cannot be built.
    pub fn new(
        am: AppMaster,
        pages: Arc<Mutex<Proxies>>,
        config: UiConfig,
    ) -> Result<Self, UiError> {
        skein_hadoop::ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // The browser follows the page's redirects, not us.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| UiError::Client(crate::client::error_chain(&e)))?;
        Ok(WebUi {
            am,
            pages,
            config,
            client,
            proxy_addresses: tokio::sync::Mutex::new(None),
        })
    }

    fn pages(&self) -> MutexGuard<'_, Proxies> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `peer` is one of the proxy hosts' addresses (resolved at most every
    /// [`PROXY_ADDRESSES_TTL`]).
    async fn is_proxy_address(&self, peer: IpAddr) -> Result<bool, NoProxyHost> {
        let mut cache = self.proxy_addresses.lock().await;
        if let Some((resolved, addresses)) = cache.as_ref()
            && resolved.elapsed() < PROXY_ADDRESSES_TTL
        {
            return Ok(addresses.contains(&peer));
        }
        let mut addresses = HashSet::new();
        for base in &self.config.proxy_uri_bases {
            let Some(host) = access::url_host(base) else {
                continue;
            };
            match tokio::net::lookup_host((host, 0)).await {
                Ok(found) => addresses.extend(found.map(|a| a.ip().to_canonical())),
                Err(e) => tracing::warn!("Could not locate the web proxy host {host}: {e}"),
            }
        }
        if addresses.is_empty() {
            return Err(NoProxyHost);
        }
        let allowed = addresses.contains(&peer);
        *cache = Some((Instant::now(), addresses));
        Ok(allowed)
    }

    fn overview(&self) -> String {
        let spec = self.am.spec();
        let links = render::LogLinks {
            scheme: self.config.http_scheme.clone(),
            user: self.config.user.clone(),
        };
        let now = now_ms();
        let (services, memory_mib, vcores) =
            render::summarize(spec, &self.am.all_containers(), now, &links);
        let am_log = |file: &str| {
            self.config
                .nm_http_address
                .as_deref()
                .and_then(|node| links.url(node, &self.config.am_container_id, file))
        };
        let has_driver = !spec.master.script.is_empty();
        let overview = render::Overview {
            app_id: self.config.application_id.clone(),
            name: spec.name.clone(),
            user: self.config.user.clone(),
            am_logs: am_log("application.master.log"),
            driver_logs: if has_driver {
                am_log("application.driver.log")
            } else {
                None
            },
            memory_mib,
            vcores,
            runtime_ms: now - self.am.started_ms(),
            progress: self.am.progress(),
            services,
            tokens: self.am.tokens().status(),
        };
        render::overview_page(&overview, &self.pages().links())
    }

    fn kv(&self) -> String {
        let items = self.am.kv().with_store(|store| store.items());
        render::kv_page(&self.config.application_id, &self.pages().links(), &items)
    }

    /// Fetches `rest` (after `/pages`) from the registered page it names.
    async fn proxy_page(&self, request: Request, rest: &str, peer: IpAddr) -> Response {
        let Some((route, rest)) = pages::split_route(rest) else {
            return error(StatusCode::NOT_FOUND, "No such page.");
        };
        let Some(target) = self.pages().target(&route) else {
            return error(
                StatusCode::NOT_FOUND,
                &format!("No service page is registered with route '{route}'."),
            );
        };
        let url = pages::upstream_url(&target, rest, request.uri().query());
        let method = request.method().clone();
        let mut upstream = self.client.request(method.clone(), &url);
        for name in [
            header::ACCEPT,
            header::ACCEPT_ENCODING,
            header::ACCEPT_LANGUAGE,
            header::USER_AGENT,
            header::CONTENT_TYPE,
            header::IF_MODIFIED_SINCE,
            header::IF_NONE_MATCH,
            header::RANGE,
        ] {
            for value in request.headers().get_all(&name) {
                upstream = upstream.header(&name, value);
            }
        }
        upstream = upstream.header("x-forwarded-for", peer.to_string());
        if method != Method::GET && method != Method::HEAD {
            upstream = upstream.body(reqwest::Body::wrap_stream(
                request.into_body().into_data_stream(),
            ));
        }
        let answer = match upstream.send().await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!("proxied page {route}: {url}: {e}");
                return error(
                    StatusCode::BAD_GATEWAY,
                    &format!(
                        "The service page '{route}' ({url}) cannot be reached: {}",
                        crate::client::error_chain(&e)
                    ),
                );
            }
        };
        let mut response = Response::builder().status(answer.status());
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            header::CONTENT_LANGUAGE,
            header::CONTENT_DISPOSITION,
            header::CONTENT_RANGE,
            header::CACHE_CONTROL,
            header::ETAG,
            header::EXPIRES,
            header::LAST_MODIFIED,
        ] {
            for value in answer.headers().get_all(&name) {
                response = response.header(&name, value);
            }
        }
        if let Some(location) = answer.headers().get(header::LOCATION) {
            let rewritten = location
                .to_str()
                .ok()
                .and_then(|l| pages::rewrite_location(&target, &route, l))
                .and_then(|l| HeaderValue::from_str(&l).ok());
            response = response.header(header::LOCATION, rewritten.unwrap_or(location.clone()));
        }
        response
            .body(Body::from_stream(answer.bytes_stream()))
            .unwrap_or_else(|e| error(StatusCode::BAD_GATEWAY, &e.to_string()))
    }
}

/// Where `/` redirects: `overview`, relative to the AM, keeping the query. The ResourceManager's
/// proxy follows redirects itself (its HTTP client does, with the `proxy-user` cookie), so the
/// browser gets the overview as the page of `/proxy/<app id>/`, with or without the slash; a
/// path of the proxy's in the location would be fetched from the AM and miss.
pub(crate) fn home_location(query: Option<&str>) -> String {
    let mut location = "overview".to_string();
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        location.push('?');
        location.push_str(query);
    }
    location
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    html(status, render::error_page(status.as_u16(), reason, message))
}

fn redirect(location: &str) -> Response {
    let mut response = html(
        StatusCode::FOUND,
        render::error_page(302, "Found", &format!("Moved to {location}")),
    );
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => error(StatusCode::BAD_REQUEST, "The request cannot be redirected."),
    }
}

/// Every request: the proxy check, the ACL check, then the page.
/// None of the web proxy's hosts could be resolved, so no request can be checked against them.
#[derive(Debug, thiserror::Error)]
#[error("Could not locate any of the proxy hosts")]
struct NoProxyHost;

async fn handle(
    State(ui): State<Arc<WebUi>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let peer = peer.ip().to_canonical();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    match ui.is_proxy_address(peer).await {
        Ok(true) => {}
        Ok(false) => match ui.config.proxy_uri_bases.first() {
            Some(base) => return redirect(&access::redirect_url(base, &path, query.as_deref())),
            None => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Could not determine the proxy server for redirection",
                );
            }
        },
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
    let cookies = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    let user = access::proxy_user(cookies);
    if !ui.config.access.allows(user.as_deref()) {
        let mut response = error(
            StatusCode::FORBIDDEN,
            "User is not authorized to access this page.",
        );
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store, must-revalidate"),
        );
        return response;
    }
    if let Some(rest) = path.strip_prefix(PROXY_PREFIX)
        && (rest.is_empty() || rest.starts_with('/'))
    {
        return ui.proxy_page(request, rest, peer).await;
    }
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET is supported here.",
        );
    }
    match path.as_str() {
        "/" => redirect(&home_location(query.as_deref())),
        "/overview" => html(StatusCode::OK, ui.overview()),
        "/kv" => html(StatusCode::OK, ui.kv()),
        "/metrics" => {
            let mut response = Response::new(Body::from(ui.am.metrics().encode()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            response
        }
        "/favicon.ico" => {
            let mut response = Response::new(Body::from(favicon::favicon_ico()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/x-icon"),
            );
            response
        }
        _ => error(StatusCode::NOT_FOUND, &format!("No page at {path}.")),
    }
}

/// Serves `ui` on `listener` until `stop` completes.
///
/// # Errors
/// [`UiError::Serve`] when the server fails.
pub(crate) async fn serve(
    listener: TcpListener,
    ui: WebUi,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), UiError> {
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::new(ui));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_page_redirects_to_the_overview() {
        assert_eq!(
            home_location(Some("user.name=alice")),
            "overview?user.name=alice"
        );
        assert_eq!(home_location(None), "overview");
        assert_eq!(home_location(Some("")), "overview");
    }
}
