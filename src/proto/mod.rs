//! The generated wire types and gRPC stubs of `proto/skein.proto` (package `skein`).
//!
//! Nothing else in the crate hand-writes wire types; conversions to and from the model live
//! next to the model (see `spec`).
#![allow(clippy::all, missing_docs)]

tonic::include_proto!("skein");
