//! The staging sweeper: removes staging folders (`/user/<user>/.skein/<app_id>`) that belong
//! to no live application.
//!
//! The AM removes its folder when it shuts down, and the driver when it kills an application
//! or a submit fails. What remains comes from crashes: a driver killed in the middle of a
//! submit, an AM that died without its shutdown, a client that went away. Such a folder may
//! hold the application's private key and large files, so the driver looks for them when it
//! starts and then periodically.
//!
//! A folder is removed only when it is older than the grace period (a submit in progress
//! writes into it) and YARN reports its application finished (FINISHED, FAILED, KILLED), or
//! this ResourceManager never knew it although the id is of its own making (same cluster
//! timestamp: an id obtained for a submit that never happened). A folder named after another
//! cluster's application (another timestamp, e.g. from before an RM restart without recovery)
//! is left alone: it may belong to a cluster sharing this HDFS.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

impl SweepPolicy {
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
                Ok(seconds) => policy.grace = Duration::from_secs(seconds),
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
}

impl std::fmt::Display for Removal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Finished(state) => write!(f, "the application is {state}"),
            Self::NeverSubmitted => f.write_str("the ResourceManager never knew the application"),
        }
    }
}

/// The cluster timestamp of an application id (`application_<timestamp>_<sequence>`).
fn cluster_timestamp(app_id: &str) -> Option<i64> {
    app_id.split('_').nth(1)?.parse().ok()
}

/// Whether `folder` goes, given its age and what the ResourceManager (whose cluster timestamp
/// is `cluster`) says of it. Pure: the policy in one place.
pub fn verdict(
    folder: &StagingFolder,
    age: Duration,
    fate: &AppFate,
    cluster: i64,
    grace: Duration,
) -> Option<Removal> {
    if age < grace {
        return None;
    }
    match fate {
        AppFate::Known(state) if state.is_terminal() => Some(Removal::Finished(state.clone())),
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

/// Looks once at every staging folder of `hdfs`'s user and removes those [`verdict`] condemns,
/// logging each removal.
///
/// # Errors
/// When the folders cannot be listed or the ResourceManager does not answer; per-folder
/// failures are in the report.
pub async fn sweep_once(
    rm: &ResourceManager,
    hdfs: &Hdfs,
    grace: Duration,
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
        if age < grace {
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
        let Some(reason) = verdict(&folder, age, &fate, cluster, grace) else {
            continue;
        };
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
            verdict(&ours, old, &finished, cluster, grace),
            Some(Removal::Finished(ApplicationState::Finished))
        );
        assert_eq!(
            verdict(&ours, Duration::from_secs(60), &finished, cluster, grace),
            None,
            "within the grace period"
        );
        assert_eq!(verdict(&ours, old, &running, cluster, grace), None);
        assert_eq!(
            verdict(
                &ours,
                old,
                &AppFate::Known(ApplicationState::Accepted),
                cluster,
                grace
            ),
            None
        );
        assert_eq!(
            verdict(&ours, old, &AppFate::Unknown, cluster, grace),
            Some(Removal::NeverSubmitted)
        );
        // Another cluster's (or an earlier RM's) id: perhaps not ours to judge.
        assert_eq!(
            verdict(&ours, old, &AppFate::Unknown, cluster + 1, grace),
            None
        );
    }
}
