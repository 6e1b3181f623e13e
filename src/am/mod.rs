//! The ApplicationMaster: everything an application's `skein.AppMaster` service does.
//!
//! * [`master`]: the AM process — starts the Java shim, registers, runs the services and ends
//!   the application; [`master::AppMaster`] is what the gRPC service calls into.
//! * [`launch`]: what a service container is started with (pure).
//! * [`shim`]: the bridge to the Java shim (AMRMClientAsync/NMClientAsync) and its protocol.
//! * [`watch`]: the async edge of the key-value store (`skein_core::kv`; `kv_wire` converts its
//!   requests and responses to and from `skein.proto`), whose owner checks
//!   ask the service state machine (`skein_core::services`) through its container directory.
//! * [`grpc`]: the `skein.AppMaster` gRPC service over all of the above; `status` maps the
//!   core's errors to Skein's gRPC codes and messages.
//! * [`tokens`]: the application's delegation tokens: their status, and with a
//!   `kerberos_principal` new ones before the current ones expire.
//! * [`driver_script`]: the master script ("application driver").
//! * [`ui`]: the web UI behind the YARN web proxy (overview, key-value store, proxied pages).
//! * [`container`]: the AM as YARN runs it (`skein application-master`): gRPC and web servers,
//!   master script, SIGTERM, staging folder removal; `bind` chooses the address they listen
//!   on.

mod bind;
pub mod container;
pub(crate) mod driver_script;
pub(crate) mod grpc;
mod kv_wire;
pub mod master;
mod readiness;
pub mod shim;
mod status;
pub mod tokens;
pub mod ui;
pub mod watch;

pub use master::{AppMaster, ApplicationMaster};
