//! Serving a `skein.Driver` implementation: bind, announce, serve with mTLS, shut down.
//!
//! The driver listens on `127.0.0.1:<ephemeral>` only (Skein PR #166) and is announced in one
//! or both of two ways:
//!
//! * **Global driver file**: `<config dir>/driver` = `{"address", "pid"}` is written before the
//!   driver is announced and removed on a clean exit, but only while it still names this
//!   process (a newer driver may have replaced it).
//! * **Launch handshake** (how Python's `skein.Client()` starts a driver): connect to
//!   `127.0.0.1:$SKEIN_CALLBACK_PORT` and send the gRPC port as a big-endian `int32`.
//!
//! The driver stops on SIGTERM or SIGINT, on end of file on stdin when it was spawned for one
//! client (Python's `Client.close()` closes the pipe and waits), or when the caller's shutdown
//! future completes. In-flight calls get [`SHUTDOWN_GRACE`] to finish.

use std::future::Future;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::client::discovery::{self, GlobalDriver};
use crate::client::error_chain;
use crate::proto::driver_server::{Driver, DriverServer};
use crate::security::{Credentials, SecurityError, config_dir, tls};

/// Environment variable with the port of the launching client's callback socket.
pub(crate) const ENV_CALLBACK_PORT: &str = "SKEIN_CALLBACK_PORT";

/// The largest request the driver decodes: four times the spec limit (4 MiB), so that a spec
/// somewhat too large is refused by `submit` with its size and the limit.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// How long in-flight calls may run after a shutdown was requested.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What can go wrong while running the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// No local port could be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
    /// The launching client's callback socket did not take the port.
    #[error(
        "cannot send the driver port to the launching client at 127.0.0.1:{port} \
         ({ENV_CALLBACK_PORT}): {source}"
    )]
    Callback {
        /// The callback port.
        port: u16,
        /// The connection or write error.
        #[source]
        source: std::io::Error,
    },
    /// `SKEIN_CALLBACK_PORT` is not a port number.
    #[error("{ENV_CALLBACK_PORT}='{0}' is not a port number")]
    InvalidCallbackPort(String),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signal(#[source] std::io::Error),
    /// The global driver file could not be written or removed.
    #[error(transparent)]
    DriverFile(#[from] SecurityError),
    /// The gRPC server failed.
    #[error("the driver's gRPC server failed: {0}")]
    Serve(String),
}

/// How the daemon announces itself and when it stops.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeOptions {
    /// Send the port to `127.0.0.1:<port>` once listening (the launch handshake).
    pub callback_port: Option<u16>,
    /// Stop at end of file on stdin (a driver private to one client).
    pub exit_on_stdin_eof: bool,
    /// Write `<dir>/driver` naming this process (the global driver).
    pub global_driver_dir: Option<PathBuf>,
    /// Serve Prometheus metrics over HTTP at `/metrics` on this address.
    pub metrics_address: Option<SocketAddr>,
}

impl ServeOptions {
    /// A driver spawned by a client through the launch handshake; with `daemon` it outlives
    /// the client's stdin pipe (Python's `--daemon`, used for the global driver).
    pub fn spawned(callback_port: u16, daemon: bool) -> Self {
        Self {
            callback_port: Some(callback_port),
            exit_on_stdin_eof: !daemon,
            global_driver_dir: None,
            metrics_address: None,
        }
    }

    /// The global driver for `config_dir`: writes the driver file, runs until SIGTERM.
    pub fn global(config_dir: PathBuf) -> Self {
        Self {
            callback_port: None,
            exit_on_stdin_eof: false,
            global_driver_dir: Some(config_dir),
            metrics_address: None,
        }
    }

    /// Also serves metrics at `address` when given.
    pub fn with_metrics(mut self, address: Option<SocketAddr>) -> Self {
        self.metrics_address = address;
        self
    }

