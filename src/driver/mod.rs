//! The driver: the daemon that serves `skein.Driver` to the Python client, dask-yarn and the
//! `skein` CLI.
//!
//! * [`service`] is the YARN-backed implementation of the Driver RPCs.
//! * [`reports`] converts the ResourceManager's documents to the wire contract's reports.

pub mod reports;
pub mod service;
