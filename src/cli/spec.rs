//! `skein spec validate FILE...` and `skein spec schema`: check specs without a cluster, and
//! give editors a JSON Schema to complete and check them with.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

/// Application specification tools.
#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Validate specs: print each one normalized (defaults filled in), or every error found
    Validate {
        /// Spec files (.yaml, .yml or .json)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the application specification
    Schema,
}

/// Runs a `skein spec` command.
pub fn run(command: SpecCommand) -> anyhow::Result<ExitCode> {
    match command {
        SpecCommand::Validate { files } => {
            let (stdout, stderr, ok) = skein_core::spec::validate_files(&files);
            print!("{stdout}");
            eprint!("{stderr}");
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        SpecCommand::Schema => {
            print!("{}", skein_core::spec::json_schema_text());
            Ok(ExitCode::SUCCESS)
        }
    }
}
