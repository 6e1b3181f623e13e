//! The service pages the web UI proxies (`AddProxy`/`RemoveProxy`/`GetProxies`), and the pure
//! rules of the reverse proxy: which registered page a request path names, and which upstream
//! URL it is fetched from.

use std::collections::BTreeMap;

use tonic::Status;

use crate::proto;

/// The pages proxied under `<ui address>/pages/<route>`, by route.
#[derive(Debug, Default)]
pub(crate) struct Proxies {
    /// route -> page (Skein lists them in hash order; sorted is as good).
    routes: BTreeMap<String, proto::Proxy>,
}

/// A service page as the navigation bar links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageLink {
    /// The link's text (the page's `link_name`).
    pub name: String,
    /// The page's route, with a trailing `/` when its target is a folder (so that relative
    /// links inside the page resolve under the route).
    pub route: String,
}

impl Proxies {
    /// `AddProxy`.
    ///
    /// # Errors
    /// Skein's: `INVALID_ARGUMENT` for a route with '/' or a malformed target, `ALREADY_EXISTS`
    /// for a route or link name in use.
    pub fn add(&mut self, page: proto::Proxy) -> Result<(), Status> {
        if page.route.contains('/') {
            return Err(Status::invalid_argument(
                "Page page routes must not contain '/'",
            ));
        }
        if let Err(reason) = check_url(&page.target) {
            return Err(Status::invalid_argument(format!(
                "Page target address '{}' is an invalid URL:\n{reason}",
                page.target
            )));
        }
        if self.routes.contains_key(&page.route) {
            return Err(Status::already_exists(format!(
                "A proxied page with route '{}' already exists",
                page.route
            )));
        }
        if !page.link_name.is_empty() && self.routes.values().any(|p| p.link_name == page.link_name)
        {
            return Err(Status::already_exists(format!(
                "A proxied page with name '{}' already exists",
                page.link_name
            )));
        }
        tracing::info!(
            "Added proxied page [route: '{}', target: '{}', name: '{}']",
            page.route,
            page.target,
            page.link_name
        );
        self.routes.insert(page.route.clone(), page);
        Ok(())
    }

    /// `RemoveProxy`.
    ///
    /// # Errors
    /// `FAILED_PRECONDITION` for an unknown route.
    pub fn remove(&mut self, route: &str) -> Result<(), Status> {
        match self.routes.remove(route) {
            Some(_) => {
                tracing::info!("Removed proxied page [route: '{route}']");
                Ok(())
            }
            None => Err(Status::failed_precondition(format!(
                "A proxied page with route '{route}' doesn't exist"
            ))),
        }
    }

    /// `GetProxies`.
    pub fn list(&self) -> Vec<proto::Proxy> {
        self.routes.values().cloned().collect()
    }

    /// The target URL of `route`, if registered.
    pub fn target(&self, route: &str) -> Option<String> {
        self.routes.get(route).map(|p| p.target.clone())
    }

    /// The pages with a link name, sorted by it (pages without one are proxied but unlisted).
    pub fn links(&self) -> Vec<PageLink> {
        let mut links: Vec<PageLink> = self
            .routes
            .values()
            .filter(|p| !p.link_name.is_empty())
            .map(|p| PageLink {
                name: p.link_name.clone(),
                route: if target_is_folder(&p.target) {
                    format!("{}/", p.route)
                } else {
                    p.route.clone()
                },
            })
            .collect();
        links.sort_by(|a, b| a.name.cmp(&b.name));
        links
    }
}

/// Why a page target is not a URL, in the words of Java's `java.net.MalformedURLException`
/// (Skein's clients show them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum UrlError {
    /// No `scheme:` in front.
    #[error("no protocol: {0}")]
    NoProtocol(String),
    /// A scheme Java's URL class does not know.
    #[error("unknown protocol: {0}")]
    UnknownProtocol(String),
}

/// The checks of Java's `new URL(target)`, with its messages: a known protocol is required.
fn check_url(target: &str) -> Result<(), UrlError> {
    let Some((scheme, _)) = target.split_once(':') else {
        return Err(UrlError::NoProtocol(target.to_string()));
    };
    let valid_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !valid_scheme {
        return Err(UrlError::NoProtocol(target.to_string()));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" | "ftp" | "file" | "jar" => Ok(()),
        other => Err(UrlError::UnknownProtocol(other.to_string())),
    }
}

/// The path of a URL (what Java's `URL.getPath` returns): after the authority, before the
/// query or fragment.
fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once(':').map_or(url, |(_, rest)| rest);
    let path_and_more = match after_scheme.strip_prefix("//") {
        Some(authority_and_path) => authority_and_path
            .find(['/', '?', '#'])
            .map_or("", |i| &authority_and_path[i..]),
        None => after_scheme,
    };
    let end = path_and_more
        .find(['?', '#'])
        .unwrap_or(path_and_more.len());
    &path_and_more[..end]
}

