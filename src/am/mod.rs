//! The ApplicationMaster: everything an application's `skein.AppMaster` service does.
//!
//! So far: the key-value store ([`kv`], pure and synchronous) and its async edge ([`watch`]),
//! which serialises store access, streams watch events to `Watch` RPCs and drains them at
//! shutdown. The gRPC service, container state machine, web UI and shim bridge will sit next
//! to these and delegate kv RPCs to [`watch::KvService`].

pub mod kv;
pub mod watch;
