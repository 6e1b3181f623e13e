//! skein-rs: deploy applications described by YAML specs on Hadoop YARN.
//!
//! One crate, one binary (`skein`): the command-line tool, the driver daemon that serves the
//! `skein.Driver` gRPC service, and the ApplicationMaster that serves `skein.AppMaster`.
//! The wire contract is `crates/skein-proto/proto/skein.proto`, compatible with Skein 0.8 clients.
//!
//! This crate is the `skein` binary's library: the edges. The pure model (spec, service state
//! machine, kv store) is `skein-core`, the Hadoop adapters (configuration, ResourceManager REST,
//! HDFS) are `skein-hadoop` and the wire contract is `skein-proto`.
//!
//! Where to start: [`security`] holds the shared key pair and the mutual-TLS set-up every
//! connection uses; [`client`] connects to a driver or an ApplicationMaster; [`driver`] runs the
//! driver daemon; [`am`] is the ApplicationMaster; [`cli`] is the command-line tool.

pub mod am;
pub mod cli;
pub mod client;
pub mod driver;
pub(crate) mod grpc_extras;
pub mod metrics;
pub mod net;
pub mod security;

/// The wire types (`skein-proto`), re-exported for the gRPC edges and clients.
pub use skein_proto as proto;

pub use skein_hadoop::ensure_crypto_provider;
