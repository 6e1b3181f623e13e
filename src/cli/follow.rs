//! `skein application logs --follow` and `skein container logs`: the logs of a running
//! application's containers as they are written, then, once it has ended, the rest from the
//! aggregated logs, each line once and in order.
//!
//! While the application runs, every second:
//!
//! 1. The containers come from its ApplicationMaster (`getContainers`, every state, so that
//!    containers started later are picked up) and the AM's own container from the
//!    ResourceManager's report.
//! 2. The log files of each container come from its NodeManager's web services
//!    (`/ws/v1/node/containers/<id>/logs`, with SPNEGO on Kerberos clusters).
//! 3. A file that grew is read from where the last complete line ended:
//!    `/ws/v1/node/containerlogs/<id>/<file>?size=-N` returns its last N bytes with the file's
//!    length (`LogLength`). When the file grew between the two calls, the read is repeated
//!    with the new length.
//! 4. Complete lines are printed with the container and the file in front:
//!    `counter_0 counter.log: line 5`.
//!
//! Once the application has ended, its aggregated logs are read from HDFS, and for every file
//! followed only what comes after the printed part is printed.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::Method;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::Hdfs;
use skein_hadoop::hdfs::aggregated_logs::{LogsError, read_application_log_files};
use skein_hadoop::security::{Auth, SecurityMode};
use skein_hadoop::yarn::ResourceManager;

use crate::proto;

/// How often the containers and their files are looked at.
const POLL: Duration = Duration::from_secs(1);
/// How long to wait for the aggregated logs after the application has ended.
const AGGREGATION_WAIT: Duration = Duration::from_secs(120);
/// Files of a container that are the NodeManager's, not the application's.
const NOT_LOGS: [&str; 2] = ["launch_container.sh", "directory.info"];

/// Which logs to follow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    /// Only this service's containers.
    pub service: Option<String>,
    /// Only this container (`service_instance`).
    pub container: Option<String>,
    /// Only this file (`stdout`, `<service>.log`, ...).
    pub log_file: Option<String>,
}

/// One container whose logs are followed.
#[derive(Debug, Clone)]
struct Followed {
    /// `service_instance`, or `application_master`.
    name: String,
    /// The NodeManager's web address (`host:port`).
    node_http: String,
}

/// Follows the logs of `app_id` until it has ended and its aggregated logs are printed; with
/// `once`, prints what there is now (live, or aggregated once ended) and returns.
pub(crate) fn follow(app_id: &str, selection: Selection, once: bool) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(follow_async(app_id, selection, once))
}

/// [`follow`] on the caller's runtime.
pub(crate) async fn follow_async(
    app_id: &str,
    selection: Selection,
    once: bool,
) -> anyhow::Result<ExitCode> {
    Follower::new(app_id, selection)?.run(once).await
}

struct Follower {
    app_id: String,
    selection: Selection,
    config: HadoopConfig,
    user: String,
    rm: ResourceManager,
    http: reqwest::Client,
    /// Containers by YARN container id.
    containers: BTreeMap<String, Followed>,
    /// Bytes printed (up to the end of a complete line) by container id and file.
    printed: BTreeMap<(String, String), u64>,
}

impl Follower {
    fn new(app_id: &str, selection: Selection) -> anyhow::Result<Self> {
        skein_hadoop::ensure_crypto_provider();
        let config = HadoopConfig::load()?;
        let user = skein_hadoop::conf::current_user();
        let rm = ResourceManager::from_config(&config, &user)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .context("cannot set up an HTTP client")?;
        Ok(Follower {
            app_id: app_id.to_string(),
            selection,
            config,
            user,
            rm,
            http,
            containers: BTreeMap::new(),
            printed: BTreeMap::new(),
        })
    }

