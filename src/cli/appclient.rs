//! Connecting the AM-level commands (`container`, `kv`, `application shutdown|specification`)
//! to an application's ApplicationMaster: `current` inside a container
//! (`SKEIN_APPMASTER_ADDRESS` and the localized key pair), else through the driver's
//! `getStatus` (the AM's host and port).
//!
//! [`shutdown`] and [`specification`] are the AM side of `skein application shutdown` and
//! `skein application specification`, for the `application` command group to call.

use std::process::ExitCode;

use anyhow::{Context, bail};
use tonic::transport::Channel;

use crate::proto::app_master_client::AppMasterClient;
use crate::proto::{self, application_state};

/// An AM client, with the private driver (if one had to be started) kept alive alongside.
pub struct AppConnection {
    /// The `skein.AppMaster` client.
    pub client: AppMasterClient<Channel>,
    _driver: Option<crate::driver::launch::PrivateDriver>,
}

/// Connects to the ApplicationMaster of `app_id` (`current`: the one of this container).
pub async fn connect(app_id: &str) -> anyhow::Result<AppConnection> {
    if app_id == "current" {
        let address = std::env::var("SKEIN_APPMASTER_ADDRESS")
            .ok()
            .filter(|a| !a.is_empty())
            .context("Not running inside a container")?;
        // Inside a container these are the localized `.skein.crt`/`.skein.pem`.
        let credentials = super::default_credentials()?;
        let client = crate::client::connect_app_master(&address, &credentials).await?;
        return Ok(AppConnection {
            client,
            _driver: None,
        });
    }
    let credentials = super::default_credentials()?;
    let program = std::env::current_exe().context("cannot locate the skein executable")?;
    let (mut driver, private) = crate::driver::launch::connect_default_driver(
        &crate::security::config_dir()?,
        &credentials,
        &program,
        crate::driver::logging::LogLevel::default(),
    )
    .await?;
    let report = driver
        .get_status(proto::Application {
            id: app_id.to_string(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("{}", s.message()))?
        .into_inner();
    let state =
        application_state::Type::try_from(report.state).unwrap_or(application_state::Type::New);
    if state != application_state::Type::Running {
        bail!(
            "{app_id} is not running. Application state: {}",
            state.as_str_name()
        );
    }
    let address = format!("{}:{}", report.host, report.port);
    let client = crate::client::connect_app_master(&address, &credentials).await?;
    Ok(AppConnection {
        client,
        _driver: private,
    })
}

/// A gRPC error as Skein's CLI prints it (the server's message; the connection's otherwise).
pub fn rpc_error(status: tonic::Status) -> anyhow::Error {
    match status.code() {
        tonic::Code::Unavailable => anyhow::anyhow!("Unable to connect to application"),
        _ => anyhow::anyhow!("{}", status.message()),
    }
}

/// `skein application shutdown APP_ID [--status S] [--diagnostics D]`: `status` is a final
/// status name (`SUCCEEDED`, `FAILED`, `KILLED`, `UNDEFINED`; any case).
pub fn shutdown(app_id: &str, status: &str, diagnostics: Option<&str>) -> anyhow::Result<ExitCode> {
    let Some(final_status) = proto::final_status::Type::from_str_name(&status.to_ascii_uppercase())
    else {
        bail!("Unknown final status {status:?}");
    };
    super::runtime()?.block_on(async {
        let mut app = connect(app_id).await?;
        app.client
            .shutdown(proto::ShutdownRequest {
                final_status: final_status as i32,
                diagnostics: diagnostics.unwrap_or_default().to_string(),
            })
            .await
            .map_err(rpc_error)?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `skein application specification APP_ID`: the running application's spec as YAML.
pub fn specification(app_id: &str) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        let mut app = connect(app_id).await?;
        let spec = app
            .client
            .get_application_spec(proto::Empty {})
            .await
            .map_err(rpc_error)?
            .into_inner();
        let spec = skein_core::spec::ApplicationSpec::try_from(spec)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        print!("{}", spec.to_yaml());
        Ok(ExitCode::SUCCESS)
    })
}
