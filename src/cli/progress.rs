//! The live line `skein application submit` shows on a terminal while the driver stages and
//! submits (a large upload would otherwise look like a hang); nothing in pipes.
//!
//! The CLI names its submit with a random token in the call's metadata and asks the driver
//! for that submit's progress (`GetSubmitProgress`) while the call runs.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use tonic::transport::Channel;

use crate::driver::progress::TOKEN_HEADER;
use crate::proto::{self, driver_client::DriverClient};

/// How often the line is redrawn.
const REDRAW: Duration = Duration::from_millis(200);

/// Submits `spec`: its reply, with a live progress line on stderr when that is a terminal.
///
/// # Errors
/// The submit's status.
pub(crate) async fn submit(
    driver: &mut DriverClient<Channel>,
    spec: proto::ApplicationSpec,
) -> Result<proto::Application, tonic::Status> {
    let mut request = tonic::Request::new(spec);
    if !std::io::stderr().is_terminal() {
        return driver
            .submit(request)
            .await
            .map(tonic::Response::into_inner);
    }
    let token = new_token();
    if let Ok(value) = token.parse() {
        request.metadata_mut().insert(TOKEN_HEADER, value);
    }
    let mut poller = driver.clone();
    let started = Instant::now();
    let shown = tokio::spawn(async move {
        loop {
            tokio::time::sleep(REDRAW).await;
            let asked = proto::SubmitProgressRequest {
                token: token.clone(),
            };
            let now = match poller.get_submit_progress(asked).await {
                Ok(now) => now.into_inner(),
                // A driver without progress: the submit goes on without a line.
                Err(status) if status.code() == tonic::Code::Unimplemented => return,
                Err(_) => continue,
            };
            if let Some(line) = line(&now, started.elapsed()) {
                let mut stderr = std::io::stderr();
                let _ = write!(stderr, "\r\x1b[2K{line}");
                let _ = stderr.flush();
            }
        }
    });
    let reply = driver.submit(request).await;
    shown.abort();
    let _ = shown.await;
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "\r\x1b[2K");
    let _ = stderr.flush();
    reply.map(tonic::Response::into_inner)
}

/// 128 random bits in hex; a clock-based one if the system has no randomness to give.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The line for `now`, `elapsed` into the submit; none while the driver knows no such submit.
fn line(now: &proto::SubmitProgress, elapsed: Duration) -> Option<String> {
    if !now.known {
        return None;
    }
    let seconds = elapsed.as_secs();
    let what = match now.phase.as_str() {
        "prepare" => "Preparing the submission".to_string(),
        "upload" => {
            let (done, total) = (now.uploaded_bytes.max(0), now.total_bytes.max(0));
            let percent = if total > 0 { done * 100 / total } else { 100 };
            format!(
                "Uploading to HDFS: {} of {} ({percent}%)  {}",
                bytes(done),
                bytes(total),
                now.file
            )
        }
        "submit" => "Submitting to the ResourceManager".to_string(),
        _ => "Staging on HDFS".to_string(),
    };
    Some(format!("{what}  {seconds}s"))
}

/// `512 B`, `1.5 KiB`, `45.2 MiB`, `1.2 GiB`.
fn bytes(n: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(phase: &str, uploaded: i64, total: i64) -> proto::SubmitProgress {
        proto::SubmitProgress {
            known: true,
            phase: phase.into(),
            file: if phase == "upload" {
                "/data/model.bin".into()
            } else {
                String::new()
            },
            uploaded_bytes: uploaded,
            total_bytes: total,
        }
    }

    #[test]
    fn each_phase_has_its_line_and_uploads_count_bytes() {
        let t = Duration::from_millis(12_400);
        assert_eq!(
            line(&at("upload", 47_395_635, 157_286_400), t).as_deref(),
            Some("Uploading to HDFS: 45.2 MiB of 150.0 MiB (30%)  /data/model.bin  12s")
        );
        assert_eq!(
            line(&at("prepare", 0, 0), t).as_deref(),
            Some("Preparing the submission  12s")
        );
        assert_eq!(
            line(&at("stage", 0, 0), t).as_deref(),
            Some("Staging on HDFS  12s")
        );
        assert_eq!(
            line(&at("submit", 5, 5), t).as_deref(),
            Some("Submitting to the ResourceManager  12s")
        );
        assert_eq!(line(&proto::SubmitProgress::default(), t), None);
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn tokens_are_128_random_bits() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
