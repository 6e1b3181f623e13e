//! The wire contract of skein-rs: `proto/skein.proto` (package `skein`), compatible with
//! Skein 0.8 clients, compiled by `build.rs` into prost message types and tonic client and
//! server stubs.
//!
//! This crate is the only place wire types are defined. The rest of skein-rs computes on the
//! domain types of `skein-core` and converts at its edges: the gRPC services, the gRPC clients
//! and the staged `.skein.proto` file.
#![allow(clippy::all, missing_docs)]

tonic::include_proto!("skein");

/// The encoded `FileDescriptorSet` of `skein.proto`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/skein_descriptor.bin"));
