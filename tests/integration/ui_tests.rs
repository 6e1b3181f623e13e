//! The ApplicationMaster's web UI, as a user sees it: through the ResourceManager's web proxy
//! (`<rm web>/proxy/<app id>/...`, authenticated with `?user.name=`), like Skein's test_ui.py.

use serde_json::json;
use skein_hadoop::yarn::FinalStatus;
use std::net::{IpAddr, UdpSocket};
use std::path::Path;
use std::time::Duration;

use skein::proto;

use crate::cluster;
use crate::fixtures::{
    LONG, app, connect, get_key, resource_manager, service, shutdown_request, submit, wait_for,
    wait_running, wait_until_finished, with_skein,
};

/// An HTTP client that follows redirects (as a browser does) or not.
fn http(follow_redirects: bool) -> reqwest::Client {
    skein::ensure_crypto_provider();
    let policy = if follow_redirects {
        reqwest::redirect::Policy::limited(10)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .redirect(policy)
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

/// GETs `url`: its status and body.
async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let response = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The port of the AM's web UI, from its log (`Serving the web UI on http://host:port/`): YARN's
/// REST API reports the proxied tracking URL only.
fn web_ui_port(work_dir: &Path, app_id: &str) -> Option<u16> {
    let app_logs = work_dir.join("nodemanager/logs").join(app_id);
    for entry in std::fs::read_dir(app_logs).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with("_000001") {
            continue;
        }
        let log = std::fs::read_to_string(entry.path().join("application.master.log")).ok()?;
        let url = log
            .lines()
            .find_map(|l| l.split("Serving the web UI on ").nth(1))?;
        let port = url.trim().trim_end_matches('/').rsplit(':').next()?;
        return port.parse().ok();
    }
    None
}

/// An address of this machine other than loopback (the RM's proxy connects from loopback here),
/// if it has one.
fn non_loopback_address() -> Option<IpAddr> {
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface of a route.
    ["8.8.8.8:53", "10.255.255.254:9", "192.168.255.254:9"]
        .into_iter()
        .find_map(|destination| {
            let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
            socket.connect(destination).ok()?;
            let ip = socket.local_addr().ok()?.ip();
            (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
        })
}

#[tokio::test]
async fn the_web_ui_shows_the_application_and_its_pages_through_the_resourcemanager_proxy() {
    let c = cluster::shared();
    let rm = resource_manager();
    // A service with a page of its own: python3's http.server on a free port, published in
    // the key-value store.
    let web = with_skein(service(
        "set -e\nmkdir -p site/sub\n\
         echo 'hello from the service page' > site/index.html\n\
         echo 'a file deep inside' > site/sub/file.txt\n\
         port=$(python3 -c 'import socket; s=socket.socket(); s.bind((\"\", 0)); \
         print(s.getsockname()[1])')\n\
         (cd site && exec python3 -m http.server \"$port\") &\n\
         ./skein kv put current --key web.port --value \"$port\"\n\
         wait\n",
    ));
    let id = submit(&app("web <ui>", json!({"web": web}))).await;
    let mut am = connect(&rm, &id).await;
    wait_running(&mut am, "web", 1).await;

    let browser = http(true);
    let base = format!("{}/proxy/{id}", c.info.rm_webapp);
    let login = format!("?user.name={}", rm.user());

    // This cluster lets anonymous users through its web proxy (no `proxy-user` cookie then):
    // without ACLs, they see the pages.
    let (status, _) = get(&browser, &format!("{base}/overview")).await;
    assert_eq!(status, 200);

    // The overview: the application, its resources (AM 256 MiB + one 64 MiB container),
    // progress and services.
    let (status, page) = get(&browser, &format!("{base}/overview{login}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&id), "{page}");
    assert!(page.contains("<b>Name:</b> web &lt;ui&gt;"), "{page}");
    assert!(
        page.contains(&format!("<b>User:</b> {}", rm.user())),
        "{page}"
    );
    assert!(page.contains("Memory:</b> 320.0 MiB"), "{page}");
    assert!(page.contains("Cores:</b> 2"), "{page}");
    assert!(page.contains("Progress:</b> N/A"), "{page}");
    assert!(page.contains("web_0"), "{page}");
    assert!(
        page.contains(&format!("/{}/application.master.log", rm.user())),
        "{page}"
    );
    assert!(page.contains(&format!("/{}/web.log", rm.user())), "{page}");
    assert!(page.contains("No service pages available"), "{page}");

    am.set_progress(proto::SetProgressRequest { progress: 0.5 })
        .await
        .expect("progress");
    let (_, page) = get(&browser, &format!("{base}/overview{login}")).await;
    assert!(page.contains("Progress:</b> 50.0%"), "{page}");

    // `/` (with or without the trailing slash) shows the overview: the proxy follows the
    // redirect to it.
    for home in [format!("{base}/{login}"), format!("{base}{login}")] {
        let (status, page) = get(&browser, &home).await;
        assert_eq!(status, 200, "{home}: {page}");
        assert!(page.contains("<title>Overview - Skein"), "{home}: {page}");
    }

    // The key-value store, escaped; values that are not UTF-8 are shown as binary.
    for (key, value) in [
        ("greeting", b"hello <b>".to_vec()),
        ("bad", vec![0xff, 0xfe]),
    ] {
        am.put_key(proto::PutKeyRequest {
            key: key.into(),
            value,
            ignore_owner: true,
            ..Default::default()
        })
        .await
        .expect("put");
    }
    let (status, page) = get(&browser, &format!("{base}/kv{login}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<td>greeting</td><td>hello &lt;b&gt;</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td>bad</td><td>&lt;binary value&gt;</td>"),
        "{page}"
    );

    // The icon, and 404 for anything else.
    let icon = browser
        .get(format!("{base}/favicon.ico{login}"))
        .send()
        .await
        .expect("favicon");
    assert_eq!(icon.status().as_u16(), 200);
    // (The proxy adds a charset.)
    let content_type = icon.headers()["content-type"].to_str().unwrap_or_default();
    assert!(content_type.starts_with("image/x-icon"), "{content_type}");
    let (status, _) = get(&browser, &format!("{base}/fake{login}")).await;
    assert_eq!(status, 404);

    // The service's own page, proxied under /pages/<route>.
    let port = wait_for("the service's port", LONG, || {
        let mut am = am.clone();
        async move {
            get_key(&mut am, "web.port")
                .await
                .map(|v| String::from_utf8_lossy(&v).into_owned())
        }
    })
    .await;
    let target = format!("http://localhost:{port}");
    for (route, target, link_name) in [
        ("site", format!("{target}/"), "Site"),
        ("file", format!("{target}/sub/file.txt"), "A file"),
        ("hidden", target.clone(), ""),
    ] {
        am.add_proxy(proto::Proxy {
            route: route.into(),
            target,
            link_name: link_name.into(),
        })
        .await
        .expect("add proxy");
    }
    let (_, page) = get(&browser, &format!("{base}/overview{login}")).await;
    assert!(page.contains("href=\"./pages/site/\""), "{page}");
    assert!(page.contains(">Site</a>"), "{page}");
    assert!(page.contains("href=\"./pages/file\""), "{page}");
    assert!(page.contains(">A file</a>"), "{page}");
    assert!(!page.contains("./pages/hidden"), "{page}");
    assert!(!page.contains("No service pages available"), "{page}");

    // http.server may still be starting: the first fetch waits for it.
    let site = format!("{base}/pages/site/{login}");
    let page = wait_for("the proxied page", LONG, || {
        let browser = browser.clone();
        let site = site.clone();
        async move {
            let (status, page) = get(&browser, &site).await;
            (status == 200).then_some(page)
        }
    })
    .await;
    assert!(page.contains("hello from the service page"), "{page}");
    for url in [
        format!("{base}/pages/site/sub/file.txt{login}"),
        format!("{base}/pages/file{login}"),
    ] {
        let (status, page) = get(&browser, &url).await;
        assert_eq!(status, 200, "{url}: {page}");
        assert_eq!(page, "a file deep inside\n", "{url}");
    }
    // A folder without its slash: http.server redirects to `/sub/`, which the AM rewrites to
    // `/pages/site/sub/` (the proxy follows it).
    let (status, page) = get(&browser, &format!("{base}/pages/site/sub{login}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("file.txt"), "{page}");
    let (status, page) = get(&browser, &format!("{base}/pages/hidden/index.html{login}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("hello from the service page"), "{page}");
    // Missing files are the service's 404; unknown and removed routes are the UI's.
    let (status, _) = get(&browser, &format!("{base}/pages/site/nope{login}")).await;
    assert_eq!(status, 404);
    let (status, _) = get(&browser, &format!("{base}/pages/unknown/{login}")).await;
    assert_eq!(status, 404);
    am.remove_proxy(proto::RemoveProxyRequest {
        route: "site".into(),
    })
    .await
    .expect("remove proxy");
    let (status, _) = get(&browser, &site).await;
    assert_eq!(status, 404);

    // Straight to the AM's port at the NodeManager host's address (NM_HOST, `localhost` on
    // the test cluster), around the proxy: from a local process, as from the proxy's host,
    // the UI trusts the `proxy-user` cookie (as Hadoop's AmIpFilter does for proxy hosts).
    let web_port = web_ui_port(&c.info.work_dir, &id)
        .unwrap_or_else(|| panic!("no web UI port in the AM log of {id}"));
    let direct = format!("http://localhost:{web_port}/overview");
    let response = http(false)
        .get(&direct)
        .header("cookie", format!("proxy-user={}", rm.user()))
        .send()
        .await
        .expect("direct");
    assert_eq!(response.status().as_u16(), 200, "{direct}");
    let page = response.text().await.expect("page");
    assert!(page.contains("web &lt;ui&gt;"), "{page}");
    // The AM listens on that address only, not on the machine's other interfaces.
    match non_loopback_address() {
        Some(ip) => {
            let elsewhere = format!("http://{ip}:{web_port}/overview");
            let refused = http(false).get(&elsewhere).send().await;
            assert!(
                refused.as_ref().is_err_and(|e| e.is_connect()),
                "{elsewhere}: {refused:?}"
            );
        }
        None => eprintln!("no non-loopback address: the other-interface check is skipped"),
    }

    am.shutdown(shutdown_request(proto::final_status::Type::Succeeded, ""))
        .await
        .expect("shutdown");
    let report = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Succeeded, "{report:?}");
}

#[tokio::test]
async fn with_ui_acls_only_the_listed_users_and_the_owner_see_the_ui() {
    let c = cluster::shared();
    let rm = resource_manager();
    // Skein's ACL test application: a master script and no service.
    let mut spec = app("web ui acls", json!({}));
    spec["master"]["script"] = json!("sleep 600\n");
    spec["acls"] = json!({"enable": true, "ui_users": ["alice"]});
    // Listening on every interface, as the spec may ask.
    spec["master"]["bind_host"] = json!("0.0.0.0");
    let id = submit(&spec).await;
    let mut am = connect(&rm, &id).await;
    let browser = http(true);
    let base = format!("{}/proxy/{id}", c.info.rm_webapp);
    // An anonymous request (the proxy names no user) is refused.
    let (status, _) = get(&browser, &format!("{base}/overview")).await;
    assert_eq!(status, 403);
    for (user, allowed) in [("bob", false), ("alice", true), (rm.user(), true)] {
        for url in [
            format!("{base}/overview?user.name={user}"),
            format!("{base}?user.name={user}"),
        ] {
            let (status, page) = get(&browser, &url).await;
            let expected = if allowed { 200 } else { 403 };
            assert_eq!(status, expected, "{url}: {page}");
            if allowed {
                assert!(page.contains("Memory:</b> 256.0 MiB"), "{page}");
                assert!(page.contains("/application.driver.log"), "{page}");
            } else {
                assert!(page.contains("User is not authorized"), "{page}");
            }
        }
    }
    // Reached at another address of the machine (not a proxy host), around the proxy: sent
    // to the proxy, which authenticates.
    let web_port = web_ui_port(&c.info.work_dir, &id)
        .unwrap_or_else(|| panic!("no web UI port in the AM log of {id}"));
    match non_loopback_address() {
        Some(ip) => {
            let direct = format!("http://{ip}:{web_port}/overview?x=1");
            let response = http(false).get(&direct).send().await.expect("direct");
            assert_eq!(response.status().as_u16(), 302, "{direct}");
            assert_eq!(
                response.headers()["location"],
                format!("{}/proxy/redirect/{id}/overview?x=1", c.info.rm_webapp).as_str()
            );
        }
        None => eprintln!("no non-loopback address: the direct-access check is skipped"),
    }
    am.shutdown(shutdown_request(proto::final_status::Type::Succeeded, ""))
        .await
        .expect("shutdown");
    wait_until_finished(&rm, &id, LONG).await;
}
