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
}

/// Runs a `skein config` subcommand.
///
/// # Errors
/// Any failure, for printing as `Error: ...`.
pub fn run(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Gencerts { force } => {
            let dir = config_dir()?;
            Credentials::generate()?.write_to_directory(&dir, force)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
