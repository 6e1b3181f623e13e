//! The JSON documents of the ResourceManager REST API (`/ws/v1/cluster/...`), as Hadoop 3.x
//! writes and reads them. Reading is tolerant: every field has a default, lists may come as a
//! single object, and empty collections as `null`, `{}` or a missing key.

use serde::{Deserialize, Deserializer, Serialize};

pub use super::states::{ApplicationState, FinalStatus, NodeState};

/// `{"x": [..]}`, `{"x": {..}}` (one element), `null` and missing all read as a Vec.
pub(crate) fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(Box<T>),
    }
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(one)) => vec![*one],
    })
}

/// `GET /ws/v1/cluster/info`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClusterInfo {
    /// Cluster id (the RM start time).
    pub id: i64,
    /// `STARTED` when up.
    pub state: String,
    /// `ACTIVE` or `STANDBY` (key spelled `haState`, lower-cased by some versions).
    #[serde(alias = "hastate")]
    pub ha_state: String,
    /// Hadoop version of the RM.
    pub hadoop_version: String,
    /// Milliseconds since the epoch.
    pub started_on: i64,
}

/// `POST /ws/v1/cluster/apps/new-application`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "RawNewApplication")]
pub struct NewApplication {
    /// The new application id.
    pub application_id: String,
    /// The largest container the scheduler grants.
    pub maximum_resource_capability: ResourceInfo,
    /// The same for every resource type the cluster defines (`memory-mb`, `vcores`,
    /// `yarn.io/gpu`, ...); `None` from a ResourceManager without resource types (Hadoop 2).
    pub resource_types: Option<Vec<ResourceType>>,
}

/// One resource type of the cluster with its maximum per container.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ResourceType {
    /// `memory-mb`, `vcores`, `yarn.io/gpu`, `yarn.io/fpga`, ...
    pub name: String,
    /// The largest amount one container may have.
    pub value: i64,
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct RawNewApplication {
    #[serde(rename = "application-id")]
    application_id: String,
    #[serde(rename = "maximum-resource-capability")]
    maximum_resource_capability: RawCapability,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCapability {
    memory: i64,
    #[serde(rename = "vCores")]
    vcores: i64,
    #[serde(rename = "resourceInformations")]
    resource_informations: Option<RawResourceInformations>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResourceInformations {
    #[serde(rename = "resourceInformation")]
    resource_information: Vec<ResourceType>,
}

impl From<RawNewApplication> for NewApplication {
    fn from(raw: RawNewApplication) -> Self {
        let max = raw.maximum_resource_capability;
        NewApplication {
            application_id: raw.application_id,
            maximum_resource_capability: ResourceInfo {
                memory: max.memory,
                vcores: max.vcores,
            },
            resource_types: max.resource_informations.map(|r| r.resource_information),
        }
    }
}

/// Memory (MiB) and vcores, as YARN reports them.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct ResourceInfo {
    /// MiB.
    pub memory: i64,
    /// Virtual cores.
    #[serde(rename = "vCores")]
    pub vcores: i64,
}

/// One application, from `GET /apps/{id}` or `GET /apps`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppInfo {
    /// `application_<cluster>_<n>`.
    pub id: String,
    /// Submitting user.
    pub user: String,
    /// Application name.
    pub name: String,
    /// Queue (leaf name).
    pub queue: String,
    /// NEW .. KILLED.
    pub state: ApplicationState,
    /// UNDEFINED, SUCCEEDED, FAILED, KILLED.
    pub final_status: FinalStatus,
    /// 0..100.
    pub progress: f64,
    /// The proxied tracking URL, once the AM registered one.
    pub tracking_url: String,
    /// Diagnostics text.
    pub diagnostics: String,
    /// Application type, `skein` for ours.
    pub application_type: String,
    /// Comma-separated tags.
    pub application_tags: String,
    /// Milliseconds since the epoch, 0 when unset.
    pub started_time: i64,
    /// Milliseconds since the epoch, 0 when unset.
    pub finished_time: i64,
    /// `host:rpc_port` the AM registered, when it did.
    #[serde(rename = "amRPCAddress")]
    pub am_rpc_address: String,
    /// The AM container's log link.
    pub am_container_logs: String,
    /// The AM node's http address.
    pub am_host_http_address: String,
    /// Allocated memory (MiB).
    #[serde(rename = "allocatedMB")]
    pub allocated_mb: i64,
    /// Allocated vcores.
    #[serde(rename = "allocatedVCores")]
    pub allocated_vcores: i64,
    /// Reserved memory (MiB).
    #[serde(rename = "reservedMB")]
    pub reserved_mb: i64,
    /// Reserved vcores.
    #[serde(rename = "reservedVCores")]
    pub reserved_vcores: i64,
    /// Running containers (incl. the AM).
    pub running_containers: i64,
    /// Memory-seconds used.
    pub memory_seconds: i64,
    /// Vcore-seconds used.
    pub vcore_seconds: i64,
    /// Log aggregation status (3.x).
    pub log_aggregation_status: String,
    /// The application's priority (0 when the scheduler has none).
    pub priority: i32,
    /// Its timeouts (3.x); a LIFETIME one with `UNLIMITED` when none is set.
    pub timeouts: Option<AppTimeouts>,
}

