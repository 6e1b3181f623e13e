//! Long operations on a terminal show what they wait for, and say nothing extra in pipes:
//! `skein application submit` what the driver is doing (a large upload's bytes included),
//! `skein application logs --follow` the application's state until its first container.

use std::process::Command;

use crate::fixtures::{Cli, SKEIN};

/// 300 MiB: an upload that takes the driver a while, so that the line is drawn during it.
const BIG: u64 = 300 << 20;

#[test]
fn a_large_upload_shows_its_progress_on_a_terminal_and_nothing_in_a_pipe() {
    let big = tempfile::NamedTempFile::new().expect("a local file");
    big.as_file().set_len(BIG).expect("a 300 MiB file");
    let big = big.path();
    let (cli, _dir, spec) = driver_and_spec(&format!(
        "name: upload-progress\nservices:\n  s:\n    resources:\n      memory: 32\n      \
         vcores: 1\n    files:\n      big.bin: {}\n    script: sleep 600\n",
        big.display()
    ));

    let screen = on_terminal(&cli, &format!("application submit {spec}"));
    assert!(
        screen.contains("Uploading to HDFS: ") && screen.contains(" of 300.0 MiB ("),
        "no upload progress on the terminal:\n{screen:?}"
    );
    assert!(screen.contains(&big.display().to_string()), "{screen:?}");
    let on_terminal = screen
        .split(['\r', '\n'])
        .map(|l| l.trim_start_matches("\x1b[2K").trim())
        .rfind(|l| l.starts_with("application_"))
        .unwrap_or_else(|| panic!("no application id in {screen:?}"))
        .to_string();

    // In a pipe: the id alone, and nothing drawn on stderr.
    let (code, id, err) = cli.run(&["application", "submit", &spec]);
    assert_eq!(code, 0, "{err}");
    assert!(id.starts_with("application_") && !id.contains('\n'), "{id}");
    assert!(
        !err.contains("Uploading") && !err.contains('\x1b'),
        "{err:?}"
    );

    for app in [on_terminal.as_str(), id.as_str()] {
        let (code, _, err) = cli.run(&["application", "kill", app]);
        assert_eq!(code, 0, "{app}: {err}");
    }
    let _ = cli.run(&["driver", "stop"]);
}

/// A user with a running global driver, and `yaml` as a spec file (its folder, its path).
fn driver_and_spec(yaml: &str) -> (Cli, tempfile::TempDir, String) {
    let cli = Cli::new();
    let (code, _, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().expect("spec dir");
    let spec = dir.path().join("spec.yaml");
    std::fs::write(&spec, yaml).expect("write spec");
    (cli, dir, spec.to_string_lossy().to_string())
}

/// What `skein <args>` shows on a terminal: `script` runs it on a pseudo-terminal and copies
/// the screen's bytes (stdout and stderr together). Panics unless it succeeds.
fn on_terminal(cli: &Cli, args: &str) -> String {
    let envs: Vec<_> = cli
        .command(&[])
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let out = Command::new("script")
        .args(["-q", "-e", "-f", "-c"])
        .arg(format!("{SKEIN} {args}"))
        .arg("/dev/null")
        .envs(envs)
        .output()
        .expect("script");
    let screen = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "skein {args}: {screen:?}");
    screen
}

#[test]
fn following_logs_says_what_it_waits_for_on_a_terminal_only() {
    let (cli, _dir, spec) = driver_and_spec(
        "name: follow-progress\nservices:\n  hello:\n    resources:\n      memory: 32\n      \
         vcores: 1\n    script: echo hello from the container\n",
    );

    // Followed at once: the application master is not even running yet.
    let (code, id, err) = cli.run(&["application", "submit", &spec]);
    assert_eq!(code, 0, "{err}");
    let screen = on_terminal(&cli, &format!("application logs --follow {id}"));
    assert!(
        screen.contains(&format!("Waiting for the containers of {id} (")),
        "{screen:?}"
    );
    assert!(screen.contains("hello from the container"), "{screen:?}");

    let (code, id, err) = cli.run(&["application", "submit", &spec]);
    assert_eq!(code, 0, "{err}");
    let out = cli
        .command(&["application", "logs", "--follow", &id])
        .output()
        .expect("follow");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("hello from the container"), "{stdout}");
    assert!(
        !stderr.contains("Waiting") && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
    let _ = cli.run(&["driver", "stop"]);
}
