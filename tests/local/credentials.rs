//! Skein-compatible credentials: the generated certificate looks exactly like Python Skein's,
//! and files are written and loaded with Skein's rules.

use std::os::unix::fs::PermissionsExt;

use skein::security::{Credentials, SecurityError};
use x509_parser::prelude::{FromDer, X509Certificate, X509Version};

#[test]
fn a_generated_certificate_has_skeins_exact_shape() {
    let credentials = Credentials::generate().expect("generate");
    assert!(
        credentials
            .cert_pem()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(
        credentials
            .key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );

    let (rest, cert) = X509Certificate::from_der(credentials.cert_der()).expect("parse");
    assert!(rest.is_empty());
    assert_eq!(cert.version(), X509Version::V3);
    assert_eq!(cert.subject().to_string(), "CN=skein-internal");
    assert_eq!(cert.issuer().to_string(), "CN=skein-internal");
    assert!(cert.extensions().is_empty(), "no extensions, no SAN");
    assert_eq!(
        cert.signature_algorithm.algorithm.to_id_string(),
        "1.2.840.113549.1.1.11",
        "sha256WithRSAEncryption"
    );
    let key = cert.public_key().parsed().expect("public key");
    assert_eq!(key.key_size(), 2048);

    let validity = cert.validity();
    let lifetime = validity.not_after.timestamp() - validity.not_before.timestamp();
    assert_eq!(lifetime, 365 * 24 * 3600);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!((validity.not_before.timestamp() - now).abs() < 120);

    let other = Credentials::generate().expect("generate");
    let (_, other) = X509Certificate::from_der(other.cert_der()).expect("parse");
    assert_ne!(cert.raw_serial(), other.raw_serial(), "random serials");
}

#[test]
fn gencerts_writes_private_files_and_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("nested").join(".skein");
    let first = Credentials::generate().expect("generate");
    first.write_to_directory(&config, false).expect("write");
    for name in ["skein.crt", "skein.pem"] {
        let mode = std::fs::metadata(config.join(name))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    assert!(config.join("skein.lock").exists());

    let second = Credentials::generate().expect("generate");
    let err = second
        .write_to_directory(&config, false)
        .expect_err("exists");
    assert!(matches!(
        err,
        SecurityError::AlreadyExists {
            name: "skein.crt",
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "'skein.crt' file already exists, use `--force` to overwrite"
    );
    let loaded = Credentials::from_directory(&config).expect("load");
    assert_eq!(loaded.cert_pem(), first.cert_pem());

    second.write_to_directory(&config, true).expect("force");
    let loaded = Credentials::from_directory(&config).expect("load");
    assert_eq!(loaded.cert_pem(), second.cert_pem());
    assert_eq!(loaded.key_pem(), second.key_pem());
}

#[test]
fn missing_credentials_are_created_on_first_use_with_skeins_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join(".skein");
    let err = Credentials::from_directory(&config).expect_err("nothing there");
    assert!(err.to_string().contains("skein config gencerts"), "{err}");

    let created = Credentials::load_or_create(&config).expect("create");
    assert_eq!(created.written_to.as_deref(), Some(config.as_path()));
    assert_eq!(
        created.warning().expect("warning"),
        format!(
            "Skein global security credentials not found, writing now to '{}'.",
            config.display()
        )
    );
    let again = Credentials::load_or_create(&config).expect("load");
    assert!(again.written_to.is_none());
    assert_eq!(again.credentials.cert_pem(), created.credentials.cert_pem());
}

#[test]
fn garbage_is_rejected_with_the_file_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = Credentials::generate().expect("generate");
    std::fs::write(dir.path().join("skein.crt"), good.cert_pem()).expect("write");
    std::fs::write(dir.path().join("skein.pem"), "not a key").expect("write");
    let err = Credentials::from_directory(dir.path()).expect_err("bad key");
    assert!(matches!(err, SecurityError::InvalidKey { .. }));
    assert!(err.to_string().contains("skein.pem"), "{err}");

    let err =
        Credentials::from_pem("nope", good.key_pem(), "SKEIN_CERTIFICATE").expect_err("bad cert");
    assert!(err.to_string().contains("SKEIN_CERTIFICATE"), "{err}");
}
