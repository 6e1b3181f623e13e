//! The pipe protocol between the Rust ApplicationMaster and the Java shim, version
//! [`PROTOCOL_VERSION`]: one JSON object per line, `"type"` naming the message. Commands go to
//! the shim's stdin, events come from its stdout. `java-shim/README.md` is the specification;
//! these types are its Rust half, and a pure-Rust YARN client could consume them unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A line that breaks the protocol, or a peer that speaks another version of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The peer speaks another protocol version.
    #[error(
        "the YARN shim speaks protocol version {theirs}, this skein speaks version {ours}: \
         stage the shim jar of the same skein release"
    )]
    VersionMismatch {
        /// Ours.
        ours: u32,
        /// The shim's.
        theirs: u32,
    },
    /// A line that is not a protocol message.
    #[error("unreadable message from the YARN shim ({reason}): {line}")]
    Unreadable {
        /// The line (truncated).
        line: String,
        /// Why it does not parse.
        reason: String,
    },
}

/// The protocol version both sides announce in `hello` and refuse to differ on.
pub const PROTOCOL_VERSION: u32 = 1;

/// A message from the Rust AM to the shim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// First line sent, in answer to the shim's hello.
    Hello {
        /// Must equal the shim's version.
        protocol: u32,
    },
    /// Start the YARN clients and register with the ResourceManager.
    Register {
        /// Host shown as the AM's address (`$NM_HOST`; empty lets the shim read it).
        host: String,
        /// The AM's gRPC port, reported by YARN as the AM's RPC port.
        rpc_port: u16,
        /// The AM web UI, proxied by YARN; empty for none.
        tracking_url: String,
        /// Initial heartbeat interval.
        heartbeat_interval_ms: u32,
        /// Whether this attempt is the application's last: should the Rust AM die, the shim
        /// unregisters FAILED only then (otherwise YARN retries the attempt).
        last_attempt: bool,
    },
    /// Progress (0..1) reported with every heartbeat from now on.
    Progress {
        /// 0..1.
        progress: f32,
    },
    /// Change the heartbeat interval.
    HeartbeatInterval {
        /// Milliseconds.
        ms: u32,
    },
    /// Ask for one container.
    Request(ContainerRequest),
    /// Withdraw the outstanding request of that priority (no-op when unknown).
    RemoveRequest {
        /// The request's priority.
        priority: i32,
    },
    /// Give an allocated container back to YARN (it must not have been started).
    Release {
        /// YARN container id.
        container_id: String,
    },
    /// Start an allocated container on its NodeManager.
    Start(StartContainer),
    /// Stop a started container.
    Stop {
        /// YARN container id.
        container_id: String,
    },
    /// Unregister with a final status; answered by `unregistered` (or `error`).
    Unregister {
        /// `SUCCEEDED`, `FAILED` or `KILLED`.
        final_status: String,
        /// Shown in the application report.
        diagnostics: String,
        /// Final tracking URL; empty keeps the registered one.
        tracking_url: String,
    },
    /// Stop the clients and exit with `code`, without unregistering (e.g. to let YARN retry).
    Exit {
        /// The shim's exit code.
        code: i32,
    },
}

/// One container request; the priority is unique per request so allocations can be matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContainerRequest {
    /// YARN priority (lower is served first), unique per request.
    pub priority: i32,
    /// MiB.
    pub memory_mb: i64,
    /// Virtual cores.
    pub vcores: i32,
    /// `yarn.io/gpu`, 0 for none.
    #[serde(default)]
    pub gpus: i64,
    /// `yarn.io/fpga`, 0 for none.
    #[serde(default)]
    pub fpgas: i64,
    /// Preferred hosts.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Preferred racks.
    #[serde(default)]
    pub racks: Vec<String>,
    /// Whether YARN may place the container elsewhere (must be true with no nodes/racks).
    pub relax_locality: bool,
    /// Node label expression; empty for the application default.
    #[serde(default)]
    pub node_label: String,
}

