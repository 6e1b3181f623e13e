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

use crate::proto;
use crate::proto::app_master_client::AppMasterClient;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::yarn::{ApplicationState, ResourceManager};

/// An AM client.
pub(crate) struct AppConnection {
    /// The `skein.AppMaster` client.
    pub client: AppMasterClient<Channel>,
}

/// Connects to the ApplicationMaster of `app_id` (`current`: the one of this container).
///
/// Outside a container the AM's address comes straight from the ResourceManager (the
/// cluster's configuration in HADOOP_CONF_DIR), as the driver's `getStatus` would give it: no
/// driver daemon is needed for it.
pub async fn connect(app_id: &str) -> anyhow::Result<AppConnection> {
    let address = if app_id == "current" {
        std::env::var("SKEIN_APPMASTER_ADDRESS")
            .ok()
            .filter(|a| !a.is_empty())
            .context("Not running inside a container")?
    } else {
        appmaster_address(app_id).await?
    };
    // Inside a container these are the localized `.skein.crt`/`.skein.pem`.
    let credentials = super::default_credentials()?;
    let client = crate::client::connect_app_master(&address, &credentials).await?;
    Ok(AppConnection { client })
}

/// The `host:port` of a running skein application's ApplicationMaster.
async fn appmaster_address(app_id: &str) -> anyhow::Result<String> {
    let config = HadoopConfig::load()?;
    let rm = ResourceManager::from_config(&config, &skein_hadoop::conf::current_user())?;
    let app = rm.skein_application(app_id).await?;
    if app.state != ApplicationState::Running {
        bail!("{app_id} is not running. Application state: {}", app.state);
    }
    let (host, port) = app.am_rpc().with_context(|| {
        format!("{app_id} is running but its ApplicationMaster has no address yet")
    })?;
    Ok(format!("{host}:{port}"))
}

/// A gRPC error as Skein's CLI prints it (the server's message; the connection's otherwise).
pub(crate) fn rpc_error(status: tonic::Status) -> anyhow::Error {
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
