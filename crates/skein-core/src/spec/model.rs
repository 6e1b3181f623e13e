//! The validated ApplicationSpec model: plain data with Skein's defaults.
//!
//! Every other part of skein-rs trusts a value of these types once `spec::load` or
//! `TryFrom<proto::ApplicationSpec>` produced it. Field names and defaults follow Skein 0.8
//! (skein/model.py); maps are ordered so that output is stable.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use super::log_aggregation::LogAggregation;
pub use super::readiness::{Readiness, ReadinessProbe};

/// A whole application: what the driver submits and the ApplicationMaster runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationSpec {
    /// Application name shown by YARN (default `skein`).
    pub name: String,
    /// YARN queue (default `default`).
    pub queue: String,
    /// User to submit as (proxy user); empty means the submitter.
    pub user: String,
    /// Node label expression for the ApplicationMaster and default for containers.
    pub node_label: String,
    /// Maximum application attempts, at least 1.
    pub max_attempts: i32,
    /// YARN application tags.
    pub tags: BTreeSet<String>,
    /// Extra file systems to get delegation tokens for.
    pub file_systems: Vec<String>,
    /// Who may view and modify the application.
    pub acls: Acls,
    /// The ApplicationMaster's settings.
    pub master: Master,
    /// Services by name.
    pub services: BTreeMap<String, Service>,
    /// The application's own Kerberos identity, from which the ApplicationMaster renews its
    /// delegation tokens (a skein-rs extension; `None` runs on the submitter's tokens alone).
    pub kerberos_principal: Option<KerberosPrincipal>,
    /// How long YARN lets the application run, from its submission, before it kills it (a
    /// YARN LIFETIME timeout, whole seconds); `None` is unlimited. A skein-rs extension.
    pub lifetime: Option<Duration>,
    /// The YARN application priority (higher runs first); `None` leaves the queue's default.
    /// A skein-rs extension.
    pub priority: Option<i32>,
    /// Which container log files YARN aggregates, and whether also while the application
    /// runs; `None` is the cluster's default (every file, at the end). A skein-rs extension.
    pub log_aggregation: Option<LogAggregation>,
}

/// The Kerberos identity of an application (YARN Native Services' `kerberos_principal`): the
/// ApplicationMaster logs in from the keytab and obtains fresh delegation tokens for the
/// application before the current ones expire, so that it outlives their maximum lifetime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KerberosPrincipal {
    /// The principal, e.g. `alice@EXAMPLE.COM` (without a realm: the default realm).
    pub principal_name: String,
    /// The keytab: a local file the driver stages (readable by the ApplicationMaster only), or
    /// a file on HDFS.
    pub keytab: File,
    /// When to fetch new tokens, in percent of the current tokens' lifetime (1 to 95).
    pub token_refresh_percent: u8,
}

impl KerberosPrincipal {
    /// The default of `token_refresh_percent`: new tokens when three quarters of the current
    /// ones' lifetime has passed (Spark's `spark.security.credentials.renewalRatio`).
    pub const DEFAULT_REFRESH_PERCENT: u8 = 75;
    /// The highest `token_refresh_percent`: the rest of the lifetime is the time left to
    /// retry a failed refresh and to hand the new tokens to every container.
    pub const MAX_REFRESH_PERCENT: u8 = 95;
}

/// The ApplicationMaster: its resources, an optional script ("application driver") and logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Master {
    /// Container resources of the ApplicationMaster (default 512 MiB, 1 vcore).
    pub resources: Resources,
    /// Bash script run beside the ApplicationMaster; empty means none.
    pub script: String,
    /// Files to localize, by destination name.
    pub files: BTreeMap<String, File>,
    /// Environment variables of the script.
    pub env: BTreeMap<String, String>,
    /// Log level of the ApplicationMaster.
    pub log_level: LogLevel,
    /// A custom `log4j.properties`.
    pub log_config: Option<File>,
    /// Credentials of the application; `None` uses the driver's.
    pub security: Option<Security>,
    /// The IP address the ApplicationMaster's gRPC server and web UI listen on: empty (the
    /// default) for the address of its NodeManager's host (`NM_HOST`), `0.0.0.0` or `::` for
    /// every interface (a skein-rs extension).
    pub bind_host: String,
}

