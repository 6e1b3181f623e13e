//! `skein container ls|kill|scale APP_ID`: an application's containers, through its
//! ApplicationMaster (`current` inside a container).

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};

use super::appclient::{connect, rpc_error};
use crate::proto::{self, container};

/// `skein container` subcommands.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// List containers
    Ls(LsArgs),
    /// Kill a container
    Kill {
        /// The application id ('current' inside a container)
        app_id: String,
        /// The container id (<service>_<instance>)
        #[arg(long = "id", value_name = "CONTAINER_ID")]
        id: String,
    },
    /// Scale a service to a requested number of containers
    Scale {
        /// The application id ('current' inside a container)
        app_id: String,
        /// Service name
        #[arg(long, short = 's')]
        service: String,
        /// The number of containers to scale to
        #[arg(long, short = 'n')]
        number: i32,
    },
}

/// Options of `skein container ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// The application id ('current' inside a container)
    app_id: String,
    /// Show all containers, regardless of state
    #[arg(long, short = 'a')]
    all: bool,
    /// Only show containers of this service (repeatable)
    #[arg(long)]
    service: Vec<String>,
    /// Only show containers in this state (repeatable)
    #[arg(long)]
    state: Vec<String>,
}

/// Runs a `skein container` subcommand.
pub fn run(command: ContainerCommand) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        match command {
            ContainerCommand::Ls(args) => ls(args).await,
            ContainerCommand::Kill { app_id, id } => {
                let Some((service, instance)) = id
                    .rsplit_once('_')
                    .and_then(|(s, i)| Some((s, i.parse::<i32>().ok()?)))
                else {
                    bail!("Invalid container id '{id}'");
                };
                let mut app = connect(&app_id).await?;
                app.client
                    .kill_container(proto::ContainerInstance {
                        service_name: service.to_string(),
                        instance,
                    })
                    .await
                    .map_err(rpc_error)?;
                Ok(ExitCode::SUCCESS)
            }
            ContainerCommand::Scale {
                app_id,
                service,
                number,
            } => {
                if number < 0 {
                    bail!("count must be >= 0");
                }
                let mut app = connect(&app_id).await?;
                app.client
                    .scale(proto::ScaleRequest {
                        service_name: service,
                        count: number,
                        delta: 0,
                    })
                    .await
                    .map_err(rpc_error)?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn ls(args: LsArgs) -> anyhow::Result<ExitCode> {
    let states = if args.all {
        vec![
            container::State::Waiting,
            container::State::Requested,
            container::State::Running,
            container::State::Succeeded,
            container::State::Failed,
            container::State::Killed,
        ]
    } else {
        args.state
            .iter()
            .map(|s| {
                container::State::from_str_name(&s.to_ascii_uppercase())
                    .ok_or_else(|| anyhow::anyhow!("Unknown container state {s:?}"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let mut app = connect(&args.app_id).await?;
    let mut containers = app
        .client
        .get_containers(proto::ContainersRequest {
            services: args.service,
            states: states.into_iter().map(|s| s as i32).collect(),
        })
        .await
        .map_err(rpc_error)?
        .into_inner()
        .containers;
    containers.sort_by(|a, b| (&a.service_name, a.instance).cmp(&(&b.service_name, b.instance)));
    let now = now_ms();
    let rows: Vec<Vec<String>> = containers
        .iter()
        .map(|c| {
            let state = container::State::try_from(c.state)
                .map_or_else(|_| c.state.to_string(), |s| s.as_str_name().to_string());
            vec![
                c.service_name.clone(),
                format!("{}_{}", c.service_name, c.instance),
                state,
                humanize_ms(runtime_ms(c, now)),
            ]
        })
        .collect();
    println!(
        "{}",
        format_table(&["SERVICE", "ID", "STATE", "RUNTIME"], &rows)
    );
    Ok(ExitCode::SUCCESS)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Python's `Container.runtime`: 0 before start, until now while running.
fn runtime_ms(c: &proto::Container, now: i64) -> i64 {
    match (c.start_time, c.finish_time) {
        (0, _) => 0,
        (start, 0) => now - start,
        (start, finish) => finish - start,
    }
}

/// Skein's `humanize_timedelta`: `6s`, `10m`, `1h 40m`.
pub(crate) fn humanize_ms(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (hours, rest) = (secs / 3600, secs % 3600);
    let (mins, secs) = (rest / 60, rest % 60);
    if hours > 0 {
        format!("{hours}h {mins}m")
    } else if mins > 0 {
        format!("{mins}m")
    } else {
        format!("{secs}s")
    }
}

/// Skein's `format_table`: left-aligned columns joined by 4 spaces, each row right-stripped.
pub(crate) fn format_table(columns: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .filter_map(|r| r.get(i).map(|v| v.chars().count()))
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("    ")
            .trim()
            .to_string()
    };
    let mut out = vec![line(columns.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_runtimes_look_like_skeins() {
        assert_eq!(humanize_ms(6_500), "6s");
        assert_eq!(humanize_ms(600_000), "10m");
        assert_eq!(humanize_ms(6_000_000), "1h 40m");
        let table = format_table(
            &["SERVICE", "ID", "STATE", "RUNTIME"],
            &[vec![
                "a".into(),
                "a_0".into(),
                "RUNNING".into(),
                "6s".into(),
            ]],
        );
        assert_eq!(
            table,
            "SERVICE    ID     STATE      RUNTIME\na          a_0    RUNNING    6s"
        );
    }
}
