//! Compiles proto/skein.proto (the wire contract) with a pure-Rust protoc (protox).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/skein.proto");
    let descriptors = protox::compile(["proto/skein.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
