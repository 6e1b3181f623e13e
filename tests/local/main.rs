//! Tests of the `skein` binary and library that need no cluster: the CLI's own checks, the
//! credentials, the driver daemon's life cycle and launch contract, mutual TLS, the kv watch
//! edge and the spec commands. One test binary, so that a change links it once.

mod appclient_cli;
mod common;
mod completion_cli;
mod credentials;
mod driver_launch;
mod driver_lifecycle;
mod kv_watch;
mod mtls;
mod spec_cli;