    /// Also performs the launch handshake when `port` is given.
    pub(crate) fn with_callback(mut self, port: Option<u16>) -> Self {
        self.callback_port = port;
        self
    }
}

/// Reads `SKEIN_CALLBACK_PORT`, `None` when unset.
///
/// # Errors
/// [`DaemonError::InvalidCallbackPort`] when it is set but not a port.
pub(crate) fn callback_port_from_env() -> Result<Option<u16>, DaemonError> {
    match std::env::var(ENV_CALLBACK_PORT) {
        Err(_) => Ok(None),
        Ok(text) => text
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0)
            .map(Some)
            .ok_or(DaemonError::InvalidCallbackPort(text)),
    }
}

/// Serves `service` as the skein driver until a shutdown signal (see the module docs).
///
/// # Errors
/// [`DaemonError`] when binding, announcing or serving fails.
pub(crate) async fn serve<S: Driver>(
    service: S,
    options: ServeOptions,
    credentials: &Credentials,
) -> Result<(), DaemonError> {
    BoundDriver::bind()
        .await?
        .serve_until(service, credentials, &options, std::future::pending())
        .await
}

/// A driver listening socket that is not serving yet; lets callers learn the address first.
#[derive(Debug)]
pub struct BoundDriver {
    listener: TcpListener,
    address: SocketAddr,
}

impl BoundDriver {
    /// Binds `127.0.0.1:0`.
    ///
    /// # Errors
    /// [`DaemonError::Bind`].
    pub async fn bind() -> Result<Self, DaemonError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(DaemonError::Bind)?;
        let address = listener.local_addr().map_err(DaemonError::Bind)?;
        Ok(Self { listener, address })
    }

    /// The bound address (`127.0.0.1:PORT`).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Announces the driver as `options` say and serves `service` until a signal, stdin EOF
    /// (if enabled) or `shutdown` completes.
    ///
    /// # Errors
    /// [`DaemonError`] when announcing or serving fails.
    pub async fn serve_until<S: Driver>(
        self,
        service: S,
        credentials: &Credentials,
        options: &ServeOptions,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DaemonError> {
        let me = GlobalDriver {
            address: self.address.to_string(),
            pid: std::process::id(),
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        spawn_shutdown_triggers(options.exit_on_stdin_eof, shutdown, stop_tx)?;

        if let Some(dir) = &options.global_driver_dir {
            discovery::write_global_driver(dir, &me)?;
            tracing::debug!(file = %discovery::driver_file(dir).display(), "wrote the driver file");
        }
        if let Some(port) = options.callback_port {
            if let Err(err) = send_callback(port, self.address.port()).await {
                cleanup_driver_file(options, &me);
                return Err(err);
            }
            tracing::debug!(
                callback_port = port,
                "sent the driver port to the launching client"
            );
        }
        tracing::info!(
            "Driver started, listening on {} (pid {})",
            self.address,
            me.pid
        );

        let metrics = match options.metrics_address {
            Some(address) => Some(serve_metrics(address, stop_rx.clone()).await?),
            None => None,
        };
        let result = run_server(self.listener, service, credentials, stop_rx, metrics).await;
        cleanup_driver_file(options, &me);
        tracing::info!("Driver stopped");
        result
    }
}

/// Serves the driver's metrics at `http://<address>/metrics` until `stop_rx` turns true.
async fn serve_metrics(
    address: SocketAddr,
    mut stop_rx: watch::Receiver<bool>,
) -> Result<Arc<crate::metrics::Metrics>, DaemonError> {
    let metrics = crate::metrics::enable_driver();
    let listener = TcpListener::bind(address)
        .await
        .map_err(DaemonError::Bind)?;
    tracing::info!(
        "Serving metrics on http://{}/metrics",
        listener.local_addr().map_err(DaemonError::Bind)?
    );
    let scraped = metrics.clone();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = scraped.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        let stop = async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!("the metrics server failed: {e}");
        }
    });
    Ok(metrics)
}

