//! The pure core of skein-rs: what an application is and how it behaves, with no IO.
//!
//! * [`spec`]: the `ApplicationSpec` model. Specs are read from YAML or JSON with
//!   file:line:column errors, validated once, and trusted everywhere after.
//! * [`services`]: the ApplicationMaster's container state machine (depends, restarts,
//!   scaling, final status), driven by what YARN reports and what clients ask.
//! * [`kv`]: the ApplicationMaster's key-value store, its owners, transactions and watches.
//! * [`launch`]: the launch plan of a service container (files, env, command, ACLs).
//! * [`runtime`]: the interface between the ApplicationMaster and its YARN runtime (the Java
//!   shim's pipe protocol, specified in `java-shim/README.md`).
//!
//! Where to start: [`spec::load`] for a spec file, [`services::Services`] for the AM's logic.
//! Conversions to the wire types of `skein-proto` live next to each model.

pub mod kv;
pub mod launch;
pub mod runtime;
pub mod services;
pub mod spec;

/// The wire types, for the conversions at this crate's edges.
use skein_proto as proto;