    async fn run(mut self, once: bool) -> anyhow::Result<ExitCode> {
        use std::io::{IsTerminal, Write};
        let mut am: Option<proto::app_master_client::AppMasterClient<_>> = None;
        // On a terminal, until there is a container to follow, a live line says what the
        // application is doing; pipes get the logs alone.
        let mut waiting = !once && std::io::stderr().is_terminal();
        let started = std::time::Instant::now();
        loop {
            let app = self.rm.skein_application(&self.app_id).await?;
            if waiting && (app.state.is_terminal() || !self.containers.is_empty()) {
                waiting = false;
                eprint!("\r\x1b[2K");
            }
            if app.state.is_terminal() {
                break;
            }
            if waiting {
                eprint!(
                    "\r\x1b[2KWaiting for the containers of {} ({})  {}s",
                    self.app_id,
                    app.state,
                    started.elapsed().as_secs()
                );
                let _ = std::io::stderr().flush();
            }
            if !app.am_container_logs.is_empty() && self.wants_master() {
                self.add_master(&app.am_container_logs);
            }
            if am.is_none() && !app.am_rpc_address.is_empty() {
                am = super::appclient::connect(&self.app_id)
                    .await
                    .ok()
                    .map(|c| c.client);
            }
            if let Some(client) = am.as_mut() {
                match client
                    .get_containers(proto::ContainersRequest {
                        states: (0..=5).collect(),
                        services: Vec::new(),
                    })
                    .await
                {
                    Ok(reply) => self.add_containers(&reply.into_inner().containers),
                    // The AM is going away: the aggregated logs will have the rest.
                    Err(_) => am = None,
                }
            }
            let ids: Vec<String> = self.containers.keys().cloned().collect();
            for id in ids {
                if let Err(e) = self.poll_container(&id, once).await {
                    tracing::debug!("{id}: {e:#}");
                }
            }
            if once {
                return Ok(ExitCode::SUCCESS);
            }
            tokio::time::sleep(POLL).await;
        }
        self.finish_from_aggregated().await?;
        Ok(ExitCode::SUCCESS)
    }

    fn wants_master(&self) -> bool {
        self.selection.service.is_none()
            && self
                .selection
                .container
                .as_deref()
                .is_none_or(|c| c == "application_master")
    }

    /// The AM's container from its log link (`http://<node>/node/containerlogs/<id>/<user>`).
    fn add_master(&mut self, link: &str) {
        let Ok(url) = reqwest::Url::parse(link) else {
            return;
        };
        let (Some(host), Some(mut segments)) = (url.host_str(), url.path_segments()) else {
            return;
        };
        let node_http = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        if let Some(id) = segments.find(|s| s.starts_with("container_")) {
            self.containers
                .entry(id.to_string())
                .or_insert_with(|| Followed {
                    name: "application_master".into(),
                    node_http,
                });
        }
    }

    /// Whether the container called `name` (`service_instance`, `application_master`) is
    /// selected.
    fn wants_name(&self, name: &str) -> bool {
        if name == "application_master" {
            return self.wants_master();
        }
        let service = name.rsplit_once('_').map_or(name, |(s, _)| s);
        self.selection
            .service
            .as_deref()
            .is_none_or(|s| s == service)
            && self
                .selection
                .container
                .as_deref()
                .is_none_or(|n| n == name)
    }

    fn add_containers(&mut self, containers: &[proto::Container]) {
        for c in containers {
            let name = format!("{}_{}", c.service_name, c.instance);
            if self.wants_name(&name)
                && !c.yarn_container_id.is_empty()
                && !c.yarn_node_http_address.is_empty()
            {
                self.containers
                    .entry(c.yarn_container_id.clone())
                    .or_insert_with(|| Followed {
                        name,
                        node_http: c.yarn_node_http_address.clone(),
                    });
            }
        }
    }

    fn wants_file(&self, file: &str) -> bool {
        match &self.selection.log_file {
            Some(only) => only == file,
            None => !NOT_LOGS.contains(&file),
        }
    }

    /// Prints the new complete lines of every file of container `id` (with `all`, an
    /// incomplete last line too).
    async fn poll_container(&mut self, id: &str, all: bool) -> anyhow::Result<()> {
        let Some(followed) = self.containers.get(id).cloned() else {
            return Ok(());
        };
        for (file, size) in self.list_files(&followed.node_http, id).await? {
            if !self.wants_file(&file) {
                continue;
            }
            let key = (id.to_string(), file.clone());
            let printed = self.printed.get(&key).copied().unwrap_or(0);
            if size <= printed {
                continue;
            }
            let (start, bytes) = match self
                .read_from(&followed.node_http, id, &file, printed, size)
                .await
            {
                Ok(read) => read,
                Err(e) => {
                    // This file now; the others still, and this one at the next round.
                    tracing::debug!("{id} {file}: {e:#}");
                    continue;
                }
            };
            let complete = if all {
                bytes.len()
            } else {
                bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
            };
            if complete > 0 {
                print_lines(&followed.name, &file, &bytes[..complete])?;
                self.printed.insert(key, start + complete as u64);
            }
        }
        Ok(())
    }

