//! The staging sweeper: removes staging folders (`/user/<user>/.skein/<app_id>`) that belong
//! to no live application, and ends applications whose submit was interrupted.
//!
//! The AM removes its folder when it shuts down, and the driver when it kills an application
//! or a submit fails. What remains comes from crashes: a driver killed in the middle of a
//! submit, an AM that died without its shutdown, a client that went away. Such a folder may
//! hold the application's private key and large files, so the driver looks for them when it
//! starts and then periodically (every 10 minutes, or every grace period when that is shorter,
//! but not more often than every 10 s).
//!
//! A folder is removed only when it is older than the grace period (a submit in progress
//! writes into it), is not being submitted by this driver, and:
//! * YARN reports its application finished (FINISHED, FAILED, KILLED);
//! * or this ResourceManager never knew it although the id is of its own making (same cluster
//!   timestamp: an id obtained for a submit that never happened);
//! * or the folder still holds the submit marker ([`SUBMIT_MARKER`], `.skein.submitting`) and
//!   YARN reports the application alive: the submit reached the ResourceManager but the driver
//!   died (or the client went away) before the client got its answer, so nobody knows the
//!   application exists. The sweeper kills it first, then removes the folder.
//!
//! The driver writes the marker while it stages, before the application can reach the
//! ResourceManager, and removes it once the reply carrying the application id has left the
//! driver ([`super::reply`]; for an in-process call, before the call returns, and should that
//! removal fail it kills the application and reports the submit failed). An application
//! whose submit completed therefore has no marker and is never touched while it runs. What
//! remains is the instant between the reply leaving and the marker's removal reaching the
//! NameNode (about a millisecond): a driver killed exactly there leaves the marker, and the
//! sweeper kills an application whose client did get its id. The other way round (the marker
//! removed before the reply) would leave applications running that nobody was told of.
//!
//! A folder named after another cluster's application (another timestamp, e.g. from before an
//! RM restart without recovery) is left alone: it may belong to a cluster sharing this HDFS.
//! Every kill and removal is logged.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skein_hadoop::hdfs::staging::SUBMIT_MARKER;
use skein_hadoop::hdfs::{Hdfs, StagingFolder};
use skein_hadoop::yarn::{ApplicationState, ResourceManager, YarnError};

/// When and how often the sweeper looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepPolicy {
    /// A folder younger than this is never removed.
    pub grace: Duration,
    /// Time between two sweeps (the first one runs at start).
    pub period: Duration,
}

/// `SKEIN_STAGING_GRACE`: the grace period in seconds, or `off` for no sweeping.
pub const GRACE_VARIABLE: &str = "SKEIN_STAGING_GRACE";

impl Default for SweepPolicy {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(3600),
            period: Duration::from_secs(600),
        }
    }
}

/// The shortest time between two sweeps, whatever the grace period.
const MIN_PERIOD: Duration = Duration::from_secs(10);

impl SweepPolicy {
    /// A policy with this grace period; sweeps come every 10 minutes, or every grace period
    /// when that is shorter (at most every 10 s), so that a leftover goes soon after its grace.
    pub fn with_grace(grace: Duration) -> Self {
        let default = Self::default();
        Self {
            grace,
            period: grace.clamp(MIN_PERIOD, default.period),
        }
    }

    /// The default policy, with the grace period from `$SKEIN_STAGING_GRACE` (seconds) when
    /// it is set; `None` when it is `off`. A value that is neither is reported and ignored.
    pub fn from_env() -> Option<Self> {
        let mut policy = Self::default();
        if let Ok(text) = std::env::var(GRACE_VARIABLE) {
            if text.trim().eq_ignore_ascii_case("off") {
                tracing::info!("{GRACE_VARIABLE}=off: no staging sweeper");
                return None;
            }
            match text.trim().parse::<u64>() {
                Ok(seconds) => policy = Self::with_grace(Duration::from_secs(seconds)),
                Err(_) => tracing::warn!(
                    "{GRACE_VARIABLE}={text:?} is not a number of seconds; the staging \
                     sweeper keeps its default grace period of {} s",
                    policy.grace.as_secs()
                ),
            }
        }
        Some(policy)
    }
}

/// What the ResourceManager says of a folder's application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppFate {
    /// It knows the application, in this state.
    Known(ApplicationState),
    /// It does not know the application.
    Unknown,
}

/// Why a folder is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// The application ended; its AM did not clean up.
    Finished(ApplicationState),
    /// The ResourceManager never knew the application (a submit that did not complete).
    NeverSubmitted,
    /// The submit reached the ResourceManager but never completed (the folder holds the
    /// submit marker); the application, alive in this state, is killed before the removal.
    Interrupted(ApplicationState),
}

