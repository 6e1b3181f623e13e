//! The Hadoop adapters of skein-rs: everything that talks to a cluster.
//!
//! * [`conf`]: a cluster's `*-site.xml` configuration (HADOOP_CONF_DIR, HA ids, `${}`).
//! * [`yarn`]: the ResourceManager REST client (submit, reports, kill, move, nodes, queues,
//!   HA failover).
//! * [`hdfs`]: HDFS through hdfs-native: the staging folder, the content cache and YARN's
//!   aggregated logs.
//! * [`security`]: Kerberos (SPNEGO, keytab logins, error classification) and Hadoop
//!   delegation tokens and token files.
//!
//! Where to start: [`conf::HadoopConfig::load`], then [`yarn::ResourceManager`] and
//! [`hdfs::Hdfs`], both built from that configuration.

pub mod conf;
pub mod hdfs;
pub mod observe;
pub mod security;
pub mod yarn;

/// Installs ring as the process-wide rustls crypto provider unless one is installed already.
/// Every TLS-using constructor of skein-rs calls it, so library users need not.
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // A concurrent install by another thread is fine: either provider is ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