/// `{"timeout": [...]}` in an application report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AppTimeouts {
    /// The timeouts, by type.
    #[serde(deserialize_with = "one_or_many")]
    pub timeout: Vec<super::AppTimeout>,
}

impl AppInfo {
    /// Tags as a list (the RM writes them comma-joined).
    pub fn tags(&self) -> Vec<String> {
        crate::conf::split_list(&self.application_tags)
    }

    /// The LIFETIME timeout, when one is set (not `UNLIMITED`).
    pub fn lifetime(&self) -> Option<&super::AppTimeout> {
        self.timeouts
            .as_ref()?
            .timeout
            .iter()
            .find(|t| t.timeout_type == super::LIFETIME && t.expiry_millis().is_some())
    }

    /// The AM's registered (host, rpc port), when it registered one.
    pub fn am_rpc(&self) -> Option<(String, u16)> {
        let (host, port) = self.am_rpc_address.rsplit_once(':')?;
        let port: u16 = port.parse().ok()?;
        (!host.is_empty() && host != "N/A").then(|| (host.to_string(), port))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AppEnvelope {
    pub app: AppInfo,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AppsEnvelope {
    pub apps: Option<AppList>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AppList {
    #[serde(deserialize_with = "one_or_many")]
    pub app: Vec<AppInfo>,
}

/// One NodeManager, from `GET /nodes`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeInfo {
    /// `host:port` of the NM RPC server.
    pub id: String,
    /// Rack.
    pub rack: String,
    /// NEW, RUNNING, UNHEALTHY, ...
    pub state: NodeState,
    /// Host name.
    pub node_host_name: String,
    /// `host:port` of the NM web server.
    #[serde(rename = "nodeHTTPAddress")]
    pub node_http_address: String,
    /// Health report text.
    pub health_report: String,
    /// Containers running.
    pub num_containers: i64,
    /// MiB used.
    #[serde(rename = "usedMemoryMB")]
    pub used_memory_mb: i64,
    /// MiB available.
    #[serde(rename = "availMemoryMB")]
    pub avail_memory_mb: i64,
    /// Vcores used.
    pub used_virtual_cores: i64,
    /// Vcores available.
    pub available_virtual_cores: i64,
    /// Node labels.
    #[serde(deserialize_with = "one_or_many")]
    pub node_labels: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NodesEnvelope {
    pub nodes: Option<NodeList>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NodeList {
    #[serde(deserialize_with = "one_or_many")]
    pub node: Vec<NodeInfo>,
}

/// A map as the RM's JAXB binding writes it: `{"entry": [{"key": .., "value": ..}]}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entries<T> {
    /// The entries.
    pub entry: Vec<Entry<T>>,
}

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries { entry: Vec::new() }
    }
}

/// One map entry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry<T> {
    /// Key.
    pub key: String,
    /// Value.
    pub value: T,
}

impl<T> FromIterator<(String, T)> for Entries<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        Entries {
            entry: iter
                .into_iter()
                .map(|(key, value)| Entry { key, value })
                .collect(),
        }
    }
}

