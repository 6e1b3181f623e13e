//! The AM-level commands (`skein container`, `skein kv`) and the hidden
//! `skein application-master`, run as a user would, where no cluster is needed: their errors.

use std::process::Command;

/// Runs `skein` outside any container, with a private configuration folder.
fn skein(args: &[&str], dir: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(args)
        .current_dir(dir)
        .env("SKEIN_CONFIG", dir.join("config"))
        .env_remove("SKEIN_APPMASTER_ADDRESS")
        .env_remove("SKEIN_APPLICATION_ID")
        .env_remove("LOG_DIRS")
        .output()
        .expect("run skein");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn current_outside_a_container_is_refused_like_from_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    for args in [
        &["kv", "get", "current", "--key", "k"][..],
        &["kv", "ls", "current"][..],
        &["container", "ls", "current"][..],
    ] {
        let (code, stderr) = skein(args, dir.path());
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert_eq!(
            stderr, "Error: Not running inside a container\n",
            "{args:?}"
        );
    }
}

#[test]
fn a_malformed_container_id_is_refused_before_connecting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, stderr) = skein(
        &["container", "kill", "current", "--id", "nope"],
        dir.path(),
    );
    assert_eq!(code, 1);
    assert_eq!(stderr, "Error: Invalid container id 'nope'\n");
}

#[test]
fn the_application_master_is_hidden_and_needs_its_container() {
    let dir = tempfile::tempdir().expect("temp dir");
    let help = Command::new(env!("CARGO_BIN_EXE_skein"))
        .arg("--help")
        .output()
        .expect("run skein");
    assert!(!String::from_utf8_lossy(&help.stdout).contains("application-master"));
    let (code, stderr) = skein(&["application-master"], dir.path());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("The skein application master failed") && stderr.contains(".skein.crt"),
        "{stderr}"
    );
}

#[test]
fn a_value_over_the_message_limit_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let value = dir.path().join("value");
    std::fs::write(&value, vec![b'x'; 5 << 20]).expect("write the value");
    // The value comes from stdin; it is refused before any connection is attempted.
    let out = Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(["kv", "put", "application_1_0001", "--key", "big"])
        .env("SKEIN_CONFIG", dir.path().join("config"))
        .stdin(std::fs::File::open(&value).expect("open the value"))
        .output()
        .expect("run skein");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "The value of key 'big' is {} bytes (the key 3): the key-value store takes a key \
             and its value of at most 4128768 bytes together",
            5 << 20
        )),
        "{stderr}"
    );
}
