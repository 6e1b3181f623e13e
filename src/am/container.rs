//! The AM as YARN runs it (`skein application-master`): everything around
//! [`ApplicationMaster::run`] that needs the container — the gRPC server on the application's
//! key pair, the web UI (its URL is the tracking URL the AM registers), the master script,
//! SIGTERM, and removing the staging folder at the very end.
//!
//! Order at the end, as in Skein: the outcome is decided; the key-value store ends its watch
//! streams (after their buffered events); the AM unregisters (when final); the gRPC and web
//! servers stop (clients then see `UNAVAILABLE`); the staging folder goes (when final).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use crate::am::bind;
use crate::am::driver_script::{self, MasterScript};
use crate::am::grpc::{self, AppMasterService};
use crate::am::master::{AmConfig, AmError, ApplicationMaster, effective_max_attempts};
use crate::am::tokens;
use crate::am::ui::{self, AccessPolicy, Proxies, UiConfig, WebUi};
use crate::security::Credentials;
use skein_core::services::FinalStatus;
use skein_core::services::Outcome;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::Hdfs;

/// Diagnostics when the AM is stopped by SIGTERM (Skein's JVM shutdown hook text).
pub const EXTERNAL_SIGNAL: &str = "Application master shutdown by external signal. This usually \
     means that the application was killed by a user/administrator, or that the application \
     master memory limit was exceeded. See the diagnostics for more information.";

/// How long in-flight calls may take once the server is told to stop.
const SERVER_GRACE: Duration = Duration::from_secs(5);

