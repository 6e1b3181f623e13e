//! skein-rs: deploy applications described by YAML specs on Hadoop YARN.
//!
//! One crate, one binary (`skein`): the command-line tool, the driver daemon that serves the
//! `skein.Driver` gRPC service, and the ApplicationMaster that serves `skein.AppMaster`.
//! The wire contract is `proto/skein.proto`, compatible with Skein 0.8 clients.
//!
//! Where to start: [`spec`] is the application model every other part trusts once validated;
//! [`hadoop`] reads a cluster's configuration; [`yarn`] talks to the ResourceManager.

pub mod proto;
pub mod spec;
