//! The `skein` executable: entry point only.
fn main() -> std::process::ExitCode {
    // One rustls crypto provider for the whole process (ring), installed before any TLS use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    skein::cli::run()
}
