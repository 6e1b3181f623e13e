//! skein-rs: deploy applications described by YAML specs on Hadoop YARN.
//!
//! One crate, one binary (`skein`): the command-line tool, the driver daemon that serves the
//! `skein.Driver` gRPC service, and the ApplicationMaster that serves `skein.AppMaster`.
//! The wire contract is `proto/skein.proto`, compatible with Skein 0.8 clients.
//!
//! Where to start: [`spec`] is the application model every other part trusts once validated;
//! [`hadoop`] reads a cluster's configuration; [`yarn`] talks to the ResourceManager and
//! [`hdfs`] stages files; [`security`] holds the shared key pair and the mutual-TLS set-up every
//! connection uses; [`client`] connects to a driver or an ApplicationMaster; [`driver`] runs the
//! driver daemon; [`am`] is the ApplicationMaster; [`cli`] is the command-line tool.

pub mod am;
pub mod cli;
pub mod client;
pub mod driver;
pub mod hadoop;
pub mod hdfs;
pub mod net;
pub mod proto;
pub mod security;
pub mod spec;
pub mod yarn;

/// Installs ring as the process-wide rustls crypto provider unless one is installed already.
/// Every TLS-using constructor of this crate calls it, so library users need not.
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // A concurrent install by another thread is fine: either provider is ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
