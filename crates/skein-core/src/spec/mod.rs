//! The ApplicationSpec model: loading YAML or JSON spec files, Skein's defaults and rules,
//! errors with file:line:column, memory units, and conversion to and from the wire.
//!
//! Start with [`load`], which returns a validated [`ApplicationSpec`] or a [`SpecError`]
//! holding every problem of the file. The rest of skein-rs trusts a validated spec.
//! Specs from the wire go through `TryFrom<proto::ApplicationSpec>`, which applies the same
//! rules. Pure: no IO beyond reading the spec file.
//!
//! Layout: `node` parses text into a located tree, `build` turns the tree into the model
//! (`model`) collecting type and key problems, `validate` checks rules between values,
//! `proto` converts to and from the wire, `document` writes specs out, `schema` describes
//! them for editors.
//!
//! # Usage
//! ```
//! use std::path::Path;
//! let spec = skein_core::spec::from_yaml_str(
//!     "services:\n  hello:\n    resources: {memory: 1 GiB, vcores: 1}\n    script: echo hi\n",
//!     "hello.yaml",
//!     Path::new("/home/alice"),
//! )
//! .expect("a valid spec");
//! assert_eq!(spec.services["hello"].resources.memory, 1024);
//! ```

mod build;
mod document;
mod duration;
mod error;
mod fields;
mod log_aggregation;
mod memory;
mod model;
pub(crate) mod node;
mod proto;
mod readiness;
mod schema;
pub mod source;
mod validate;
pub use validate::{MAX_FILES, MAX_SERVICES};

use std::path::{Path, PathBuf};

pub use duration::{DurationError, format_duration, parse_duration};
pub use error::SpecError;
use error::{Diagnostic, FieldPath};
pub use log_aggregation::LogAggregation;
pub use model::{
    Acls, ApplicationSpec, File, FileType, KerberosPrincipal, LogLevel, Master, Resources,
    RestartMode, RestartPolicy, Secret, Security, Service, UnknownName, Visibility,
};
use node::Pos;
pub use readiness::{Readiness, ReadinessProbe};
use schema::json_schema;

use node::Node;

/// The formats a spec file can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.yaml` or `.yml` (YAML 1.2).
    Yaml,
    /// `.json`.
    Json,
}

impl Format {
    /// The format of a file, by its extension (any case).
    ///
    /// # Errors
    /// A [`SpecError`] naming the extension when it is not `.yaml`, `.yml` or `.json`.
    pub fn of(path: &Path) -> Result<Format, SpecError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("yaml" | "yml") => Ok(Format::Yaml),
            Some("json") => Ok(Format::Json),
            other => {
                let found = match other {
                    Some(e) => format!("unsupported file type '.{e}'"),
                    None => "unsupported file type (no extension)".to_string(),
                };
                Err(file_error(
                    path,
                    format!("{found}: expected a .yaml, .yml or .json spec file"),
                ))
            }
        }
    }
}

