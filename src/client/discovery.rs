//! The global driver's pointer file, `<config dir>/driver`: JSON
//! `{"address": "127.0.0.1:PORT", "pid": PID}`, shared with Python Skein.
//!
//! Reading is forgiving like Python's `_read_driver()` (a missing or corrupt file means "no
//! driver"). Writing is atomic (temporary file + rename) so a reader never sees half a file,
//! and removal by a driver only happens while the file still names that driver.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::security::SecurityError;
use crate::security::credentials::{create_private_dir, lock_config_dir};

/// File name of the pointer file inside the configuration directory.
pub(crate) const DRIVER_FILE_NAME: &str = "driver";

/// Where the global driver listens and which process it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalDriver {
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// Process id of the driver.
    pub pid: u32,
}

/// The pointer file's path in `config_dir`.
pub(crate) fn driver_file(config_dir: &Path) -> PathBuf {
    config_dir.join(DRIVER_FILE_NAME)
}

/// Reads the global driver's pointer file; `None` when it is missing or unreadable.
pub fn read_global_driver(config_dir: &Path) -> Option<GlobalDriver> {
    let text = std::fs::read_to_string(driver_file(config_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes the pointer file atomically (creating `config_dir` if needed).
///
/// # Errors
/// [`SecurityError::Io`] naming the file that could not be written.
pub fn write_global_driver(config_dir: &Path, driver: &GlobalDriver) -> Result<(), SecurityError> {
    let io = |action: &'static str, path: PathBuf| {
        move |source| SecurityError::Io {
            action,
            path,
            source,
        }
    };
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    create_private_dir(config_dir)
        .map_err(io("cannot create directory", config_dir.to_path_buf()))?;
    let _lock = lock_config_dir(config_dir)?;
    let path = driver_file(config_dir);
    let temporary = config_dir.join(format!(".{DRIVER_FILE_NAME}.{}.tmp", std::process::id()));
    let json = serde_json::json!({"address": driver.address, "pid": driver.pid}).to_string();
    // Only its owner may learn where the driver listens (0600, as the key pair).
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| {
            file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            file.write_all(json.as_bytes())
        })
        .map_err(io("cannot write", temporary.clone()))?;
    std::fs::rename(&temporary, &path).map_err(io("cannot write", path))
}

/// Removes the pointer file if, and only if, it still names `driver` (a newer driver may have
/// replaced it). Returns whether it was removed.
///
/// # Errors
/// [`SecurityError::Io`] when the lock or the removal fails.
pub(crate) fn remove_global_driver_if(
    config_dir: &Path,
    driver: &GlobalDriver,
) -> Result<bool, SecurityError> {
    // Cheap check first, so a driver that never was global takes no lock.
    if read_global_driver(config_dir).as_ref() != Some(driver) {
        return Ok(false);
    }
    let _lock = lock_config_dir(config_dir)?;
    if read_global_driver(config_dir).as_ref() != Some(driver) {
        return Ok(false);
    }
    let path = driver_file(config_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(SecurityError::Io {
            action: "cannot remove",
            path,
            source,
        }),
    }
}

/// Removes the pointer file whatever it names; a missing file is fine.
///
/// # Errors
/// [`SecurityError::Io`] when the removal fails.
pub(crate) fn remove_global_driver(config_dir: &Path) -> Result<(), SecurityError> {
    let path = driver_file(config_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SecurityError::Io {
            action: "cannot remove",
            path,
            source,
        }),
    }
}
