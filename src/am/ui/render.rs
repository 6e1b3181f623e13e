//! The web UI's pages as HTML, from plain data: no IO, no clock (callers pass `now`).
//!
//! The markup keeps the fragments Skein's pages have and its tests look for
//! (`<b>Memory:</b> 288.0 MiB`, `<b>Cores:</b> 2`, `<b>Progress:</b> N/A`,
//! `href="./pages/<route>/"`, "No service pages available", `&lt;binary value&gt;`), without
//! Skein's Bootstrap and jQuery: one inline style sheet, no script. Every user-controlled
//! string goes through [`escape`].

use std::fmt::Write as _;

use super::pages::{PageLink, percent_encode_segment};
use skein_core::kv::KeyValue;
use skein_core::services::{ContainerReport, ContainerState as State};
use skein_core::spec::ApplicationSpec;

/// Text shown for a key whose value is not UTF-8.
pub(crate) const BINARY_VALUE: &str = "<binary value>";

/// HTML-escapes text for element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Memory in MiB as Skein shows it: one decimal, in MiB, GiB or TiB.
pub(crate) fn format_memory(mib: f64) -> String {
    if mib < 1024.0 {
        format!("{mib:.1} MiB")
    } else if mib < 1024.0 * 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{:.1} TiB", mib / (1024.0 * 1024.0))
    }
}

/// A duration as its two largest units: `45s`, `3m 24s`, `2h 2m`, `1d 3h`.
pub(crate) fn format_runtime(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// Progress as a percentage with one decimal, `N/A` until the application sets one.
pub(crate) fn format_progress(progress: Option<f32>) -> String {
    match progress {
        Some(p) => format!("{:.1}%", f64::from(p) * 100.0),
        None => "N/A".to_string(),
    }
}

/// How log links are built: `<scheme><node http address>/node/containerlogs/<container>/<user>/<file>`.
#[derive(Debug, Clone)]
pub(crate) struct LogLinks {
    /// `http://` or `https://` (the cluster's `yarn.http.policy`).
    pub scheme: String,
    /// The application's user.
    pub user: String,
}

impl LogLinks {
    /// The last 4 KiB of `file` of `container_id`, served by the NodeManager at `node`.
    pub fn url(&self, node: &str, container_id: &str, file: &str) -> Option<String> {
        (!node.is_empty() && !container_id.is_empty()).then(|| {
            format!(
                "{}{node}/node/containerlogs/{container_id}/{}/{file}?start=-4096",
                self.scheme, self.user
            )
        })
    }
}

/// One container as a table row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContainerRow {
    /// `<service>_<instance>`.
    pub id: String,
    /// `RUNNING`, `SUCCEEDED`, ...
    pub state: &'static str,
    /// None while pending.
    pub runtime: Option<String>,
    /// Its `<service>.log`, once it ran somewhere.
    pub logs: Option<String>,
    /// Its readiness, when its service has a readiness check.
    pub readiness: Option<skein_core::services::Readiness>,
}

/// One service: its counts and its containers by phase.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ServiceSummary {
    /// Service name.
    pub name: String,
    /// Containers RUNNING, SUCCEEDED, KILLED, FAILED.
    pub running: usize,
    /// See `running`.
    pub succeeded: usize,
    /// See `running`.
    pub killed: usize,
    /// See `running`.
    pub failed: usize,
    /// WAITING and REQUESTED containers.
    pub pending: Vec<ContainerRow>,
    /// RUNNING containers.
    pub active: Vec<ContainerRow>,
    /// Completed containers.
    pub completed: Vec<ContainerRow>,
}

/// What the overview page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    /// Application id.
    pub app_id: String,
    /// Application name.
    pub name: String,
    /// The application's user.
    pub user: String,
    /// The AM's `application.master.log`.
    pub am_logs: Option<String>,
    /// The master script's `application.driver.log`, when there is one.
    pub driver_logs: Option<String>,
    /// MiB allocated to the AM and the running containers.
    pub memory_mib: f64,
    /// Virtual cores allocated to the AM and the running containers.
    pub vcores: i64,
    /// Since the AM started.
    pub runtime_ms: i64,
    /// Set by the application (`SetProgress`), if ever.
    pub progress: Option<f32>,
    /// Every service of the spec, by name.
    pub services: Vec<ServiceSummary>,
    /// The application's delegation tokens (none on clusters without Kerberos).
    pub tokens: crate::proto::TokenStatus,
}

