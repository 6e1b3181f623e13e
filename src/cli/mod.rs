//! The `skein` command-line tool: clap definitions and dispatch, one file per command group.
//!
//! Errors are printed as `Error: <message>` on stderr with exit status 1, as Python Skein
//! does; `anyhow` context is added here, at the edge, and nowhere in the library.

pub(crate) mod appclient;
pub mod application;
pub(crate) mod appmaster;
pub mod completion;
pub mod config;
pub mod container;
pub mod driver;
pub(crate) mod follow;
pub mod kv;
pub(crate) mod lifetime;
pub mod output;
pub(crate) mod progress;
pub mod spec;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Deploy applications described by YAML specs on Hadoop YARN (skein-rs).
#[derive(Debug, Parser)]
#[command(name = "skein", version, about, propagate_version = true)]
pub struct Cli {
    /// The command group to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage applications
    #[command(subcommand)]
    Application(application::ApplicationCommand),
    /// Inspect the cluster's nodes
    #[command(subcommand)]
    Node(application::NodeCommand),
    /// Inspect the scheduler's queues
    #[command(subcommand)]
    Queue(application::QueueCommand),
    /// Manage the global driver
    #[command(subcommand)]
    Driver(driver::DriverCommand),
    /// Manage configuration
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Validate application specifications, print their JSON Schema
    #[command(subcommand)]
    Spec(spec::SpecCommand),
    /// Manage an application's containers
    #[command(subcommand)]
    Container(container::ContainerCommand),
    /// Manage an application's key-value store
    #[command(subcommand)]
    Kv(kv::KvCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion {
        /// The shell, e.g. `source <(skein completion bash)`
        shell: clap_complete::Shell,
    },
    /// Print the man page, or write every command's page into a folder
    Man {
        /// Write skein.1 and a page per subcommand into this folder
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Run the ApplicationMaster (in the AM container, started by YARN)
    #[command(hide = true)]
    ApplicationMaster,
    /// Keep this container's token file up to date (beside a service's script, for
    /// applications with a kerberos_principal)
    #[command(hide = true)]
    TokenAgent,
}

/// Parses the process arguments, runs the command and returns the exit status.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Application(command) => application::run(command),
        Command::Node(command) => application::run_node(command),
        Command::Queue(command) => application::run_queue(command),
        Command::Driver(command) => driver::run(command),
        Command::Config(command) => config::run(command),
        Command::Spec(command) => spec::run(command),
        Command::Container(command) => container::run(command),
        Command::Kv(command) => kv::run(command),
        Command::Completion { shell } => completion::completion(shell),
        Command::Man { out } => completion::man(out),
        Command::ApplicationMaster => appmaster::run(),
        Command::TokenAgent => appmaster::token_agent(),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A Tokio runtime sized for a CLI or a daemon on a small machine.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Debug builds (`make demo`, the tests) poll deep async call chains with unoptimised
        // frames; 8 MiB (of address space, mostly never touched) keeps them off the guard page.
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Loads the default credentials, printing Skein's warning when they were just created.
pub(crate) fn default_credentials() -> anyhow::Result<crate::security::Credentials> {
    let loaded = crate::security::Credentials::from_default()?;
    if let Some(warning) = loaded.warning() {
        eprintln!("Warning: {warning}");
    }
    Ok(loaded.credentials)
}
