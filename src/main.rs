//! The `skein` executable: entry point only.
fn main() -> std::process::ExitCode {
    // One rustls crypto provider for the whole process (ring), installed before any TLS use.
    skein::ensure_crypto_provider();
    skein::cli::run()
}
