//! The master script ("application driver", Skein's name): `spec.master.script`, run by the AM
//! next to itself once registered, whose exit decides the application's final status.
//!
//! Written to `.skein.sh` in the AM's working folder (where `.skein.crt`/`.skein.pem` are
//! already localized, so `ApplicationClient.from_current()` works), run as `bash .skein.sh` with
//! stdout and stderr to `<LOG_DIR>/application.driver.log`. Its environment is the AM's
//! (which holds the master's `env`) plus Skein's variables, minus the shim's `CLASSPATH`.

use std::path::{Path, PathBuf};

use crate::am::master::AppMaster;
use skein_core::services::FinalStatus;
use skein_core::spec::Resources;

/// Diagnostics when the script exits 0.
pub(crate) const DRIVER_SUCCEEDED: &str = "Application driver completed successfully.";
/// Exit code of the AM when the script fails (Skein's).
pub(crate) const DRIVER_FAILED_EXIT_CODE: i32 = 11;

/// Where and how to run the script.
#[derive(Debug, Clone)]
pub(crate) struct MasterScript {
    /// The script text.
    pub script: String,
    /// The AM's working folder.
    pub working_dir: PathBuf,
    /// The container's first log folder.
    pub log_dir: PathBuf,
    /// Variables added to the AM's environment.
    pub env: Vec<(String, String)>,
}

/// The application's final status and diagnostics after the script exited with `code`.
pub(crate) fn driver_outcome(code: i32) -> (FinalStatus, String) {
    match code {
        0 => (FinalStatus::Succeeded, DRIVER_SUCCEEDED.to_string()),
        143 => (
            FinalStatus::Failed,
            "Application driver failed with exit code 143. This is often due to the \
             application master memory limit being exceeded. See the diagnostics for more \
             information."
                .to_string(),
        ),
        n => (
            FinalStatus::Failed,
            format!("Application driver failed with exit code {n}, see logs for more information."),
        ),
    }
}

/// The AM container's own allocation, as its NodeManager reports it
/// (`http://$NM_HOST:$NM_HTTP_PORT/ws/v1/node/containers/$CONTAINER_ID`): YARN rounds requests
/// up to the scheduler's increments, and Skein gives the master script what was allocated.
/// `None` when the NodeManager cannot tell (then the spec's request stands).
pub(crate) async fn own_allocation() -> Option<Resources> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        container: NmContainer,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct NmContainer {
        #[serde(rename = "totalMemoryNeededMB")]
        total_memory_needed_mb: i64,
        total_v_cores_needed: i64,
    }
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    let url = format!(
        "http://{}:{}/ws/v1/node/containers/{}",
        var("NM_HOST")?,
        var("NM_HTTP_PORT")?,
        var("CONTAINER_ID")?
    );
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .no_proxy()
        .build()
        .ok()?;
    let mut request = client
        .get(&url)
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(user) = var("USER") {
        request = request.query(&[("user.name", user)]);
    }
    let answer = async {
        request
            .send()
            .await?
            .error_for_status()?
            .json::<Envelope>()
            .await
    };
    match answer.await {
        Ok(Envelope { container }) => Some(Resources {
            memory: i32::try_from(container.total_memory_needed_mb).ok()?,
            vcores: i32::try_from(container.total_v_cores_needed).ok()?,
            gpus: 0,
            fpgas: 0,
        }),
        Err(e) => {
            tracing::warn!(
                "the NodeManager did not report this container's resources ({url}): {e}"
            );
            None
        }
    }
}

/// Skein's variables for the script: `SKEIN_APPMASTER_ADDRESS`, `SKEIN_APPLICATION_ID` and
/// the AM container's resources.
pub(crate) fn skein_env(
    appmaster_address: &str,
    application_id: &str,
    resources: Option<&Resources>,
) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "SKEIN_APPMASTER_ADDRESS".to_string(),
            appmaster_address.to_string(),
        ),
        (
            "SKEIN_APPLICATION_ID".to_string(),
            application_id.to_string(),
        ),
    ];
    if let Some(r) = resources {
        env.push(("SKEIN_RESOURCE_MEMORY".into(), r.memory.to_string()));
        env.push(("SKEIN_RESOURCE_VCORES".into(), r.vcores.to_string()));
    }
    env
}

/// Runs the script once `am` is registered, and ends the application with its exit status.
/// Stops the script (SIGTERM to its process group) when the application ends first.
pub async fn run(am: AppMaster, script: MasterScript) {
    am.registered().await;
    let code = match spawn(&script) {
        Ok(mut child) => {
            tokio::select! {
                status = child.wait() => match status {
                    Ok(status) => exit_code(status),
                    Err(e) => {
                        tracing::error!("waiting for the application driver failed: {e}");
                        1
                    }
                },
                () = am.decided() => {
                    stop(&mut child).await;
                    return;
                }
            }
        }
        Err(e) => {
            tracing::error!("cannot start the application driver: {e}");
            1
        }
    };
    tracing::info!("Application driver exited with code {code}");
    let (status, diagnostics) = driver_outcome(code);
    let exit = if code == 0 {
        0
    } else {
        DRIVER_FAILED_EXIT_CODE
    };
    am.end(status, &diagnostics, exit);
}

fn spawn(script: &MasterScript) -> std::io::Result<tokio::process::Child> {
    let path = script.working_dir.join(".skein.sh");
    std::fs::write(&path, &script.script)?;
    let log = std::fs::File::create(script.log_dir.join("application.driver.log"))?;
    let mut command = tokio::process::Command::new("bash");
    command
        .arg(".skein.sh")
        .current_dir(&script.working_dir)
        .env_remove("CLASSPATH")
        .envs(script.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group, so stopping it reaches what it started too.
        .process_group(0)
        .kill_on_drop(true);
    tracing::info!("Starting application driver");
    command.spawn()
}

/// Exit code as a shell reports it (128 + signal when killed by one).
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

async fn stop(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) on the process group this module created; no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
    }
    if tokio::time::timeout(std::time::Duration::from_secs(5), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

/// The first entry of `$LOG_DIRS` (YARN's container log folders), else the working folder.
pub(crate) fn first_log_dir(working_dir: &Path) -> PathBuf {
    std::env::var("LOG_DIRS")
        .ok()
        .and_then(|d| d.split(',').next().map(str::to_string))
        .filter(|d| !d.is_empty())
        .map_or_else(|| working_dir.to_path_buf(), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_exit_code_decides_the_status() {
        assert_eq!(
            driver_outcome(0),
            (FinalStatus::Succeeded, DRIVER_SUCCEEDED.to_string())
        );
        let (status, text) = driver_outcome(143);
        assert_eq!(status, FinalStatus::Failed);
        assert!(text.contains("application master memory limit"));
        assert_eq!(
            driver_outcome(3).1,
            "Application driver failed with exit code 3, see logs for more information."
        );
    }
}
