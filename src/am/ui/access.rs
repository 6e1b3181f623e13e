//! Who may see the web UI: what Hadoop's `AmIpFilter` and Skein's access filter decide, as
//! pure functions.
//!
//! * Requests must come through the YARN web proxy: one from any other address is redirected
//!   to the proxy (`<proxy>/proxy/redirect/<app id>/<path>?<query>`; the `/redirect` tells the
//!   proxy it came from an AM, so that a misconfigured AM cannot make it loop).
//! * The proxy names the user it authenticated in a `proxy-user` cookie.
//! * With the spec's `acls.enable` and no `*` in `acls.ui_users`, only those users and the
//!   application's owner get the pages; everyone else gets 403.

use std::collections::BTreeSet;

use skein_core::spec::Acls;
use skein_hadoop::conf::HadoopConfig;

/// The cookie in which the YARN web proxy names the user it authenticated
/// (`WebAppProxyServlet.PROXY_USER_COOKIE_NAME`).
pub(crate) const PROXY_USER_COOKIE: &str = "proxy-user";

/// Who may see the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccessPolicy {
    /// ACLs disabled, or `*` among the UI users.
    Everyone,
    /// Only these users (the spec's `ui_users` and the application's owner).
    Only(BTreeSet<String>),
}

impl AccessPolicy {
    /// The policy of an application owned by `owner` with the spec's `acls`.
    pub(crate) fn from_acls(acls: &Acls, owner: &str) -> Self {
        if acls.enable && !acls.ui_users.iter().any(|u| u == "*") {
            let mut users: BTreeSet<String> = acls.ui_users.iter().cloned().collect();
            users.insert(owner.to_string());
            AccessPolicy::Only(users)
        } else {
            AccessPolicy::Everyone
        }
    }

    /// Whether `user` (None: the proxy named nobody) may see the pages.
    pub fn allows(&self, user: Option<&str>) -> bool {
        match self {
            AccessPolicy::Everyone => true,
            AccessPolicy::Only(users) => user.is_some_and(|u| users.contains(u)),
        }
    }
}

/// The user named by the `proxy-user` cookie among `cookie_headers` (the values of every
/// `Cookie` header), URL-decoded as the proxy encoded it.
pub(crate) fn proxy_user<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<String> {
    cookie_headers
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == PROXY_USER_COOKIE)
        .and_then(|(_, value)| form_decode(value.trim_matches('"')))
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space), as Java's `URLEncoder`
/// writes it; None when malformed.
fn form_decode(s: &str) -> Option<String> {
    super::pages::percent_decode(&s.replace('+', " "))
}

/// The web proxy's base URLs of the application (`http://<proxy host:port>/proxy/<app id>`):
/// the standalone `yarn.web-proxy.address` if set, else each ResourceManager's web app (all of
/// them under HA), followed by `proxy_base` (`$APPLICATION_WEB_PROXY_BASE`).
pub(crate) fn proxy_uri_bases(config: &HadoopConfig, proxy_base: &str) -> Vec<String> {
    let proxies = match config
        .get("yarn.web-proxy.address")
        .filter(|a| !a.is_empty())
    {
        Some(address) => {
            let https = config.get_or("yarn.http.policy", "HTTP_ONLY") == "HTTPS_ONLY";
            vec![format!(
                "{}://{address}",
                if https { "https" } else { "http" }
            )]
        }
        None => config.resourcemanager_web_urls(),
    };
    proxies
        .into_iter()
        .map(|p| format!("{p}{proxy_base}"))
        .collect()
}

/// The host of a URL (`http://host:port/path` -> `host`; IPv6 literals without brackets).
pub(crate) fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map(|(h, _)| h)?,
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    (!host.is_empty()).then_some(host)
}