impl std::fmt::Display for Removal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Finished(state) => write!(f, "the application is {state}"),
            Self::NeverSubmitted => f.write_str("the ResourceManager never knew the application"),
            Self::Interrupted(state) => write!(
                f,
                "its submit was interrupted before the client got an answer, and the \
                 application, {state}, was killed"
            ),
        }
    }
}

/// The application ids this driver is submitting right now. The sweeper leaves their folders
/// alone whatever their age: a slow upload may outlast a short grace period.
#[derive(Debug, Clone, Default)]
pub struct SubmitsInProgress(Arc<Mutex<HashSet<String>>>);

/// One submit in progress; it ends (for the sweeper) when this is dropped, however the submit
/// ended: completed, failed, or abandoned by a client that went away.
#[derive(Debug)]
pub struct SubmitInProgress {
    set: SubmitsInProgress,
    id: String,
}

impl SubmitsInProgress {
    /// Records that `id` is being submitted, until the returned guard is dropped.
    pub fn begin(&self, id: &str) -> SubmitInProgress {
        self.ids().insert(id.to_string());
        SubmitInProgress {
            set: self.clone(),
            id: id.to_string(),
        }
    }

    /// Whether `id` is being submitted.
    pub fn contains(&self, id: &str) -> bool {
        self.ids().contains(id)
    }

