//! `skein application-master` (hidden): the ApplicationMaster, as YARN runs it in the AM
//! container (`./skein application-master ><LOG_DIR>/application.master.log 2>&1`).
//!
//! Exit codes: 0 success, the outcome's code (Skein's 10/11/12) on failure, 1 when the AM
//! could not run (no key pair, the shim died, registration failed). Fatal diagnostics also go
//! to `<LOG_DIR>/application.master.stderr`, a name the NodeManager's `*stderr*` pattern
//! matches, so YARN quotes them in the attempt's diagnostics.

use std::io::Write;
use std::process::ExitCode;

/// Runs the ApplicationMaster in the current folder until the application ends.
pub fn run() -> anyhow::Result<ExitCode> {
    // Logs go to stderr, which the AM command redirects to application.master.log.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SKEIN_LOG_LEVEL")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(e) => return Ok(fatal(&format!("{e:#}"))),
    };
    let result = runtime.block_on(async {
        let cwd = std::env::current_dir().map_err(|source| {
            crate::am::container::ContainerError::Am(crate::am::master::AmError::ReadSpec {
                path: ".".into(),
                source,
            })
        })?;
        crate::am::container::run_in_container(&cwd).await
    });
    // Helper tasks (a master script being stopped) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    Ok(match result {
        Ok(outcome) => {
            tracing::info!("Application master exiting with code {}", outcome.exit_code);
            ExitCode::from(u8::try_from(outcome.exit_code).unwrap_or(1))
        }
        Err(e) => fatal(&format!("The skein application master failed: {e}")),
    })
}

/// `skein token-agent` (hidden): [`crate::client::token_agent`] for this container, logging to
/// stderr (which the container's command redirects to `<LOG_DIR>/skein-token-agent.log`).
pub fn token_agent() -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .with_context(|| format!("{name} is not set: the token agent runs in a container"))
    };
    let address = var("SKEIN_APPMASTER_ADDRESS")?;
    let token_file = std::path::PathBuf::from(var("HADOOP_TOKEN_FILE_LOCATION")?);
    let credentials = super::default_credentials()?;
    super::runtime()?.block_on(crate::client::token_agent::run(
        address,
        credentials,
        token_file,
    ));
    Ok(ExitCode::SUCCESS)
}

fn fatal(diagnostic: &str) -> ExitCode {
    tracing::error!("{diagnostic}");
    if let Some(dir) = std::env::var("LOG_DIRS")
        .ok()
        .and_then(|d| d.split(',').next().map(str::to_string))
        .filter(|d| !d.is_empty())
    {
        let path = std::path::Path::new(&dir).join("application.master.stderr");
        if let Ok(mut f) = std::fs::File::create(path) {
            let _ = writeln!(f, "{diagnostic}");
        }
    }
    ExitCode::from(1)
}
