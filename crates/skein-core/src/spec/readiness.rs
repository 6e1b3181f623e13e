//! A service's readiness check (`readiness` in the spec, a skein-rs extension): what the
//! ApplicationMaster probes on each running container, and how often, before the container
//! counts as READY (and its service's dependents may start).

use std::time::Duration;

/// What is probed, on the host of the container's NodeManager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadinessProbe {
    /// A TCP connection to `port` is accepted.
    Tcp {
        /// The port the container listens on.
        port: u16,
    },
    /// `GET path` on `port` answers with a 2xx or 3xx status.
    Http {
        /// The port the container listens on.
        port: u16,
        /// The path asked for, starting with `/`.
        path: String,
    },
}

/// A readiness check and its timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// What is probed.
    pub probe: ReadinessProbe,
    /// Time between two probes (default 2 s).
    pub interval: Duration,
    /// How long one probe may take (default 1 s).
    pub timeout: Duration,
    /// Time from the container's start to the first probe (default 0).
    pub initial_delay: Duration,
    /// Successes in a row that make the container READY (default 1).
    pub success_threshold: u32,
    /// Failures in a row that make a READY container not ready again (default 3).
    pub failure_threshold: u32,
}

impl Readiness {
    /// The default `interval`.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
    /// The default `timeout`.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
    /// The default `success_threshold`.
    pub const DEFAULT_SUCCESS_THRESHOLD: u32 = 1;
    /// The default `failure_threshold`.
    pub const DEFAULT_FAILURE_THRESHOLD: u32 = 3;

    /// A check of `probe` with the default timing.
    pub fn new(probe: ReadinessProbe) -> Self {
        Readiness {
            probe,
            interval: Self::DEFAULT_INTERVAL,
            timeout: Self::DEFAULT_TIMEOUT,
            initial_delay: Duration::ZERO,
            success_threshold: Self::DEFAULT_SUCCESS_THRESHOLD,
            failure_threshold: Self::DEFAULT_FAILURE_THRESHOLD,
        }
    }
}
