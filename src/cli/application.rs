//! `skein application ...`, `skein node ls` and `skein queue ls`: the driver's RPCs as commands,
//! with Skein's flags and tables, `--output json|yaml`, and beyond Skein `submit --wait` and
//! `wait`.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::Value;
use tonic::transport::Channel;

use super::output::{self, Format, Records};
use crate::driver::launch::connect_default_driver;
use crate::driver::logging::LogLevel;
use crate::proto::{self, driver_client::DriverClient};

/// Manage applications.
#[derive(Debug, Subcommand)]
pub enum ApplicationCommand {
    /// Submit a Skein application
    Submit {
        /// The application specification file (.yaml, .yml or .json)
        spec: PathBuf,
        /// Follow the application until it is RUNNING, with a live status line
        #[arg(long)]
        wait: bool,
    },
    /// List applications
    Ls(LsArgs),
    /// Check the status of an application
    Status {
        /// The application id
        app_id: String,
        /// Output format
        #[arg(long, short = 'o', value_enum, default_value_t)]
        output: Format,
    },
    /// Kill an application
    Kill {
        /// The application id
        app_id: String,
        /// The user to kill the application as (proxy user)
        #[arg(long, default_value = "")]
        user: String,
    },
    /// Move an application to another queue
    Mv {
        /// The application id
        app_id: String,
        /// The target queue
        queue: String,
    },
    /// Print the aggregated logs of a finished application
    Logs {
        /// The application id
        app_id: String,
        /// The user the application ran as
        #[arg(long, default_value = "")]
        user: String,
        /// Stream the logs of a running application as they are written, then the rest
        /// once it has ended
        #[arg(long, short = 'f')]
        follow: bool,
        /// With --follow: only this service's containers
        #[arg(long, requires = "follow")]
        service: Option<String>,
        /// With --follow: only this container (e.g. `worker_0`, `application_master`)
        #[arg(long, requires = "follow")]
        container: Option<String>,
        /// With --follow: only this log file (e.g. `worker.log`, `stdout`)
        #[arg(long, requires = "follow")]
        log_file: Option<String>,
    },
    /// Wait until an application ends; the exit status tells how (0 succeeded, 1 failed,
    /// 3 killed, 4 ended without a final status)
    Wait {
        /// The application id
        app_id: String,
    },
    /// Shut down an application
    Shutdown {
        /// The application id, or `current` inside a container
        app_id: String,
        /// The final status: SUCCEEDED, FAILED or KILLED
        #[arg(long, default_value = "SUCCEEDED")]
        status: String,
        /// A diagnostic message for the application report
        #[arg(long, default_value = "")]
        diagnostics: String,
    },
    /// Print the specification of a running application
    Specification {
        /// The application id, or `current` inside a container
        app_id: String,
    },
    /// Change how long a running application may live: YARN ends it LIFETIME from now
    UpdateLifetime {
        /// The application id
        app_id: String,
        /// The new lifetime from now: seconds, or e.g. 90s, 30m, 4h, 1h30m
        lifetime: String,
    },
    /// Change the YARN priority of a running application (higher runs first)
    UpdatePriority {
        /// The application id
        app_id: String,
        /// The new priority, 0 or more
        priority: i32,
    },
}

/// `skein application ls` options (Skein's).
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Show applications in every state
    #[arg(long, short = 'a')]
    all: bool,
    /// Only applications in this state (repeatable); default SUBMITTED, ACCEPTED, RUNNING
    #[arg(long, short = 's')]
    state: Vec<String>,
    /// Only applications with this name
    #[arg(long)]
    name: Option<String>,
    /// Only applications in this queue
    #[arg(long)]
    queue: Option<String>,
    /// Only applications of this user
    #[arg(long)]
    user: Option<String>,
    /// Started at or after (YYYY-MM-DD[ HH:MM[:SS]] or HH:MM[:SS], UTC)
    #[arg(long)]
    started_begin: Option<String>,
    /// Started at or before
    #[arg(long)]
    started_end: Option<String>,
    /// Finished at or after
    #[arg(long)]
    finished_begin: Option<String>,
    /// Finished at or before
    #[arg(long)]
    finished_end: Option<String>,
    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t)]
    output: Format,
}