/// Everything a NodeManager needs to start a container, except the tokens (the shim adds the
/// AM's own credentials minus the AMRM token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StartContainer {
    /// YARN container id of an allocated container.
    pub container_id: String,
    /// Files to localize, by link name.
    pub local_resources: BTreeMap<String, LocalResource>,
    /// Environment.
    pub env: BTreeMap<String, String>,
    /// Command lines (YARN joins them with spaces).
    pub commands: Vec<String>,
    /// `VIEW_APP` / `MODIFY_APP` -> YARN ACL string (`users groups`).
    #[serde(default)]
    pub acls: BTreeMap<String, String>,
}

/// A file to localize.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LocalResource {
    /// Where the file is.
    pub url: ResourceUrl,
    /// `FILE` or `ARCHIVE`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `PUBLIC`, `PRIVATE` or `APPLICATION`.
    pub visibility: String,
    /// Bytes.
    pub size: i64,
    /// Modification time (ms), as the filesystem reports it.
    pub timestamp: i64,
}

/// YARN's URL record (`scheme://host:port/file`; port -1 and empty host for none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResourceUrl {
    /// e.g. `hdfs`.
    pub scheme: String,
    /// Empty for none.
    pub host: String,
    /// -1 for none.
    pub port: i32,
    /// Absolute path.
    pub file: String,
}

/// A message from the shim to the Rust AM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// First line sent by the shim.
    Hello {
        /// The shim's protocol version.
        protocol: u32,
        /// Hadoop version of the cluster's client jars.
        #[serde(default)]
        hadoop_version: String,
        /// The JVM's version.
        #[serde(default)]
        java_version: String,
    },
    /// Registration succeeded.
    Registered {
        /// The largest container memory the scheduler grants (MiB).
        #[serde(default)]
        max_memory_mb: i64,
        /// The largest container vcores the scheduler grants.
        #[serde(default)]
        max_vcores: i64,
        /// The queue the application runs in.
        #[serde(default)]
        queue: String,
        /// Containers kept from a previous attempt (always 0 for skein).
        #[serde(default)]
        previous_containers: i64,
    },
    /// Containers allocated by one heartbeat.
    Allocated {
        /// The containers.
        containers: Vec<AllocatedContainer>,
    },
    /// Containers completed, as reported by one heartbeat.
    Completed {
        /// Their statuses.
        containers: Vec<CompletedContainer>,
    },
    /// A `start` succeeded.
    Started {
        /// YARN container id.
        container_id: String,
    },
    /// A `start` failed.
    StartFailed {
        /// YARN container id.
        container_id: String,
        /// Exception text.
        message: String,
    },
    /// A `stop` succeeded.
    Stopped {
        /// YARN container id.
        container_id: String,
    },
    /// A `stop` failed.
    StopFailed {
        /// YARN container id.
        container_id: String,
        /// Exception text.
        message: String,
    },
    /// A `request` was refused before reaching YARN (e.g. GPUs on a cluster without them).
    RequestFailed {
        /// The request's priority.
        priority: i32,
        /// Exception text.
        message: String,
    },
    /// The ResourceManager told the AM to shut down.
    ShutdownRequested {
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// Something failed; `fatal` means the shim can no longer talk to the ResourceManager.
    Error {
        /// Whether the application must end.
        #[serde(default)]
        fatal: bool,
        /// What failed.
        message: String,
    },
    /// One allocate call (heartbeat) to the ResourceManager ended, successfully or not.
    Heartbeat {
        /// How long it took, in microseconds.
        duration_us: u64,
    },
    /// `unregister` succeeded.
    Unregistered,
    /// A message type this version does not know (ignored, for forward compatibility).
    #[serde(other)]
    Unknown,
}

/// One allocated container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AllocatedContainer {
    /// YARN container id.
    pub container_id: String,
    /// `host:port` of its NodeManager.
    pub node_id: String,
    /// `host:port` of its NodeManager's web server.
    #[serde(default)]
    pub node_http_address: String,
    /// The priority of the request it answers.
    pub priority: i32,
    /// Granted MiB.
    pub memory_mb: i64,
    /// Granted vcores.
    pub vcores: i32,
}

