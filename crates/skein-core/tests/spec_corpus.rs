//! The spec corpus: every file under `tests/specs/valid` loads, prints and reads back the same,
//! and survives the wire; every file under `tests/specs/invalid` fails with exactly the
//! messages and locations in its `.err` file beside it.
//!
//! After a deliberate change of messages, `SKEIN_BLESS=1 cargo test --test spec_corpus`
//! rewrites the `.err` files; review their diff before committing.

use std::path::{Path, PathBuf};

use skein_core::spec;

/// Spec files of a corpus folder, relative to the package root so messages name them the way a
/// user would.
fn specs(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new("tests/specs").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_none_or(|e| e != "err"))
        .collect();
    files.sort();
    files
}

#[test]
fn cargo_runs_corpus_tests_from_the_package_root() {
    assert!(Path::new("tests/specs/valid").is_dir());
}

#[test]
fn valid_specs_load_and_round_trip() {
    let files = specs("valid");
    assert!(files.len() >= 30, "only {} valid specs", files.len());
    for path in files {
        let loaded = spec::load(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        let yaml = loaded.to_yaml();
        let again = spec::from_yaml_str(&yaml, "normalized.yaml", Path::new("/"));
        assert_eq!(
            again.as_ref(),
            Ok(&loaded),
            "{}: YAML was\n{yaml}",
            path.display()
        );
        let wire = skein_proto::ApplicationSpec::from(&loaded);
        assert_eq!(
            spec::ApplicationSpec::try_from(wire).as_ref(),
            Ok(&loaded),
            "{}",
            path.display()
        );
    }
}

#[test]
fn invalid_specs_fail_with_their_exact_messages() {
    let files = specs("invalid");
    assert!(files.len() >= 30, "only {} invalid specs", files.len());
    let bless = std::env::var_os("SKEIN_BLESS").is_some();
    let mut mismatches = Vec::new();
    for path in files {
        let actual = match spec::load(&path) {
            Ok(s) => panic!("{} loaded but must fail:\n{}", path.display(), s.to_yaml()),
            Err(e) => format!("{e}\n"),
        };
        let err_path = PathBuf::from(format!("{}.err", path.display()));
        if bless {
            std::fs::write(&err_path, &actual).expect("write .err");
            continue;
        }
        let expected = std::fs::read_to_string(&err_path)
            .unwrap_or_else(|e| panic!("{}: {e}", err_path.display()));
        if expected != actual {
            mismatches.push(format!(
                "{}\n  expected: {expected:?}\n  actual:   {actual:?}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn the_examples_users_copy_are_valid() {
    let mut count = 0;
    // The repository's examples/, two levels above this crate.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for entry in std::fs::read_dir(&examples).expect("examples/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
            count += 1;
        }
    }
    assert!(count >= 5, "only {count} examples");
}
