//! `skein completion SHELL` and `skein man`: shell completions (clap_complete) and man pages
//! (clap_mangen), generated from the same clap definitions as the commands themselves.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

/// Prints the completion script for `shell`: `source <(skein completion bash)`, or save it
/// where the shell looks (e.g. `/etc/bash_completion.d/skein`).
pub fn completion(shell: Shell) -> anyhow::Result<ExitCode> {
    let mut command = visible_commands();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "skein", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("cannot write the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// The command tree without its hidden commands (`application-master`, `token-agent`: what
/// YARN containers run, not users), which clap_complete would otherwise offer.
fn visible_commands() -> clap::Command {
    let full = super::Cli::command();
    let mut visible = clap::Command::new("skein")
        .version(full.get_version().map(str::to_string).unwrap_or_default())
        .about(full.get_about().cloned().unwrap_or_default())
        .propagate_version(true);
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        visible = visible.subcommand(sub.clone());
    }
    visible
}

/// Writes `skein.1` and a page per subcommand (`skein-application-submit.1`, ...) into `out`,
/// or prints `skein.1` when `out` is `None`.
pub fn man(out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let command = visible_commands();
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut stdout)
                .context("cannot write the man page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let written = write_pages(&dir, command, "skein")?;
            println!("{written} man pages in {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `command` (named `name`) and of each visible subcommand; returns how
/// many pages were written.
fn write_pages(dir: &Path, command: clap::Command, name: &str) -> anyhow::Result<usize> {
    let command = command.name(name.to_string());
    let path = dir.join(format!("{name}.1"));
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .context("cannot render a man page")?;
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    let mut written = 1;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_name = format!("{name}-{}", sub.get_name());
        written += write_pages(dir, sub.clone(), &sub_name)?;
    }
    Ok(written)
}