/// What keeps the AM from starting in its container, beyond [`AmError`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum ContainerError {
    /// The AM itself.
    #[error(transparent)]
    Am(#[from] AmError),
    /// `.skein.crt`/`.skein.pem` are missing or invalid.
    #[error("cannot load the application's key pair: {0}")]
    Credentials(#[from] crate::security::SecurityError),
    /// No port for the gRPC server.
    #[error("cannot bind the gRPC server: {0}")]
    Bind(std::io::Error),
    /// No port for the web UI.
    #[error("cannot bind the web UI: {0}")]
    BindUi(std::io::Error),
    /// The web UI cannot be set up.
    #[error(transparent)]
    Ui(#[from] ui::UiError),
}

/// Runs the ApplicationMaster in the YARN container whose working folder is `working_dir`.
///
/// # Errors
/// When the key pair, the spec or the environment is unusable, or the shim dies.
pub(crate) async fn run_in_container(working_dir: &Path) -> Result<Outcome, ContainerError> {
    // Caught from the start: YARN's SIGTERM must end the application with Skein's diagnostic,
    // never kill the AM before it can unregister.
    let sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    let credentials = Credentials::from_files(
        &working_dir.join(".skein.crt"),
        &working_dir.join(".skein.pem"),
    )?;
    let mut config = AmConfig::from_container_env(working_dir)?;
    let hadoop = HadoopConfig::load()
        .inspect_err(|e| tracing::warn!("no Hadoop configuration: {e}"))
        .ok();
    let listen = listen_address(&config, hadoop.as_ref()).await;
    tracing::info!("Listening on {} ({})", listen.ip, listen.reason);
    // Bound before registering, so that YARN reports (and containers dial) the real port.
    let listener = TcpListener::bind((listen.ip, 0))
        .await
        .map_err(ContainerError::Bind)?;
    config.rpc_port = listener.local_addr().map_err(ContainerError::Bind)?.port();
    let address = format!("{}:{}", config.nm_host, config.rpc_port);
    tracing::info!("Serving skein.AppMaster on {address}");
    // The web UI too: its URL is the tracking URL YARN's web proxy forwards to.
    let web_listener = TcpListener::bind((listen.ip, 0))
        .await
        .map_err(ContainerError::BindUi)?;
    let web_port = web_listener
        .local_addr()
        .map_err(ContainerError::BindUi)?
        .port();
    config.tracking_url = format!("http://{}:{web_port}/", config.nm_host);
    tracing::info!("Serving the web UI on {}", config.tracking_url);

    if std::env::var_os("MAX_APP_ATTEMPTS").is_none()
        && let Some(hadoop) = &hadoop
    {
        // Without YARN's variable, the ResourceManager's cap is its configured maximum.
        let cluster_max = hadoop
            .get_or("yarn.resourcemanager.am.max-attempts", "2")
            .trim()
            .parse::<u32>()
            .ok();
        config.max_attempts = effective_max_attempts(config.spec.max_attempts, cluster_max);
    }
    let ui_config = web_ui_config(&config, hadoop.as_ref());
    let ui_addresses: Vec<String> = ui_config
        .proxy_uri_bases
        .iter()
        .map(|b| format!("{b}/"))
        .collect();
    if let AccessPolicy::Only(users) = &ui_config.access {
        tracing::info!("UI ACLs are enabled, restricted to {} users", users.len());
    }

    let master = ApplicationMaster::launch(config.clone()).await?;
    let am = master.handle();
    watch_tokens(&am, &config, hadoop.as_ref(), working_dir);
    let pages = Arc::new(Mutex::new(Proxies::default()));
    let web_ui = WebUi::new(am.clone(), pages.clone(), ui_config)?;
    let (web_stop_tx, web_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let web_server = tokio::spawn(async move {
        let stop = async {
            let _ = web_stop_rx.await;
        };
        if let Err(e) = ui::serve(web_listener, web_ui, stop).await {
            tracing::error!("{e}");
        }
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn({
        let service = AppMasterService::new(am.clone(), ui_addresses, pages);
        async move {
            let stop = async {
                let _ = stop_rx.await;
            };
            if let Err(e) = grpc::serve(listener, service, &credentials, stop).await {
                tracing::error!("{e}");
            }
        }
    });

    let master_spec = &config.spec.master;
    if !master_spec.script.is_empty() {
        let allocated = driver_script::own_allocation().await;
        let script = MasterScript {
            script: master_spec.script.clone(),
            working_dir: working_dir.to_path_buf(),
            log_dir: driver_script::first_log_dir(working_dir),
            env: driver_script::skein_env(
                &address,
                &config.application_id,
                Some(allocated.as_ref().unwrap_or(&master_spec.resources)),
            ),
        };
        tokio::spawn(driver_script::run(am.clone(), script));
    }

    match sigterm {
        Ok(mut sigterm) => {
            let am = am.clone();
            tokio::spawn(async move {
                if sigterm.recv().await.is_some() {
                    tracing::info!("Received SIGTERM");
                    // 128 + SIGTERM, the exit status of Skein's JVM AM in this case.
                    am.end(FinalStatus::Failed, EXTERNAL_SIGNAL, 143);
                }
            });
        }
        Err(e) => tracing::warn!("cannot handle SIGTERM: {e}"),
    }

    let result = master.run().await;
    let _ = stop_tx.send(());
    let _ = web_stop_tx.send(());
    if tokio::time::timeout(SERVER_GRACE, server).await.is_err() {
        tracing::warn!("the gRPC server did not stop within {SERVER_GRACE:?}");
    }
    // Proxied pages may stream for long: they are cut off after the grace period.
    if tokio::time::timeout(SERVER_GRACE, web_server)
        .await
        .is_err()
    {
        tracing::warn!("the web UI did not stop within {SERVER_GRACE:?}");
    }
    // An AM that failed (its shim died) on the last attempt is the application's end too.
    let status = result
        .as_ref()
        .map_or(FinalStatus::Failed, |outcome| outcome.status);
    if config.is_final(status) {
        remove_staging_dir(hadoop.as_ref(), &config).await;
    }
    Ok(result?)
}

/// Starts following the application's delegation tokens (the container's token file): with a
/// `kerberos_principal` on a Kerberos cluster, renewed from its keytab; without, watched for
/// their maximum lifetime.
fn watch_tokens(
    am: &crate::am::AppMaster,
    config: &AmConfig,
    hadoop: Option<&HadoopConfig>,
    working_dir: &Path,
) {
    let Some(token_file) = std::env::var_os("HADOOP_TOKEN_FILE_LOCATION")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
    else {
        return;
    };
    let Some(file) = tokens::read_token_file(&token_file) else {
        return;
    };
    am.tokens().start_from(&file);
    let kerberos = hadoop.filter(|h| h.security_enabled());
    match (&config.spec.kerberos_principal, kerberos) {
        (Some(principal), Some(hadoop)) => {
            tracing::info!(
                "Renewing the application's delegation tokens as {} (at {}% of their lifetime)",
                principal.principal_name,
                principal.token_refresh_percent
            );
            let refresher = tokens::Refresher {
                config: hadoop.clone(),
                principal: principal.principal_name.clone(),
                keytab: working_dir.join(skein_core::launch::KEYTAB_FILE),
                cache_dir: working_dir.join(".skein-krb5"),
                file_systems: config.spec.file_systems.clone(),
                percent: principal.token_refresh_percent,
                token_file,
                file,
            };
            tokio::spawn(tokens::keep_fresh(am.tokens().clone(), refresher));
        }
        (Some(_), None) => tracing::warn!(
            "the spec names a kerberos_principal, but the cluster does not use Kerberos: there \
             are no delegation tokens to renew"
        ),
        (None, _) => {
            tokio::spawn(tokens::watch_max_lifetime(am.tokens().clone()));
        }
    }
}

/// What the web UI knows from the container's environment and the cluster's configuration.
/// Where the gRPC server and the web UI listen ([`bind::choose`]).
async fn listen_address(config: &AmConfig, hadoop: Option<&HadoopConfig>) -> bind::ListenOn {
    let bind_host = &config.spec.master.bind_host;
    if !bind_host.is_empty() {
        return bind::choose(bind_host, &config.nm_host, &[], &[]);
    }
    let nm_addresses = bind::resolve(&config.nm_host).await;
    let mut proxy_addresses = Vec::new();
    for base in hadoop.map_or_else(Vec::new, |c| ui::proxy_uri_bases(c, "")) {
        if let Some(host) = ui::url_host(&base) {
            proxy_addresses.extend(bind::resolve(host).await);
        }
    }
    bind::choose(bind_host, &config.nm_host, &nm_addresses, &proxy_addresses)
}

fn web_ui_config(config: &AmConfig, hadoop: Option<&HadoopConfig>) -> UiConfig {
    // `/proxy/<app id>`: where the ResourceManager's web proxy serves the application.
    let proxy_base = std::env::var("APPLICATION_WEB_PROXY_BASE").unwrap_or_default();
    let user = application_user(config);
    UiConfig {
        application_id: config.application_id.clone(),
        access: AccessPolicy::from_acls(&config.spec.acls, &user),
        user,
        am_container_id: config.container_id.clone(),
        nm_http_address: std::env::var("NM_HTTP_PORT")
            .ok()
            .filter(|p| !p.is_empty())
            .map(|port| format!("{}:{port}", config.nm_host)),
        http_scheme: match hadoop {
            Some(c) if c.get_or("yarn.http.policy", "HTTP_ONLY") == "HTTPS_ONLY" => "https://",
            _ => "http://",
        }
        .to_string(),
        proxy_uri_bases: hadoop.map_or_else(Vec::new, |c| ui::proxy_uri_bases(c, &proxy_base)),
    }
}

/// The application's user: `HADOOP_USER_NAME` (simple authentication), else the `USER` YARN
/// sets for the container.
fn application_user(config: &AmConfig) -> String {
    config
        .hadoop_user_name
        .clone()
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(skein_hadoop::conf::current_user)
}

/// Deletes `/user/<user>/.skein/<app id>`, where the driver staged the application's files.
async fn remove_staging_dir(hadoop: Option<&HadoopConfig>, config: &AmConfig) {
    let Some(hadoop) = hadoop else {
        tracing::warn!("not removing the staging folder: no Hadoop configuration");
        return;
    };
    let user = application_user(config);
    let result = match Hdfs::connect(hadoop, &user) {
        Ok(hdfs) => hdfs.remove_staging_dir(&config.application_id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(true) => tracing::info!("Removed the staging folder of {}", config.application_id),
        Ok(false) => {}
        Err(e) => tracing::warn!("cannot remove the staging folder: {e}"),
    }
}
