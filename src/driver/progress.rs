//! What a submit in flight is doing, for the client that started it: the CLI shows it on a
//! terminal (`getSubmitProgress`), where a large upload would otherwise look like a hang.
//!
//! A client that wants it names its submit with a token of its choosing in the request's
//! metadata ([`TOKEN_HEADER`]); the `submit` message itself is Skein's, unchanged. The driver
//! keeps the progress of a named submit on its [`Board`] while the submit runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The metadata key naming a submit (at most [`MAX_TOKEN_LEN`] characters).
pub const TOKEN_HEADER: &str = "skein-submit-token";

/// The longest token kept; longer ones are ignored (the submit runs, untracked).
pub const MAX_TOKEN_LEN: usize = 128;

/// The phases of a submit, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Checks, a new application id from the ResourceManager.
    Prepare,
    /// The staging folder, scripts, credentials and the cached binaries.
    Stage,
    /// The spec's local files going up to HDFS.
    Upload,
    /// The submission to the ResourceManager.
    Submit,
}

impl Phase {
    /// The wire name (`SubmitProgress.phase`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prepare => "prepare",
            Phase::Stage => "stage",
            Phase::Upload => "upload",
            Phase::Submit => "submit",
        }
    }
}

/// The progress of one submit.
#[derive(Debug)]
pub struct SubmitProgress {
    phase: Mutex<(Phase, String)>,
    uploaded: AtomicU64,
    to_upload: AtomicU64,
}

impl Default for SubmitProgress {
    fn default() -> Self {
        SubmitProgress {
            phase: Mutex::new((Phase::Prepare, String::new())),
            uploaded: AtomicU64::new(0),
            to_upload: AtomicU64::new(0),
        }
    }
}

/// A snapshot of a [`SubmitProgress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The phase.
    pub phase: Phase,
    /// The local file being uploaded (empty outside [`Phase::Upload`]).
    pub file: String,
    /// Bytes of local files uploaded so far.
    pub uploaded: u64,
    /// Bytes of local files to upload in all.
    pub to_upload: u64,
}

impl SubmitProgress {
    /// Enters `phase`.
    pub fn enter(&self, phase: Phase) {
        *lock(&self.phase) = (phase, String::new());
    }

    /// Sets the total of local bytes to upload.
    pub fn to_upload(&self, bytes: u64) {
        self.to_upload.store(bytes, Ordering::Relaxed);
    }

    /// Starts uploading the local file `path`.
    pub fn uploading(&self, path: &str) {
        *lock(&self.phase) = (Phase::Upload, path.to_string());
    }

    /// Counts `bytes` more uploaded.
    pub fn uploaded(&self, bytes: u64) {
        self.uploaded.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Where the submit stands.
    pub fn snapshot(&self) -> Snapshot {
        let (phase, file) = lock(&self.phase).clone();
        Snapshot {
            phase,
            file,
            uploaded: self.uploaded.load(Ordering::Relaxed),
            to_upload: self.to_upload.load(Ordering::Relaxed),
        }
    }
}

/// The submits in flight that clients named, by token.
#[derive(Debug, Default)]
pub struct Board(Mutex<HashMap<String, Arc<SubmitProgress>>>);

impl Board {
    /// Tracks a submit named `token` (when given and not too long) until the returned guard
    /// is dropped; the progress to update either way.
    pub fn track(self: &Arc<Self>, token: Option<&str>) -> Tracked {
        let progress = Arc::new(SubmitProgress::default());
        let token = token
            .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN)
            .map(str::to_string);
        if let Some(token) = &token {
            lock(&self.0).insert(token.clone(), Arc::clone(&progress));
        }
        Tracked {
            board: Arc::clone(self),
            token,
            progress,
        }
    }

    /// The progress of the submit named `token`, while it runs.
    pub fn get(&self, token: &str) -> Option<Snapshot> {
        lock(&self.0).get(token).map(|p| p.snapshot())
    }
}

/// A submit on the [`Board`]: removed from it when dropped.
#[derive(Debug)]
pub struct Tracked {
    board: Arc<Board>,
    token: Option<String>,
    /// The submit's progress.
    pub progress: Arc<SubmitProgress>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            lock(&self.board.0).remove(token);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_submit_is_on_the_board_while_it_runs_and_gone_after() {
        let board = Arc::new(Board::default());
        let tracked = board.track(Some("t1"));
        tracked.progress.enter(Phase::Stage);
        tracked.progress.to_upload(10);
        tracked.progress.uploading("/data/a.bin");
        tracked.progress.uploaded(4);
        assert_eq!(
            board.get("t1"),
            Some(Snapshot {
                phase: Phase::Upload,
                file: "/data/a.bin".into(),
                uploaded: 4,
                to_upload: 10,
            })
        );
        tracked.progress.enter(Phase::Submit);
        assert_eq!(board.get("t1").map(|s| s.file), Some(String::new()));
        drop(tracked);
        assert_eq!(board.get("t1"), None);
    }

    #[test]
    fn unnamed_and_overlong_tokens_are_not_tracked() {
        let board = Arc::new(Board::default());
        let _a = board.track(None);
        let _b = board.track(Some(""));
        let long = "x".repeat(MAX_TOKEN_LEN + 1);
        let _c = board.track(Some(&long));
        assert!(lock(&board.0).is_empty());
    }
}
