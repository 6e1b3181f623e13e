//! `skein driver ...`: start, stop and locate the global driver; run a driver in the
//! foreground; the entry point Python Skein reaches through the Java shim.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::client::discovery::read_global_driver;
use crate::driver::control::{self, StartOptions, Started};
use crate::driver::daemon::serve;
use crate::driver::daemon::{ServeOptions, callback_port_from_env};
use crate::driver::jvm_compat::{self, JvmDriverArgs};
use crate::driver::logging::{
    LogLevel, driver_log_dir, init_stderr_and_file_logging, init_stderr_logging,
    log_level_from_java_args,
};
use crate::driver::sweeper::SweepPolicy;
use crate::driver::{ServiceConfig, service};
use crate::security::{Credentials, config_dir};

/// `skein driver` subcommands.
#[derive(Debug, Subcommand)]
pub enum DriverCommand {
    /// Start the skein driver (prints its address; does nothing if it already runs)
    Start(StartArgs),
    /// Stop the skein driver
    Stop {
        /// Stop the process associated with the driver PID, even if unable to verify it
        /// corresponds to a skein driver
        #[arg(short, long)]
        force: bool,
    },
    /// Restart the skein driver
    Restart(StartArgs),
    /// The address of the running driver
    Address,
    /// The pid of the running driver
    Pid,
    /// Run a driver in the foreground, logging to stderr
    ///
    /// With --global it becomes the global driver (writes the driver file, runs until
    /// SIGTERM); otherwise it must be launched with SKEIN_CALLBACK_PORT set, as clients do.
    /// Credentials come from SKEIN_CERTIFICATE/SKEIN_KEY, else the configuration directory.
    Serve(ServeArgs),
    /// Write a JAVA_HOME whose bin/java runs this driver for the unchanged Python client
    ///
    /// Afterwards, `export JAVA_HOME=DIR PATH=DIR/bin:$PATH` makes `skein.Client()` (and
    /// dask-yarn) start the skein-rs driver. See docs/python-interop.md.
    InstallPythonShim {
        /// Directory to write bin/java and bin/yarn into
        dir: PathBuf,
        /// The real java for other Java programs (default: $JAVA_HOME/bin/java or PATH)
        #[arg(long, value_name = "PATH")]
        java: Option<PathBuf>,
        /// The real yarn for other yarn commands (default: from PATH)
        #[arg(long, value_name = "PATH")]
        yarn: Option<PathBuf>,
    },
    /// Run as Python Skein's Java driver: `skein driver jvm-compat -- <java arguments>`
    #[command(hide = true)]
    JvmCompat {
        /// The arguments Python passed to java
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        java_args: Vec<String>,
    },
}

/// Options of `skein driver start` / `restart` (Python Skein's flags).
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Path to a keytab file to use when starting the driver. If not provided, the driver
    /// will login using the ticket cache instead.
    #[arg(long, value_name = "PATH")]
    keytab: Option<PathBuf>,
    /// The principal to use when starting the driver with a keytab.
    #[arg(long)]
    principal: Option<String>,
    /// If provided, the driver will write logs here.
    #[arg(long, value_name = "LOG")]
    log: Option<PathBuf>,
    /// The driver log level, default is INFO (or $SKEIN_LOG_LEVEL)
    #[arg(long)]
    log_level: Option<LogLevel>,
    /// Accepted for compatibility; only -Dskein.log.level=LEVEL has an effect.
    #[arg(long = "java-option", value_name = "OPT", allow_hyphen_values = true)]
    java_options: Vec<String>,
    /// Serve Prometheus metrics at http://ADDRESS/metrics (e.g. 127.0.0.1:9464)
    #[arg(long, value_name = "ADDRESS")]
    metrics_address: Option<std::net::SocketAddr>,
}

/// Options of `skein driver serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Be the global driver: write the driver file, run until SIGTERM
    #[arg(long)]
    global: bool,
    /// Keep running when stdin closes (implied by --global)
    #[arg(long)]
    daemon: bool,
    /// Log level, default is INFO (or $SKEIN_LOG_LEVEL)
    #[arg(long)]
    log_level: Option<LogLevel>,
    /// Keytab to log in with (with --principal)
    #[arg(long, value_name = "PATH", requires = "principal")]
    keytab: Option<PathBuf>,
    /// Principal for --keytab
    #[arg(long, requires = "keytab")]
    principal: Option<String>,
    /// Serve Prometheus metrics at http://ADDRESS/metrics (e.g. 127.0.0.1:9464)
    #[arg(long, value_name = "ADDRESS")]
    metrics_address: Option<std::net::SocketAddr>,
}

