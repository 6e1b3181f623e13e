//! `skein-am`: the ApplicationMaster entry point, until the `skein` CLI grows its internal
//! application-master subcommand (then this file goes and the driver stages `skein` itself).
//!
//! Run by YARN in the AM container, in the folder holding `.skein.proto` and the shim jar (on
//! `CLASSPATH` as `./*`). Exit codes: 0 success, the outcome's code (Skein's 10/11/12) on
//! failure, 1 when the shim died or registration failed. Fatal diagnostics also go to
//! `<LOG_DIR>/application.master.stderr`, a name the NodeManager's `*stderr*` pattern matches,
//! so YARN quotes them in the attempt's diagnostics.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    skein::ensure_crypto_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SKEIN_LOG_LEVEL")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        let cwd = std::env::current_dir().map_err(|source| skein::am::AmError::ReadSpec {
            path: ".".into(),
            source,
        })?;
        let config = skein::am::AmConfig::from_container_env(&cwd)?;
        skein::am::run_application_master(config).await
    });
    match result {
        Ok(outcome) => {
            tracing::info!("Application master exiting with code {}", outcome.exit_code);
            ExitCode::from(u8::try_from(outcome.exit_code).unwrap_or(1))
        }
        Err(e) => fatal(&format!("The skein application master failed: {e}")),
    }
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
