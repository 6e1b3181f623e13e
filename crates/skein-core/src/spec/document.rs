//! Writing a spec back out (`skein application specification`, `skein spec validate`).
//!
//! Like Skein's `to_dict`, every field is written with its value or default, keys sorted,
//! enums upper-case; only `log_config` and `security` are left out when unset. The output
//! loads back to the same model.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::model::{
    Acls, ApplicationSpec, File, KerberosPrincipal, Master, Readiness, ReadinessProbe, Resources,
    Secret, Security, Service,
};

impl ApplicationSpec {
    /// The spec as a JSON-like document with every default filled in.
    pub(crate) fn to_document(&self) -> Value {
        let mut document = json!({
            "name": self.name,
            "queue": self.queue,
            "user": self.user,
            "node_label": self.node_label,
            "max_attempts": self.max_attempts,
            "tags": self.tags,
            "file_systems": self.file_systems,
            "acls": acls(&self.acls),
            "master": master(&self.master),
            "services": self
                .services
                .iter()
                .map(|(name, s)| (name.clone(), service(s)))
                .collect::<Map<String, Value>>(),
        });
        // Only when set: Skein's own tools read these documents and know no such key.
        if let (Some(principal), Value::Object(map)) = (&self.kerberos_principal, &mut document) {
            map.insert("kerberos_principal".into(), kerberos_principal(principal));
        }
        if let Value::Object(map) = &mut document {
            if let Some(lifetime) = self.lifetime {
                let text = super::duration::format_duration(lifetime);
                map.insert("lifetime".into(), Value::from(text));
            }
            if let Some(priority) = self.priority {
                map.insert("priority".into(), Value::from(priority));
            }
            if let Some(a) = &self.log_aggregation {
                let aggregation = json!({
                    "include": a.include, "exclude": a.exclude, "rolled": a.rolled,
                });
                map.insert("log_aggregation".into(), aggregation);
            }
        }
        document
    }

    /// The spec as YAML, every default filled in (what `skein spec validate` prints).
    pub fn to_yaml(&self) -> String {
        let document = self.to_document();
        // Serializing a JSON value cannot fail in practice; JSON is YAML, so it is a fallback
        // that still reads back.
        serde_saphyr::to_string(&document).unwrap_or_else(|_| self.to_json())
    }

    /// The spec as pretty-printed JSON, every default filled in.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.to_document()).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn kerberos_principal(p: &KerberosPrincipal) -> Value {
    json!({
        "principal_name": p.principal_name,
        "keytab": file(&p.keytab),
        "token_refresh_percent": p.token_refresh_percent,
    })
}

fn acls(a: &Acls) -> Value {
    json!({
        "enable": a.enable,
        "view_users": a.view_users,
        "view_groups": a.view_groups,
        "modify_users": a.modify_users,
        "modify_groups": a.modify_groups,
        "ui_users": a.ui_users,
    })
}

fn master(m: &Master) -> Value {
    let mut out = json!({
        "resources": resources(&m.resources),
        "script": m.script,
        "files": files(&m.files),
        "env": m.env,
        "log_level": m.log_level.as_str(),
    });
    if let Value::Object(map) = &mut out {
        if let Some(config) = &m.log_config {
            map.insert("log_config".into(), file(config));
        }
        if let Some(security) = &m.security {
            map.insert("security".into(), self::security(security));
        }
        // Only when set: Skein's own tools read these documents and know no such key.
        if !m.bind_host.is_empty() {
            map.insert("bind_host".into(), Value::from(m.bind_host.clone()));
        }
    }
    out
}

fn security(s: &Security) -> Value {
    let mut map = Map::new();
    for (secret, name) in [(&s.cert, "cert"), (&s.key, "key")] {
        match secret {
            Secret::File(f) => map.insert(format!("{name}_file"), file(f)),
            Secret::Bytes(text) => map.insert(format!("{name}_bytes"), Value::from(text.clone())),
        };
    }
    Value::Object(map)
}

fn service(s: &Service) -> Value {
    let mut value = json!({
        "resources": resources(&s.resources),
        "script": s.script,
        "instances": s.instances,
        "files": files(&s.files),
        "env": s.env,
        "depends": s.depends,
        "max_restarts": s.max_restarts,
        "allow_failures": s.allow_failures,
        "node_label": s.node_label,
        "nodes": s.nodes,
        "racks": s.racks,
        "relax_locality": s.relax_locality,
    });
    // Only when set: Skein's own tools read these documents and know no such key.
    if s.max_instances != Service::DEFAULT_MAX_INSTANCES
        && let Value::Object(map) = &mut value
    {
        map.insert("max_instances".into(), Value::from(s.max_instances));
    }
    if let (Some(r), Value::Object(map)) = (&s.restart, &mut value) {
        let mut restart = json!({
            "policy": r.policy.as_str(),
            "max_restarts": r.max_restarts,
            "backoff": super::duration::format_duration(r.backoff),
        });
        if let (Some(window), Value::Object(fields)) = (r.window, &mut restart) {
            let window = super::duration::format_duration(window);
            fields.insert("window".into(), Value::from(window));
        }
        map.insert("restart".into(), restart);
    }
    if let (Some(r), Value::Object(map)) = (&s.readiness, &mut value) {
        map.insert("readiness".into(), readiness(r));
    }
    value
}

fn readiness(r: &Readiness) -> Value {
    let text = super::duration::format_duration;
    let mut out = json!({
        "interval": text(r.interval),
        "timeout": text(r.timeout),
        "initial_delay": text(r.initial_delay),
        "success_threshold": r.success_threshold,
        "failure_threshold": r.failure_threshold,
    });
    let (key, probe) = match &r.probe {
        ReadinessProbe::Tcp { port } => ("tcp", json!({ "port": port })),
        ReadinessProbe::Http { port, path } => ("http", json!({ "port": port, "path": path })),
    };
    if let Value::Object(map) = &mut out {
        map.insert(key.into(), probe);
    }
    out
}

fn resources(r: &Resources) -> Value {
    json!({ "memory": r.memory, "vcores": r.vcores, "gpus": r.gpus, "fpgas": r.fpgas })
}

fn files(files: &BTreeMap<String, File>) -> Value {
    Value::Object(files.iter().map(|(k, f)| (k.clone(), file(f))).collect())
}

fn file(f: &File) -> Value {
    json!({
        "source": f.source,
        "type": f.file_type.as_str(),
        "visibility": f.visibility.as_str(),
        "size": f.size,
        "timestamp": f.timestamp,
    })
}
