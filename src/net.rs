//! Network plumbing shared by the driver's and the ApplicationMaster's gRPC servers.

use tokio::net::{TcpListener, TcpStream};
use tokio_stream::Stream;

/// The mutual-TLS connections `listener` accepts for `server` (`"driver"`, `"application
/// master"`), each handshake on its own task so a slow client holds up no other. A refused
/// handshake (wrong or missing certificate, not TLS, too slow) is logged with the peer's
/// address and the reason, and the connection dropped.
pub(crate) fn tls_incoming(
    listener: TcpListener,
    config: std::sync::Arc<rustls::ServerConfig>,
    server: &'static str,
) -> impl Stream<Item = std::io::Result<tokio_rustls::server::TlsStream<TcpStream>>> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                // The server stopped and dropped the stream.
                () = tx.closed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    tracing::warn!("{server}: accepting a connection failed: {e}");
                    continue;
                }
            };
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("{server}: cannot set TCP_NODELAY for {peer}: {e}");
            }
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                let handshake = acceptor.accept(stream);
                match tokio::time::timeout(crate::security::tls::HANDSHAKE_TIMEOUT, handshake).await
                {
                    Ok(Ok(tls)) => {
                        let _ = tx.send(Ok(tls)).await;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!("{server}: refused a connection from {peer}: {e}");
                    }
                    Err(_) => tracing::warn!(
                        "{server}: refused a connection from {peer}: no TLS handshake within {:?}",
                        crate::security::tls::HANDSHAKE_TIMEOUT
                    ),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::{Credentials, tls};
    use tokio_stream::StreamExt;

    async fn handshake(
        address: std::net::SocketAddr,
        config: rustls::ClientConfig,
    ) -> std::io::Result<()> {
        let tcp = TcpStream::connect(address).await?;
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        connector
            .connect(tls::skein_server_name(), tcp)
            .await
            .map(drop)
    }

    #[tokio::test]
    async fn only_holders_of_the_key_pair_get_through_and_with_nodelay_set() {
        let ours = Credentials::generate().expect("credentials");
        let theirs = Credentials::generate().expect("credentials");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let config = tls::server_config(&ours).expect("server config");
        let mut incoming = Box::pin(tls_incoming(listener, config, "test"));

        // A stranger's handshake fails and yields no connection ...
        let stranger = tls::client_config_with(ours.cert_der(), Some(&theirs)).expect("config");
        // (A TLS 1.3 client learns of the refusal only when it reads, so its result is moot.)
        let _ = handshake(address, stranger).await;
        // ... while ours is served next, TCP_NODELAY set (Nagle would delay small replies).
        let client = tls::client_config(&ours).expect("config");
        let (served, accepted) = tokio::join!(handshake(address, client), incoming.next());
        served.expect("our handshake");
        let stream = accepted.expect("a connection").expect("accepted");
        let (tcp, session) = stream.get_ref();
        assert!(tcp.nodelay().expect("read the option"));
        assert!(
            session
                .peer_certificates()
                .is_some_and(|c| c[0] == *ours.cert_der()),
            "the client presented our certificate"
        );
    }
}