/// Runs a `skein driver` subcommand.
///
/// # Errors
/// Any failure, for printing as `Error: ...`.
pub fn run(command: DriverCommand) -> anyhow::Result<ExitCode> {
    match command {
        DriverCommand::Start(args) => {
            println!("{}", start(&args)?);
        }
        DriverCommand::Stop { force } => stop(force)?,
        DriverCommand::Restart(args) => {
            stop(false)?;
            println!("{}", start(&args)?);
        }
        DriverCommand::Address => println!("{}", running_driver()?.address),
        DriverCommand::Pid => println!("{}", running_driver()?.pid),
        DriverCommand::Serve(args) => serve_foreground(args)?,
        DriverCommand::InstallPythonShim { dir, java, yarn } => {
            let skein = std::env::current_exe().context("cannot locate the skein executable")?;
            let shim = jvm_compat::install_python_shim(&dir, &skein, java, yarn)
                .with_context(|| format!("cannot write the shim into '{}'", dir.display()))?;
            println!("Wrote {} and {}", shim.java.display(), shim.yarn.display());
            if shim.real_java.is_none() {
                eprintln!("Warning: no real java found; other Java programs will fail (--java)");
            }
            println!(
                "Use it with: export JAVA_HOME={0} PATH={0}/bin:$PATH",
                dir.display()
            );
        }
        DriverCommand::JvmCompat { java_args } => jvm_compat_driver(&java_args)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The global driver of the driver file, if its process lives.
fn running_driver() -> anyhow::Result<crate::client::discovery::GlobalDriver> {
    let dir = config_dir()?;
    let driver = read_global_driver(&dir).context("No skein driver is running")?;
    if !control::pid_exists(driver.pid) {
        bail!(
            "No skein driver is running: the driver recorded in '{}' (PID {}, {}) exited or \
             was killed; see its log in '{}', then start it again with `skein driver start`",
            crate::client::discovery::driver_file(&dir).display(),
            driver.pid,
            driver.address,
            driver_log_dir(&dir).display()
        );
    }
    Ok(driver)
}

/// `--log-level`, else `$SKEIN_LOG_LEVEL`, else INFO; a `-Dskein.log.level` among the Java
/// options wins, as it comes last on Python's java command line.
fn start_log_level(args: &StartArgs) -> anyhow::Result<LogLevel> {
    if let Some(level) = log_level_from_java_args(args.java_options.iter().map(String::as_str)) {
        return Ok(level?);
    }
    level_or_env(args.log_level)
}

fn level_or_env(level: Option<LogLevel>) -> anyhow::Result<LogLevel> {
    match (level, std::env::var("SKEIN_LOG_LEVEL")) {
        (Some(level), _) => Ok(level),
        (None, Ok(text)) if !text.is_empty() => Ok(text
            .parse::<LogLevel>()
            .context("invalid SKEIN_LOG_LEVEL")?),
        _ => Ok(LogLevel::Info),
    }
}

fn start(args: &StartArgs) -> anyhow::Result<String> {
    let dir = config_dir()?;
    let credentials = super::default_credentials()?;
    let options = StartOptions {
        program: std::env::current_exe().context("cannot locate the skein executable")?,
        log: args.log.clone(),
        log_level: start_log_level(args)?,
        keytab: args.keytab.clone(),
        principal: args.principal.clone(),
        metrics_address: args.metrics_address,
    };
    let started =
        super::runtime()?.block_on(control::start_global_driver(&dir, &credentials, &options))?;
    if let Started::New {
        replaced: Some(dead),
        ..
    } = &started
    {
        eprintln!(
            "Warning: Previous driver at {}, PID {} has died. Restarting.",
            dead.address, dead.pid
        );
    }
    Ok(started.address().to_string())
}

fn stop(force: bool) -> anyhow::Result<()> {
    let dir = config_dir()?;
    if read_global_driver(&dir).is_none() {
        return Ok(());
    }
    let credentials = super::default_credentials()?;
    super::runtime()?.block_on(control::stop_global_driver(&dir, &credentials, force))?;
    Ok(())
}

/// Credentials handed over by the launching client, else the default ones.
fn daemon_credentials() -> anyhow::Result<Credentials> {
    match Credentials::from_env()? {
        Some(credentials) => Ok(credentials),
        None => super::default_credentials(),
    }
}

fn serve_foreground(args: ServeArgs) -> anyhow::Result<()> {
    let level = level_or_env(args.log_level)?;
    if args.global {
        // The global driver always keeps a log under the configuration folder.
        if let Err(e) = init_stderr_and_file_logging(level, &driver_log_dir(&config_dir()?)) {
            init_stderr_logging(level);
            tracing::warn!("{e}; logging to stderr only");
        }
    } else {
        init_stderr_logging(level);
    }
    let config = ServiceConfig {
        keytab: args.keytab,
        principal: args.principal,
    };
    // SAFETY: nothing has started a thread yet (logging does not, the runtime comes later).
    let login = unsafe { crate::driver::login(&config) }?;
    let result = serve_with_login(
        args.global,
        args.daemon,
        args.metrics_address,
        &config,
        &login,
    );
    login.cleanup();
    result
}

fn serve_with_login(
    global: bool,
    daemon: bool,
    metrics_address: Option<std::net::SocketAddr>,
    config: &ServiceConfig,
    login: &crate::driver::DriverLogin,
) -> anyhow::Result<()> {
    let credentials = daemon_credentials()?;
    let callback = callback_port_from_env()?;
    let options = if global {
        let dir = config_dir()?;
        refuse_if_a_global_driver_answers(&dir, &credentials)?;
        ServeOptions::global(dir).with_callback(callback)
    } else {
        match callback {
            Some(port) => ServeOptions::spawned(port, daemon),
            None => bail!(
                "`skein driver serve` needs --global, or SKEIN_CALLBACK_PORT set by a launching \
                 client; to run the global driver use `skein driver serve --global`"
            ),
        }
    };
    let options = options.with_metrics(metrics_address);
    // A private driver that serves one CLI command does not sweep; long-lived ones do.
    let sweep = global || daemon;
    serve_and_sweep(
        service(config, login, &credentials),
        options,
        &credentials,
        sweep,
    )
}

/// Serves `driver`, with the staging sweeper running beside it if `sweep`.
fn serve_and_sweep(
    driver: crate::driver::service::YarnDriver,
    options: ServeOptions,
    credentials: &Credentials,
    sweep: bool,
) -> anyhow::Result<()> {
    super::runtime()?.block_on(async {
        let sweeper = sweep
            .then(SweepPolicy::from_env)
            .flatten()
            .and_then(|policy| driver.spawn_staging_sweeper(policy));
        let gauge = options
            .metrics_address
            .and_then(|_| driver.spawn_application_gauge(crate::metrics::enable_driver()));
        let served = serve(driver, options, credentials).await;
        for task in [sweeper, gauge].into_iter().flatten() {
            task.abort();
        }
        served
    })?;
    Ok(())
}

/// Two global drivers would fight over the driver file; the one that answers stays.
fn refuse_if_a_global_driver_answers(
    dir: &std::path::Path,
    credentials: &Credentials,
) -> anyhow::Result<()> {
    let Some(existing) = read_global_driver(dir) else {
        return Ok(());
    };
    let alive = super::runtime()?
        .block_on(crate::client::ping_driver(&existing.address, credentials))
        .is_ok();
    if alive {
        bail!(
            "a global skein driver is already running at {} (PID {}); stop it first with \
             `skein driver stop`",
            existing.address,
            existing.pid
        );
    }
    Ok(())
}

fn jvm_compat_driver(java_args: &[String]) -> anyhow::Result<()> {
    let args = JvmDriverArgs::parse(java_args)?;
    init_stderr_logging(args.log_level);
    tracing::debug!(?java_args, "started by a java command line");
    if !args.ignored_jvm_options.is_empty() {
        tracing::debug!(options = ?args.ignored_jvm_options, "ignoring JVM options");
    }
    let config = ServiceConfig {
        keytab: args.keytab.clone(),
        principal: args.principal.clone(),
    };
    // SAFETY: nothing has started a thread yet (logging does not, the runtime comes later).
    let login = unsafe { crate::driver::login(&config) }?;
    let result = jvm_compat_serve(&args, &config, &login);
    login.cleanup();
    result
}

fn jvm_compat_serve(
    args: &JvmDriverArgs,
    config: &ServiceConfig,
    login: &crate::driver::DriverLogin,
) -> anyhow::Result<()> {
    let credentials = Credentials::from_env()?.context(
        "SKEIN_CERTIFICATE and SKEIN_KEY must be set by the launching client (Python Skein does)",
    )?;
    let port = callback_port_from_env()?
        .context("SKEIN_CALLBACK_PORT must be set by the launching client (Python Skein does)")?;
    let options = ServeOptions::spawned(port, args.daemon);
    // Python's clients keep their driver for as long as they live.
    serve_and_sweep(
        service(config, login, &credentials),
        options,
        &credentials,
        true,
    )
}