/// Whether a target names a folder (no path, or one ending in `/`): its link then ends in
/// `/` so that the page's relative links resolve under the route (Skein's rule).
pub(crate) fn target_is_folder(target: &str) -> bool {
    let path = url_path(target);
    path.is_empty() || path.ends_with('/')
}

/// Splits the part of a request path after `/pages` into the (percent-decoded) route and the
/// rest: `/dash/status/x` -> (`dash`, `/status/x`), `/dash` -> (`dash`, ``). None when no
/// route is named.
pub(crate) fn split_route(path: &str) -> Option<(String, &str)> {
    let path = path.strip_prefix('/')?;
    let (route, rest) = match path.find('/') {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, ""),
    };
    if route.is_empty() {
        return None;
    }
    Some((percent_decode(route)?, rest))
}

/// The upstream URL of a request for `rest` (as from [`split_route`]) with `query` under a page
/// whose target is `target`: the target itself for the route's root, else the target (without
/// its trailing `/`) followed by `rest`; the query is kept.
pub(crate) fn upstream_url(target: &str, rest: &str, query: Option<&str>) -> String {
    let mut url = if rest.is_empty() {
        target.to_string()
    } else {
        format!("{}{rest}", target.trim_end_matches('/'))
    };
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        if url_path(&url).is_empty() {
            url.push('/');
        }
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The `Location` of a proxied page's redirect as the AM serves it: a location on the target's
/// server under the target's path becomes the same place under `/pages/<route>` of the AM (the
/// ResourceManager's proxy follows redirects itself, from the AM's host). Relative locations
/// and other servers' are kept: None.
pub(crate) fn rewrite_location(target: &str, route: &str, location: &str) -> Option<String> {
    let origin_end = |url: &str| {
        url.find("://").map(|i| {
            i + 3
                + url[i + 3..]
                    .find(['/', '?', '#'])
                    .unwrap_or(url.len() - i - 3)
        })
    };
    let target_origin = &target[..origin_end(target)?];
    let on_target = if location.starts_with('/') && !location.starts_with("//") {
        location
    } else {
        let end = origin_end(location)?;
        if !location[..end].eq_ignore_ascii_case(target_origin) {
            return None;
        }
        &location[end..]
    };
    let base = url_path(target).trim_end_matches('/');
    let rest = on_target.strip_prefix(base)?;
    if !(rest.is_empty() || rest.starts_with(['/', '?', '#'])) {
        return None;
    }
    Some(format!(
        "{}/{}{rest}",
        super::PROXY_PREFIX,
        percent_encode_segment(route)
    ))
}

/// Decodes `%XX` escapes (not `+`: this is a path); None when the result is not UTF-8 or an
/// escape is malformed.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes what may not appear raw in a URL path segment (RFC 3986 `pchar` plus `/`,
/// which a route never contains).
pub(crate) fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let raw = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if raw {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(route: &str, name: &str, target: &str) -> proto::Proxy {
        proto::Proxy {
            route: route.into(),
            link_name: name.into(),
            target: target.into(),
        }
    }

    #[test]
    fn proxied_pages_follow_skeins_rules() {
        let mut p = Proxies::default();
        let err = p.add(page("a/b", "", "http://x:1")).unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert_eq!(err.message(), "Page page routes must not contain '/'");
        let err = p.add(page("a", "", "not a url")).unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(err.message().starts_with("Page target address 'not a url'"));
        p.add(page("a", "A", "http://x:1/")).unwrap();
        assert_eq!(
            p.add(page("a", "", "http://x:2")).unwrap_err().code(),
            tonic::Code::AlreadyExists
        );
        assert_eq!(
            p.add(page("b", "A", "http://x:2")).unwrap_err().code(),
            tonic::Code::AlreadyExists
        );
        p.add(page("b", "", "https://x:2/index.html")).unwrap();
        assert_eq!(p.list().len(), 2);
        p.remove("a").unwrap();
        let err = p.remove("a").unwrap_err();
        assert_eq!(err.code(), tonic::Code::FailedPrecondition);
        assert_eq!(err.message(), "A proxied page with route 'a' doesn't exist");
        p.add(page("c", "A", "http://x:3")).unwrap();
    }

    #[test]
    fn links_end_in_a_slash_for_folder_targets_and_skip_unnamed_pages() {
        // test_ui.py's four pages.
        let mut p = Proxies::default();
        p.add(page("route-1", "link 1", "http://worker:8888"))
            .unwrap();
        p.add(page("route-2", "link 2", "http://worker:8888/tmp/"))
            .unwrap();
        p.add(page(
            "route-3",
            "link 3",
            "http://worker:8888/container_tokens",
        ))
        .unwrap();
        p.add(page("route-4", "", "http://worker:8888")).unwrap();
        let links: Vec<(String, String)> =
            p.links().into_iter().map(|l| (l.name, l.route)).collect();
        assert_eq!(
            links,
            vec![
                ("link 1".to_string(), "route-1/".to_string()),
                ("link 2".to_string(), "route-2/".to_string()),
                ("link 3".to_string(), "route-3".to_string()),
            ]
        );
        assert_eq!(p.target("route-4").as_deref(), Some("http://worker:8888"));
        assert_eq!(p.target("route-5"), None);
    }

    #[test]
    fn folder_targets_are_those_without_a_path_or_ending_in_a_slash() {
        assert!(target_is_folder("http://example.com:8888"));
        assert!(target_is_folder("http://example.com:8888/"));
        assert!(target_is_folder("http://example.com:8888?x=1"));
        assert!(target_is_folder("http://example.com:8888/foo/"));
        assert!(!target_is_folder("http://example.com:8888/foo"));
        assert!(!target_is_folder("http://example.com:8888/foo?a=/"));
        assert!(target_is_folder("file:/tmp/"));
    }

    #[test]
    fn request_paths_name_a_route_and_the_rest() {
        assert_eq!(
            split_route("/dash/status/x"),
            Some(("dash".to_string(), "/status/x"))
        );
        assert_eq!(split_route("/dash/"), Some(("dash".to_string(), "/")));
        assert_eq!(split_route("/dash"), Some(("dash".to_string(), "")));
        assert_eq!(
            split_route("/my%20page/a"),
            Some(("my page".to_string(), "/a"))
        );
        assert_eq!(split_route("/"), None);
        assert_eq!(split_route(""), None);
        assert_eq!(split_route("//x"), None);
        assert_eq!(split_route("/bad%zz"), None);
    }

    #[test]
    fn upstream_urls_append_the_rest_and_the_query_to_the_target() {
        assert_eq!(upstream_url("http://h:1", "", None), "http://h:1");
        assert_eq!(upstream_url("http://h:1", "/", None), "http://h:1/");
        assert_eq!(upstream_url("http://h:1/tmp/", "", None), "http://h:1/tmp/");
        assert_eq!(
            upstream_url("http://h:1/tmp/", "/", None),
            "http://h:1/tmp/"
        );
        assert_eq!(
            upstream_url("http://h:1/tmp/", "/a/b.txt", None),
            "http://h:1/tmp/a/b.txt"
        );
        assert_eq!(
            upstream_url("http://h:1/status", "/x", Some("a=1")),
            "http://h:1/status/x?a=1"
        );
        assert_eq!(
            upstream_url("http://h:1", "", Some("a=1")),
            "http://h:1/?a=1"
        );
        assert_eq!(upstream_url("http://h:1/f", "", Some("")), "http://h:1/f");
    }

    #[test]
    fn redirects_into_the_target_stay_under_the_route() {
        // http.server's redirect of a folder without its slash.
        assert_eq!(
            rewrite_location("http://h:1/", "site", "/sub/").as_deref(),
            Some("/pages/site/sub/")
        );
        assert_eq!(
            rewrite_location("http://h:1", "site", "http://h:1/sub/?a=1").as_deref(),
            Some("/pages/site/sub/?a=1")
        );
        assert_eq!(
            rewrite_location("http://h:1/tmp/", "my page", "/tmp/x").as_deref(),
            Some("/pages/my%20page/x")
        );
        assert_eq!(
            rewrite_location("http://h:1/status", "dash", "/status?x").as_deref(),
            Some("/pages/dash?x")
        );
        // Elsewhere on the server, on other servers, or relative: unchanged.
        assert_eq!(rewrite_location("http://h:1/tmp/", "r", "/other"), None);
        assert_eq!(rewrite_location("http://h:1/tmp/", "r", "/tmpx"), None);
        assert_eq!(
            rewrite_location("http://h:1/", "r", "http://other:1/x"),
            None
        );
        assert_eq!(rewrite_location("http://h:1/", "r", "//other/x"), None);
        assert_eq!(rewrite_location("http://h:1/", "r", "status"), None);
    }

    #[test]
    fn route_segments_are_percent_encoded_for_links() {
        assert_eq!(percent_encode_segment("route-1"), "route-1");
        assert_eq!(percent_encode_segment("my page"), "my%20page");
        assert_eq!(percent_encode_segment("a\"<b>"), "a%22%3Cb%3E");
        assert_eq!(percent_encode_segment("é"), "%C3%A9");
        assert_eq!(
            percent_decode(&percent_encode_segment("é x")).as_deref(),
            Some("é x")
        );
    }
}
