//! File sources: local paths become absolute `file://` URLs, URLs are kept in one canonical
//! form that the wire's `Url{scheme, host, port, file}` holds without loss.
//!
//! Canonical form: `scheme://host[:port]/path` with scheme and host lower-cased (Skein's Python
//! client lower-cases the host on the wire), the port only when it is a real port (1-65535),
//! and no user info, query or fragment (the wire form has no place for them, so Skein dropped
//! them silently; here they are an error).

use std::path::{Component, Path, PathBuf};

/// The parts of a canonical source, as the wire's `Url` message holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    /// Scheme, lower-case (`file`, `hdfs`, ...).
    pub scheme: String,
    /// Host name, lower-case; IPv6 addresses without brackets, as Python's `urlparse` gives.
    pub host: String,
    /// Port, or 0 when none.
    pub port: i32,
    /// The path, starting with `/` or empty.
    pub file: String,
}

/// Why a text is not a file source the wire form can carry. The messages are shown to users
/// at the spec's location of the source.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Nothing but white space.
    #[error("a file source must not be empty")]
    Empty,
    /// No `scheme:/` where a URL is required.
    #[error("'{0}' is not a URL; expected a source such as 'file:///path' or 'hdfs:///path'")]
    NotAUrl(String),
    /// A scheme with characters a URL scheme cannot have.
    #[error("invalid URL scheme '{0}'")]
    Scheme(String),
    /// A port outside 1-65535 on the wire.
    #[error("invalid port {0}")]
    WirePort(i32),
    /// `?` or `#`.
    #[error(
        "a file source cannot have a query or fragment ('?' or '#'); the wire form has no place for them"
    )]
    QueryOrFragment,
    /// `user@host`.
    #[error("a file source cannot carry a user name ('user@host')")]
    UserInfo,
    /// A host the wire form cannot hold.
    #[error("invalid host '{0}' in file source")]
    Host(String),
    /// A port that is not 1-65535.
    #[error("invalid port '{0}' in file source: expected 1-65535")]
    Port(String),
}

/// Turns what a user wrote as a file source into its canonical URL.
///
/// # Errors
/// A message when the source is empty, has a malformed authority, or uses parts the wire
/// cannot carry.
pub fn canonical_source(raw: &str, base_dir: &Path) -> Result<String, SourceError> {
    // Not trimmed: Skein keeps the text as written, and a path may end in a space.
    if raw.trim().is_empty() {
        return Err(SourceError::Empty);
    }
    match split_scheme(raw) {
        None => {
            let url = format!("file://{}", absolute_local(raw, base_dir).display());
            // A local name with '?' or '#' would be cut there on the wire.
            split(&url)?;
            Ok(url)
        }
        Some((scheme, rest)) => {
            let parts = parse_after_scheme(&scheme, rest)?;
            Ok(join(&parts))
        }
    }
}

/// Splits a canonical source into wire parts.
///
/// # Errors
/// A message when the text is not a canonical source (only possible for values that did not
/// come through [`canonical_source`]).
pub fn split(source: &str) -> Result<UrlParts, SourceError> {
    let Some((scheme, rest)) = split_scheme(source) else {
        return Err(SourceError::NotAUrl(source.to_string()));
    };
    parse_after_scheme(&scheme, rest)
}

/// Builds the canonical source of wire parts (like the Python client, but without `:0`).
///
/// # Errors
/// A message when the scheme is missing or the port is out of range.
pub(crate) fn from_parts(parts: &UrlParts) -> Result<String, SourceError> {
    if parts.scheme.is_empty() || split_scheme(&format!("{}:/", parts.scheme)).is_none() {
        return Err(SourceError::Scheme(parts.scheme.clone()));
    }
    if parts.port > 65535 {
        return Err(SourceError::WirePort(parts.port));
    }
    let normalized = UrlParts {
        scheme: parts.scheme.to_ascii_lowercase(),
        host: parts.host.to_ascii_lowercase(),
        // Java reports a missing port as -1 and Python as 0: both mean none.
        port: parts.port.max(0),
        file: parts.file.clone(),
    };
    // Re-parse so that anything the canonical form rejects is rejected here too.
    split(&join(&normalized)).map(|p| join(&p))
}

fn join(parts: &UrlParts) -> String {
    let host = if parts.host.contains(':') {
        format!("[{}]", parts.host)
    } else {
        parts.host.clone()
    };
    let port = if parts.port > 0 {
        format!(":{}", parts.port)
    } else {
        String::new()
    };
    format!("{}://{host}{port}{}", parts.scheme, parts.file)
}

