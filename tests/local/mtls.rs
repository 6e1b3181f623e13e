//! Mutual TLS between skein-rs clients and the driver: only holders of the shared key pair get
//! in, and clients only talk to a server holding it.

use crate::common::{RunningDriver, credentials, foreign_credentials};
use skein::client::{self, ClientError};
use skein::driver::ServeOptions;
use skein::proto::Empty;
use skein::security::tls;

async fn ping_with(address: &str, config: rustls::ClientConfig) -> Result<(), String> {
    let channel = client::connect_channel(address, config, "driver")
        .await
        .map_err(|err| err.to_string())?;
    skein::proto::driver_client::DriverClient::new(channel)
        .ping(Empty {})
        .await
        .map(|_| ())
        .map_err(|status| format!("{status:?}"))
}

#[tokio::test]
async fn a_client_with_the_shared_key_pair_is_served() {
    let driver = RunningDriver::start(credentials(), ServeOptions::default()).await;
    let address = driver.address.to_string();
    let mut client = client::connect_driver(&address, credentials())
        .await
        .expect("connect");
    client.ping(Empty {}).await.expect("ping");
    client
        .ping(Empty {})
        .await
        .expect("second ping, same connection");
    assert_eq!(driver.pings(), 2);

    let status = client
        .get_status(skein::proto::Application { id: "x".into() })
        .await
        .expect_err("not implemented by the test service");
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    driver.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_client_presenting_a_different_self_signed_certificate_is_refused() {
    let driver = RunningDriver::start(credentials(), ServeOptions::default()).await;
    // Trusts the real server, but authenticates with an unrelated key pair.
    let config = tls::client_config_with(credentials().cert_der(), Some(foreign_credentials()))
        .expect("config");
    let result = ping_with(&driver.address.to_string(), config).await;
    let err = result.expect_err("foreign client certificate was accepted");
    // Same subject as the trust anchor, so WebPKI checks the signature and it fails.
    assert!(err.contains("fatal alert: DecryptError"), "{err}");
    assert_eq!(driver.pings(), 0);
    driver.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let driver = RunningDriver::start(credentials(), ServeOptions::default()).await;
    let config = tls::client_config_with(credentials().cert_der(), None).expect("config");
    let result = ping_with(&driver.address.to_string(), config).await;
    let err = result.expect_err("anonymous client was accepted");
    assert!(err.contains("fatal alert: CertificateRequired"), "{err}");
    assert_eq!(driver.pings(), 0);
    driver.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_client_refuses_a_server_with_another_key_pair() {
    let driver = RunningDriver::start(foreign_credentials(), ServeOptions::default()).await;
    let result = client::connect_driver(&driver.address.to_string(), credentials()).await;
    let err = match result {
        Ok(mut client) => client
            .ping(Empty {})
            .await
            .map(|_| ())
            .map_err(|s| format!("{s:?}")),
        Err(err) => Err(err.to_string()),
    }
    .expect_err("client trusted a foreign server");
    assert!(
        err.contains("certificate") || err.contains("UnknownIssuer") || err.contains("issuer"),
        "{err}"
    );
    assert_eq!(driver.pings(), 0);
    driver.stop().await.expect("clean stop");
}

#[tokio::test]
async fn connecting_to_nothing_says_where() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let err = client::connect_driver(&address, credentials())
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, ClientError::Connect { .. }));
    assert!(err.to_string().contains(&address), "{err}");

    let err = client::connect_driver("no-port", credentials())
        .await
        .expect_err("bad address");
    assert!(matches!(err, ClientError::InvalidAddress { .. }), "{err}");
}