/// Manage nodes.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// List the cluster's NodeManagers
    Ls {
        /// Only nodes in this state (repeatable), e.g. RUNNING, UNHEALTHY
        #[arg(long, short = 's')]
        state: Vec<String>,
        /// Output format
        #[arg(long, short = 'o', value_enum, default_value_t)]
        output: Format,
    },
}

/// Manage queues.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// List the scheduler's queues
    Ls {
        /// Output format
        #[arg(long, short = 'o', value_enum, default_value_t)]
        output: Format,
    },
}

/// Runs `f` with a driver client: the global driver, else a private one for this command.
pub(super) fn with_driver<T, F, Fut>(f: F) -> anyhow::Result<T>
where
    F: FnOnce(DriverClient<Channel>) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    super::runtime()?.block_on(async {
        let credentials = super::default_credentials()?;
        let dir = crate::security::config_dir()?;
        let program = std::env::current_exe().context("cannot locate the skein binary")?;
        let (client, private) =
            connect_default_driver(&dir, &credentials, &program, LogLevel::Warn).await?;
        let result = f(client).await;
        if let Some(private) = private {
            let _ = private.close().await;
        }
        result
    })
}

/// The message of a failed RPC, as Skein prints it; a call the connection cut (the driver
/// crashed or stopped while it answered) says so and what to check.
pub(super) fn rpc(status: tonic::Status) -> anyhow::Error {
    // Statuses the driver sent carry no source; tonic gives one to those it makes from a
    // broken connection.
    if std::error::Error::source(&status).is_none() {
        return anyhow::anyhow!("{}", status.message());
    }
    let logs = crate::security::config_dir()
        .map(|dir| {
            format!(
                " (the global driver logs in '{}')",
                crate::driver::logging::driver_log_dir(&dir).display()
            )
        })
        .unwrap_or_default();
    anyhow::anyhow!(
        "The skein driver went away during the call ({}): it stopped or crashed. Check it \
         with `skein driver address`{logs} and start it again with `skein driver start`",
        status.message()
    )
}

fn app_state(name: &str) -> anyhow::Result<proto::application_state::Type> {
    proto::application_state::Type::from_str_name(&name.to_ascii_uppercase())
        .with_context(|| format!("unknown application state '{name}': use one of NEW, NEW_SAVING, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED"))
}

fn application_records(reports: &[proto::ApplicationReport]) -> Records {
    let mut records = Records::new(&[
        "APPLICATION_ID",
        "NAME",
        "STATE",
        "STATUS",
        "CONTAINERS",
        "VCORES",
        "MEMORY",
        "RUNTIME",
    ]);
    for r in reports {
        let usage = r.usage.unwrap_or_default();
        let used = usage.used_resources.unwrap_or_default();
        records.push(vec![
            Value::from(r.id.clone()),
            Value::from(r.name.clone()),
            Value::from(r.state().as_str_name()),
            Value::from(r.final_status().as_str_name()),
            Value::from(usage.num_used_containers),
            Value::from(used.vcores),
            Value::from(used.memory),
            Value::from(output::humanize_ms(output::runtime_ms(
                r.start_time,
                r.finish_time,
            ))),
        ]);
    }
    records
}

/// The delegation tokens of a running application, from its ApplicationMaster; `None` when it
/// does not run, has no tokens (clusters without Kerberos), or cannot be asked (within 5 s).
/// Asked only when this machine's Hadoop configuration says Kerberos: elsewhere there are no
/// tokens, and a status should not wait on an AM it may not reach.
async fn token_status(report: &proto::ApplicationReport) -> Option<proto::TokenStatus> {
    if report.state() != proto::application_state::Type::Running || report.port <= 0 {
        return None;
    }
    let kerberos = skein_hadoop::conf::HadoopConfig::load().is_ok_and(|c| c.security_enabled());
    if !kerberos {
        return None;
    }
    let address = format!("{}:{}", report.host, report.port);
    let ask = async {
        let credentials = super::default_credentials().ok()?;
        let mut am = crate::client::connect_app_master(&address, &credentials)
            .await
            .ok()?;
        am.get_token_status(proto::TokenStatusRequest {})
            .await
            .ok()
            .map(tonic::Response::into_inner)
    };
    let status = tokio::time::timeout(std::time::Duration::from_secs(5), ask)
        .await
        .ok()
        .flatten()?;
    (!status.tokens.is_empty()).then_some(status)
}

