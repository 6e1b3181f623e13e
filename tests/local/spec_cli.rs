//! `skein spec validate` and `skein spec schema`, run as a user would.

use std::process::Command;

fn skein(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(args)
        .output()
        .expect("run skein");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn validate_prints_the_normalized_spec_with_defaults() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hello-world.yaml");
    let (code, stdout, stderr) = skein(&["spec", "validate", example]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("max_attempts: 1"), "{stdout}");
    assert!(stdout.contains("queue: default"), "{stdout}");
}

#[test]
fn validate_reports_every_error_with_its_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "name: bad\nservices:\n  worker:\n    instnces: 2\n    resources:\n      memory: 12 XB\n      vcores: 1\n    script: echo\n",
    )
    .expect("write");
    let (code, stdout, stderr) = skein(&["spec", "validate", &path.to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("bad.yaml:4:5"), "{stderr}");
    assert!(
        stderr.contains("instances"),
        "the unknown key gets a suggestion: {stderr}"
    );
    assert!(stderr.contains("bad.yaml:6:15"), "{stderr}");
    assert!(
        stderr.contains("services.worker.resources.memory"),
        "{stderr}"
    );
}

#[test]
fn schema_is_json_naming_the_spec_fields() {
    let (code, stdout, _) = skein(&["spec", "schema"]);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let text = schema.to_string();
    for field in ["services", "master", "max_restarts", "depends", "resources"] {
        assert!(text.contains(field), "{field} missing from the schema");
    }
}
