//! The keys of each spec object, shared by the loader (unknown-key checks and "did you mean"
//! hints) and the JSON Schema, so that both always agree.

/// Keys of the top level.
pub(crate) const APPLICATION: &[&str] = &[
    "name",
    "queue",
    "user",
    "node_label",
    "max_attempts",
    "tags",
    "file_systems",
    "acls",
    "master",
    "services",
    "kerberos_principal",
    "lifetime",
    "priority",
    "log_aggregation",
];

/// Keys of `log_aggregation`.
pub(crate) const LOG_AGGREGATION: &[&str] = &["include", "exclude", "rolled"];

/// Keys of `kerberos_principal`.
pub(crate) const KERBEROS_PRINCIPAL: &[&str] =
    &["principal_name", "keytab", "token_refresh_percent"];

/// Keys of `master`.
pub(crate) const MASTER: &[&str] = &[
    "resources",
    "script",
    "files",
    "env",
    "log_level",
    "log_config",
    "security",
    "bind_host",
];

/// Keys of a service.
pub(crate) const SERVICE: &[&str] = &[
    "resources",
    "script",
    "instances",
    "files",
    "env",
    "depends",
    "max_restarts",
    "max_instances",
    "allow_failures",
    "node_label",
    "nodes",
    "racks",
    "relax_locality",
    "restart",
    "readiness",
];

/// Keys of a service's `readiness`.
pub(crate) const READINESS: &[&str] = &[
    "tcp",
    "http",
    "command",
    "interval",
    "timeout",
    "initial_delay",
    "success_threshold",
    "failure_threshold",
];

/// Keys of `readiness.tcp`.
pub(crate) const READINESS_TCP: &[&str] = &["port"];

/// Keys of `readiness.http`.
pub(crate) const READINESS_HTTP: &[&str] = &["port", "path"];

/// Keys of a service's `restart`.
pub(crate) const RESTART: &[&str] = &["policy", "max_restarts", "window", "backoff"];

/// Keys of `resources`.
pub(crate) const RESOURCES: &[&str] = &["memory", "vcores", "gpus", "fpgas"];

/// Keys of a file given as a mapping.
pub(crate) const FILE: &[&str] = &["source", "type", "visibility", "size", "timestamp"];

/// Keys of `security`.
pub(crate) const SECURITY: &[&str] = &["cert_file", "cert_bytes", "key_file", "key_bytes"];

/// Keys of `acls`.
pub(crate) const ACLS: &[&str] = &[
    "enable",
    "view_users",
    "view_groups",
    "modify_users",
    "modify_groups",
    "ui_users",
];

/// The hint for an unknown key: the nearest known key, or the list of known keys.
pub(crate) fn suggest(unknown: &str, known: &[&str]) -> String {
    if unknown == "commands" && known.contains(&"script") {
        return "`commands` was removed in Skein 0.6; write the commands as a `script`".to_string();
    }
    match nearest(unknown, known) {
        Some(key) => format!("did you mean `{key}`?"),
        None => format!("expected one of {}", backticked(known)),
    }
}

/// The known key an unknown one is most likely a typo of, if any is close enough: within a
/// third of its length in edits (at least one edit for short keys).
pub(crate) fn nearest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = unknown.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&lower, k), *k))
        .min()
        .filter(|(distance, key)| *distance <= (key.len() / 3).max(1))
        .map(|(_, key)| key)
}

fn backticked(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_nearest_key() {
        assert_eq!(suggest("instnces", SERVICE), "did you mean `instances`?");
        assert_eq!(suggest("Script", SERVICE), "did you mean `script`?");
        assert_eq!(suggest("memroy", RESOURCES), "did you mean `memory`?");
        assert_eq!(suggest("servics", APPLICATION), "did you mean `services`?");
        assert_eq!(suggest("depend", SERVICE), "did you mean `depends`?");
    }

    #[test]
    fn far_keys_list_the_valid_ones() {
        assert_eq!(
            suggest("color", RESOURCES),
            "expected one of `memory`, `vcores`, `gpus`, `fpgas`"
        );
    }

    #[test]
    fn commands_points_to_script() {
        assert!(suggest("commands", SERVICE).contains("removed in Skein 0.6"));
    }
}