fn token_time(ms: i64) -> String {
    if ms > 0 {
        crate::am::tokens::utc(ms)
    } else {
        "-".into()
    }
}

/// The tokens as a table after the application's, with a line on their renewal.
fn token_table(status: &proto::TokenStatus) -> String {
    let mut records = Records::new(&["TOKEN", "SERVICE", "RENEWER", "EXPIRES", "MAX_LIFETIME"]);
    for t in &status.tokens {
        records.push(vec![
            Value::from(t.kind.clone()),
            Value::from(t.service.clone()),
            Value::from(t.renewer.clone()),
            Value::from(token_time(t.expiry_date)),
            Value::from(token_time(t.max_date)),
        ]);
    }
    let mut text = records.render(Format::Table);
    if status.principal.is_empty() {
        text.push_str(
            "Tokens are not renewed past their maximum lifetime: the spec has no \
             kerberos_principal.\n",
        );
    } else {
        text.push_str(&format!(
            "Renewed as {}: {} refreshes, last {}, next {}.\n",
            status.principal,
            status.refreshes,
            token_time(status.last_refresh),
            token_time(status.next_refresh)
        ));
    }
    if !status.last_error.is_empty() {
        text.push_str(&format!("Last refresh failed: {}\n", status.last_error));
    }
    text
}

/// The tokens for `--output json|yaml`.
fn token_document(status: &proto::TokenStatus) -> Value {
    serde_json::json!({
        "principal": status.principal,
        "refreshes": status.refreshes,
        "last_refresh": token_time(status.last_refresh),
        "next_refresh": token_time(status.next_refresh),
        "last_error": status.last_error,
        "tokens": status.tokens.iter().map(|t| serde_json::json!({
            "kind": t.kind,
            "service": t.service,
            "renewer": t.renewer,
            "issued": token_time(t.issue_date),
            "expires": token_time(t.expiry_date),
            "max_lifetime": token_time(t.max_date),
        })).collect::<Vec<_>>(),
    })
}

/// Runs a `skein application` command.
pub fn run(command: ApplicationCommand) -> anyhow::Result<ExitCode> {
    match command {
        ApplicationCommand::Submit { spec, wait } => submit(spec, wait),
        ApplicationCommand::Ls(args) => ls(args),
        ApplicationCommand::Status { app_id, output } => with_driver(|mut d| async move {
            let report = d
                .get_status(proto::Application { id: app_id })
                .await
                .map_err(rpc)?
                .into_inner();
            let tokens = token_status(&report).await;
            let records = application_records(std::slice::from_ref(&report));
            if output == Format::Table {
                print!("{}", records.render(output));
                print!("{}", super::lifetime::status_lines(&report));
                if let Some(tokens) = tokens {
                    print!("\n{}", token_table(&tokens));
                }
            } else {
                let mut objects = records.objects();
                if let Some(object) = objects.first_mut() {
                    super::lifetime::add_status_keys(&report, object);
                    if let Some(tokens) = tokens {
                        object.insert("delegation_tokens".into(), token_document(&tokens));
                    }
                }
                print!("{}", output::render_values(&objects, output));
            }
            Ok(ExitCode::SUCCESS)
        }),
        ApplicationCommand::Kill { app_id, user } => with_driver(|mut d| async move {
            d.kill(proto::KillRequest { id: app_id, user })
                .await
                .map_err(rpc)?;
            Ok(ExitCode::SUCCESS)
        }),
        ApplicationCommand::Mv { app_id, queue } => with_driver(|mut d| async move {
            d.move_application(proto::MoveRequest { id: app_id, queue })
                .await
                .map_err(rpc)?;
            Ok(ExitCode::SUCCESS)
        }),
        ApplicationCommand::Logs {
            app_id,
            follow: true,
            service,
            container,
            log_file,
            ..
        } => super::follow::follow(
            &app_id,
            super::follow::Selection {
                service,
                container,
                log_file,
            },
            false,
        ),
        ApplicationCommand::Logs { app_id, user, .. } => with_driver(|mut d| async move {
            let logs = d
                .get_logs(proto::LogsRequest {
                    id: app_id.clone(),
                    user,
                })
                .await
                .map_err(rpc)?
                .into_inner()
                .logs;
            let mut out = format!("** Logs for {app_id} **\n\n");
            let mut containers: Vec<_> = logs.into_iter().collect();
            containers.sort();
            for (container, text) in containers {
                out.push_str(&format!(
                    "{container}\n{}\n{text}\n\n",
                    "=".repeat(container.len())
                ));
            }
            print!("{out}");
            Ok(ExitCode::SUCCESS)
        }),
        ApplicationCommand::Wait { app_id } => wait(app_id),
        ApplicationCommand::Shutdown {
            app_id,
            status,
            diagnostics,
        } => super::appclient::shutdown(&app_id, &status, Some(&diagnostics)),
        ApplicationCommand::Specification { app_id } => super::appclient::specification(&app_id),
        ApplicationCommand::UpdateLifetime { app_id, lifetime } => {
            super::lifetime::update_lifetime(app_id, &lifetime)
        }
        ApplicationCommand::UpdatePriority { app_id, priority } => {
            super::lifetime::update_priority(app_id, priority)
        }
    }
}

