//! The JSON Schema of a spec (`skein spec schema`), so that editors complete and check specs.
//!
//! Property names come from `fields`, the same lists the loader accepts; a test keeps the two
//! equal. The schema accepts what the loader accepts (string shorthands, memory units, enums
//! in any case); rules between values (depends, cycles) are left to `skein spec validate`.

use serde_json::{Map, Value, json};

use super::fields;
use super::model::{
    FileType, KerberosPrincipal, LogLevel, Readiness, RestartMode, Service, Visibility,
};

/// The JSON Schema (draft 2020-12) of an ApplicationSpec file.
pub(crate) fn json_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/skein-rs/skein-rs/spec.schema.json",
        "title": "skein ApplicationSpec",
        "description": "An application for skein: an ApplicationMaster and services, each \
            a group of YARN containers running a bash script.",
        "$defs": {
            "Master": master(),
            "Service": service(),
            "Resources": resources(),
            "Memory": memory(),
            "Duration": duration(),
            "RestartPolicy": restart_policy(),
            "Readiness": readiness(),
            "LogAggregation": log_aggregation(),
            "File": file(),
            "FileOrSource": {
                "description": "A file: its source (a local path or a URL) or a mapping.",
                "anyOf": [
                    { "type": "string", "minLength": 1,
                      "description": "Source: a local path (relative to the spec file) or a \
                        URL such as hdfs:///path; .zip, .tar.gz and .tgz are archives." },
                    { "$ref": "#/$defs/File" }
                ]
            },
            "Files": {
                "description": "Files to localize, by destination name in the working directory.",
                "type": ["object", "null"],
                "propertyNames": { "pattern": "^(\\./)?[^/]+$" },
                "additionalProperties": { "$ref": "#/$defs/FileOrSource" },
                "default": {}
            },
            "Env": {
                "description": "Environment variables (values must be strings: quote numbers).",
                "type": ["object", "null"],
                "additionalProperties": { "type": "string" },
                "default": {}
            },
            "Security": security(),
            "KerberosPrincipal": kerberos_principal(),
            "Acls": acls(),
            "StringList": { "type": ["array", "null"], "items": { "type": "string" }, "default": [] }
        },
        "type": "object",
        "properties": properties(fields::APPLICATION, vec![
            ("name", string("Application name shown by YARN.", "skein")),
            ("queue", string("YARN queue to submit to.", "default")),
            ("user", string("User to submit as (proxy user); empty means the submitter.", "")),
            ("node_label", string("Node label expression for the ApplicationMaster and \
                default for containers.", "")),
            ("max_attempts", int("Maximum application attempts.", 1, 1)),
            ("tags", list("YARN application tags.")),
            ("file_systems", list("Extra file systems (URIs) to get delegation tokens for.")),
            ("acls", reference("Acls")),
            ("master", reference("Master")),
            ("services", json!({
                "description": "Services by name.",
                "type": ["object", "null"],
                "propertyNames": { "minLength": 1 },
                "additionalProperties": { "$ref": "#/$defs/Service" },
                "default": {}
            })),
            ("kerberos_principal", reference("KerberosPrincipal")),
            ("lifetime", json!({ "$ref": "#/$defs/Duration",
                "description": "How long YARN lets the application run, from its submission, \
                    before it kills it (a YARN LIFETIME timeout; `skein application \
                    update-lifetime` changes it later). Unlimited when absent (a skein-rs \
                    extension)." })),
            ("priority", json!({ "type": ["integer", "null"], "minimum": 0,
                "description": "YARN application priority: higher runs first, capped by the \
                    cluster's yarn.cluster.max-application-priority; the queue's default when \
                    absent (a skein-rs extension)." })),
            ("log_aggregation", reference("LogAggregation")),
        ]),
        "additionalProperties": false
    })
}

fn master() -> Value {
    json!({
        "description": "The ApplicationMaster.",
        "type": ["object", "null"],
        "properties": properties(fields::MASTER, vec![
            ("resources", json!({ "$ref": "#/$defs/Resources",
                "default": { "memory": 512, "vcores": 1 } })),
            ("script", string("Bash script run beside the ApplicationMaster \
                (an \"application driver\").", "")),
            ("files", reference("Files")),
            ("env", reference("Env")),
            ("log_level", one_of_names("Log level of the ApplicationMaster.",
                &LogLevel::names(), "INFO")),
            ("log_config", json!({ "$ref": "#/$defs/FileOrSource",
                "description": "A custom log4j.properties." })),
            ("security", reference("Security")),
            ("bind_host", string("The IP address the ApplicationMaster's gRPC server and web \
                UI listen on: by default its NodeManager host's address, 0.0.0.0 for every \
                interface (a skein-rs extension).", "")),
        ]),
        "additionalProperties": false
    })
}