/// One completed container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CompletedContainer {
    /// YARN container id.
    pub container_id: String,
    /// YARN container state (`COMPLETE`).
    #[serde(default)]
    pub state: String,
    /// Exit status; negative values are YARN's `ContainerExitStatus` codes.
    pub exit_status: i32,
    /// YARN diagnostics.
    #[serde(default)]
    pub diagnostics: String,
}

/// YARN's `ContainerExitStatus` codes the AM distinguishes.
pub mod exit_status {
    /// Exited 0.
    pub const SUCCESS: i32 = 0;
    /// Released or never started (e.g. the AM released it).
    pub const ABORTED: i32 = -100;
    /// Killed for exceeding its virtual memory.
    pub(crate) const KILLED_EXCEEDED_VMEM: i32 = -103;
    /// Killed for exceeding its physical memory.
    pub(crate) const KILLED_EXCEEDED_PMEM: i32 = -104;
    /// Stopped at the AM's request.
    pub const KILLED_BY_APPMASTER: i32 = -105;
}

/// One command as a protocol line (with its trailing newline).
pub fn encode_command(command: &Command) -> String {
    // Serializing these plain structs cannot fail: every map key is a string.
    let mut line = serde_json::to_string(command).unwrap_or_default();
    line.push('\n');
    line
}

/// One protocol line from the shim.
pub fn decode_event(line: &str) -> Result<Event, ProtocolError> {
    serde_json::from_str(line.trim_end()).map_err(|e| ProtocolError::Unreadable {
        line: line.trim_end().chars().take(500).collect(),
        reason: e.to_string(),
    })
}