/// A group of identical containers running one script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Container resources (required).
    pub resources: Resources,
    /// Bash script each container runs (required, non-empty).
    pub script: String,
    /// Initial number of containers, at least 0 (default 1).
    pub instances: i32,
    /// Files to localize, by destination name.
    pub files: BTreeMap<String, File>,
    /// Environment variables of the script.
    pub env: BTreeMap<String, String>,
    /// Services whose initial containers must be running before this one starts.
    pub depends: BTreeSet<String>,
    /// Restarts allowed across the service; -1 means unlimited (default 0).
    pub max_restarts: i32,
    /// The most active (waiting, requested, running) containers the service may have; `scale`
    /// and `addContainer` beyond it are refused (default [`Service::DEFAULT_MAX_INSTANCES`]; a
    /// skein-rs extension).
    pub max_instances: i32,
    /// If true, exhausting restarts does not fail the application.
    pub allow_failures: bool,
    /// Node label expression for the containers.
    pub node_label: String,
    /// Nodes to request containers on.
    pub nodes: Vec<String>,
    /// Racks to request containers on.
    pub racks: Vec<String>,
    /// Whether YARN may place containers off the requested nodes and racks.
    pub relax_locality: bool,
    /// When and how often containers are restarted; `None` keeps Skein's meaning of
    /// `max_restarts` (see [`Service::restart_policy`]). A skein-rs extension.
    pub restart: Option<RestartPolicy>,
    /// The check a running container must pass to count as READY; `None`: ready once
    /// running. A skein-rs extension.
    pub readiness: Option<Readiness>,
}

/// Which ended containers of a service are started again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RestartMode {
    /// None: a failed container fails the service.
    Never,
    /// Those that failed (Skein's behaviour).
    #[default]
    OnFailure,
    /// Those that failed and those that succeeded (long-running services); never those a
    /// client killed.
    Always,
}

/// A service's restart policy: at most `max_restarts` restarts within any `window`, each
/// `backoff` after the end of the container it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Which ended containers are restarted (default on failure).
    pub policy: RestartMode,
    /// The most restarts within `window`; -1 is unlimited (the default).
    pub max_restarts: i32,
    /// The sliding window `max_restarts` counts in; `None` counts over the service's life.
    pub window: Option<Duration>,
    /// How long after a container ended its replacement is requested (default 0).
    pub backoff: Duration,
}

impl RestartPolicy {
    /// Skein's meaning of a service's `max_restarts` alone: failed containers restarted at
    /// once, `max_restarts` times over the service's life.
    pub fn from_max_restarts(max_restarts: i32) -> Self {
        RestartPolicy {
            policy: RestartMode::OnFailure,
            max_restarts,
            window: None,
            backoff: Duration::ZERO,
        }
    }
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            max_restarts: -1,
            ..RestartPolicy::from_max_restarts(0)
        }
    }
}

impl Service {
    /// The policy the ApplicationMaster follows: `restart` when given, else Skein's
    /// `max_restarts`.
    pub fn restart_policy(&self) -> RestartPolicy {
        self.restart
            .clone()
            .unwrap_or_else(|| RestartPolicy::from_max_restarts(self.max_restarts))
    }
}

/// Resources of one container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resources {
    /// Memory in MiB, at least 1.
    pub memory: i32,
    /// Virtual cores, at least 1.
    pub vcores: i32,
    /// GPUs (`yarn.io/gpu`), at least 0.
    pub gpus: i64,
    /// FPGAs (`yarn.io/fpga`), at least 0.
    pub fpgas: i64,
}

impl Resources {
    /// The ApplicationMaster's default: 512 MiB and one vcore.
    pub(crate) const MASTER_DEFAULT: Resources = Resources {
        memory: 512,
        vcores: 1,
        gpus: 0,
        fpgas: 0,
    };
}

/// A file or archive localized into a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Absolute URL: `file:///abs/path` for local files, other schemes kept as written
    /// (scheme and host lower-cased, the way the wire form stores them).
    pub source: String,
    /// File or archive (inferred from the source when not given).
    pub file_type: FileType,
    /// YARN resource visibility (default `APPLICATION`).
    pub visibility: Visibility,
    /// Size in bytes; 0 lets the driver fill it in.
    pub size: i64,
    /// Modification time in ms since the epoch; 0 lets the driver fill it in.
    pub timestamp: i64,
}