fn service() -> Value {
    json!({
        "description": "A service: a group of identical containers running one script.",
        "type": "object",
        "properties": properties(fields::SERVICE, vec![
            ("resources", reference("Resources")),
            ("script", json!({ "type": "string", "minLength": 1,
                "description": "Bash script each container runs." })),
            ("instances", int("Initial number of containers.", 1, 0)),
            ("files", reference("Files")),
            ("env", reference("Env")),
            ("depends", list("Services whose initial containers must be running before \
                this one starts.")),
            ("max_restarts", int("Restarts allowed across the service; -1 is unlimited.", 0, -1)),
            ("max_instances", int("The most active (waiting, requested, running) containers \
                the service may have; scale and add_container beyond it are refused \
                (a skein-rs extension).", i64::from(Service::DEFAULT_MAX_INSTANCES), 1)),
            ("allow_failures", boolean("If true, exhausting restarts does not fail the \
                application.")),
            ("node_label", string("Node label expression for the containers.", "")),
            ("nodes", list("Nodes to request containers on.")),
            ("racks", list("Racks to request containers on.")),
            ("relax_locality", boolean("Whether YARN may place containers off the \
                requested nodes and racks.")),
            ("restart", reference("RestartPolicy")),
            ("readiness", reference("Readiness")),
        ]),
        "required": ["resources", "script"],
        "additionalProperties": false
    })
}

fn resources() -> Value {
    json!({
        "description": "Resources of one container.",
        "type": "object",
        "properties": properties(fields::RESOURCES, vec![
            ("memory", reference("Memory")),
            ("vcores", int("Virtual cores.", 1, 1)),
            ("gpus", int("GPUs (yarn.io/gpu, Hadoop 3.1 or later).", 0, 0)),
            ("fpgas", int("FPGAs (yarn.io/fpga, Hadoop 3.1 or later).", 0, 0)),
        ]),
        "required": ["memory", "vcores"],
        "additionalProperties": false
    })
}

fn memory() -> Value {
    json!({
        "description": "Memory: MiB as a number, or a number with a unit such as '512 MiB', \
            '2 GB' or '1.5g' (kB, MB, GB, TB, PB are powers of 1000; KiB, MiB, GiB, TiB, PiB \
            of 1024; rounded up to whole MiB).",
        "anyOf": [
            { "type": "integer", "minimum": 1 },
            { "type": "number", "exclusiveMinimum": 0 },
            { "type": "string",
              "pattern": "^\\s*([0-9][0-9.eE+\\s]*|\\.[0-9][0-9.eE+\\s]*)?\\s*([KkMmGgTtPp][Ii]?[Bb]?|[Bb])?\\s*$" }
        ],
        "examples": ["512 MiB", "2 GB", 1024]
    })
}

fn duration() -> Value {
    json!({
        "description": "A duration: seconds as a number, or numbers with units such as '90s', \
            '30m', '2h', '1h30m' or '1d' (units d, h, m, s, ms).",
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string",
              "pattern": "^\\s*([0-9]+\\s*([dDhHmMsS]|[mM][sS])\\s*)+$|^\\s*[0-9]+\\s*$" }
        ],
        "examples": ["30s", "2h", 3600]
    })
}

fn readiness() -> Value {
    let port = json!({ "type": "integer", "minimum": 1, "maximum": 65535,
        "description": "The port the container listens on, on its NodeManager's host." });
    let duration = |description: &str| {
        json!({ "$ref": "#/$defs/Duration",
        "description": description })
    };
    json!({
        "description": "The check the ApplicationMaster makes of each running container \
            before it counts as READY (a skein-rs extension): a TCP connection, or an HTTP GET \
            answered 2xx or 3xx, to the container's NodeManager host. Dependent services wait \
            until as many containers as the service starts with are ready.",
        "type": ["object", "null"],
        "properties": properties(fields::READINESS, vec![
            ("tcp", json!({ "type": "object", "additionalProperties": false,
                "properties": { "port": port }, "required": ["port"] })),
            ("http", json!({ "type": "object", "additionalProperties": false,
                "properties": { "port": port, "path": { "type": "string", "pattern": "^/",
                    "default": "/" } },
                "required": ["port"] })),
            ("command", json!({ "description": "Not supported yet: use tcp or http.",
                "not": {} })),
            ("interval", duration("Time between two checks (default 2s).")),
            ("timeout", duration("How long one check may take (default 1s).")),
            ("initial_delay", duration("Time from the container's start to its first check \
                (default 0).")),
            ("success_threshold", int("Passed checks in a row that make a container READY.",
                i64::from(Readiness::DEFAULT_SUCCESS_THRESHOLD), 1)),
            ("failure_threshold", int("Failed checks in a row that make a READY container \
                not ready again.", i64::from(Readiness::DEFAULT_FAILURE_THRESHOLD), 1)),
        ]),
        "oneOf": [ { "required": ["tcp"] }, { "required": ["http"] } ],
        "additionalProperties": false
    })
}