/// A file the NodeManager localizes into a container's working directory.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LocalResource {
    /// A URI, e.g. `hdfs://nn:8020/user/alice/.skein/app/x`.
    pub resource: String,
    /// `FILE`, `ARCHIVE` or `PATTERN`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `PUBLIC`, `PRIVATE` or `APPLICATION`.
    pub visibility: String,
    /// Bytes (> 0).
    pub size: i64,
    /// Modification time in ms; must equal the file's on the filesystem.
    pub timestamp: i64,
}

impl From<&skein_core::spec::File> for LocalResource {
    /// A file of the spec as the REST submission names it: its canonical URL, type, visibility,
    /// size and timestamp.
    fn from(f: &skein_core::spec::File) -> Self {
        LocalResource {
            resource: f.source.clone(),
            kind: f.file_type.yarn_name().to_string(),
            visibility: f.visibility.yarn_name().to_string(),
            size: f.size,
            timestamp: f.timestamp,
        }
    }
}

/// The commands of a container launch context.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Commands {
    /// Joined with spaces into one shell line by the NodeManager.
    pub command: Vec<String>,
}

/// Tokens and secrets handed to the container.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Credentials {
    /// Alias -> URL-safe base64 Hadoop token.
    pub tokens: Entries<String>,
    /// Alias -> base64 bytes.
    pub secrets: Entries<String>,
}

/// What the NodeManager needs to start a container.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ContainerLaunchContext {
    /// Files to localize, by link name.
    #[serde(rename = "local-resources")]
    pub local_resources: Entries<LocalResource>,
    /// Environment (`{{VAR}}`, `<CPS>`, `<LOG_DIR>` expanded by the NodeManager).
    pub environment: Entries<String>,
    /// The command line.
    pub commands: Commands,
    /// Tokens, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// `VIEW_APP` / `MODIFY_APP` ACL strings.
    #[serde(rename = "application-acls", skip_serializing_if = "Option::is_none")]
    pub application_acls: Option<Entries<String>>,
}

/// Application tags.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Tags {
    /// The tags.
    pub tag: Vec<String>,
}

/// `POST /ws/v1/cluster/apps`: an ApplicationSubmissionContext.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SubmissionContext {
    /// From new-application.
    #[serde(rename = "application-id")]
    pub application_id: String,
    /// Name shown in reports.
    #[serde(rename = "application-name")]
    pub application_name: String,
    /// Target queue; None lets placement rules decide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Application priority.
    pub priority: i32,
    /// The AM container.
    #[serde(rename = "am-container-spec")]
    pub am_container_spec: ContainerLaunchContext,
    /// Always false here.
    #[serde(rename = "unmanaged-AM")]
    pub unmanaged_am: bool,
    /// Capped by the RM's maximum.
    #[serde(rename = "max-app-attempts")]
    pub max_app_attempts: i32,
    /// The AM container's resources.
    pub resource: ResourceInfo,
    /// `skein` for our applications.
    #[serde(rename = "application-type")]
    pub application_type: String,
    /// Keep containers across attempts.
    #[serde(rename = "keep-containers-across-application-attempts")]
    pub keep_containers_across_application_attempts: bool,
    /// Tags.
    #[serde(rename = "application-tags")]
    pub application_tags: Tags,
    /// Default node label of every container.
    #[serde(
        rename = "app-node-label-expression",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_node_label_expression: Option<String>,
    /// Node label of the AM container.
    #[serde(
        rename = "am-container-node-label-expression",
        skip_serializing_if = "Option::is_none"
    )]
    pub am_container_node_label_expression: Option<String>,
    /// Which container log files the NodeManagers aggregate, and when.
    #[serde(
        rename = "log-aggregation-context",
        skip_serializing_if = "Option::is_none"
    )]
    pub log_aggregation_context: Option<LogAggregationContext>,
}

