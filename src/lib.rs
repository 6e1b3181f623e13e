//! skein-rs: deploy applications described by YAML specs on Hadoop YARN.
//!
//! One crate, one binary (`skein`): the command-line tool, the driver daemon that serves the
//! `skein.Driver` gRPC service, and the ApplicationMaster that serves `skein.AppMaster`.
//! The wire contract is `proto/skein.proto`, compatible with Skein 0.8 clients.
//!
//! Where to start: [`security`] holds the shared key pair and the mutual-TLS set-up every
//! connection uses; [`client`] connects to a driver or an ApplicationMaster; [`driver`] runs the
//! driver daemon; [`cli`] is the command-line tool.

pub mod cli;
pub mod client;
pub mod driver;
pub mod proto;
pub mod security;