fn restart_policy() -> Value {
    json!({
        "description": "When and how often the service's containers are restarted (a skein-rs \
            extension): at most max_restarts restarts within any window, each backoff after \
            the container it replaces ended. Absent: failed containers are restarted at once, \
            max_restarts times over the service's life (Skein's rule); with it, leave the \
            service's own max_restarts out.",
        "type": ["object", "null"],
        "properties": properties(fields::RESTART, vec![
            ("policy", one_of_names("Which ended containers are restarted: NEVER, ON_FAILURE, \
                or ALWAYS (also those that succeeded; never those a client killed).",
                &RestartMode::names(), "ON_FAILURE")),
            ("max_restarts", int("The most restarts within the window; -1 is unlimited.",
                -1, -1)),
            ("window", json!({ "$ref": "#/$defs/Duration",
                "description": "The sliding window max_restarts counts in, e.g. 10m; over the \
                    service's life when absent." })),
            ("backoff", json!({ "$ref": "#/$defs/Duration",
                "description": "How long after a container ended its replacement is \
                    requested, e.g. 5s (default 0)." })),
        ]),
        "additionalProperties": false
    })
}

fn log_aggregation() -> Value {
    let globs = |description: &str| {
        json!({ "description": description,
            "anyOf": [
                { "type": "string", "minLength": 1, "pattern": "^[^/,]*$" },
                { "type": "array", "items": { "type": "string", "minLength": 1,
                    "pattern": "^[^/,]*$" } },
                { "type": "null" }
            ] })
    };
    json!({
        "description": "Which container log files YARN aggregates to HDFS, and whether also \
            while the application runs (a skein-rs extension; YARN's log-aggregation-context). \
            Absent: every file, once the application has ended.",
        "type": ["object", "null"],
        "properties": properties(fields::LOG_AGGREGATION, vec![
            ("include", globs("File name globs ('*.log') of the files to aggregate; all when \
                absent.")),
            ("exclude", globs("File name globs of the files never to aggregate.")),
            ("rolled", boolean("Also aggregate these files while the application runs, at the \
                NodeManagers' yarn.nodemanager.log-aggregation.roll-monitoring-interval-seconds.")),
        ]),
        "additionalProperties": false
    })
}

fn file() -> Value {
    json!({
        "description": "A file or archive localized into the container.",
        "type": "object",
        "properties": properties(fields::FILE, vec![
            ("source", json!({ "type": "string", "minLength": 1,
                "description": "A local path (relative to the spec file) or a URL." })),
            ("type", one_of_names("FILE is copied, ARCHIVE is extracted; inferred from the \
                source (.zip, .tar.gz, .tgz are archives).", &FileType::names(), "FILE")),
            ("visibility", one_of_names("YARN resource visibility.",
                &Visibility::names(), "APPLICATION")),
            ("size", int("Size in bytes; 0 lets the driver fill it in.", 0, 0)),
            ("timestamp", int("Modification time (ms); 0 lets the driver fill it in.", 0, 0)),
        ]),
        "required": ["source"],
        "additionalProperties": false
    })
}

fn security() -> Value {
    json!({
        "description": "TLS credentials of the application (default: the driver's). \
            Exactly one of cert_file and cert_bytes, and of key_file and key_bytes.",
        "type": ["object", "null"],
        "properties": properties(fields::SECURITY, vec![
            ("cert_file", reference("FileOrSource")),
            ("cert_bytes", json!({ "type": "string", "description": "PEM certificate." })),
            ("key_file", reference("FileOrSource")),
            ("key_bytes", json!({ "type": "string", "description": "PEM private key." })),
        ]),
        "allOf": [
            { "oneOf": [ { "required": ["cert_file"] }, { "required": ["cert_bytes"] } ] },
            { "oneOf": [ { "required": ["key_file"] }, { "required": ["key_bytes"] } ] }
        ],
        "additionalProperties": false
    })
}

fn acls() -> Value {
    json!({
        "description": "Who may view and modify the application.",
        "type": ["object", "null"],
        "properties": properties(fields::ACLS, vec![
            ("enable", boolean("Whether the ACLs are enforced.")),
            ("view_users", list("Users who may view the application ('*' is everyone).")),
            ("view_groups", list("Groups who may view the application.")),
            ("modify_users", list("Users who may modify (kill, scale) the application.")),
            ("modify_groups", list("Groups who may modify the application.")),
            ("ui_users", list("Users who may see the web UI.")),
        ]),
        "additionalProperties": false
    })
}