    /// `(name, size)` of each log file of container `id` on its NodeManager.
    async fn list_files(&self, node: &str, id: &str) -> anyhow::Result<Vec<(String, u64)>> {
        #[derive(serde::Deserialize)]
        struct Listing {
            #[serde(rename = "containerLogsInfo")]
            info: LogsInfo,
        }
        #[derive(serde::Deserialize)]
        struct LogsInfo {
            #[serde(rename = "containerLogInfo", default)]
            files: Vec<FileInfo>,
        }
        #[derive(serde::Deserialize)]
        struct FileInfo {
            #[serde(rename = "fileName")]
            name: String,
            #[serde(rename = "fileSize")]
            size: String,
        }
        let url = format!("{}/ws/v1/node/containers/{id}/logs", self.node_base(node));
        let body = self.get(&url, &[], Some("application/json")).await?;
        let listing: Listing = serde_json::from_slice(&body)
            .with_context(|| format!("unexpected answer from {url}"))?;
        Ok(listing
            .info
            .files
            .into_iter()
            .filter_map(|f| f.size.parse().ok().map(|size| (f.name, size)))
            .collect())
    }

    /// The bytes of `file` from `from` to its end, as `(from, bytes)`; `from` is 0 again when
    /// the file is now shorter than what was printed (it was replaced).
    async fn read_from(
        &self,
        node: &str,
        id: &str,
        file: &str,
        from: u64,
        size: u64,
    ) -> anyhow::Result<(u64, Vec<u8>)> {
        let url = format!(
            "{}/ws/v1/node/containerlogs/{id}/{file}",
            self.node_base(node)
        );
        let mut wanted = size.saturating_sub(from);
        for _ in 0..5 {
            let tail = format!("-{wanted}");
            let body = self.get(&url, &[("size", tail.as_str())], None).await?;
            let (length, contents) = local_log_contents(&body, wanted)
                .with_context(|| format!("unexpected answer from {url}"))?;
            if length < from {
                return Ok((0, Vec::new()));
            }
            let start = length - contents.len() as u64;
            if start <= from {
                let skip = usize::try_from(from - start).unwrap_or(usize::MAX);
                return Ok((from, contents.get(skip..).unwrap_or_default().to_vec()));
            }
            // The file grew between the listing and the read: read again, all of the new part.
            wanted = length - from;
        }
        Ok((from, Vec::new()))
    }

    fn node_base(&self, node: &str) -> String {
        let https = self.config.get_or("yarn.http.policy", "HTTP_ONLY") == "HTTPS_ONLY";
        format!("{}://{node}", if https { "https" } else { "http" })
    }

    /// GET `url` with `query` as the NodeManager wants it: `user.name` in simple mode, SPNEGO
    /// with Kerberos; `accept` when the endpoint has several formats (the log contents have
    /// one, and refuse any other).
    async fn get(
        &self,
        url: &str,
        query: &[(&str, &str)],
        accept: Option<&str>,
    ) -> anyhow::Result<Vec<u8>> {
        let mut query = query.to_vec();
        if self.rm.auth().mode() == SecurityMode::Simple {
            query.push(("user.name", self.user.as_str()));
        }
        let mut request = self.http.request(Method::GET, url).query(&query);
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        let request = request.build()?;
        let auth: &Auth = self.rm.auth();
        let response = auth
            .send(&self.http, request)
            .await
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!(
                "{url}: HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            );
        }
        Ok(body.to_vec())
    }

