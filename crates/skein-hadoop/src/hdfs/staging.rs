//! Staging files for an application: the per-application folder (mode 0700), files written
//! into it (mode 0600), and a content-addressed cache shared by all submissions of a user, so
//! the AM binary and the shim jar are uploaded once per content, not once per submit.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use skein_core::spec::{File, FileType, Visibility, source};

use super::{Hdfs, HdfsError};

/// Mode of the staging folders: only the submitting user.
pub const DIR_MODE: u32 = 0o700;
/// Mode of staged files.
pub const FILE_MODE: u32 = 0o600;
/// The file in a staging folder that says its submit has not completed: the driver writes it
/// before the application reaches the ResourceManager and removes it once the submit has
/// succeeded. A folder that keeps it belongs to an interrupted submit (a driver that died, a
/// client that went away), whose application nobody was told of.
pub const SUBMIT_MARKER: &str = ".skein.submitting";

/// The size of the pieces in which local files are uploaded.
pub const UPLOAD_PIECE_BYTES: usize = 4 * 1024 * 1024;

/// A file staged on HDFS, ready to be localized into containers.
#[derive(Debug, Clone, PartialEq)]
pub struct Staged {
    /// The file to localize (URL, size, timestamp), as the application's spec holds it.
    pub file: File,
    /// Bytes uploaded to stage it (0 when the cache already had it).
    pub uploaded_bytes: u64,
}

