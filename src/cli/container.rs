//! `skein container ls|kill|scale APP_ID`: an application's containers, through its
//! ApplicationMaster (`current` inside a container).

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::appclient::{connect, rpc_error};
use super::output::{Format, Records, humanize_ms, runtime_ms};
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
    /// Print the logs of one container: what it has written so far, or, with --follow, as
    /// it writes them until the application ends
    Logs {
        /// The application id
        app_id: String,
        /// The container id (<service>_<instance>, or application_master)
        #[arg(long = "id", value_name = "CONTAINER_ID")]
        id: String,
        /// Keep printing new lines until the application has ended
        #[arg(long, short = 'f')]
        follow: bool,
        /// Only this log file (e.g. `worker.log`, `stdout`)
        #[arg(long)]
        log_file: Option<String>,
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
    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t)]
    output: Format,
}

/// Runs a `skein container` subcommand.
pub fn run(command: ContainerCommand) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        match command {
            ContainerCommand::Logs {
                app_id,
                id,
                follow,
                log_file,
            } => {
                let selection = super::follow::Selection {
                    service: None,
                    container: Some(id),
                    log_file,
                };
                super::follow::follow_async(&app_id, selection, !follow).await
            }
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
    // READY (and, in documents, the last failed check) only when a service has readiness
    // checks, so that other applications' tables read as Skein's.
    let checked = containers.iter().any(|c| c.has_readiness_check);
    let columns: &[&'static str] = if checked {
        &["SERVICE", "ID", "STATE", "READY", "RUNTIME"]
    } else {
        &["SERVICE", "ID", "STATE", "RUNTIME"]
    };
    let mut records = Records::new(columns);
    for c in &containers {
        let state = container::State::try_from(c.state)
            .map_or_else(|_| c.state.to_string(), |s| s.as_str_name().to_string());
        let mut row = vec![
            Value::from(c.service_name.clone()),
            Value::from(format!("{}_{}", c.service_name, c.instance)),
            Value::from(state),
            Value::from(humanize_ms(runtime_ms(c.start_time, c.finish_time))),
        ];
        if checked {
            let ready = match (c.has_readiness_check, c.ready) {
                (false, _) => "-",
                (true, true) => "yes",
                (true, false) => "no",
            };
            row.insert(3, Value::from(ready));
        }
        records.push(row);
    }
    if args.output == Format::Table || !checked {
        print!("{}", records.render(args.output));
    } else {
        let mut objects = records.objects();
        for (object, c) in objects.iter_mut().zip(&containers) {
            object.insert(
                "ready".into(),
                Value::from(c.has_readiness_check && c.ready),
            );
            object.insert(
                "readiness_message".into(),
                Value::from(c.readiness_message.clone()),
            );
        }
        print!("{}", super::output::render_values(&objects, args.output));
    }
    Ok(ExitCode::SUCCESS)
}