/// The services of `spec` with `containers` (every state) at `now` (ms), and the memory (MiB)
/// and vcores allocated to the AM (`spec.master.resources`) and the running containers.
pub(crate) fn summarize(
    spec: &ApplicationSpec,
    containers: &[ContainerReport],
    now: i64,
    logs: &LogLinks,
) -> (Vec<ServiceSummary>, f64, i64) {
    let am = spec.master.resources;
    let (mut memory, mut vcores) = (f64::from(am.memory), i64::from(am.vcores));
    let mut names: Vec<&String> = spec.services.keys().collect();
    names.sort();
    let mut services = Vec::with_capacity(names.len());
    for name in names {
        let resources = spec.services[name].resources;
        let mut summary = ServiceSummary {
            name: name.clone(),
            ..Default::default()
        };
        for c in containers.iter().filter(|c| &c.service == name) {
            let state = c.state;
            let log = logs.url(
                &c.yarn_node_http_address,
                &c.yarn_container_id,
                &format!("{name}.log"),
            );
            let ran = |end: i64| (c.start_time > 0).then(|| format_runtime(end - c.start_time));
            let row = |runtime, logs| ContainerRow {
                id: format!("{name}_{}", c.instance),
                state: state.as_str(),
                runtime,
                logs,
                readiness: c.readiness.clone(),
            };
            match state {
                State::Waiting | State::Requested => summary.pending.push(row(None, None)),
                State::Running => {
                    summary.running += 1;
                    memory += f64::from(resources.memory);
                    vcores += i64::from(resources.vcores);
                    summary.active.push(row(ran(now), log));
                }
                State::Succeeded | State::Failed | State::Killed => {
                    match state {
                        State::Succeeded => summary.succeeded += 1,
                        State::Killed => summary.killed += 1,
                        _ => summary.failed += 1,
                    }
                    summary.completed.push(row(ran(c.finish_time), log));
                }
            }
        }
        services.push(summary);
    }
    (services, memory, vcores)
}

const STYLE: &str = "\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#212529}\
nav{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;background:#343a40;color:#fff;padding:.5rem 1rem}\
nav .brand{font-size:1.25rem;font-weight:600}\
nav a,nav summary,nav span.nav-link{color:rgba(255,255,255,.6);text-decoration:none;cursor:pointer}\
nav a.active,nav a:hover,nav summary:hover{color:#fff}\
nav .disabled{color:rgba(255,255,255,.3)!important;cursor:default}\
nav .app{margin-left:auto;color:rgba(255,255,255,.6)}\
details.dropdown{position:relative}\
details.dropdown>summary{list-style:none}\
.dropdown-menu{position:absolute;z-index:1;background:#fff;border:1px solid #ccc;border-radius:4px;\
padding:.25rem 0;min-width:10rem}\
.dropdown-menu a{display:block;padding:.25rem 1rem;color:#212529}\
.dropdown-menu a:hover{background:#e9ecef}\
main{padding:1rem}\
.summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:.5rem;margin-bottom:1rem}\
details.service{border:1px solid #dee2e6;border-radius:4px;margin-bottom:.5rem}\
details.service>summary{display:flex;gap:2rem;padding:.75rem 1rem;background:#f7f7f7;cursor:pointer}\
details.service>summary .name{min-width:16rem;color:#007bff}\
details.service>div{padding:0 1rem 1rem}\
.ok{color:#28a745}.warn{color:#d39e00}.bad{color:#dc3545}\
table{border-collapse:collapse;width:100%;margin-bottom:1rem}\
th,td{border:1px solid #dee2e6;padding:.3rem;text-align:left}\
tbody tr:nth-child(odd){background:#f2f2f2}";

