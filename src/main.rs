//! The `skein` executable: entry point only.
fn main() -> std::process::ExitCode {
    // One rustls crypto provider for the whole process (ring), installed before any TLS use.
    skein::ensure_crypto_provider();
    eprintln!("skein: no commands yet");
    std::process::ExitCode::from(2)
}
