//! Spec errors: every problem of a spec, each with file, line, column, field path and a hint.
//!
//! One `SpecError` carries all diagnostics so that a user fixes a spec in one round instead of
//! one error per run.

use std::fmt;

use super::node::Pos;

/// One step of a field path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A mapping key (a field name, a service name, a file destination, ...).
    Key(String),
    /// A position in a list.
    Index(usize),
}

/// Where a value sits in the spec, printed like `services.worker.resources.memory`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// The path of the whole spec.
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        FieldPath(segments)
    }

    /// This path extended by a list index.
    pub fn index(&self, index: usize) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        FieldPath(segments)
    }

    /// The enclosing path, or `None` at the root.
    pub fn parent(&self) -> Option<FieldPath> {
        let mut segments = self.0.clone();
        segments.pop().map(|_| FieldPath(segments))
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &FieldPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// Whether this is the whole spec.
    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    // Keys such as `data.tar.gz` would make the path ambiguous unless quoted.
                    let plain = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'));
                    if plain {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A problem found without knowing the text it came from (a model or proto rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The field the problem is about.
    pub path: FieldPath,
    /// What is wrong, and what was expected.
    pub message: String,
    /// How to fix it, when there is a likely fix.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem without a hint.
    pub fn new(path: FieldPath, message: impl Into<String>) -> Problem {
        Problem {
            path,
            message: message.into(),
            hint: None,
        }
    }

    /// The same problem with a hint.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

/// One problem of a spec, located in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The spec file (as given by the user) or another origin such as `<proto>`.
    pub file: String,
    /// Line, counted from 1; 0 when the problem has no place in a text.
    pub line: u64,
    /// Column, counted from 1; 0 when the problem has no place in a text.
    pub column: u64,
    /// The field the problem is about (empty for the whole spec).
    pub path: FieldPath,
    /// What is wrong, and what was expected.
    pub message: String,
    /// How to fix it, when there is a likely fix.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub(crate) fn at(file: &str, pos: Pos, problem: Problem) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            path: problem.path,
            message: problem.message,
            hint: problem.hint,
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:column: path: message; hint`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if !self.path.is_root() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in a spec, in the order of the text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    /// The problems; never empty.
    pub diagnostics: Vec<Diagnostic>,
}

impl SpecError {
    /// An error with one diagnostic.
    pub fn single(diagnostic: Diagnostic) -> SpecError {
        SpecError {
            diagnostics: vec![diagnostic],
        }
    }
}

impl fmt::Display for SpecError {
    /// One diagnostic per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_yaml_keys() {
        let p = FieldPath::root()
            .key("services")
            .key("worker")
            .key("resources")
            .key("memory");
        assert_eq!(p.to_string(), "services.worker.resources.memory");
        let p = FieldPath::root().key("tags").index(2);
        assert_eq!(p.to_string(), "tags[2]");
        let p = FieldPath::root()
            .key("master")
            .key("files")
            .key("env.tar.gz");
        assert_eq!(p.to_string(), "master.files.\"env.tar.gz\"");
    }

    #[test]
    fn diagnostics_print_file_line_column_path_message_hint() {
        let d = Diagnostic {
            file: "examples/bad.yaml".into(),
            line: 7,
            column: 15,
            path: FieldPath::root().key("services").key("worker"),
            message: "unknown key `instnces`".into(),
            hint: Some("did you mean `instances`?".into()),
        };
        assert_eq!(
            d.to_string(),
            "examples/bad.yaml:7:15: services.worker: unknown key `instnces`; did you mean `instances`?"
        );
        let e = SpecError {
            diagnostics: vec![
                d.clone(),
                Diagnostic {
                    line: 0,
                    path: FieldPath::root(),
                    hint: None,
                    ..d
                },
            ],
        };
        assert_eq!(
            e.to_string().lines().nth(1),
            Some("examples/bad.yaml: unknown key `instnces`")
        );
    }
}
