//! Mutual-TLS configurations built from skein [`Credentials`].
//!
//! *Server* ([`server_config`]): presents the certificate, and requires every client to
//! present a certificate that verifies against that same certificate as the only trust
//! anchor (rustls' WebPKI client verifier accepts Skein's extension-less, CN-only self-signed
//! certificate as anchor; the tests prove it). ALPN is `h2`.
//!
//! *Client* ([`client_config`]): presents the certificate, and accepts a server whose
//! certificate chains to (in practice: equals) the pinned certificate. Skein certificates carry
//! no subjectAltName, so WebPKI host-name validation can never succeed; Python's grpcio works
//! around it with the target-name override `skein-internal` and its CN fallback. Here
//! [`PinnedServerVerifier`] performs the full WebPKI chain check (signature, validity
//! dates, usage) and skips only the name check, and checks handshake signatures with the ring
//! provider's algorithms.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::SecurityError;
use super::credentials::{Credentials, SKEIN_COMMON_NAME};

/// ALPN protocol id of HTTP/2, which gRPC requires.
pub const ALPN_H2: &[u8] = b"h2";

/// How long a server waits for a client to finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS server name clients send (SNI), as Python's `ssl_target_name_override`.
pub fn skein_server_name() -> ServerName<'static> {
    ServerName::DnsName(
        rustls::pki_types::DnsName::try_from(SKEIN_COMMON_NAME)
            .expect("'skein-internal' is a valid DNS name")
            .to_owned(),
    )
}

/// The ring crypto provider, used explicitly so no process-wide default is needed.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// rustls server configuration for the driver's and the AM's TLS acceptor
/// ([`crate::net::tls_incoming`]): the credentials as identity, a client certificate required
/// and verified against the credentials' certificate as the only trust anchor, ALPN `h2`.
///
/// # Errors
/// [`SecurityError::Tls`] when rustls rejects the certificate or key.
pub(crate) fn server_config(
    credentials: &Credentials,
) -> Result<Arc<rustls::ServerConfig>, SecurityError> {
    let provider = crypto_provider();
    let mut roots = RootCertStore::empty();
    roots
        .add(credentials.cert_der().clone())
        .map_err(tls_error)?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(tls_error)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![credentials.cert_der().clone()], credentials.key_der()?)
        .map_err(tls_error)?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(config))
}

/// rustls client configuration for talking to a skein driver or ApplicationMaster: trusts
/// exactly the credentials' certificate and authenticates with the same key pair.
///
/// # Errors
/// [`SecurityError::Tls`] when rustls rejects the certificate or key.
pub fn client_config(credentials: &Credentials) -> Result<rustls::ClientConfig, SecurityError> {
    client_config_with(credentials.cert_der(), Some(credentials))
}

/// Like [`client_config`], but with the trust anchor and the client identity given apart
/// (`None` = present no client certificate). Used by tests to play a foreign client.
///
/// # Errors
/// [`SecurityError::Tls`] when rustls rejects the certificate or key.
pub fn client_config_with(
    trusted: &CertificateDer<'static>,
    identity: Option<&Credentials>,
) -> Result<rustls::ClientConfig, SecurityError> {
    let provider = crypto_provider();
    let verifier = PinnedServerVerifier::new(trusted.clone(), &provider)?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(vec![identity.cert_der().clone()], identity.key_der()?)
            .map_err(tls_error)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(config)
}

/// Verifies that the server's certificate chains to one pinned certificate, ignoring the
/// server name (skein certificates have no subjectAltName).
#[derive(Debug)]
pub struct PinnedServerVerifier {
    roots: RootCertStore,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedServerVerifier {
    /// Pins `trusted` as the only trust anchor; signatures use `provider`'s algorithms.
    ///
    /// # Errors
    /// [`SecurityError::Tls`] when the certificate cannot serve as a trust anchor.
    pub fn new(
        trusted: CertificateDer<'static>,
        provider: &CryptoProvider,
    ) -> Result<Self, SecurityError> {
        let mut roots = RootCertStore::empty();
        roots.add(trusted).map_err(tls_error)?;
        Ok(Self {
            roots,
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

impl ServerCertVerifier for PinnedServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn tls_error(err: impl std::fmt::Display) -> SecurityError {
    SecurityError::Tls(err.to_string())
}