/// Where a request that did not come through the proxy is sent: `base` (a proxy URI base,
/// `<proxy>/proxy/<app id>`) followed by the request's path, with `/redirect` inserted after
/// `/proxy`, and the query kept (Hadoop's `AmIpFilter`).
pub(crate) fn redirect_url(base: &str, path: &str, query: Option<&str>) -> String {
    let mut url = format!("{base}{path}");
    // Only in the path: never in the scheme or host.
    let path_start = url.find("://").map_or(0, |i| {
        url[i + 3..].find('/').map_or(url.len(), |j| i + 3 + j)
    });
    if let Some(i) = url[path_start..].find("/proxy") {
        url.insert_str(path_start + i + "/proxy".len(), "/redirect");
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acls(enable: bool, users: &[&str]) -> Acls {
        Acls {
            enable,
            ui_users: users.iter().map(|u| u.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn without_acls_everyone_sees_the_ui() {
        assert_eq!(
            AccessPolicy::from_acls(&Acls::default(), "me"),
            AccessPolicy::Everyone
        );
        let disabled = AccessPolicy::from_acls(&acls(false, &["alice"]), "me");
        assert!(disabled.allows(Some("bob")));
        assert!(disabled.allows(None));
    }

    #[test]
    fn a_star_lets_everyone_in() {
        let star = AccessPolicy::from_acls(&acls(true, &["alice", "*"]), "me");
        assert_eq!(star, AccessPolicy::Everyone);
    }

    #[test]
    fn enabled_acls_admit_the_ui_users_and_the_owner_only() {
        // test_ui.py's cases: [] admits only the owner; a list admits its users and the owner.
        let only_owner = AccessPolicy::from_acls(&acls(true, &[]), "testuser");
        assert!(only_owner.allows(Some("testuser")));
        assert!(!only_owner.allows(Some("testuser2")));
        let listed = AccessPolicy::from_acls(&acls(true, &["alice"]), "testuser");
        assert!(listed.allows(Some("alice")));
        assert!(listed.allows(Some("testuser")));
        assert!(!listed.allows(Some("bob")));
        assert!(!listed.allows(None), "an anonymous request is refused");
    }

    #[test]
    fn the_user_comes_from_the_proxy_user_cookie() {
        assert_eq!(
            proxy_user(["a=1; proxy-user=alice; b=2"]).as_deref(),
            Some("alice")
        );
        assert_eq!(
            proxy_user(["a=1", "proxy-user=jane+doe%40EXAMPLE.COM"]).as_deref(),
            Some("jane doe@EXAMPLE.COM")
        );
        assert_eq!(proxy_user(["proxy-user=\"bob\""]).as_deref(), Some("bob"));
        assert_eq!(proxy_user(["xproxy-user=bob; other=1"]), None);
        assert_eq!(proxy_user(Vec::<&str>::new()), None);
        assert_eq!(proxy_user(["proxy-user=%zz"]), None);
    }

    #[test]
    fn requests_around_the_proxy_are_redirected_to_it() {
        let base = "http://rm.example.com:8088/proxy/application_1_0001";
        assert_eq!(
            redirect_url(base, "/overview", Some("user.name=alice")),
            "http://rm.example.com:8088/proxy/redirect/application_1_0001/overview?user.name=alice"
        );
        assert_eq!(
            redirect_url(base, "/", None),
            "http://rm.example.com:8088/proxy/redirect/application_1_0001/"
        );
        // A host named like the path is left alone.
        assert_eq!(
            redirect_url("http://proxy.host:1/proxy/app", "/kv", Some("")),
            "http://proxy.host:1/proxy/redirect/app/kv"
        );
    }

    #[test]
    fn proxy_hosts_are_the_hosts_of_the_bases() {
        assert_eq!(url_host("http://rm:8088/proxy/app"), Some("rm"));
        assert_eq!(url_host("https://rm.example.com/x"), Some("rm.example.com"));
        assert_eq!(url_host("http://[::1]:8088/proxy"), Some("::1"));
        assert_eq!(url_host("http://:8088/"), None);
    }

    #[test]
    fn the_ui_is_reached_through_the_web_proxy() {
        let mut config = HadoopConfig::default();
        config.set("yarn.resourcemanager.webapp.address", "rm:8088");
        assert_eq!(
            proxy_uri_bases(&config, "/proxy/application_1_0001"),
            vec!["http://rm:8088/proxy/application_1_0001"]
        );
        config.set("yarn.web-proxy.address", "proxy:9046");
        assert_eq!(
            proxy_uri_bases(&config, "/proxy/app"),
            vec!["http://proxy:9046/proxy/app"]
        );
    }

    #[test]
    fn every_resourcemanager_proxies_under_ha() {
        let mut config = HadoopConfig::default();
        config.set("yarn.resourcemanager.ha.enabled", "true");
        config.set("yarn.resourcemanager.ha.rm-ids", "rm1,rm2");
        config.set("yarn.resourcemanager.webapp.address.rm1", "a:8088");
        config.set("yarn.resourcemanager.webapp.address.rm2", "b:8088");
        assert_eq!(
            proxy_uri_bases(&config, "/proxy/app"),
            vec!["http://a:8088/proxy/app", "http://b:8088/proxy/app"]
        );
    }
}
