//! `skein completion` and `skein man`: the completion script loaded into a real bash completes
//! as a user's TAB would, and the man pages cover every visible command.

use std::process::Command;

/// What bash's completion function offers for the words of `line` (the last one being
/// completed), after sourcing `skein completion bash`.
fn bash_completes(line: &[&str]) -> Vec<String> {
    let words = line
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let current = line.last().copied().unwrap_or_default();
    let previous = line.len().checked_sub(2).map_or("", |i| line[i]);
    let script = format!(
        "source <(\"$SKEIN\" completion bash) || exit 3\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE=\"{joined}\"; \
         COMP_POINT=${{#COMP_LINE}}\n\
         _skein skein '{current}' '{previous}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        cword = line.len() - 1,
        joined = line.join(" "),
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("SKEIN", env!("CARGO_BIN_EXE_skein"))
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_and_subcommands() {
    assert_eq!(bash_completes(&["skein", "app"]), ["application"]);
    assert_eq!(bash_completes(&["skein", "application", "su"]), ["submit"]);
    let kv = bash_completes(&["skein", "kv", ""]);
    for command in ["get", "put", "del", "ls"] {
        assert!(kv.contains(&command.to_string()), "{kv:?}");
    }
    // What YARN containers run is not offered to users.
    assert!(bash_completes(&["skein", "application-"]).is_empty());
    assert!(bash_completes(&["skein", "tok"]).is_empty());
}

#[test]
fn man_pages_cover_every_visible_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(["man", "--out"])
        .arg(dir.path())
        .output()
        .expect("run skein man");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for page in [
        "skein.1",
        "skein-application-submit.1",
        "skein-kv-put.1",
        "skein-completion.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is a man page: {text}");
    }
    let submit = std::fs::read_to_string(dir.path().join("skein-application-submit.1"))
        .expect("submit's page");
    assert!(submit.contains(r"\-\-wait"), "{submit}");
    assert!(!dir.path().join("skein-application-master.1").exists());
    assert!(!dir.path().join("skein-token-agent.1").exists());
}