    /// Prints what the aggregated logs have beyond what was printed live.
    async fn finish_from_aggregated(&mut self) -> anyhow::Result<()> {
        let app = self.rm.skein_application(&self.app_id).await?;
        let hdfs = Hdfs::connect(&self.config, &self.user)?;
        let started = Instant::now();
        let logs = loop {
            let read =
                read_application_log_files(&hdfs, &self.config, &app.user, &self.app_id).await;
            let waited_enough = started.elapsed() > AGGREGATION_WAIT;
            match read {
                Ok(logs) if waited_enough || self.aggregated_everything(&logs) => break logs,
                Err(LogsError::NotAggregated | LogsError::NoLogs) if waited_enough => {
                    eprintln!(
                        "No aggregated logs of {} after {AGGREGATION_WAIT:?}: is log \
                         aggregation on (yarn.log-aggregation-enable)?",
                        self.app_id
                    );
                    return Ok(());
                }
                Ok(_) | Err(LogsError::NotAggregated | LogsError::NoLogs) => {
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        // Containers never seen live (the application had ended, or they were short): their
        // names are in the scripts YARN launched them with.
        for ((id, file), bytes) in &logs {
            if file == "launch_container.sh"
                && !self.containers.contains_key(id)
                && let Some(name) = name_from_launch_script(bytes)
                && self.wants_name(&name)
            {
                self.containers.insert(
                    id.clone(),
                    Followed {
                        name,
                        node_http: String::new(),
                    },
                );
            }
        }
        for ((id, file), bytes) in logs {
            let Some(followed) = self.containers.get(&id) else {
                continue;
            };
            if !self.wants_file(&file) {
                continue;
            }
            let printed = self.printed.get(&(id.clone(), file.clone())).copied();
            let skip = usize::try_from(printed.unwrap_or(0)).unwrap_or(usize::MAX);
            let rest = bytes.get(skip..).unwrap_or_default();
            if !rest.is_empty() {
                print_lines(&followed.name, &file, rest)?;
            }
        }
        Ok(())
    }

    /// Whether the aggregated logs hold every container followed (a node's file may come
    /// later than another's).
    fn aggregated_everything(&self, logs: &BTreeMap<(String, String), Vec<u8>>) -> bool {
        self.containers
            .keys()
            .all(|id| logs.keys().any(|(container, _)| container == id))
    }
}

/// The name of a container from the script YARN started it with: `SKEIN_CONTAINER_ID` for a
/// service's, `application_master` for the AM's.
fn name_from_launch_script(script: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(script);
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("export SKEIN_CONTAINER_ID=") {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    text.contains("skein application-master")
        .then(|| "application_master".to_string())
}

/// The file's length and contents in a NodeManager's `containerlogs` answer for a local log:
/// a header ending in `LogLength:<n>` and `LogContents:`, then the last `min(wanted, n)`
/// bytes of the file, then a footer.
fn local_log_contents(body: &[u8], wanted: u64) -> Option<(u64, &[u8])> {
    let text_end = find(body, b"LogContents:\n")?;
    let header = std::str::from_utf8(&body[..text_end]).ok()?;
    let length: u64 = header
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("LogLength:"))?
        .trim()
        .parse()
        .ok()?;
    let start = text_end + b"LogContents:\n".len();
    let n = usize::try_from(wanted.min(length)).ok()?;
    let contents = body.get(start..start.checked_add(n)?)?;
    Some((length, contents))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Prints `bytes` with `name file: ` in front of each line (and a newline after an incomplete
/// last one).
fn print_lines(name: &str, file: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        out.write_all(format!("{name} {file}: ").as_bytes())?;
        out.write_all(line)?;
        if line.last() != Some(&b'\n') {
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_managers_answer_gives_the_length_and_the_tail() {
        let body = b"Container: container_1_0001_01_000002 on localhost:43865\n\
LogAggregationType: LOCAL\n====\nLogType:counter.log\n\
LogLastModifiedTime:Wed Dec 02 16:22:11 +0000 2026\nLogLength:792\nLogContents:\n\
line 99\nline 100\nEnd of LogType:counter.log.\n****\n\n";
        let (length, tail) = local_log_contents(body, 17).expect("parses");
        assert_eq!(length, 792);
        assert_eq!(tail, b"line 99\nline 100\n");
        // A file shorter than asked: all of it.
        let short = b"LogLength:4\nLogContents:\nab\nc\nEnd of LogType:x.\n";
        assert_eq!(local_log_contents(short, 100), Some((4, &b"ab\nc"[..])));
        assert_eq!(
            local_log_contents(b"java.lang.Exception: Unknown", 10),
            None
        );
    }

    #[test]
    fn containers_are_named_from_their_launch_scripts() {
        let service =
            b"#!/bin/bash\nexport SKEIN_CONTAINER_ID=\"counter_1\"\nexec /bin/bash -c x\n";
        assert_eq!(
            name_from_launch_script(service).as_deref(),
            Some("counter_1")
        );
        let master = b"exec /bin/bash -c \"./skein application-master >x 2>&1\"\n";
        assert_eq!(
            name_from_launch_script(master).as_deref(),
            Some("application_master")
        );
        assert_eq!(name_from_launch_script(b"exec /bin/bash -c other"), None);
    }
}