/// The page frame: head, navigation bar (with the service pages' dropdown), `body`.
fn frame(title: &str, app_id: &str, active: &str, pages: &[PageLink], body: &str) -> String {
    let app_id = escape(app_id);
    let nav_link = |href: &str, text: &str| {
        let class = if text == active {
            "nav-link active"
        } else {
            "nav-link"
        };
        format!("<a class=\"{class}\" href=\"{href}\">{text}</a>")
    };
    let dropdown = if pages.is_empty() {
        "<span class=\"nav-link disabled\" title=\"No service pages available\">Service Pages</span>"
            .to_string()
    } else {
        let mut items = String::new();
        for page in pages {
            let _ = write!(
                items,
                "<a class=\"dropdown-item\" href=\"./pages/{}\">{}</a>",
                escape(&percent_encode_segment(&page.route)),
                escape(&page.name)
            );
        }
        format!(
            "<details class=\"dropdown\"><summary class=\"nav-link\">Service Pages</summary>\
             <div class=\"dropdown-menu\">{items}</div></details>"
        )
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"favicon.ico\">\n\
         <title>{title} - Skein | {app_id}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <nav><span class=\"brand\">Skein</span>{}{}{dropdown}\
         <span class=\"app\" id=\"application\">{app_id}</span></nav>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        nav_link("./overview", "Overview"),
        nav_link("./kv", "Key/Value"),
    )
}

fn logs_link(url: Option<&str>, text: &str) -> String {
    match url {
        Some(url) => format!("<a href=\"{}\">{}</a>", escape(url), escape(text)),
        None => "N/A".to_string(),
    }
}

/// The state, and for a running container of a service with a readiness check whether it is
/// READY (the last failed check as the tooltip when not).
fn status_cell(row: &ContainerRow) -> String {
    match &row.readiness {
        Some(r) if row.state == "RUNNING" && r.ready => format!("{} (READY)", row.state),
        Some(r) if row.state == "RUNNING" => format!(
            "{} (<span title=\"{}\">not ready</span>)",
            row.state,
            escape(&r.message)
        ),
        _ => row.state.to_string(),
    }
}

fn container_table(out: &mut String, heading: &str, rows: &[ContainerRow], service: &str) {
    let _ = write!(
        out,
        "<h4>{heading}</h4>\n<table>\n<thead><tr><th>#</th><th>Container ID</th><th>Status</th>\
         <th>Runtime</th><th>Logs</th></tr></thead>\n<tbody>\n"
    );
    for (i, row) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            escape(&row.id),
            status_cell(row),
            row.runtime.as_deref().unwrap_or("N/A"),
            logs_link(row.logs.as_deref(), &format!("{service}.log")),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The overview page (`/overview`).
pub(crate) fn overview_page(overview: &Overview, pages: &[PageLink]) -> String {
    let mut body = String::new();
    let item =
        |label: &str, value: &str| format!("<div><span><b>{label}:</b> {value}</span></div>\n");
    body.push_str("<section class=\"summary\">\n");
    body.push_str(&item("Name", &escape(&overview.name)));
    body.push_str(&item("User", &escape(&overview.user)));
    body.push_str(&item(
        "Application Master",
        &logs_link(overview.am_logs.as_deref(), "logs"),
    ));
    body.push_str(&item(
        "Application Driver",
        &logs_link(overview.driver_logs.as_deref(), "logs"),
    ));
    body.push_str(&item("Memory", &format_memory(overview.memory_mib)));
    body.push_str(&item("Cores", &overview.vcores.to_string()));
    body.push_str(&item("Runtime", &format_runtime(overview.runtime_ms)));
    body.push_str(&item("Progress", &format_progress(overview.progress)));
    body.push_str("</section>\n<section class=\"services\">\n");
    if overview.services.is_empty() {
        body.push_str("<p>No services.</p>\n");
    }
    for (i, s) in overview.services.iter().enumerate() {
        let _ = write!(
            body,
            "<details class=\"service\" id=\"service{i}\"><summary>\
             <span class=\"name\">{}</span>\
             <span title=\"Running\">&#x21bb; {}</span>\
             <span class=\"ok\" title=\"Succeeded\">&#x2714; {}</span>\
             <span class=\"warn\" title=\"Killed\">&#x26a0; {}</span>\
             <span class=\"bad\" title=\"Failed\">&#x2716; {}</span></summary>\n<div>\n",
            escape(&s.name),
            s.running,
            s.succeeded,
            s.killed,
            s.failed
        );
        container_table(&mut body, "Pending", &s.pending, &s.name);
        container_table(&mut body, "Running", &s.active, &s.name);
        container_table(&mut body, "Completed", &s.completed, &s.name);
        body.push_str("</div>\n</details>\n");
    }
    body.push_str("</section>\n");
    token_section(&mut body, &overview.tokens);
    frame("Overview", &overview.app_id, "Overview", pages, &body)
}

/// The delegation tokens: kind, service, until when they are valid and their maximum
/// lifetime, and with a keytab the renewal's state.
fn token_section(body: &mut String, status: &crate::proto::TokenStatus) {
    if status.tokens.is_empty() {
        return;
    }
    let time = |ms: i64| {
        if ms > 0 {
            crate::am::tokens::utc(ms)
        } else {
            "-".to_string()
        }
    };
    body.push_str("<section class=\"tokens\">\n<h3>Delegation tokens</h3>\n");
    if status.principal.is_empty() {
        body.push_str(
            "<p>Not renewed by the application: no kerberos_principal in its spec.</p>\n",
        );
    } else {
        let _ = writeln!(
            body,
            "<p>Renewed as <b>{}</b>: {} refreshes, last {}, next {}</p>",
            escape(&status.principal),
            status.refreshes,
            time(status.last_refresh),
            time(status.next_refresh)
        );
    }
    if !status.last_error.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"bad\">Last refresh failed: {}</p>",
            escape(&status.last_error)
        );
    }
    body.push_str(
        "<table>\n<thead><tr><th>Kind</th><th>Service</th><th>Renewer</th><th>Issued</th>\
         <th>Expires</th><th>Max lifetime</th></tr></thead>\n<tbody>\n",
    );
    for t in &status.tokens {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.kind),
            escape(&t.service),
            escape(&t.renewer),
            time(t.issue_date),
            time(t.expiry_date),
            time(t.max_date)
        );
    }
    body.push_str("</tbody>\n</table>\n</section>\n");
}