/// Hex SHA-256 of some bytes.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Hdfs {
    /// `/user/<user>/.skein/cache`: content-addressed files shared by this user's submits.
    pub fn cache_dir(&self) -> String {
        format!("/user/{}/.skein/cache", self.user)
    }

    /// Creates a folder (and its parents) with `mode`.
    ///
    /// # Errors
    /// When the NameNode refuses or does not answer.
    pub async fn create_dir(&self, path: &str, mode: u32) -> Result<(), HdfsError> {
        self.timed("mkdirs", path, self.client.mkdirs(path, mode, true))
            .await?;
        // mkdirs applies the umask; the mode must be exact.
        self.timed("chmod", path, self.client.set_permission(path, mode))
            .await
    }

    /// Writes `data` to `path` (replacing it) with `mode`, and returns it as a file to localize.
    ///
    /// # Errors
    /// When the NameNode or a DataNode fails, or does not answer in time.
    pub async fn write_file(&self, path: &str, data: Bytes, mode: u32) -> Result<File, HdfsError> {
        let options = hdfs_native::WriteOptions::default()
            .overwrite(true)
            .permission(mode)
            .create_parent(true);
        let mut writer = self
            .timed("create", path, self.client.create(path, options))
            .await?;
        self.timed("write", path, writer.write_bytes(data)).await?;
        self.timed("close", path, writer.close()).await?;
        self.describe(path, FileType::File).await
    }

    /// Writes the [`SUBMIT_MARKER`] into `app_id`'s staging folder, holding `note` (who
    /// submits, for a human who finds it).
    ///
    /// # Errors
    /// When the NameNode or a DataNode fails, or does not answer in time.
    pub async fn write_submit_marker(&self, app_id: &str, note: &str) -> Result<(), HdfsError> {
        let path = format!("{}/{SUBMIT_MARKER}", self.staging_dir(app_id));
        let options = hdfs_native::WriteOptions::default()
            .overwrite(true)
            .permission(FILE_MODE);
        let mut writer = self
            .timed("create", &path, self.client.create(&path, options))
            .await?;
        self.timed(
            "write",
            &path,
            writer.write_bytes(Bytes::from(note.to_string())),
        )
        .await?;
        self.timed("close", &path, writer.close()).await
    }

    /// Removes the [`SUBMIT_MARKER`] of `app_id`: its submit completed. Ok when there was none
    /// (an application that ran and ended at once removes its whole folder).
    ///
    /// # Errors
    /// When the NameNode fails the call or does not answer in time.
    pub async fn remove_submit_marker(&self, app_id: &str) -> Result<(), HdfsError> {
        let path = format!("{}/{SUBMIT_MARKER}", self.staging_dir(app_id));
        self.timed("delete", &path, self.client.delete(&path, false))
            .await
            .map(|_| ())
    }

    /// Whether `app_id`'s staging folder holds the [`SUBMIT_MARKER`] of an unfinished submit.
    ///
    /// # Errors
    /// When the NameNode fails the call or does not answer in time.
    pub async fn has_submit_marker(&self, app_id: &str) -> Result<bool, HdfsError> {
        let path = format!("{}/{SUBMIT_MARKER}", self.staging_dir(app_id));
        match tokio::time::timeout(self.timeout, self.client.get_file_info(&path)).await {
            Ok(Ok(_)) => Ok(true),
            Ok(Err(hdfs_native::HdfsError::FileNotFound(_))) => Ok(false),
            Ok(Err(e)) => Err(HdfsError::Call {
                operation: "stat",
                path,
                message: e.to_string(),
            }),
            Err(_) => Err(HdfsError::Timeout {
                operation: "stat",
                path,
                seconds: self.timeout.as_secs(),
            }),
        }
    }

    /// An existing file on the default filesystem as a file to localize, with the size and
    /// timestamp YARN requires.
    ///
    /// # Errors
    /// When the file does not exist or the NameNode fails.
    pub async fn describe(&self, path: &str, file_type: FileType) -> Result<File, HdfsError> {
        let status = self
            .timed("stat", path, self.client.get_file_info(path))
            .await?;
        let url = format!("{}{}", self.default_fs.trim_end_matches('/'), status.path);
        // The spec's canonical form (lower-case scheme and host), as every other source has.
        let canonical = source::canonical_source(&url, std::path::Path::new("/")).unwrap_or(url);
        Ok(File {
            source: canonical,
            file_type,
            visibility: Visibility::Application,
            size: i64::try_from(status.length).unwrap_or(i64::MAX),
            timestamp: i64::try_from(status.modification_time).unwrap_or(i64::MAX),
        })
    }

    /// Stages `data` under its content hash in the cache folder, uploading only when the cache
    /// does not hold it yet. Concurrent submits are safe, from one process (a driver serving
    /// several clients) or several: each upload goes to a temporary name of its own and is
    /// renamed into place unless another upload got there first, whose copy is then used.
    ///
    /// # Errors
    /// When the NameNode or a DataNode fails, or does not answer in time.
    pub async fn stage_cached(&self, name: &str, data: Bytes) -> Result<Staged, HdfsError> {
        let hash = sha256_hex(&data);
        if let Some(hit) = self.cached(name, &hash, data.len() as u64).await {
            return Ok(hit);
        }
        self.upload_to_cache(name, &hash, data).await
    }

    /// Like [`Self::stage_cached`] for a local file (the AM binary, the shim jar): the file is
    /// hashed once per process and read into memory only when the cache misses.
    ///
    /// # Errors
    /// When the file cannot be read or HDFS fails.
    pub async fn stage_cached_file(&self, name: &str, path: &Path) -> Result<Staged, HdfsError> {
        let local_error = |e: std::io::Error| HdfsError::Call {
            operation: "read local file",
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let (hash, len) = local_file_hash(path).map_err(local_error)?;
        if let Some(hit) = self.cached(name, &hash, len).await {
            return Ok(hit);
        }
        let data = tokio::fs::read(path).await.map_err(local_error)?;
        self.upload_to_cache(name, &hash, Bytes::from(data)).await
    }

    async fn cached(&self, name: &str, hash: &str, len: u64) -> Option<Staged> {
        let path = format!("{}/{hash}-{name}", self.cache_dir());
        let existing = self.describe(&path, FileType::File).await.ok()?;
        (u64::try_from(existing.size).ok() == Some(len)).then_some(Staged {
            file: existing,
            uploaded_bytes: 0,
        })
    }

    async fn upload_to_cache(
        &self,
        name: &str,
        hash: &str,
        data: Bytes,
    ) -> Result<Staged, HdfsError> {
        static UPLOADS: AtomicU64 = AtomicU64::new(0);
        let dir = self.cache_dir();
        let path = format!("{dir}/{hash}-{name}");
        self.create_dir(&dir, DIR_MODE).await?;
        let temporary = format!(
            "{path}.{}-{}.tmp",
            std::process::id(),
            UPLOADS.fetch_add(1, Ordering::Relaxed)
        );
        let uploaded = data.len() as u64;
        self.write_file(&temporary, data, FILE_MODE).await?;
        // Never over a complete copy: an application submitted a moment ago names it with its
        // timestamp, and YARN refuses to localize a resource that changed since.
        let renamed = self
            .timed(
                "rename",
                &temporary,
                self.client.rename(&temporary, &path, false),
            )
            .await;
        if renamed.is_err() {
            // Another upload of this content finished first: use its copy.
            if let Some(other) = self.cached(name, hash, uploaded).await {
                let _ = self.client.delete(&temporary, false).await;
                return Ok(other);
            }
            // A damaged copy (of another size) is replaced.
            self.timed(
                "rename",
                &temporary,
                self.client.rename(&temporary, &path, true),
            )
            .await?;
        }
        Ok(Staged {
            file: self.describe(&path, FileType::File).await?,
            uploaded_bytes: uploaded,
        })
    }

    /// Uploads a local file into an application's staging folder:
    /// `<staging>/<hash of the source path>/<file name>`, mode 0600 (Skein uses the MD5 of the
    /// path; any stable hash serves, nothing reads the folder name back).
    ///
    /// The file is read and written in pieces of [`UPLOAD_PIECE_BYTES`], so a large file costs
    /// the driver one piece of memory, and `uploaded(bytes)` hears of each piece written.
    ///
    /// # Errors
    /// When the local file cannot be read or HDFS fails.
    pub async fn stage_local_file(
        &self,
        app_id: &str,
        source: &Path,
        file_type: FileType,
        uploaded: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Staged, HdfsError> {
        use tokio::io::AsyncReadExt;
        let local = |e: std::io::Error| HdfsError::Call {
            operation: "read local file",
            path: source.display().to_string(),
            message: e.to_string(),
        };
        let mut reader = tokio::fs::File::open(source).await.map_err(local)?;
        let digest = source_folder_name(source.to_string_lossy().as_bytes());
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "file".to_string());
        let path = format!("{}/{digest}/{name}", self.staging_dir(app_id));
        let options = hdfs_native::WriteOptions::default()
            .overwrite(true)
            .permission(FILE_MODE)
            .create_parent(true);
        let mut writer = self
            .timed("create", &path, self.client.create(&path, options))
            .await?;
        let mut total = 0u64;
        loop {
            let mut piece = bytes::BytesMut::with_capacity(UPLOAD_PIECE_BYTES);
            while piece.len() < UPLOAD_PIECE_BYTES {
                if reader.read_buf(&mut piece).await.map_err(local)? == 0 {
                    break;
                }
            }
            if piece.is_empty() {
                break;
            }
            let n = piece.len() as u64;
            self.timed("write", &path, writer.write_bytes(piece.freeze()))
                .await?;
            total += n;
            uploaded(n);
        }
        self.timed("close", &path, writer.close()).await?;
        let mut file = self.describe(&path, FileType::File).await?;
        file.file_type = file_type;
        Ok(Staged {
            file,
            uploaded_bytes: total,
        })
    }
}

