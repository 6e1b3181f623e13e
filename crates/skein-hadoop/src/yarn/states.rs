//! YARN's state names as enums: what the ResourceManager reports for applications, their final
//! status and nodes. Each has an `Unknown` case that keeps a name a newer Hadoop may add, so a
//! report is never refused for it and the name still reaches the user.

use serde::{Deserialize, Deserializer};

/// Declares a YARN state enum: the REST names of its known cases, `Unknown(name)` for the rest,
/// reading from the REST string and writing back to it.
macro_rules! yarn_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A name this version of skein-rs does not know (a newer Hadoop's).
            Unknown(String),
        }

        impl $name {
            /// The name as YARN writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(name) => name,
                }
            }
        }

        impl From<&str> for $name {
            fn from(name: &str) -> Self {
                match name {
                    $($text => $name::$variant,)+
                    other => $name::Unknown(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::from(String::deserialize(d)?.as_str()))
            }
        }
    };
}

yarn_enum! {
    /// `YarnApplicationState`.
    ApplicationState {
        /// Just created.
        New = "NEW",
        /// Being stored in the state store.
        NewSaving = "NEW_SAVING",
        /// Submitted to the scheduler.
        Submitted = "SUBMITTED",
        /// Accepted by the scheduler, waiting for its AM.
        Accepted = "ACCEPTED",
        /// The AM registered.
        Running = "RUNNING",
        /// The AM unregistered.
        Finished = "FINISHED",
        /// Failed (AM attempts used up, or refused).
        Failed = "FAILED",
        /// Killed by a user or an administrator.
        Killed = "KILLED",
    }
}

impl ApplicationState {
    /// FINISHED, FAILED or KILLED: the application will not change again.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            ApplicationState::Finished | ApplicationState::Failed | ApplicationState::Killed
        )
    }
}

impl Default for ApplicationState {
    /// What a report without a state reads as.
    fn default() -> Self {
        ApplicationState::New
    }
}

yarn_enum! {
    /// `FinalApplicationStatus`: what the AM (or YARN) said of the outcome.
    FinalStatus {
        /// Not decided yet.
        Undefined = "UNDEFINED",
        /// Succeeded.
        Succeeded = "SUCCEEDED",
        /// Failed.
        Failed = "FAILED",
        /// Killed.
        Killed = "KILLED",
        /// Ended by YARN's application timeout (Hadoop 3.x).
        Ended = "ENDED",
    }
}

impl Default for FinalStatus {
    /// What a report without a final status reads as.
    fn default() -> Self {
        FinalStatus::Undefined
    }
}

yarn_enum! {
    /// `NodeState` of a NodeManager.
    NodeState {
        /// Registered, not yet heard from.
        New = "NEW",
        /// Healthy and heartbeating.
        Running = "RUNNING",
        /// Its health checker reports a problem.
        Unhealthy = "UNHEALTHY",
        /// Taken out of the cluster.
        Decommissioned = "DECOMMISSIONED",
        /// Being taken out of the cluster.
        Decommissioning = "DECOMMISSIONING",
        /// Stopped heartbeating.
        Lost = "LOST",
        /// Restarted.
        Rebooted = "REBOOTED",
        /// Shut down cleanly.
        Shutdown = "SHUTDOWN",
    }
}

impl Default for NodeState {
    /// What a report without a state reads as.
    fn default() -> Self {
        NodeState::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_read_as_their_case_and_write_back_unchanged() {
        for name in [
            "NEW",
            "NEW_SAVING",
            "SUBMITTED",
            "ACCEPTED",
            "RUNNING",
            "FINISHED",
            "FAILED",
            "KILLED",
        ] {
            let state = ApplicationState::from(name);
            assert!(!matches!(state, ApplicationState::Unknown(_)), "{name}");
            assert_eq!(state.as_str(), name);
        }
        assert_eq!(FinalStatus::from("SUCCEEDED"), FinalStatus::Succeeded);
        assert_eq!(
            NodeState::from("DECOMMISSIONING"),
            NodeState::Decommissioning
        );
    }

    #[test]
    fn a_name_from_a_newer_hadoop_is_kept() {
        let state: ApplicationState = serde_json::from_str("\"PAUSED\"").expect("a string");
        assert_eq!(state, ApplicationState::Unknown("PAUSED".into()));
        assert_eq!(state.to_string(), "PAUSED");
        assert!(!state.is_terminal());
    }

    #[test]
    fn only_finished_failed_and_killed_are_terminal() {
        let terminal: Vec<_> = ["NEW", "ACCEPTED", "RUNNING", "FINISHED", "FAILED", "KILLED"]
            .into_iter()
            .filter(|n| ApplicationState::from(*n).is_terminal())
            .collect();
        assert_eq!(terminal, ["FINISHED", "FAILED", "KILLED"]);
    }
}