/// `Some((scheme, rest))` when `text` starts with `scheme:/`; a bare `name:x` is a local path.
fn split_scheme(text: &str) -> Option<(String, &str)> {
    let colon = text.find(':')?;
    let scheme = &text[..colon];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let rest = &text[colon + 1..];
    (first_ok && rest_ok && rest.starts_with('/')).then(|| (scheme.to_ascii_lowercase(), rest))
}

fn parse_after_scheme(scheme: &str, rest: &str) -> Result<UrlParts, SourceError> {
    if rest.contains('?') || rest.contains('#') {
        return Err(SourceError::QueryOrFragment);
    }
    let (authority, file) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        },
        None => ("", rest),
    };
    if authority.contains('@') {
        return Err(SourceError::UserInfo);
    }
    let (host, port) = split_host_port(authority)?;
    Ok(UrlParts {
        scheme: scheme.to_string(),
        host: host.to_ascii_lowercase(),
        port,
        file: file.to_string(),
    })
}

fn split_host_port(authority: &str) -> Result<(String, i32), SourceError> {
    let bad = || SourceError::Host(authority.to_string());
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']').ok_or_else(bad)?;
        let after = &v6[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (v6[..end].to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.contains(['[', ']', ' ']) || (host.is_empty() && port.is_some()) {
        return Err(bad());
    }
    let port = match port {
        None | Some("") => 0,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => i32::from(n),
            _ => {
                return Err(SourceError::Port(p.to_string()));
            }
        },
    };
    Ok((host, port))
}

/// Makes a local path absolute against `base_dir` and removes `.` and `..` lexically, like
/// Python's `os.path.normpath` (symbolic links are not resolved: the spec is not checked
/// against the file system here).
fn absolute_local(path: &str, base_dir: &Path) -> PathBuf {
    let joined = base_dir.join(path);
    let mut out = PathBuf::from("/");
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> Result<String, String> {
        canonical_source(s, Path::new("/home/alice/app")).map_err(|e| e.to_string())
    }

    #[test]
    fn local_paths_become_absolute_file_urls() {
        assert_eq!(
            canon("script.py").unwrap(),
            "file:///home/alice/app/script.py"
        );
        assert_eq!(
            canon("./data/../env.tar.gz").unwrap(),
            "file:///home/alice/app/env.tar.gz"
        );
        assert_eq!(canon("../x").unwrap(), "file:///home/alice/x");
        assert_eq!(canon("/etc/hosts").unwrap(), "file:///etc/hosts");
        assert_eq!(
            canon("my:file.txt").unwrap(),
            "file:///home/alice/app/my:file.txt"
        );
    }

    #[test]
    fn urls_keep_their_scheme_and_are_canonical() {
        assert_eq!(canon("hdfs:///user/x.zip").unwrap(), "hdfs:///user/x.zip");
        assert_eq!(
            canon("HDFS://NameNode:8020/a").unwrap(),
            "hdfs://namenode:8020/a"
        );
        assert_eq!(canon("hdfs:/a/b").unwrap(), "hdfs:///a/b");
        assert_eq!(canon("s3a://bucket").unwrap(), "s3a://bucket");
        assert_eq!(canon("file:///tmp/x").unwrap(), "file:///tmp/x");
        assert_eq!(canon("hdfs://[::1]:9000/x").unwrap(), "hdfs://[::1]:9000/x");
    }

    #[test]
    fn rejects_what_the_wire_cannot_carry() {
        assert!(canon("").unwrap_err().contains("must not be empty"));
        assert!(canon("http://h/x?y=1").unwrap_err().contains("query"));
        assert!(canon("http://bob@h/x").unwrap_err().contains("user name"));
        assert!(canon("hdfs://nn:0/x").unwrap_err().contains("1-65535"));
        assert!(canon("hdfs://nn:99999/x").unwrap_err().contains("1-65535"));
        assert!(canon("hdfs://nn:+80/x").is_err());
        assert!(canon("hdfs://:80/x").is_err());
    }

    #[test]
    fn wire_parts_round_trip() {
        for s in [
            "hdfs://nn:8020/a/b",
            "hdfs:///a",
            "file:///x y",
            "s3a://bucket",
            "hdfs://[::1]:9000/x",
            "viewfs://cluster/p",
        ] {
            let parts = split(s).unwrap();
            assert_eq!(from_parts(&parts).unwrap(), s);
        }
        let parts = split("hdfs://[::1]:9000/x").unwrap();
        assert_eq!((parts.host.as_str(), parts.port), ("::1", 9000));
        let java = UrlParts {
            scheme: "hdfs".into(),
            host: "NN".into(),
            port: -1,
            file: "/x".into(),
        };
        assert_eq!(from_parts(&java).unwrap(), "hdfs://nn/x");
        let no_scheme = UrlParts {
            scheme: String::new(),
            ..java
        };
        assert!(from_parts(&no_scheme).is_err());
    }
}
