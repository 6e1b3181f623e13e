//! An application's own Kerberos identity at submission (`kerberos_principal`): its keytab is
//! checked before anything is staged — readable, holding the principal's keys, and good for a
//! login at the KDC — so that a mistake is an error at submit and not an application whose
//! tokens silently stop being renewed days later.
//!
//! A local keytab is staged as `.skein.keytab` with mode 0400 and localized into the AM's
//! container alone; a keytab on the default filesystem is localized from where it is.

use std::path::Path;

use skein_core::spec::ApplicationSpec;
use skein_hadoop::hdfs::Hdfs;
use skein_hadoop::security::KeytabLogin;

/// The largest keytab read (real ones are a few KiB).
const MAX_KEYTAB_BYTES: u64 = 1024 * 1024;

/// Where a checked keytab is.
#[derive(Debug)]
pub(crate) enum Keytab {
    /// A local file's bytes, to stage.
    Local(Vec<u8>),
    /// A file on the default filesystem, used in place.
    OnHdfs {
        /// Its path.
        path: String,
    },
}

/// Why the keytab of a spec is refused.
#[derive(Debug, thiserror::Error)]
#[error("kerberos_principal: {0}")]
pub struct KeytabError(String);

/// Checks the keytab of `spec`'s `kerberos_principal` (none: `Ok(None)`); `hdfs` reads a keytab
/// on the default filesystem (`on_default_fs` says whether a source is there).
///
/// # Errors
/// A [`KeytabError`] naming the keytab, the cause and the fix.
pub(crate) async fn check(
    spec: &ApplicationSpec,
    hdfs: &Hdfs,
    on_default_fs: impl Fn(&str) -> bool,
) -> Result<Option<Keytab>, KeytabError> {
    let Some(principal) = &spec.kerberos_principal else {
        return Ok(None);
    };
    let source = &principal.keytab.source;
    let (keytab, bytes) = if let Some(local) = source.strip_prefix("file://") {
        let bytes = read_local(local).await?;
        (Keytab::Local(bytes.clone()), bytes)
    } else if on_default_fs(source) || is_default_fs_shorthand(source, hdfs.default_fs()) {
        let path = skein_core::spec::source::split(source)
            .map(|parts| parts.file)
            .map_err(|e| KeytabError(format!("keytab {source}: {e}")))?;
        let bytes = read_hdfs(hdfs, &path, source).await?;
        (Keytab::OnHdfs { path }, bytes)
    } else {
        return Err(KeytabError(format!(
            "the keytab {source} is neither a local file nor on the default filesystem ({}): \
             give a local path, or copy it to HDFS",
            hdfs.default_fs()
        )));
    };
    try_login(&principal.principal_name, source, bytes).await?;
    Ok(Some(keytab))
}

/// `hdfs:///path`: a path on the default filesystem when that is an `hdfs://` one.
fn is_default_fs_shorthand(source: &str, default_fs: &str) -> bool {
    skein_core::spec::source::split(source).is_ok_and(|parts| {
        parts.host.is_empty()
            && default_fs
                .to_ascii_lowercase()
                .starts_with(&format!("{}://", parts.scheme))
    })
}

async fn read_local(path: &str) -> Result<Vec<u8>, KeytabError> {
    let unreadable = |e: std::io::Error| {
        KeytabError(format!(
            "cannot read the keytab {path}: {e}; give the path of a keytab the driver's user \
             can read (ktutil or kadmin's ktadd write one)"
        ))
    };
    let size = tokio::fs::metadata(path).await.map_err(unreadable)?.len();
    if size > MAX_KEYTAB_BYTES {
        return Err(too_large(path, size));
    }
    tokio::fs::read(path).await.map_err(unreadable)
}

async fn read_hdfs(hdfs: &Hdfs, path: &str, source: &str) -> Result<Vec<u8>, KeytabError> {
    let unreadable = |e: String| {
        KeytabError(format!(
            "cannot read the keytab {source}: {e}; check that it exists and that the \
             application's user may read it"
        ))
    };
    let mut reader = hdfs
        .client()
        .read(path)
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    let size = u64::try_from(reader.file_length()).unwrap_or(u64::MAX);
    if size > MAX_KEYTAB_BYTES {
        return Err(too_large(source, size));
    }
    let bytes = reader
        .read_bytes(reader.file_length())
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(bytes.to_vec())
}

fn too_large(what: &str, size: u64) -> KeytabError {
    KeytabError(format!(
        "the keytab {what} has {size} bytes, more than a keytab's {MAX_KEYTAB_BYTES}: is it \
         the right file?"
    ))
}

/// Logs `principal` in from a private copy of the keytab `bytes` (`source` in messages): the
/// same login the ApplicationMaster will make.
async fn try_login(principal: &str, source: &str, bytes: Vec<u8>) -> Result<(), KeytabError> {
    let (principal, source) = (principal.to_string(), source.to_string());
    tokio::task::spawn_blocking(move || {
        let dir = PrivateDir::create()
            .map_err(|e| KeytabError(format!("cannot check the keytab {source}: {e}")))?;
        let copy = dir.0.join("keytab");
        write_private(&copy, &bytes)
            .map_err(|e| KeytabError(format!("cannot check the keytab {source}: {e}")))?;
        KeytabLogin::login(&principal, &copy, &dir.0.join("cache"))
            .map(|_| ())
            // The copy's path means nothing to the user: name the keytab as the spec does.
            .map_err(|e| KeytabError(e.to_string().replace(&copy.display().to_string(), &source)))
    })
    .await
    .map_err(|e| KeytabError(format!("the keytab check failed: {e}")))?
}

/// A folder only this user can enter, removed with everything in it when dropped.
struct PrivateDir(std::path::PathBuf);

impl PrivateDir {
    fn create() -> std::io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("skein-keytab-check-{}-{n}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(PrivateDir(path))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdfs_without_a_host_is_the_default_filesystem() {
        assert!(is_default_fs_shorthand(
            "hdfs:///user/alice/a.keytab",
            "hdfs://localhost:9000"
        ));
        assert!(!is_default_fs_shorthand(
            "hdfs://other:8020/a.keytab",
            "hdfs://localhost:9000"
        ));
        assert!(!is_default_fs_shorthand(
            "s3a:///a.keytab",
            "hdfs://localhost:9000"
        ));
    }
}
