//! Readiness checks of running containers (a service's `readiness` in the spec): one task per
//! started container probes it on its NodeManager's host — a TCP connection, or an HTTP GET
//! answered 2xx or 3xx — and tells the service state machine when it becomes READY or stops
//! being ready. The task ends when its container no longer runs.

use std::time::Duration;

use skein_core::spec::{Readiness, ReadinessProbe};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest HTTP status line read (`HTTP/1.1 200 OK`).
const STATUS_LINE_LIMIT: usize = 256;

/// Consecutive results of a container's checks, and what they make of it.
#[derive(Debug, Default)]
pub(crate) struct Streak {
    ready: bool,
    successes: u32,
    failures: u32,
}

impl Streak {
    /// Counts one check; returns the container's new readiness when it changes.
    pub(crate) fn record(&mut self, passed: bool, readiness: &Readiness) -> Option<bool> {
        if passed {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
            if !self.ready && self.successes >= readiness.success_threshold {
                self.ready = true;
                return Some(true);
            }
        } else {
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
            if self.ready && self.failures >= readiness.failure_threshold {
                self.ready = false;
                return Some(false);
            }
        }
        None
    }

    /// Whether the container counts as ready.
    pub(crate) fn ready(&self) -> bool {
        self.ready
    }
}

/// Probes `host` once as `probe` says, within `timeout`; the error says why it failed.
pub(crate) async fn probe(
    host: &str,
    probe: &ReadinessProbe,
    timeout: Duration,
) -> Result<(), String> {
    let attempt = async {
        match probe {
            ReadinessProbe::Tcp { port } => TcpStream::connect((host, *port))
                .await
                .map(|_| ())
                .map_err(|e| format!("tcp {host}:{port}: {e}")),
            ReadinessProbe::Http { port, path } => http_get(host, *port, path).await,
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", timeout.as_millis())))
}

/// `GET path` over HTTP/1.0; a 2xx or 3xx status passes.
async fn http_get(host: &str, port: u16, path: &str) -> Result<(), String> {
    let url = format!("http://{host}:{port}{path}");
    let mut stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: skein-am\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 64];
    while !head.contains(&b'\n') && head.len() < STATUS_LINE_LIMIT {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or("").trim();
    let status: Option<u16> = line.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    match status {
        Some(code) if (200..400).contains(&code) => Ok(()),
        Some(_) => Err(format!("{url} answered {line}")),
        None => Err(format!("{url} did not answer HTTP: {line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(success_threshold: u32, failure_threshold: u32) -> Readiness {
        Readiness {
            success_threshold,
            failure_threshold,
            ..Readiness::new(ReadinessProbe::Tcp { port: 1 })
        }
    }

    #[test]
    fn thresholds_count_results_in_a_row() {
        let r = check(2, 2);
        let mut s = Streak::default();
        assert_eq!(s.record(true, &r), None);
        assert_eq!(s.record(false, &r), None, "a failure resets the successes");
        assert_eq!(s.record(true, &r), None);
        assert_eq!(s.record(true, &r), Some(true));
        assert!(s.ready());
        assert_eq!(s.record(false, &r), None);
        assert_eq!(s.record(true, &r), None, "a success resets the failures");
        assert_eq!(s.record(false, &r), None);
        assert_eq!(s.record(false, &r), Some(false));
        assert!(!s.ready());
    }

    #[tokio::test]
    async fn tcp_and_http_probes_pass_only_on_a_listening_port_and_a_good_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let server = tokio::spawn(async move {
            for status in ["200 OK", "503 Service Unavailable"] {
                let (mut stream, _) = listener.accept().await.expect("accept");
                let mut request = [0u8; 512];
                let _ = stream.read(&mut request).await;
                let reply = format!("HTTP/1.0 {status}\r\nContent-Length: 0\r\n\r\n");
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        let second = Duration::from_secs(5);
        let http = ReadinessProbe::Http {
            port,
            path: "/health".into(),
        };
        assert_eq!(probe("127.0.0.1", &http, second).await, Ok(()));
        let refused = probe("127.0.0.1", &http, second).await.expect_err("503");
        assert!(refused.contains("answered HTTP/1.0 503"), "{refused}");
        server.await.expect("server");
        // Nobody listens there any more.
        let closed = probe("127.0.0.1", &ReadinessProbe::Tcp { port }, second).await;
        assert!(closed.is_err_and(|e| e.starts_with(&format!("tcp 127.0.0.1:{port}: "))));
    }
}