/// A submission's `log-aggregation-context`: Java regular expressions searched for in each
/// log file's name; the `rolled-` ones apply while the application runs.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LogAggregationContext {
    /// Files aggregated at the end; none means all.
    #[serde(
        rename = "log-include-pattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub include_pattern: Option<String>,
    /// Files never aggregated at the end.
    #[serde(
        rename = "log-exclude-pattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub exclude_pattern: Option<String>,
    /// Files aggregated while the application runs; none means no rolled aggregation.
    #[serde(
        rename = "rolled-log-include-pattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub rolled_include_pattern: Option<String>,
    /// Files never aggregated while the application runs.
    #[serde(
        rename = "rolled-log-exclude-pattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub rolled_exclude_pattern: Option<String>,
}

/// The error document of the RM (`{"RemoteException": {...}}`, or unwrapped).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemoteExceptionEnvelope {
    #[serde(rename = "RemoteException")]
    pub remote_exception: Option<RemoteExceptionBody>,
    pub exception: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemoteExceptionBody {
    pub exception: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_file_is_submitted_as_its_url_type_visibility_size_and_timestamp() {
        let mut file =
            skein_core::spec::File::from_source("hdfs://127.0.0.1:9000/user/a/.skein/app/env.tgz");
        file.size = 5;
        file.timestamp = 7;
        let resource = LocalResource::from(&file);
        assert_eq!(
            resource,
            LocalResource {
                resource: "hdfs://127.0.0.1:9000/user/a/.skein/app/env.tgz".into(),
                kind: "ARCHIVE".into(),
                visibility: "APPLICATION".into(),
                size: 5,
                timestamp: 7,
            }
        );
    }

    #[test]
    fn lists_read_as_arrays_single_objects_null_and_empty() {
        let many: AppsEnvelope =
            serde_json::from_str(r#"{"apps":{"app":[{"id":"a"},{"id":"b"}]}}"#).expect("json");
        assert_eq!(many.apps.map(|a| a.app.len()), Some(2));
        let one: AppsEnvelope =
            serde_json::from_str(r#"{"apps":{"app":{"id":"a"}}}"#).expect("json");
        assert_eq!(one.apps.map(|a| a.app.len()), Some(1));
        let empty: AppsEnvelope = serde_json::from_str(r#"{"apps":{}}"#).expect("json");
        assert_eq!(empty.apps.map(|a| a.app.len()), Some(0));
        let null: AppsEnvelope = serde_json::from_str(r#"{"apps":null}"#).expect("json");
        assert!(null.apps.is_none());
    }

    #[test]
    fn app_info_reads_rpc_address_and_tags() {
        let env: AppEnvelope = serde_json::from_str(
            r#"{"app":{"id":"application_1_0001","amRPCAddress":"nm.example.com:4567",
                "applicationTags":"a,b","allocatedMB":288,"allocatedVCores":2}}"#,
        )
        .expect("json");
        assert_eq!(env.app.am_rpc(), Some(("nm.example.com".to_string(), 4567)));
        assert_eq!(env.app.tags(), vec!["a", "b"]);
        assert_eq!(env.app.allocated_mb, 288);
        let none = AppInfo::default();
        assert_eq!(none.am_rpc(), None);
    }

    #[test]
    fn submission_context_uses_the_rm_field_names() {
        let ctx = SubmissionContext {
            application_id: "application_1_0001".into(),
            application_name: "hello".into(),
            queue: Some("default".into()),
            max_app_attempts: 1,
            resource: ResourceInfo {
                memory: 128,
                vcores: 1,
            },
            application_type: "skein".into(),
            application_tags: Tags {
                tag: vec!["t".into()],
            },
            am_container_spec: ContainerLaunchContext {
                environment: [("A".to_string(), "1".to_string())].into_iter().collect(),
                commands: Commands {
                    command: vec!["echo hello".into()],
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let json = serde_json::to_value(&ctx).expect("serializable");
        assert_eq!(json["application-id"], "application_1_0001");
        assert_eq!(json["resource"]["vCores"], 1);
        assert_eq!(json["application-tags"]["tag"][0], "t");
        assert_eq!(
            json["am-container-spec"]["environment"]["entry"][0]["key"],
            "A"
        );
        assert_eq!(
            json["am-container-spec"]["commands"]["command"][0],
            "echo hello"
        );
        assert!(json.get("app-node-label-expression").is_none());
    }
}
