//! Rust gRPC clients for the skein driver and ApplicationMaster, over skein's mutual TLS.
//!
//! [`connect_driver`] and [`connect_app_master`] dial `host:port` with the shared
//! [`crate::security::Credentials`] and return the generated tonic clients.
//! [`discovery`] reads and writes the global driver's pointer file (`~/.skein/driver`).
//!
//! The connection is plain TCP (never an HTTP proxy) wrapped in rustls by our own connector,
//! because the name-less skein certificate needs the pinned-certificate verifier of
//! [`security::tls`](crate::security::tls). Requests carry `:authority skein-internal`, like
//! the Python client's `grpc.default_authority`.
//!
//! # Usage
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use skein::{client, security::Credentials};
//! let credentials = Credentials::from_default()?.credentials;
//! let mut driver = client::connect_driver("127.0.0.1:38211", &credentials).await?;
//! driver.ping(skein::proto::Empty {}).await?;
//! # Ok(()) }
//! ```

pub mod discovery;
pub mod token_agent;

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::proto::app_master_client::AppMasterClient;
use crate::proto::driver_client::DriverClient;
use crate::security::{Credentials, SecurityError, tls};

/// How long establishing a TCP connection may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What can go wrong while connecting.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not `host:port`.
    #[error("invalid address '{address}': expected HOST:PORT, e.g. 127.0.0.1:38211")]
    InvalidAddress {
        /// The address as given.
        address: String,
    },
    /// The credentials could not be turned into a TLS configuration.
    #[error(transparent)]
    Security(#[from] SecurityError),
    /// TCP, TLS or HTTP/2 set-up failed.
    #[error("unable to connect to {what} at {address}: {reason}")]
    Connect {
        /// `driver` or `application master`.
        what: &'static str,
        /// The address dialled.
        address: String,
        /// Why, including the causes.
        reason: String,
    },
}

/// Connects to a skein driver at `address` (`host:port`).
///
/// # Errors
/// [`ClientError`] when the address is invalid or the connection or TLS handshake fails.
pub async fn connect_driver(
    address: &str,
    credentials: &Credentials,
) -> Result<DriverClient<Channel>, ClientError> {
    let config = tls::client_config(credentials)?;
    Ok(DriverClient::new(
        connect_channel(address, config, "driver").await?,
    ))
}

/// Connects to a skein ApplicationMaster at `address` (`host:port`).
///
/// # Errors
/// [`ClientError`] when the address is invalid or the connection or TLS handshake fails.
pub async fn connect_app_master(
    address: &str,
    credentials: &Credentials,
) -> Result<AppMasterClient<Channel>, ClientError> {
    let config = tls::client_config(credentials)?;
    Ok(AppMasterClient::new(
        connect_channel(address, config, "application master").await?,
    ))
}

/// Opens an HTTP/2 channel to `address` over TLS with the given rustls configuration
/// (see [`tls::client_config`] / [`tls::client_config_with`]). `what` names the peer in errors.
///
/// # Errors
/// [`ClientError`] when the address is invalid or the connection fails.
pub async fn connect_channel(
    address: &str,
    config: rustls::ClientConfig,
    what: &'static str,
) -> Result<Channel, ClientError> {
    let invalid = || ClientError::InvalidAddress {
        address: address.to_string(),
    };
    if address
        .rsplit_once(':')
        .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
    {
        return Err(invalid());
    }
    let endpoint = Endpoint::from_shared(format!("http://{address}"))
        .map_err(|_| invalid())?
        .origin(Uri::from_static("https://skein-internal"))
        .connect_timeout(CONNECT_TIMEOUT);
    let connector = tls_connector(Arc::new(config));
    endpoint
        .connect_with_connector(connector)
        .await
        .map_err(|err| ClientError::Connect {
            what,
            address: address.to_string(),
            reason: error_chain(&err),
        })
}

/// A tower connector: TCP to the URI's host and port, then a TLS handshake with `config`.
fn tls_connector(
    config: Arc<rustls::ClientConfig>,
) -> impl tower::Service<
    Uri,
    Response = TokioIo<tokio_rustls::client::TlsStream<TcpStream>>,
    Error = std::io::Error,
    Future = impl Send,
> + Send
+ 'static {
    let connector = tokio_rustls::TlsConnector::from(config);
    tower::service_fn(move |uri: Uri| {
        let connector = connector.clone();
        async move {
            let authority = uri.authority().ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "address without host")
            })?;
            let tcp = TcpStream::connect(authority.as_str()).await?;
            tcp.set_nodelay(true)?;
            let tls = connector.connect(tls::skein_server_name(), tcp).await?;
            Ok(TokioIo::new(tls))
        }
    })
}

/// `err: cause: cause ...`, since tonic's transport errors hide the interesting part.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
/// How long a liveness `ping` may take.
pub(crate) const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Pings the driver at `address`.
///
/// # Errors
/// [`ClientError`] when it cannot be reached or does not answer within [`PING_TIMEOUT`].
pub(crate) async fn ping_driver(
    address: &str,
    credentials: &Credentials,
) -> Result<(), ClientError> {
    let attempt = async {
        let mut driver = connect_driver(address, credentials).await?;
        driver
            .ping(crate::proto::Empty {})
            .await
            .map_err(|status| ClientError::Connect {
                what: "driver",
                address: address.to_string(),
                reason: status.message().to_string(),
            })?;
        Ok(())
    };
    tokio::time::timeout(PING_TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| {
            Err(ClientError::Connect {
                what: "driver",
                address: address.to_string(),
                reason: format!("no answer to ping within {PING_TIMEOUT:?}"),
            })
        })
}