async fn run_server<S: Driver>(
    listener: TcpListener,
    service: S,
    credentials: &Credentials,
    stop_rx: watch::Receiver<bool>,
    metrics: Option<Arc<crate::metrics::Metrics>>,
) -> Result<(), DaemonError> {
    let mut graceful_rx = stop_rx.clone();
    let graceful = async move {
        let _ = graceful_rx.wait_for(|stop| *stop).await;
    };
    let mut deadline_rx = stop_rx;
    let deadline = async move {
        let _ = deadline_rx.wait_for(|stop| *stop).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let tls =
        tls::server_config(credentials).map_err(|err| DaemonError::Serve(error_chain(&err)))?;
    let router = tonic::transport::Server::builder()
        .layer(tower::util::option_layer(
            metrics.map(crate::metrics::GrpcMetricsLayer),
        ))
        .add_service(super::reply::ReplyTracking(
            // Above the 4 MiB spec limit, so that a larger spec reaches `submit` and is refused
            // naming its size and the limit rather than as gRPC's "message length too large".
            DriverServer::new(service).max_decoding_message_size(MAX_REQUEST_BYTES),
        ));
    let (router, _health) =
        crate::grpc_extras::with_health_and_reflection(router, "skein.Driver").await;
    let server = router
        .serve_with_incoming_shutdown(crate::net::tls_incoming(listener, tls, "driver"), graceful);
    tokio::select! {
        result = server => result.map_err(|err| DaemonError::Serve(error_chain(&err))),
        () = deadline => {
            tracing::info!("In-flight calls still running after {SHUTDOWN_GRACE:?}; exiting anyway");
            Ok(())
        }
    }
}

/// The launch handshake: the port as a big-endian signed 32-bit integer.
async fn send_callback(callback_port: u16, driver_port: u16) -> Result<(), DaemonError> {
    let error = |source| DaemonError::Callback {
        port: callback_port,
        source,
    };
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, callback_port))
        .await
        .map_err(error)?;
    stream
        .write_all(&i32::from(driver_port).to_be_bytes())
        .await
        .map_err(error)?;
    stream.shutdown().await.map_err(error)
}

/// Flips `stop_tx` on SIGTERM, SIGINT, stdin EOF (if enabled) or `shutdown`.
fn spawn_shutdown_triggers(
    exit_on_stdin_eof: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
    stop_tx: watch::Sender<bool>,
) -> Result<(), DaemonError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    let stdin_closed = exit_on_stdin_eof.then(stdin_eof);
    tokio::spawn(async move {
        let stdin_closed = async move {
            match stdin_closed {
                Some(closed) => {
                    let _ = closed.await;
                }
                None => std::future::pending().await,
            }
        };
        let reason = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
            () = stdin_closed => "end of file on stdin",
            () = shutdown => "shutdown requested",
        };
        tracing::info!("Shutting down the driver ({reason})");
        let _ = stop_tx.send(true);
    });
    Ok(())
}

/// Completes at end of file (or a read error) on stdin. A detached OS thread does the blocking
/// read so that it never holds up the runtime's or the process's exit.
fn stdin_eof() -> tokio::sync::oneshot::Receiver<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 1024];
        while matches!(stdin.read(&mut buffer), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    rx
}

/// Removes the driver file if it still names us: the global driver's own file, or the one a
/// Python `skein driver start` wrote for this spawned process.
fn cleanup_driver_file(options: &ServeOptions, me: &GlobalDriver) {
    let Some(dir) = options
        .global_driver_dir
        .clone()
        .or_else(|| config_dir().ok())
    else {
        return;
    };
    match discovery::remove_global_driver_if(&dir, me) {
        Ok(true) => tracing::debug!("removed the driver file"),
        Ok(false) => {}
        Err(err) => tracing::warn!("{err}"),
    }
}