impl File {
    /// A file with Skein's defaults for everything but the source; the type is inferred.
    pub fn from_source(source: impl Into<String>) -> File {
        let source = source.into();
        File {
            file_type: FileType::infer(&source),
            source,
            visibility: Visibility::Application,
            size: 0,
            timestamp: 0,
        }
    }
}

/// The application's TLS credentials: a certificate and a key, each a file or inline PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Security {
    /// The certificate.
    pub cert: Secret,
    /// The private key.
    pub key: Secret,
}

/// Where a certificate or key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// A file (`cert_file` / `key_file`).
    File(File),
    /// Inline PEM text (`cert_bytes` / `key_bytes`).
    Bytes(String),
}

/// Application access control lists.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Acls {
    /// Whether the ACLs are enforced.
    pub enable: bool,
    /// Users who may view the application.
    pub view_users: Vec<String>,
    /// Groups who may view the application.
    pub view_groups: Vec<String>,
    /// Users who may modify (kill, scale) the application.
    pub modify_users: Vec<String>,
    /// Groups who may modify the application.
    pub modify_groups: Vec<String>,
    /// Users who may see the web UI.
    pub ui_users: Vec<String>,
}

/// Whether YARN copies a file as is or extracts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    /// Copied as is.
    File,
    /// Extracted into a directory named after the destination.
    Archive,
}

impl FileType {
    /// YARN's name of the resource type (`FILE`, `ARCHIVE`).
    pub fn yarn_name(self) -> &'static str {
        match self {
            FileType::File => "FILE",
            FileType::Archive => "ARCHIVE",
        }
    }

    /// `Archive` for sources ending in `.zip`, `.tar.gz` or `.tgz` (any case), else `File`.
    pub(crate) fn infer(source: &str) -> FileType {
        let lower = source.to_ascii_lowercase();
        if [".zip", ".tar.gz", ".tgz"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        {
            FileType::Archive
        } else {
            FileType::File
        }
    }
}

/// YARN LocalResourceVisibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Shared by all users on the node.
    Public,
    /// Shared by the user's applications.
    Private,
    /// Private to this application (the default).
    Application,
}

impl Visibility {
    /// YARN's name of the visibility (`PUBLIC`, `PRIVATE`, `APPLICATION`).
    pub fn yarn_name(self) -> &'static str {
        match self {
            Visibility::Public => "PUBLIC",
            Visibility::Private => "PRIVATE",
            Visibility::Application => "APPLICATION",
        }
    }
}

/// Log level of the ApplicationMaster (log4j levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum LogLevel {
    /// Everything.
    All,
    /// Trace and above.
    Trace,
    /// Debug and above.
    Debug,
    /// Info and above (the default).
    #[default]
    Info,
    /// Warnings and above.
    Warn,
    /// Errors and above.
    Error,
    /// Fatal errors only.
    Fatal,
    /// Nothing.
    Off,
}

/// A name that is none of an enum's values; the message lists the valid ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} '{given}': expected one of {expected}")]
pub struct UnknownName {
    /// What the name was for (`log level`, `file type`, ...).
    pub what: &'static str,
    /// The name given (shortened when long).
    pub given: String,
    /// The valid names, comma-separated.
    pub expected: String,
}

/// Declares the upper-case names of a simple enum, parsed in any case.
macro_rules! names {
    ($ty:ty, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            /// The upper-case name used in specs and by Skein.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),+ }
            }
            /// Every accepted name, upper-case.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = UnknownName;
            /// Case-insensitive, like Skein's enums.
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| UnknownName {
                        what: $what,
                        given: crate::spec::node::shorten(s).to_string(),
                        expected: Self::names().join(", "),
                    })
            }
        }
    };
}

names!(FileType, "file type", [File => "FILE", Archive => "ARCHIVE"]);
names!(Visibility, "visibility", [
    Public => "PUBLIC", Private => "PRIVATE", Application => "APPLICATION",
]);
names!(RestartMode, "restart policy", [
    Never => "NEVER", OnFailure => "ON_FAILURE", Always => "ALWAYS",
]);
names!(LogLevel, "log level", [
    All => "ALL", Trace => "TRACE", Debug => "DEBUG", Info => "INFO",
    Warn => "WARN", Error => "ERROR", Fatal => "FATAL", Off => "OFF",
]);