/// Reads and validates a spec file; the format is chosen by extension, and relative local file
/// sources are resolved against the file's folder into `file:///abs/path` URLs.
///
/// # Errors
/// A [`SpecError`] with every problem: an unreadable file, an unsupported extension, a syntax
/// error, or each invalid field with its line, column and path.
pub fn load(path: &Path) -> Result<ApplicationSpec, SpecError> {
    let format = Format::of(path)?;
    let metadata = std::fs::metadata(path).map_err(|e| file_error(path, io_message(&e)))?;
    if metadata.len() > node::MAX_SPEC_BYTES as u64 {
        return Err(file_error(
            path,
            format!("the spec is larger than {} MiB", node::MAX_SPEC_BYTES >> 20),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path, io_message(&e)))?;
    let base_dir = path.parent().unwrap_or(Path::new(""));
    let origin = path.display().to_string();
    match format {
        Format::Yaml => from_yaml_str(&text, &origin, base_dir),
        Format::Json => from_json_str(&text, &origin, base_dir),
    }
}

/// Parses and validates YAML spec text. `origin` names the text in errors; relative local file
/// sources are resolved against `base_dir` (made absolute against the current directory).
///
/// # Errors
/// A [`SpecError`] with every problem of the text.
pub fn from_yaml_str(
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<ApplicationSpec, SpecError> {
    from_tree(node::parse_yaml(text), origin, base_dir)
}

/// Parses and validates JSON spec text; see [`from_yaml_str`].
///
/// # Errors
/// A [`SpecError`] with every problem of the text.
pub fn from_json_str(
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<ApplicationSpec, SpecError> {
    from_tree(node::parse_json(text), origin, base_dir)
}

fn from_tree(
    tree: Result<Node, node::SyntaxError>,
    origin: &str,
    base_dir: &Path,
) -> Result<ApplicationSpec, SpecError> {
    let root = tree.map_err(|e| {
        SpecError::single(Diagnostic {
            file: origin.to_string(),
            line: e.pos.line,
            column: e.pos.column,
            path: FieldPath::root(),
            message: e.message,
            hint: None,
        })
    })?;
    let base_dir = absolute_dir(base_dir);
    let built = build::build(&root, &base_dir);
    let mut located: Vec<(Pos, error::Problem)> = Vec::new();
    for problem in validate::validate(&built.spec) {
        let covered = built
            .found
            .iter()
            .any(|f| f.covers && problem.path.starts_with(&f.problem.path))
            || built.shadowed.iter().any(|s| problem.path.starts_with(s));
        if !covered {
            located.push((position_of(&built.positions, &problem.path), problem));
        }
    }
    located.extend(built.found.into_iter().map(|f| (f.pos, f.problem)));
    if located.is_empty() {
        return Ok(built.spec);
    }
    // Text order; the sort is stable, so problems at one place keep their order.
    located.sort_by_key(|(pos, _)| (pos.line, pos.column));
    Err(SpecError {
        diagnostics: located
            .into_iter()
            .map(|(pos, problem)| Diagnostic::at(origin, pos, problem))
            .collect(),
    })
}

/// Where a field was written, or where the nearest enclosing field was (for defaults).
fn position_of(positions: &std::collections::HashMap<FieldPath, Pos>, path: &FieldPath) -> Pos {
    let mut current = Some(path.clone());
    while let Some(p) = current {
        if let Some(pos) = positions.get(&p) {
            return *pos;
        }
        current = p.parent();
    }
    Pos::START
}

fn absolute_dir(dir: &Path) -> PathBuf {
    if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        // The only environment a pure loader reads: Skein resolves against the CWD too.
        std::env::current_dir()
            .map(|cwd| cwd.join(dir))
            .unwrap_or_else(|_| Path::new("/").join(dir))
    }
}

fn file_error(path: &Path, message: String) -> SpecError {
    SpecError::single(Diagnostic {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        path: FieldPath::root(),
        message,
        hint: None,
    })
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_string(),
        _ => format!("cannot read the file: {e}"),
    }
}

/// What `skein spec validate FILE...` prints: each valid spec normalized (YAML, defaults
/// filled in, preceded by a `# FILE` line when there are several files) on stdout, every
/// problem on stderr, and whether all files were valid.
pub fn validate_files(paths: &[PathBuf]) -> (String, String, bool) {
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut ok = true;
    for path in paths {
        match load(path) {
            Ok(spec) => {
                if paths.len() > 1 {
                    stdout.push_str(&format!("# {}\n", path.display()));
                }
                stdout.push_str(&spec.to_yaml());
            }
            Err(e) => {
                ok = false;
                stderr.push_str(&e.to_string());
                stderr.push('\n');
            }
        }
    }
    (stdout, stderr, ok)
}

/// The JSON Schema as pretty-printed text (what `skein spec schema` prints).
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;