/// SHA-256 and length of a local file, remembered per (path, length, modification time) so a
/// long-running driver hashes its own binary once, not once per submit.
fn local_file_hash(path: &Path) -> std::io::Result<(String, u64)> {
    use std::collections::HashMap;
    use std::io::Read;
    use std::sync::{Mutex, OnceLock};
    type Key = (std::path::PathBuf, u64, std::time::SystemTime);
    static HASHES: OnceLock<Mutex<HashMap<Key, String>>> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified()?);
    let hashes = HASHES.get_or_init(Default::default);
    if let Some(hash) = hashes.lock().ok().and_then(|h| h.get(&key).cloned()) {
        return Ok((hash, meta.len()));
    }
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        context.update(&buffer[..n]);
    }
    let hash: String = context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if let Ok(mut h) = hashes.lock() {
        h.insert(key, hash.clone());
    }
    Ok((hash, meta.len()))
}

/// The folder a local source is uploaded into: 32 upper-case hex digits of its path's hash,
/// so two sources with the same file name never collide.
fn source_folder_name(path: &[u8]) -> String {
    sha256_hex(path)[..32].to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(source_folder_name(b"/a/b").len(), 32);
        assert_eq!(source_folder_name(b"/a/b"), source_folder_name(b"/a/b"));
        assert_ne!(source_folder_name(b"/a/b"), source_folder_name(b"/a/c"));
    }
}