    fn ids(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set stays consistent whatever panicked while holding it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for SubmitInProgress {
    fn drop(&mut self) {
        self.set.ids().remove(&self.id);
    }
}

/// The cluster timestamp of an application id (`application_<timestamp>_<sequence>`).
fn cluster_timestamp(app_id: &str) -> Option<i64> {
    app_id.split('_').nth(1)?.parse().ok()
}

/// Whether `folder` goes, given its age, what the ResourceManager (whose cluster timestamp is
/// `cluster`) says of it, and whether it holds the submit marker (`interrupted`). Pure: the
/// policy in one place.
pub fn verdict(
    folder: &StagingFolder,
    age: Duration,
    fate: &AppFate,
    interrupted: bool,
    cluster: i64,
    grace: Duration,
) -> Option<Removal> {
    if age < grace {
        return None;
    }
    match fate {
        AppFate::Known(state) if state.is_terminal() => Some(Removal::Finished(state.clone())),
        AppFate::Known(state) if interrupted => Some(Removal::Interrupted(state.clone())),
        AppFate::Known(_) => None,
        AppFate::Unknown if cluster_timestamp(&folder.app_id) == Some(cluster) => {
            Some(Removal::NeverSubmitted)
        }
        AppFate::Unknown => None,
    }
}

/// What one sweep did.
#[derive(Debug, Default)]
pub struct SweepReport {
    /// Folders removed, with the reason.
    pub removed: Vec<(String, Removal)>,
    /// Folders that could not be checked or removed, with the error.
    pub failed: Vec<(String, String)>,
}

/// Looks once at every staging folder of `hdfs`'s user that is not in `in_progress` and
/// removes those [`verdict`] condemns, killing first the applications of interrupted submits;
/// logs each kill and removal.
///
/// # Errors
/// When the folders cannot be listed or the ResourceManager does not answer; per-folder
/// failures are in the report.
pub async fn sweep_once(
    rm: &ResourceManager,
    hdfs: &Hdfs,
    grace: Duration,
    in_progress: &SubmitsInProgress,
) -> Result<SweepReport, Box<dyn std::error::Error + Send + Sync>> {
    let cluster = rm.cluster_info().await?.id;
    let folders = hdfs.staging_folders().await?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let mut report = SweepReport::default();
    for folder in folders {
        let age = Duration::from_millis(
            u64::try_from(now_ms.saturating_sub(u128::from(folder.modified_ms)))
                .unwrap_or(u64::MAX),
        );
        if age < grace || in_progress.contains(&folder.app_id) {
            continue;
        }
        let fate = match rm.application(&folder.app_id).await {
            Ok(app) => AppFate::Known(app.state),
            Err(YarnError::Remote { status: 404, .. }) => AppFate::Unknown,
            Err(e) => {
                report.failed.push((folder.app_id.clone(), e.to_string()));
                continue;
            }
        };
        // The marker matters only for an application YARN runs: look only then.
        let alive = matches!(&fate, AppFate::Known(state) if !state.is_terminal());
        let interrupted = if alive {
            match hdfs.has_submit_marker(&folder.app_id).await {
                Ok(marked) => marked,
                Err(e) => {
                    report.failed.push((folder.app_id.clone(), e.to_string()));
                    continue;
                }
            }
        } else {
            false
        };
        let Some(reason) = verdict(&folder, age, &fate, interrupted, cluster, grace) else {
            continue;
        };
        if let Removal::Interrupted(state) = &reason {
            if let Err(e) = rm.kill(&folder.app_id).await {
                tracing::warn!(
                    "cannot kill {}, whose submit was interrupted: {e}",
                    folder.app_id
                );
                report.failed.push((folder.app_id, e.to_string()));
                continue;
            }
            tracing::info!(
                "killed application {} ({state}): its submit was interrupted before the \
                 client got an answer ({} left in {})",
                folder.app_id,
                SUBMIT_MARKER,
                hdfs.staging_dir(&folder.app_id)
            );
        }
        match hdfs.remove_staging_dir(&folder.app_id).await {
            Ok(_) => {
                tracing::info!(
                    "removed the staging folder {} ({reason}; untouched for {} s)",
                    hdfs.staging_dir(&folder.app_id),
                    age.as_secs()
                );
                report.removed.push((folder.app_id, reason));
            }
            Err(e) => {
                tracing::warn!("cannot remove a leftover staging folder: {e}");
                report.failed.push((folder.app_id, e.to_string()));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str) -> StagingFolder {
        StagingFolder {
            app_id: id.to_string(),
            modified_ms: 0,
        }
    }

    #[test]
    fn only_old_folders_of_ended_or_never_submitted_applications_go() {
        let grace = Duration::from_secs(3600);
        let old = Duration::from_secs(7200);
        let ours = folder("application_1700000000000_0007");
        let finished = AppFate::Known(ApplicationState::Finished);
        let running = AppFate::Known(ApplicationState::Running);
        let cluster = 1_700_000_000_000;
        assert_eq!(
            verdict(&ours, old, &finished, false, cluster, grace),
            Some(Removal::Finished(ApplicationState::Finished))
        );
        assert_eq!(
            verdict(
                &ours,
                Duration::from_secs(60),
                &finished,
                false,
                cluster,
                grace
            ),
            None,
            "within the grace period"
        );
        assert_eq!(verdict(&ours, old, &running, false, cluster, grace), None);
        let accepted = AppFate::Known(ApplicationState::Accepted);
        assert_eq!(verdict(&ours, old, &accepted, false, cluster, grace), None);
        assert_eq!(
            verdict(&ours, old, &AppFate::Unknown, false, cluster, grace),
            Some(Removal::NeverSubmitted)
        );
        // Another cluster's (or an earlier RM's) id: perhaps not ours to judge.
        assert_eq!(
            verdict(&ours, old, &AppFate::Unknown, false, cluster + 1, grace),
            None
        );
    }

    #[test]
    fn an_interrupted_submit_is_ended_once_its_grace_is_over() {
        let grace = Duration::from_secs(3600);
        let old = Duration::from_secs(7200);
        let ours = folder("application_1700000000000_0007");
        let cluster = 1_700_000_000_000;
        for state in [ApplicationState::Accepted, ApplicationState::Running] {
            let alive = AppFate::Known(state.clone());
            assert_eq!(
                verdict(&ours, old, &alive, true, cluster, grace),
                Some(Removal::Interrupted(state))
            );
            assert_eq!(
                verdict(&ours, Duration::from_secs(60), &alive, true, cluster, grace),
                None,
                "perhaps still being submitted"
            );
        }
        let killed = AppFate::Known(ApplicationState::Killed);
        assert_eq!(
            verdict(&ours, old, &killed, true, cluster, grace),
            Some(Removal::Finished(ApplicationState::Killed)),
            "nothing left to kill"
        );
        assert_eq!(
            verdict(&ours, old, &AppFate::Unknown, true, cluster, grace),
            Some(Removal::NeverSubmitted)
        );
    }

    #[test]
    fn sweeps_come_every_grace_period_when_it_is_short() {
        let hour = SweepPolicy::with_grace(Duration::from_secs(3600));
        assert_eq!(hour.period, Duration::from_secs(600));
        assert_eq!(
            SweepPolicy::with_grace(Duration::from_secs(30)).period,
            Duration::from_secs(30)
        );
        assert_eq!(SweepPolicy::with_grace(Duration::ZERO).period, MIN_PERIOD);
    }

    #[test]
    fn a_submit_in_progress_is_known_until_its_guard_goes() {
        let submits = SubmitsInProgress::default();
        let guard = submits.begin("application_1_0001");
        assert!(submits.contains("application_1_0001"));
        assert!(!submits.contains("application_1_0002"));
        drop(guard);
        assert!(!submits.contains("application_1_0001"));
    }
}