impl Default for Master {
    fn default() -> Self {
        Master {
            resources: Resources::MASTER_DEFAULT,
            script: String::new(),
            files: BTreeMap::new(),
            env: BTreeMap::new(),
            log_level: LogLevel::Info,
            log_config: None,
            security: None,
            bind_host: String::new(),
        }
    }
}

impl Service {
    /// The default of `max_instances`. Each active container costs the AM a state record
    /// (~0.5 KiB) and, while requested, a YARN request in the shim and in the ResourceManager's
    /// scheduler (one priority each); 10,000 keeps all of them small (a few MiB), keeps
    /// `getContainers` of the active containers (~100-300 bytes each on the wire) under gRPC's
    /// 4 MiB message limit, and is far above what one application's service runs on most
    /// clusters (a service of 10,000 containers of 1 GiB is 10 TiB of memory).
    pub const DEFAULT_MAX_INSTANCES: i32 = 10_000;

    /// A service with Skein's defaults around the two required fields.
    pub fn new(resources: Resources, script: impl Into<String>) -> Service {
        Service {
            resources,
            script: script.into(),
            instances: 1,
            files: BTreeMap::new(),
            env: BTreeMap::new(),
            depends: BTreeSet::new(),
            max_restarts: 0,
            max_instances: Service::DEFAULT_MAX_INSTANCES,
            allow_failures: false,
            node_label: String::new(),
            nodes: Vec::new(),
            racks: Vec::new(),
            relax_locality: false,
            restart: None,
            readiness: None,
        }
    }
}

impl Default for ApplicationSpec {
    /// Skein's defaults; not valid by itself (it has neither a service nor a master script).
    fn default() -> Self {
        ApplicationSpec {
            name: "skein".to_string(),
            queue: "default".to_string(),
            user: String::new(),
            node_label: String::new(),
            max_attempts: 1,
            tags: BTreeSet::new(),
            file_systems: Vec::new(),
            acls: Acls::default(),
            master: Master::default(),
            services: BTreeMap::new(),
            kerberos_principal: None,
            lifetime: None,
            priority: None,
            log_aggregation: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_inferred_from_the_extension() {
        for s in ["file:///a/env.zip", "hdfs:///x.tar.gz", "file:///y.TGZ"] {
            assert_eq!(FileType::infer(s), FileType::Archive, "{s}");
        }
        for s in ["file:///a/env.tar", "file:///a/zip", "file:///a.gz", "x.py"] {
            assert_eq!(FileType::infer(s), FileType::File, "{s}");
        }
    }

    #[test]
    fn enums_parse_in_any_case() {
        assert_eq!("debug".parse::<LogLevel>(), Ok(LogLevel::Debug));
        assert_eq!("Warn".parse::<LogLevel>(), Ok(LogLevel::Warn));
        assert_eq!("archive".parse::<FileType>(), Ok(FileType::Archive));
        assert_eq!("Public".parse::<Visibility>(), Ok(Visibility::Public));
        assert_eq!(
            "verbose".parse::<LogLevel>().map_err(|e| e.to_string()),
            Err(
                "invalid log level 'verbose': expected one of ALL, TRACE, DEBUG, INFO, WARN, \
                 ERROR, FATAL, OFF"
                    .to_string()
            )
        );
        for level in LogLevel::ALL {
            assert_eq!(level.as_str().parse::<LogLevel>(), Ok(*level));
        }
    }

    #[test]
    fn defaults_are_skeins() {
        let spec = ApplicationSpec::default();
        assert_eq!(
            (spec.name.as_str(), spec.queue.as_str(), spec.max_attempts),
            ("skein", "default", 1)
        );
        assert_eq!(spec.master.resources, Resources::MASTER_DEFAULT);
        assert_eq!(spec.master.log_level, LogLevel::Info);
        let service = Service::new(Resources::MASTER_DEFAULT, "run");
        assert_eq!((service.instances, service.max_restarts), (1, 0));
        let file = File::from_source("file:///x");
        assert_eq!(
            (file.file_type, file.visibility),
            (FileType::File, Visibility::Application)
        );
    }
}
