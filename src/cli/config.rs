//! `skein config ...`: the configuration directory (`$SKEIN_CONFIG` or `~/.skein`).

use std::process::ExitCode;

use clap::Subcommand;

use crate::security::{Credentials, config_dir};

/// `skein config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Generate security credentials. Creates a self-signed TLS key/certificate pair for
    /// securing Skein communication, and writes it to the skein configuration directory
    /// ("~/.skein/" by default, or $SKEIN_CONFIG).
    Gencerts {
        /// Overwrite existing configuration
        #[arg(short, long)]
        force: bool,
    },
    /// Print where skein finds its parts: the configuration folder, this binary, the Java shim
    /// jar applications get, and the Hadoop configuration
    Paths,
}

/// Runs a `skein config` subcommand.
///
/// # Errors
/// Any failure, for printing as `Error: ...`.
pub fn run(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Paths => {
            let shim = match crate::driver::submit::find_shim_jar() {
                Ok(path) => std::fs::canonicalize(&path)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
                Err(e) => format!("not found: {e}"),
            };
            let hadoop = match skein_hadoop::conf::HadoopConfig::load() {
                Ok(_) => std::env::var("HADOOP_CONF_DIR").unwrap_or_else(|_| "found".into()),
                Err(e) => format!("not found: {e}"),
            };
            println!("config:   {}", config_dir()?.display());
            println!(
                "binary:   {}",
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|e| format!("unknown: {e}"))
            );
            println!("shim jar: {shim}");
            println!("hadoop:   {hadoop}");
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Gencerts { force } => {
            let dir = config_dir()?;
            Credentials::generate()?.write_to_directory(&dir, force)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