/// The key-value page (`/kv`): every key in order, values that are not UTF-8 as
/// [`BINARY_VALUE`].
pub(crate) fn kv_page(app_id: &str, pages: &[PageLink], items: &[KeyValue]) -> String {
    let mut body = String::from(
        "<table>\n<thead><tr><th>#</th><th>Key</th><th>Value</th></tr></thead>\n<tbody>\n",
    );
    for (i, kv) in items.iter().enumerate() {
        let value = std::str::from_utf8(&kv.value).unwrap_or(BINARY_VALUE);
        let _ = writeln!(
            body,
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            i + 1,
            escape(&kv.key),
            escape(value)
        );
    }
    body.push_str("</tbody>\n</table>\n");
    frame("Key/Value", app_id, "Key/Value", pages, &body)
}

/// A bare error page (`404 Not Found` and the like); `message` is escaped.
pub(crate) fn error_page(status: u16, reason: &str, message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{status} {reason}</title>\n</head>\n<body>\n<h2>HTTP ERROR {status} {reason}</h2>\n\
         <p>{}</p>\n</body>\n</html>\n",
        escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(service: &str, instance: i32, state: State) -> ContainerReport {
        let ran = !matches!(state, State::Waiting | State::Requested);
        ContainerReport {
            service: service.into(),
            instance,
            state,
            yarn_container_id: if ran {
                format!("container_1_0001_01_00000{}", instance + 2)
            } else {
                String::new()
            },
            yarn_node_http_address: if ran { "worker:8042".into() } else { "".into() },
            start_time: if ran { 10_000 } else { 0 },
            finish_time: if ran && state != State::Running {
                100_000
            } else {
                0
            },
            exit_message: String::new(),
            readiness: None,
        }
    }

    #[test]
    fn a_checked_running_container_says_whether_it_is_ready() {
        let row = |state, readiness| ContainerRow {
            id: "web_0".into(),
            state,
            runtime: None,
            logs: None,
            readiness,
        };
        let not_ready = skein_core::services::Readiness {
            ready: false,
            message: "tcp <host>:80: refused".into(),
        };
        assert_eq!(
            status_cell(&row("RUNNING", Some(not_ready.clone()))),
            "RUNNING (<span title=\"tcp &lt;host&gt;:80: refused\">not ready</span>)"
        );
        let ready = skein_core::services::Readiness {
            ready: true,
            message: String::new(),
        };
        assert_eq!(status_cell(&row("RUNNING", Some(ready))), "RUNNING (READY)");
        assert_eq!(status_cell(&row("FAILED", Some(not_ready))), "FAILED");
        assert_eq!(status_cell(&row("RUNNING", None)), "RUNNING");
    }

    fn links() -> LogLinks {
        LogLinks {
            scheme: "http://".into(),
            user: "testuser".into(),
        }
    }

    /// test_ui.py's application: an AM of 256 MiB with a master script and one service
    /// `simplehttp` of 32 MiB.
    fn test_ui_overview(containers: &[ContainerReport], progress: Option<f32>) -> Overview {
        let yaml = "name: test_webui\n\
                    master: {resources: {memory: 256, vcores: 1}, script: sleep infinity}\n\
                    services:\n  simplehttp: {resources: {memory: 32, vcores: 1}, script: x}\n";
        let spec = skein_core::spec::from_yaml_str(yaml, "ui.yaml", std::path::Path::new("/"))
            .expect("a valid spec");
        let logs = links();
        let (services, memory_mib, vcores) = summarize(&spec, containers, 70_000, &logs);
        Overview {
            app_id: "application_1_0001".into(),
            name: spec.name.clone(),
            user: "testuser".into(),
            am_logs: logs.url(
                "worker:8042",
                "container_1_0001_01_000001",
                "application.master.log",
            ),
            driver_logs: logs.url(
                "worker:8042",
                "container_1_0001_01_000001",
                "application.driver.log",
            ),
            memory_mib,
            vcores,
            runtime_ms: 125_000,
            progress,
            services,
            tokens: Default::default(),
        }
    }

    #[test]
    fn the_overview_shows_what_skeins_tests_look_for() {
        let page = overview_page(
            &test_ui_overview(&[container("simplehttp", 0, State::Running)], None),
            &[],
        );
        assert!(page.contains("Memory:</b> 288.0 MiB"), "{page}");
        assert!(page.contains("Cores:</b> 2"), "{page}");
        assert!(page.contains("Progress:</b> N/A"), "{page}");
        assert!(
            !page.contains("Delegation tokens"),
            "none without Kerberos: {page}"
        );
        assert!(page.contains("Runtime:</b> 2m 5s"), "{page}");
        assert!(page.contains("testuser/application.master.log"), "{page}");
        assert!(page.contains("testuser/application.driver.log"), "{page}");
        assert!(page.contains("/testuser/simplehttp.log"), "{page}");
        assert!(page.contains("simplehttp_0"), "{page}");
        assert!(page.contains("No service pages available"), "{page}");
        assert!(
            page.contains(
                "http://worker:8042/node/containerlogs/container_1_0001_01_000002/testuser/\
                 simplehttp.log?start=-4096"
            ),
            "{page}"
        );
    }

    #[test]
    fn services_count_their_containers_by_state() {
        let containers = [
            container("simplehttp", 0, State::Succeeded),
            container("simplehttp", 1, State::Killed),
            container("simplehttp", 2, State::Failed),
            container("simplehttp", 3, State::Running),
            container("simplehttp", 4, State::Running),
            container("simplehttp", 5, State::Requested),
            container("simplehttp", 6, State::Waiting),
        ];
        let overview = test_ui_overview(&containers, Some(0.25));
        let s = &overview.services[0];
        assert_eq!((s.running, s.succeeded, s.killed, s.failed), (2, 1, 1, 1));
        assert_eq!(s.pending.len(), 2);
        assert_eq!(s.pending[0].runtime, None);
        assert_eq!(s.pending[0].logs, None);
        assert_eq!(s.active[0].runtime.as_deref(), Some("1m 0s"));
        assert_eq!(s.completed[0].runtime.as_deref(), Some("1m 30s"));
        assert_eq!(s.completed[1].state, "KILLED");
        // Only running containers hold resources.
        assert_eq!((overview.memory_mib, overview.vcores), (256.0 + 64.0, 3));
        let page = overview_page(&overview, &[]);
        assert!(page.contains("Progress:</b> 25.0%"), "{page}");
        assert!(page.contains("simplehttp_6"), "{page}");
    }

    #[test]
    fn page_links_keep_the_trailing_slash_of_folder_targets() {
        let pages = [
            PageLink {
                name: "link 1".into(),
                route: "route-1/".into(),
            },
            PageLink {
                name: "link 3".into(),
                route: "route-3".into(),
            },
        ];
        let page = overview_page(&test_ui_overview(&[], None), &pages);
        assert!(page.contains("href=\"./pages/route-1/\""), "{page}");
        assert!(page.contains("href=\"./pages/route-3\""), "{page}");
        assert!(page.contains(">link 1<"), "{page}");
        assert!(!page.contains("No service pages available"), "{page}");
        let kv = kv_page("application_1_0001", &pages, &[]);
        assert!(kv.contains("href=\"./pages/route-3\""), "{kv}");
    }

    #[test]
    fn user_controlled_text_is_escaped() {
        let mut overview = test_ui_overview(&[], None);
        overview.name = "<script>alert('x')</script>".into();
        overview.user = "a&b".into();
        let evil = [PageLink {
            name: "<img src=x>".into(),
            route: "r\"><script>".into(),
        }];
        let page = overview_page(&overview, &evil);
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("a&amp;b"), "{page}");
        assert!(
            page.contains("href=\"./pages/r%22%3E%3Cscript%3E\""),
            "{page}"
        );
        let kv = kv_page(
            "application_1_0001",
            &[],
            &[KeyValue {
                key: "<k>".into(),
                value: b"\"v\" & <w>".to_vec(),
                ..Default::default()
            }],
        );
        assert!(kv.contains("&lt;k&gt;"), "{kv}");
        assert!(kv.contains("&quot;v&quot; &amp; &lt;w&gt;"), "{kv}");
        assert!(error_page(404, "Not Found", "<x>").contains("&lt;x&gt;"));
    }

    #[test]
    fn kv_values_that_are_not_utf8_are_shown_as_binary() {
        let items = [
            KeyValue {
                key: "foo".into(),
                value: b"bar".to_vec(),
                ..Default::default()
            },
            KeyValue {
                key: "bad".into(),
                value: vec![0o255, 0o255, 0o255],
                ..Default::default()
            },
        ];
        let page = kv_page("application_1_0001", &[], &items);
        assert!(page.contains("<td>foo</td><td>bar</td>"), "{page}");
        assert!(
            page.contains("<td>bad</td><td>&lt;binary value&gt;</td>"),
            "{page}"
        );
    }

    #[test]
    fn numbers_are_formatted_as_skein_does() {
        assert_eq!(format_memory(288.0), "288.0 MiB");
        assert_eq!(format_memory(2.0 * 2048.0 + 512.0 + 256.0), "4.8 GiB");
        assert_eq!(format_memory(3.0 * 1024.0 * 1024.0), "3.0 TiB");
        assert_eq!(format_progress(None), "N/A");
        assert_eq!(format_progress(Some(0.5)), "50.0%");
        assert_eq!(format_progress(Some(1.0)), "100.0%");
        assert_eq!(format_runtime(0), "0s");
        assert_eq!(format_runtime(-5), "0s");
        assert_eq!(format_runtime(204_000), "3m 24s");
        assert_eq!(format_runtime((2 * 3600 + 120) * 1000), "2h 2m");
        assert_eq!(format_runtime((26 * 3600) * 1000), "1d 2h");
    }

    #[test]
    fn the_overview_lists_the_tokens_and_their_renewal() {
        let mut overview = test_ui_overview(&[], None);
        overview.tokens = crate::proto::TokenStatus {
            principal: "alice@EXAMPLE.COM".into(),
            tokens: vec![crate::proto::DelegationTokenInfo {
                alias: "127.0.0.1:9000".into(),
                kind: "HDFS_DELEGATION_TOKEN".into(),
                service: "127.0.0.1:9000".into(),
                renewer: "alice".into(),
                issue_date: 1_796_220_000_000,
                expiry_date: 1_796_220_060_000,
                max_date: 1_796_220_180_000,
            }],
            last_refresh: 1_796_220_000_000,
            next_refresh: 1_796_220_045_000,
            last_error: "fetching new delegation tokens failed: <KDC>".into(),
            refreshes: 2,
        };
        let page = overview_page(&overview, &[]);
        for text in [
            "<h3>Delegation tokens</h3>",
            "Renewed as <b>alice@EXAMPLE.COM</b>: 2 refreshes, last 2026-12-02 14:00:00 UTC, \
             next 2026-12-02 14:00:45 UTC",
            "<td>HDFS_DELEGATION_TOKEN</td><td>127.0.0.1:9000</td><td>alice</td>\
             <td>2026-12-02 14:00:00 UTC</td><td>2026-12-02 14:01:00 UTC</td>\
             <td>2026-12-02 14:03:00 UTC</td>",
            "Last refresh failed: fetching new delegation tokens failed: &lt;KDC&gt;",
        ] {
            assert!(page.contains(text), "{text} missing in {page}");
        }
    }
}
