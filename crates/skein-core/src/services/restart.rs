//! A service's restart policy at work: which ended containers are started again, how many
//! within the sliding window, and when (after the backoff). Pure: times are milliseconds the
//! caller passes in.

use std::collections::VecDeque;

use super::ContainerState;
use crate::spec::{RestartMode, RestartPolicy};

/// The restarts of one service so far, against its policy.
#[derive(Debug, Clone)]
pub(crate) struct RestartTracker {
    policy: RestartPolicy,
    /// When each counted restart was decided, oldest first (only those inside the window
    /// are kept when there is one).
    decided_at: VecDeque<i64>,
}

impl RestartTracker {
    pub(crate) fn new(policy: RestartPolicy) -> Self {
        RestartTracker {
            policy,
            decided_at: VecDeque::new(),
        }
    }

    /// Whether the container that ended in `state` at `now` is replaced, and if so when its
    /// replacement is due (`now` plus the backoff). A restart allowed is counted.
    pub(crate) fn on_end(&mut self, state: ContainerState, now: i64) -> Option<i64> {
        let wanted = matches!(
            (self.policy.policy, state),
            (
                RestartMode::OnFailure | RestartMode::Always,
                ContainerState::Failed
            ) | (RestartMode::Always, ContainerState::Succeeded)
        );
        if !wanted || !self.within_limit(now) {
            return None;
        }
        self.decided_at.push_back(now);
        let backoff = i64::try_from(self.policy.backoff.as_millis()).unwrap_or(i64::MAX);
        Some(now.saturating_add(backoff))
    }

    /// Whether one more restart at `now` stays within `max_restarts` in the window.
    fn within_limit(&mut self, now: i64) -> bool {
        let Ok(max) = usize::try_from(self.policy.max_restarts) else {
            // -1: unlimited.
            return true;
        };
        if let Some(window) = self.policy.window {
            let window = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
            let start = now.saturating_sub(window);
            while self.decided_at.front().is_some_and(|t| *t <= start) {
                self.decided_at.pop_front();
            }
        }
        self.decided_at.len() < max
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SECOND: i64 = 1000;

    fn tracker(
        policy: RestartMode,
        max: i32,
        window_s: Option<u64>,
        backoff_s: u64,
    ) -> RestartTracker {
        RestartTracker::new(RestartPolicy {
            policy,
            max_restarts: max,
            window: window_s.map(Duration::from_secs),
            backoff: Duration::from_secs(backoff_s),
        })
    }

    #[test]
    fn skeins_max_restarts_counts_over_the_services_life() {
        let mut t = RestartTracker::new(RestartPolicy::from_max_restarts(2));
        assert_eq!(t.on_end(ContainerState::Failed, 0), Some(0));
        assert_eq!(
            t.on_end(ContainerState::Failed, 3_600 * SECOND),
            Some(3_600 * SECOND)
        );
        assert_eq!(t.on_end(ContainerState::Failed, 7_200 * SECOND), None);
        // Successes and kills are never restarted on failure only.
        let mut t = RestartTracker::new(RestartPolicy::from_max_restarts(-1));
        assert_eq!(t.on_end(ContainerState::Succeeded, 0), None);
        assert_eq!(t.on_end(ContainerState::Killed, 0), None);
        assert_eq!(t.on_end(ContainerState::Failed, 0), Some(0));
    }

    #[test]
    fn a_crash_loop_stops_at_the_limit_within_the_window() {
        let mut t = tracker(RestartMode::OnFailure, 3, Some(60), 0);
        for i in 0..3 {
            assert_eq!(
                t.on_end(ContainerState::Failed, i * SECOND),
                Some(i * SECOND)
            );
        }
        assert_eq!(
            t.on_end(ContainerState::Failed, 3 * SECOND),
            None,
            "4th in 60 s"
        );
    }

    #[test]
    fn rare_failures_keep_being_restarted_as_old_ones_leave_the_window() {
        let mut t = tracker(RestartMode::OnFailure, 2, Some(60), 0);
        // One failure every 40 s: never more than 2 within any 60 s.
        for i in 0..10 {
            let now = i * 40 * SECOND;
            assert_eq!(
                t.on_end(ContainerState::Failed, now),
                Some(now),
                "failure {i}"
            );
        }
        // A refused restart is not counted: the next one after the window is allowed.
        let mut t = tracker(RestartMode::OnFailure, 1, Some(60), 0);
        assert!(t.on_end(ContainerState::Failed, 0).is_some());
        assert!(t.on_end(ContainerState::Failed, 30 * SECOND).is_none());
        assert!(t.on_end(ContainerState::Failed, 60 * SECOND).is_some());
    }

    #[test]
    fn the_backoff_delays_each_restart() {
        let mut t = tracker(RestartMode::OnFailure, -1, None, 5);
        assert_eq!(
            t.on_end(ContainerState::Failed, 10 * SECOND),
            Some(15 * SECOND)
        );
    }

    #[test]
    fn policies_choose_which_ends_restart() {
        let mut never = tracker(RestartMode::Never, -1, None, 0);
        assert_eq!(never.on_end(ContainerState::Failed, 0), None);
        let mut always = tracker(RestartMode::Always, 2, None, 0);
        assert_eq!(always.on_end(ContainerState::Succeeded, 0), Some(0));
        assert_eq!(always.on_end(ContainerState::Failed, 0), Some(0));
        assert_eq!(
            always.on_end(ContainerState::Killed, 0),
            None,
            "a kill is the user's"
        );
        assert_eq!(
            always.on_end(ContainerState::Succeeded, 0),
            None,
            "limit reached"
        );
    }
}