fn submit(path: PathBuf, follow: bool) -> anyhow::Result<ExitCode> {
    if !path.exists() {
        bail!("No application specification file at '{}'", path.display());
    }
    let model = skein_core::spec::load(&path)?;
    let spec = proto::ApplicationSpec::from(&model);
    with_driver(|mut d| async move {
        let id = super::progress::submit(&mut d, spec).await.map_err(rpc)?.id;
        if !follow {
            println!("{id}");
            return Ok(ExitCode::SUCCESS);
        }
        let report = follow_status(&mut d, &id, |s| {
            use proto::application_state::Type as S;
            matches!(s, S::Running | S::Finished | S::Failed | S::Killed)
        })
        .await?;
        println!("{id}");
        if report.state() == proto::application_state::Type::Running {
            Ok(ExitCode::SUCCESS)
        } else {
            bail!(
                "{id} ended {} before running: {}",
                report.state().as_str_name(),
                report.diagnostics
            )
        }
    })
}

/// Polls the report, drawing one live status line on stderr, until `done(state)`.
async fn follow_status(
    driver: &mut DriverClient<Channel>,
    id: &str,
    done: impl Fn(proto::application_state::Type) -> bool,
) -> anyhow::Result<proto::ApplicationReport> {
    use std::io::IsTerminal;
    let mut stderr = std::io::stderr();
    // A live, redrawn line on a terminal; one line per change of state otherwise (logs, CI).
    let live = stderr.is_terminal();
    let mut last_state = None;
    loop {
        let report = driver
            .get_status(proto::Application { id: id.to_string() })
            .await
            .map_err(rpc)?
            .into_inner();
        let runtime =
            output::humanize_ms(output::runtime_ms(report.start_time, report.finish_time));
        let line = format!(
            "{id}  {}  {}  {runtime}",
            report.state().as_str_name(),
            report.final_status().as_str_name()
        );
        if live {
            let _ = write!(stderr, "\r\x1b[2K{line}");
            let _ = stderr.flush();
        } else if last_state != Some(report.state()) {
            let _ = writeln!(stderr, "{line}");
        }
        last_state = Some(report.state());
        if done(report.state()) {
            if live {
                let _ = writeln!(stderr);
            }
            return Ok(report);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn wait(id: String) -> anyhow::Result<ExitCode> {
    with_driver(|mut d| async move {
        use proto::application_state::Type as S;
        let report = follow_status(&mut d, &id, |s| {
            matches!(s, S::Finished | S::Failed | S::Killed)
        })
        .await?;
        if !report.diagnostics.is_empty() {
            eprintln!("{}", report.diagnostics);
        }
        Ok(ExitCode::from(match report.final_status() {
            proto::final_status::Type::Succeeded => 0,
            proto::final_status::Type::Failed => 1,
            proto::final_status::Type::Killed => 3,
            proto::final_status::Type::Undefined => 4,
        }))
    })
}

fn ls(args: LsArgs) -> anyhow::Result<ExitCode> {
    let mut states = Vec::new();
    if args.all {
        use proto::application_state::Type as S;
        states.extend([
            S::New,
            S::NewSaving,
            S::Submitted,
            S::Accepted,
            S::Running,
            S::Finished,
            S::Failed,
            S::Killed,
        ]);
    }
    for s in &args.state {
        states.push(app_state(s)?);
    }
    let time = |t: &Option<String>| -> anyhow::Result<i64> {
        t.as_deref()
            .map(output::parse_datetime)
            .transpose()
            .map_err(anyhow::Error::from)
            .map(|v| v.unwrap_or(0))
    };
    let request = proto::ApplicationsRequest {
        states: states.into_iter().map(i32::from).collect(),
        name: args.name.clone().unwrap_or_default(),
        user: args.user.clone().unwrap_or_default(),
        queue: args.queue.clone().unwrap_or_default(),
        started_begin: time(&args.started_begin)?,
        started_end: time(&args.started_end)?,
        finished_begin: time(&args.finished_begin)?,
        finished_end: time(&args.finished_end)?,
    };
    with_driver(|mut d| async move {
        let reports = d
            .get_applications(request)
            .await
            .map_err(rpc)?
            .into_inner()
            .reports;
        print!("{}", application_records(&reports).render(args.output));
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs a `skein node` command.
pub(crate) fn run_node(command: NodeCommand) -> anyhow::Result<ExitCode> {
    let NodeCommand::Ls { state, output } = command;
    let states = state
        .iter()
        .map(|s| {
            proto::node_state::Type::from_str_name(&s.to_ascii_uppercase())
                .map(i32::from)
                .with_context(|| format!("unknown node state '{s}': use one of DECOMMISSIONED, DECOMMISSIONING, LOST, NEW, REBOOTED, RUNNING, SHUTDOWN, UNHEALTHY"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    with_driver(|mut d| async move {
        let nodes = d
            .get_nodes(proto::NodesRequest { states })
            .await
            .map_err(rpc)?
            .into_inner()
            .reports;
        let mut records = Records::new(&[
            "NODE_ID",
            "STATE",
            "HTTP_ADDRESS",
            "RACK",
            "MEMORY",
            "VCORES",
            "LABELS",
        ]);
        for n in nodes {
            let total = n.total_resources.unwrap_or_default();
            let used = n.used_resources.unwrap_or_default();
            records.push(vec![
                Value::from(n.id.clone()),
                Value::from(n.state().as_str_name()),
                Value::from(n.http_address.clone()),
                Value::from(n.rack_name.clone()),
                Value::from(format!("{}/{} MiB", used.memory, total.memory)),
                Value::from(format!("{}/{}", used.vcores, total.vcores)),
                Value::from(n.labels.join(",")),
            ]);
        }
        print!("{}", records.render(output));
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs a `skein queue` command.
pub(crate) fn run_queue(command: QueueCommand) -> anyhow::Result<ExitCode> {
    let QueueCommand::Ls { output } = command;
    with_driver(|mut d| async move {
        // `getAllQueues` answers the queues below root (as YARN's does): root first.
        let root = d
            .get_queue(proto::QueueRequest {
                name: "root".into(),
            })
            .await
            .map_err(rpc)?
            .into_inner();
        let mut queues = vec![root];
        queues.extend(
            d.get_all_queues(proto::Empty {})
                .await
                .map_err(rpc)?
                .into_inner()
                .queues,
        );
        let mut records = Records::new(&[
            "QUEUE",
            "STATE",
            "CAPACITY",
            "MAX_CAPACITY",
            "PERCENT_USED",
            "NODE_LABELS",
        ]);
        for q in queues {
            records.push(vec![
                Value::from(q.name.clone()),
                Value::from(q.state().as_str_name()),
                Value::from(format!("{:.1}%", q.capacity)),
                Value::from(format!("{:.1}%", q.max_capacity)),
                Value::from(format!("{:.1}%", q.percent_used)),
                Value::from(q.node_labels.join(",")),
            ]);
        }
        print!("{}", records.render(output));
        Ok(ExitCode::SUCCESS)
    })
}