fn kerberos_principal() -> Value {
    json!({
        "description": "The application's own Kerberos identity (a skein-rs extension, as \
            YARN Native Services' kerberos_principal): the ApplicationMaster logs in from the \
            keytab and fetches new delegation tokens for the application, and every container, \
            before the current ones expire, so that the application outlives their maximum \
            lifetime. Only on clusters with Kerberos authentication.",
        "type": ["object", "null"],
        "properties": properties(fields::KERBEROS_PRINCIPAL, vec![
            ("principal_name", json!({ "type": "string", "minLength": 1,
                "description": "The principal, e.g. alice@EXAMPLE.COM." })),
            ("keytab", json!({ "$ref": "#/$defs/FileOrSource",
                "description": "The keytab: a local file, staged by the driver readable by the \
                    ApplicationMaster alone, or a file on HDFS (hdfs:///...)." })),
            ("token_refresh_percent", json!({ "type": ["integer", "null"],
                "description": "New tokens when this percentage of the current ones' lifetime \
                    has passed.",
                "default": KerberosPrincipal::DEFAULT_REFRESH_PERCENT, "minimum": 1,
                "maximum": KerberosPrincipal::MAX_REFRESH_PERCENT })),
        ]),
        "required": ["principal_name", "keytab"],
        "additionalProperties": false
    })
}

/// The properties object; its keys are exactly `known`, in that order.
fn properties(known: &[&str], props: Vec<(&str, Value)>) -> Value {
    debug_assert_eq!(
        known,
        props.iter().map(|(k, _)| *k).collect::<Vec<_>>().as_slice()
    );
    Value::Object(
        props
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<String, Value>>(),
    )
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

fn string(description: &str, default: &str) -> Value {
    json!({ "type": ["string", "null"], "description": description, "default": default })
}

fn int(description: &str, default: i64, minimum: i64) -> Value {
    json!({ "type": ["integer", "null"], "description": description,
            "default": default, "minimum": minimum })
}

fn boolean(description: &str) -> Value {
    json!({ "type": ["boolean", "null"], "description": description, "default": false })
}

fn list(description: &str) -> Value {
    json!({ "$ref": "#/$defs/StringList", "description": description })
}

/// An enum accepted in any case; editors complete the upper-case names.
fn one_of_names(description: &str, names: &[&str], default: &str) -> Value {
    let any_case: Vec<String> = names
        .iter()
        .map(|n| {
            n.chars()
                .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
                .collect()
        })
        .collect();
    json!({
        "description": description,
        "default": default,
        "anyOf": [
            { "enum": names },
            { "type": "string", "pattern": format!("^\\s*({})\\s*$", any_case.join("|")) }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &Value) -> Vec<String> {
        v["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn schema_properties_are_the_loaders_keys() {
        let schema = json_schema();
        let defs = &schema["$defs"];
        assert_eq!(keys(&schema), sorted(fields::APPLICATION));
        assert_eq!(keys(&defs["Master"]), sorted(fields::MASTER));
        assert_eq!(keys(&defs["Service"]), sorted(fields::SERVICE));
        assert_eq!(keys(&defs["Resources"]), sorted(fields::RESOURCES));
        assert_eq!(keys(&defs["File"]), sorted(fields::FILE));
        assert_eq!(keys(&defs["Security"]), sorted(fields::SECURITY));
        assert_eq!(keys(&defs["Acls"]), sorted(fields::ACLS));
        assert_eq!(keys(&defs["RestartPolicy"]), sorted(fields::RESTART));
        assert_eq!(
            keys(&defs["LogAggregation"]),
            sorted(fields::LOG_AGGREGATION)
        );
    }

    #[test]
    fn every_reference_resolves() {
        let schema = json_schema();
        let text = schema.to_string();
        for part in text.split("\"#/$defs/").skip(1) {
            let name = &part[..part.find('"').unwrap_or(0)];
            assert!(schema["$defs"].get(name).is_some(), "dangling $ref {name}");
        }
    }

    #[test]
    fn enums_list_upper_case_names() {
        let schema = json_schema();
        let level = &schema["$defs"]["Master"]["properties"]["log_level"];
        assert_eq!(level["anyOf"][0]["enum"][3], "INFO");
        let pattern = level["anyOf"][1]["pattern"].as_str().unwrap_or_default();
        assert!(pattern.contains("[Ii][Nn][Ff][Oo]"), "{pattern}");
    }
}
