//! An application's lifetime (YARN's LIFETIME timeout) and priority: set at submission from the
//! spec's `lifetime`, and changed later by `updateApplicationLifetime` and
//! `updateApplicationPriority`.
//!
//! The REST submission carries the priority but no timeout, so the driver sets the lifetime
//! right after the ResourceManager accepted the application, counted from its start time (the
//! time of submission), as YARN counts a lifetime given at submission.

use std::time::Duration;

use skein_hadoop::yarn::{AppTimeout, ApplicationState, ResourceManager, YarnError};

/// How often the application's state is asked while it is NEW.
const POLL: Duration = Duration::from_millis(100);
/// How long an application may stay NEW or NEW_SAVING before setting its lifetime gives up.
const ACCEPT_WAIT: Duration = Duration::from_secs(60);

/// Why a lifetime could not be set at submission.
#[derive(Debug, thiserror::Error)]
pub enum LifetimeError {
    /// The ResourceManager refused or failed the call.
    #[error("cannot set the lifetime of {id}: {source}")]
    ResourceManager {
        /// The application.
        id: String,
        /// Why.
        source: YarnError,
    },
    /// The application stayed NEW for longer than the driver waits.
    #[error(
        "cannot set the lifetime of {id}: the ResourceManager still holds it as {state} after \
         {} s",
        ACCEPT_WAIT.as_secs()
    )]
    NotAccepted {
        /// The application.
        id: String,
        /// Its state then.
        state: ApplicationState,
    },
}

/// Sets the LIFETIME timeout of the just submitted application `id` to `lifetime` after its
/// start, once the ResourceManager takes timeout updates (after NEW_SAVING). An application
/// that already ended needs none.
///
/// # Errors
/// [`LifetimeError`]; the caller kills the application, whose lifetime would not be enforced.
pub async fn set_at_submission(
    rm: &ResourceManager,
    id: &str,
    lifetime: Duration,
) -> Result<Option<AppTimeout>, LifetimeError> {
    let rm_error = |source| LifetimeError::ResourceManager {
        id: id.to_string(),
        source,
    };
    let deadline = tokio::time::Instant::now() + ACCEPT_WAIT;
    loop {
        let app = rm.application(id).await.map_err(rm_error)?;
        match app.state {
            ApplicationState::New | ApplicationState::NewSaving => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(LifetimeError::NotAccepted {
                        id: id.to_string(),
                        state: app.state,
                    });
                }
                tokio::time::sleep(POLL).await;
            }
            state if state.is_terminal() => return Ok(None),
            _ => {
                let start = if app.started_time > 0 {
                    app.started_time
                } else {
                    now_millis()
                };
                let expiry = start.saturating_add(millis(lifetime));
                let timeout = rm.update_lifetime(id, expiry).await.map_err(rm_error)?;
                return Ok(Some(timeout));
            }
        }
    }
}

/// The expiry of a lifetime of `lifetime` from now, in milliseconds since the epoch.
pub fn expiry_from_now(lifetime: Duration) -> i64 {
    now_millis().saturating_add(millis(lifetime))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, millis)
}