/// Checks the shim's hello.
pub fn check_hello(event: &Event) -> Result<(), ProtocolError> {
    match event {
        Event::Hello { protocol, .. } if *protocol == PROTOCOL_VERSION => Ok(()),
        Event::Hello { protocol, .. } => Err(ProtocolError::VersionMismatch {
            ours: PROTOCOL_VERSION,
            theirs: *protocol,
        }),
        other => Err(ProtocolError::Unreadable {
            line: format!("{other:?}"),
            reason: "the first message must be hello".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_one_json_object_per_line_tagged_by_type() {
        let line = encode_command(&Command::Hello { protocol: 1 });
        assert_eq!(line, "{\"type\":\"hello\",\"protocol\":1}\n");
        let line = encode_command(&Command::RemoveRequest { priority: 7 });
        assert_eq!(line, "{\"type\":\"remove_request\",\"priority\":7}\n");
        let line = encode_command(&Command::Unregister {
            final_status: "FAILED".into(),
            diagnostics: "two\nlines".into(),
            tracking_url: String::new(),
        });
        assert_eq!(
            line.matches('\n').count(),
            1,
            "newlines are escaped: {line}"
        );
        assert!(line.contains("\"two\\nlines\""), "{line}");
    }

    #[test]
    fn a_request_carries_every_field_flat() {
        let cmd = Command::Request(ContainerRequest {
            priority: 3,
            memory_mb: 512,
            vcores: 2,
            gpus: 1,
            nodes: vec!["n1".into()],
            relax_locality: false,
            node_label: "gpu".into(),
            ..Default::default()
        });
        let v: serde_json::Value = serde_json::from_str(&encode_command(&cmd)).expect("valid json");
        assert_eq!(v["type"], "request");
        assert_eq!(v["priority"], 3);
        assert_eq!(v["memory_mb"], 512);
        assert_eq!(v["gpus"], 1);
        assert_eq!(v["nodes"][0], "n1");
        assert_eq!(v["relax_locality"], false);
        assert_eq!(v["node_label"], "gpu");
    }

    #[test]
    fn a_start_command_names_resources_by_link_name() {
        let mut start = StartContainer {
            container_id: "container_1_0001_01_000002".into(),
            commands: vec!["bash .skein.sh".into()],
            ..Default::default()
        };
        start.local_resources.insert(
            ".skein.sh".into(),
            LocalResource {
                url: ResourceUrl {
                    scheme: "hdfs".into(),
                    host: "nn".into(),
                    port: 8020,
                    file: "/user/a/x.sh".into(),
                },
                kind: "FILE".into(),
                visibility: "APPLICATION".into(),
                size: 10,
                timestamp: 5,
            },
        );
        let v: serde_json::Value =
            serde_json::from_str(&encode_command(&Command::Start(start))).expect("json");
        assert_eq!(v["type"], "start");
        assert_eq!(v["local_resources"][".skein.sh"]["type"], "FILE");
        assert_eq!(v["local_resources"][".skein.sh"]["url"]["port"], 8020);
        assert_eq!(v["commands"][0], "bash .skein.sh");
    }

    #[test]
    fn events_decode_from_what_the_shim_writes() {
        let e = decode_event(
            r#"{"type":"hello","protocol":1,"hadoop_version":"3.4.2","java_version":"17"}"#,
        )
        .expect("hello");
        assert!(check_hello(&e).is_ok());
        let e = decode_event(
            r#"{"type":"allocated","containers":[{"container_id":"c1","node_id":"h:1","node_http_address":"h:2","priority":4,"memory_mb":128,"vcores":1}]}"#,
        )
        .expect("allocated");
        let Event::Allocated { containers } = e else {
            panic!("{e:?}")
        };
        assert_eq!(containers[0].priority, 4);
        let e = decode_event(
            r#"{"type":"completed","containers":[{"container_id":"c1","state":"COMPLETE","exit_status":-105,"diagnostics":"x"}]}"#,
        )
        .expect("completed");
        assert!(
            matches!(e, Event::Completed { ref containers } if containers[0].exit_status == exit_status::KILLED_BY_APPMASTER)
        );
        assert_eq!(
            decode_event("{\"type\":\"unregistered\"}\n").expect("unit"),
            Event::Unregistered
        );
        assert_eq!(
            decode_event(r#"{"type":"error","fatal":true,"message":"m"}"#).expect("error"),
            Event::Error {
                fatal: true,
                message: "m".into()
            }
        );
    }

    #[test]
    fn unknown_event_types_are_tolerated_and_garbage_is_an_error() {
        assert_eq!(
            decode_event(r#"{"type":"nodes_updated","nodes":[]}"#).expect("tolerated"),
            Event::Unknown
        );
        let err = decode_event("log4j:WARN something").expect_err("not json");
        assert!(err.to_string().contains("log4j:WARN"), "{err}");
        let err = decode_event(r#"{"type":"started"}"#).expect_err("missing field");
        assert!(err.to_string().contains("container_id"), "{err}");
    }

    #[test]
    fn a_hello_with_another_version_is_refused() {
        let e = decode_event(r#"{"type":"hello","protocol":2}"#).expect("hello");
        let err = check_hello(&e).expect_err("mismatch");
        assert!(err.to_string().contains("version 2"), "{err}");
        let err = check_hello(&Event::Unregistered).expect_err("not hello");
        assert!(err.to_string().contains("hello"), "{err}");
    }

    #[test]
    fn every_command_round_trips() {
        let commands = vec![
            Command::Register {
                host: "h".into(),
                rpc_port: 1,
                tracking_url: "http://h:2".into(),
                heartbeat_interval_ms: 1000,
                last_attempt: true,
            },
            Command::Progress { progress: 0.5 },
            Command::HeartbeatInterval { ms: 5000 },
            Command::Release {
                container_id: "c".into(),
            },
            Command::Stop {
                container_id: "c".into(),
            },
            Command::Exit { code: 1 },
        ];
        for c in commands {
            let back: Command =
                serde_json::from_str(encode_command(&c).trim_end()).expect("round trip");
            assert_eq!(back, c);
        }
    }
}
