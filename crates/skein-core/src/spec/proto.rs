//! Conversion between the model and the wire messages of `proto/skein.proto`.
//!
//! Presence follows the Python client: `Master.log_config` and `Master.security` are absent
//! when unset; every other message field is always sent. From the wire, proto3 zero values
//! are taken as they are (they coincide with Skein's defaults except `max_attempts`, which
//! must be at least 1), a missing `master` or master `resources` means Skein's defaults, and
//! the result passes the same validation as a spec file.

use std::collections::BTreeMap;

use super::error::{Diagnostic, FieldPath, Problem, SpecError};
use super::model::{
    Acls, ApplicationSpec, File, FileType, KerberosPrincipal, LogAggregation, LogLevel, Master,
    Readiness, ReadinessProbe, Resources, RestartMode, RestartPolicy, Secret, Security, Service,
    Visibility,
};
use super::node::Pos;
use super::source::{self, UrlParts};
use super::validate::validate;
use crate::proto;

/// The origin named in errors of specs that came over the wire.
pub(crate) const WIRE_ORIGIN: &str = "<request>";

impl From<&ApplicationSpec> for proto::ApplicationSpec {
    fn from(spec: &ApplicationSpec) -> Self {
        proto::ApplicationSpec {
            name: spec.name.clone(),
            queue: spec.queue.clone(),
            user: spec.user.clone(),
            node_label: spec.node_label.clone(),
            max_attempts: spec.max_attempts,
            tags: spec.tags.iter().cloned().collect(),
            file_systems: spec.file_systems.clone(),
            acls: Some(acls_to(&spec.acls)),
            master: Some(master_to(&spec.master)),
            services: spec
                .services
                .iter()
                .map(|(name, s)| (name.clone(), service_to(s)))
                .collect(),
            kerberos_principal: spec.kerberos_principal.as_ref().map(|p| {
                proto::KerberosPrincipal {
                    principal_name: p.principal_name.clone(),
                    keytab: Some(file_to(&p.keytab)),
                    // The default goes as 0 (unset).
                    token_refresh_percent: if p.token_refresh_percent
                        == KerberosPrincipal::DEFAULT_REFRESH_PERCENT
                    {
                        0
                    } else {
                        i32::from(p.token_refresh_percent)
                    },
                }
            }),
            lifetime_seconds: spec
                .lifetime
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            priority: spec.priority,
            log_aggregation: spec
                .log_aggregation
                .as_ref()
                .map(|a| proto::LogAggregation {
                    include: a.include.clone(),
                    exclude: a.exclude.clone(),
                    rolled: a.rolled,
                }),
        }
    }
}

fn acls_to(a: &Acls) -> proto::Acls {
    proto::Acls {
        enable: a.enable,
        view_users: a.view_users.clone(),
        view_groups: a.view_groups.clone(),
        modify_users: a.modify_users.clone(),
        modify_groups: a.modify_groups.clone(),
        ui_users: a.ui_users.clone(),
    }
}

fn master_to(m: &Master) -> proto::Master {
    proto::Master {
        log_config: m.log_config.as_ref().map(file_to),
        log_level: level_to(m.log_level) as i32,
        security: m.security.as_ref().map(|s| proto::Security {
            cert: Some(match &s.cert {
                Secret::File(f) => proto::security::Cert::CertFile(file_to(f)),
                Secret::Bytes(b) => proto::security::Cert::CertBytes(b.as_bytes().to_vec()),
            }),
            key: Some(match &s.key {
                Secret::File(f) => proto::security::Key::KeyFile(file_to(f)),
                Secret::Bytes(b) => proto::security::Key::KeyBytes(b.as_bytes().to_vec()),
            }),
        }),
        resources: Some(resources_to(&m.resources)),
        files: files_to(&m.files),
        env: m.env.clone().into_iter().collect(),
        script: m.script.clone(),
        bind_host: m.bind_host.clone(),
    }
}

fn service_to(s: &Service) -> proto::Service {
    proto::Service {
        instances: s.instances,
        node_label: s.node_label.clone(),
        nodes: s.nodes.clone(),
        racks: s.racks.clone(),
        relax_locality: s.relax_locality,
        restart: s.restart.as_ref().map(restart_to),
        readiness: s.readiness.as_ref().map(readiness_to),
        max_restarts: s.max_restarts,
        // The default goes as 0 (unset), so a default spec encodes as Skein's does.
        max_instances: if s.max_instances == Service::DEFAULT_MAX_INSTANCES {
            0
        } else {
            s.max_instances
        },
        allow_failures: s.allow_failures,
        resources: Some(resources_to(&s.resources)),
        files: files_to(&s.files),
        env: s.env.clone().into_iter().collect(),
        script: s.script.clone(),
        depends: s.depends.iter().cloned().collect(),
    }
}

fn resources_to(r: &Resources) -> proto::Resources {
    proto::Resources {
        memory: r.memory,
        vcores: r.vcores,
        gpus: r.gpus,
        fpgas: r.fpgas,
    }
}

fn files_to(files: &BTreeMap<String, File>) -> std::collections::HashMap<String, proto::File> {
    files.iter().map(|(k, f)| (k.clone(), file_to(f))).collect()
}

fn file_to(f: &File) -> proto::File {
    // A model source is canonical, so it always splits; the fallback keeps the text visible.
    let parts = source::split(&f.source).unwrap_or_else(|_| UrlParts {
        scheme: String::new(),
        host: String::new(),
        port: 0,
        file: f.source.clone(),
    });
    proto::File {
        source: Some(proto::Url {
            scheme: parts.scheme,
            host: parts.host,
            port: parts.port,
            file: parts.file,
        }),
        r#type: match f.file_type {
            FileType::File => proto::file::Type::File,
            FileType::Archive => proto::file::Type::Archive,
        } as i32,
        visibility: match f.visibility {
            Visibility::Public => proto::file::Visibility::Public,
            Visibility::Private => proto::file::Visibility::Private,
            Visibility::Application => proto::file::Visibility::Application,
        } as i32,
        size: f.size,
        timestamp: f.timestamp,
    }
}

fn level_to(level: LogLevel) -> proto::log::Level {
    use proto::log::Level;
    match level {
        LogLevel::All => Level::All,
        LogLevel::Trace => Level::Trace,
        LogLevel::Debug => Level::Debug,
        LogLevel::Info => Level::Info,
        LogLevel::Warn => Level::Warn,
        LogLevel::Error => Level::Error,
        LogLevel::Fatal => Level::Fatal,
        LogLevel::Off => Level::Off,
    }
}

impl TryFrom<proto::ApplicationSpec> for ApplicationSpec {
    type Error = SpecError;

    /// Converts and validates a spec from the wire; errors name the field path.
    fn try_from(msg: proto::ApplicationSpec) -> Result<Self, SpecError> {
        let files = msg.master.as_ref().map_or(0, |m| m.files.len())
            + msg.services.values().map(|s| s.files.len()).sum::<usize>();
        let bytes = prost::Message::encoded_len(&msg);
        if let Some(problem) = super::validate::limits_of(msg.services.len(), files)
            .or_else(|| super::validate::wire_size_limit(bytes))
        {
            // Refused before the model is built: the message is all this spec costs.
            return Err(SpecError {
                diagnostics: vec![Diagnostic::at(
                    WIRE_ORIGIN,
                    Pos { line: 0, column: 0 },
                    problem,
                )],
            });
        }
        let mut problems = Vec::new();
        let root = FieldPath::root();
        let acls = msg.acls.unwrap_or_default();
        let master = match msg.master {
            Some(m) => master_from(m, &root.key("master"), &mut problems),
            None => Master::default(),
        };
        let kerberos_principal = msg.kerberos_principal.and_then(|p| {
            kerberos_principal_from(p, &root.key("kerberos_principal"), &mut problems)
        });
        let services_path = root.key("services");
        let services = msg
            .services
            .into_iter()
            .map(|(name, s)| {
                let service = service_from(s, &services_path.key(&name), &mut problems);
                (name, service)
            })
            .collect();
        let spec = ApplicationSpec {
            name: msg.name,
            queue: msg.queue,
            user: msg.user,
            node_label: msg.node_label,
            max_attempts: msg.max_attempts,
            tags: msg.tags.into_iter().collect(),
            file_systems: msg.file_systems,
            acls: Acls {
                enable: acls.enable,
                view_users: acls.view_users,
                view_groups: acls.view_groups,
                modify_users: acls.modify_users,
                modify_groups: acls.modify_groups,
                ui_users: acls.ui_users,
            },
            master,
            services,
            kerberos_principal,
            lifetime: lifetime_from(msg.lifetime_seconds, &root, &mut problems),
            priority: msg.priority,
            log_aggregation: msg.log_aggregation.map(|a| LogAggregation {
                include: a.include,
                exclude: a.exclude,
                rolled: a.rolled,
            }),
        };
        for problem in validate(&spec) {
            // A field that failed to convert is reported once, not again by validation.
            if !problems
                .iter()
                .any(|p: &Problem| problem.path.starts_with(&p.path))
            {
                problems.push(problem);
            }
        }
        if problems.is_empty() {
            return Ok(spec);
        }
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        Err(SpecError {
            diagnostics: problems
                .into_iter()
                .map(|p| Diagnostic::at(WIRE_ORIGIN, Pos { line: 0, column: 0 }, p))
                .collect(),
        })
    }
}

/// The lifetime of the wire (seconds, 0 for none); a negative one is refused.
fn lifetime_from(
    seconds: i64,
    root: &FieldPath,
    problems: &mut Vec<Problem>,
) -> Option<std::time::Duration> {
    match u64::try_from(seconds) {
        Ok(0) => None,
        Ok(s) => Some(std::time::Duration::from_secs(s)),
        Err(_) => {
            problems.push(Problem::new(
                root.key("lifetime"),
                format!("lifetime must be whole seconds, at least 1, found {seconds}"),
            ));
            None
        }
    }
}

fn kerberos_principal_from(
    p: proto::KerberosPrincipal,
    path: &FieldPath,
    problems: &mut Vec<Problem>,
) -> Option<KerberosPrincipal> {
    let keytab_path = path.key("keytab");
    let Some(keytab) = p.keytab else {
        problems.push(Problem::new(keytab_path, "missing required field `keytab`"));
        return None;
    };
    let keytab = file_from(keytab, &keytab_path, problems)?;
    let token_refresh_percent = match p.token_refresh_percent {
        0 => KerberosPrincipal::DEFAULT_REFRESH_PERCENT,
        // Out of range values stay out of range, for validation to name.
        n if n < 0 => 0,
        n => u8::try_from(n).unwrap_or(u8::MAX),
    };
    Some(KerberosPrincipal {
        principal_name: p.principal_name,
        keytab,
        token_refresh_percent,
    })
}

fn master_from(m: proto::Master, path: &FieldPath, problems: &mut Vec<Problem>) -> Master {
    let log_level = match proto::log::Level::try_from(m.log_level) {
        Ok(level) => level_from(level),
        Err(_) => {
            problems.push(Problem::new(
                path.key("log_level"),
                format!("unknown log level {}", m.log_level),
            ));
            LogLevel::Info
        }
    };
    let security = m.security.and_then(|s| {
        let security_path = path.key("security");
        let cert = match s.cert {
            Some(proto::security::Cert::CertFile(f)) => {
                file_from(f, &security_path.key("cert_file"), problems).map(Secret::File)
            }
            Some(proto::security::Cert::CertBytes(b)) => {
                secret_text(b, &security_path.key("cert_bytes"), problems)
            }
            None => {
                problems.push(Problem::new(
                    security_path.clone(),
                    "Must specify exactly one of cert_file or cert_bytes",
                ));
                None
            }
        };
        let key = match s.key {
            Some(proto::security::Key::KeyFile(f)) => {
                file_from(f, &security_path.key("key_file"), problems).map(Secret::File)
            }
            Some(proto::security::Key::KeyBytes(b)) => {
                secret_text(b, &security_path.key("key_bytes"), problems)
            }
            None => {
                problems.push(Problem::new(
                    security_path.clone(),
                    "Must specify exactly one of key_file or key_bytes",
                ));
                None
            }
        };
        Some(Security {
            cert: cert?,
            key: key?,
        })
    });
    Master {
        resources: m
            .resources
            .map_or(Resources::MASTER_DEFAULT, |r| resources_from(&r)),
        script: m.script,
        files: files_from(m.files, &path.key("files"), problems),
        env: m.env.into_iter().collect(),
        log_level,
        log_config: m
            .log_config
            .and_then(|f| file_from(f, &path.key("log_config"), problems)),
        security,
        bind_host: m.bind_host,
    }
}

fn secret_text(bytes: Vec<u8>, path: &FieldPath, problems: &mut Vec<Problem>) -> Option<Secret> {
    match String::from_utf8(bytes) {
        Ok(text) => Some(Secret::Bytes(text)),
        Err(_) => {
            problems.push(Problem::new(
                path.clone(),
                "expected PEM text, found binary data",
            ));
            None
        }
    }
}

fn service_from(s: proto::Service, path: &FieldPath, problems: &mut Vec<Problem>) -> Service {
    let resources = match s.resources {
        Some(r) => resources_from(&r),
        None => {
            problems.push(Problem::new(
                path.key("resources"),
                "missing required field `resources`",
            ));
            Resources {
                memory: 0,
                vcores: 0,
                gpus: 0,
                fpgas: 0,
            }
        }
    };
    Service {
        resources,
        script: s.script,
        instances: s.instances,
        files: files_from(s.files, &path.key("files"), problems),
        env: s.env.into_iter().collect(),
        depends: s.depends.into_iter().collect(),
        max_restarts: s.max_restarts,
        // Unset (0) from Skein's clients: the default.
        max_instances: if s.max_instances == 0 {
            Service::DEFAULT_MAX_INSTANCES
        } else {
            s.max_instances
        },
        allow_failures: s.allow_failures,
        node_label: s.node_label,
        nodes: s.nodes,
        racks: s.racks,
        relax_locality: s.relax_locality,
        restart: s.restart.map(restart_from),
        readiness: s
            .readiness
            .and_then(|r| readiness_from(r, &path.key("readiness"), problems)),
    }
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A negative time from the wire reads as 0, which validation refuses where it matters.
fn from_millis(ms: i64) -> std::time::Duration {
    std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn readiness_to(r: &Readiness) -> proto::Readiness {
    use proto::readiness::{Http, Probe, Tcp};
    proto::Readiness {
        probe: Some(match &r.probe {
            ReadinessProbe::Tcp { port } => Probe::Tcp(Tcp {
                port: i32::from(*port),
            }),
            ReadinessProbe::Http { port, path } => Probe::Http(Http {
                port: i32::from(*port),
                path: path.clone(),
            }),
        }),
        interval_ms: millis(r.interval),
        timeout_ms: millis(r.timeout),
        initial_delay_ms: millis(r.initial_delay),
        success_threshold: i32::try_from(r.success_threshold).unwrap_or(i32::MAX),
        failure_threshold: i32::try_from(r.failure_threshold).unwrap_or(i32::MAX),
    }
}

/// Ports out of range and negative thresholds read as 0, which validation refuses.
fn readiness_from(
    r: proto::Readiness,
    path: &FieldPath,
    problems: &mut Vec<Problem>,
) -> Option<Readiness> {
    use proto::readiness::Probe;
    let port = |p: i32| u16::try_from(p).unwrap_or(0);
    let probe = match r.probe {
        Some(Probe::Tcp(t)) => ReadinessProbe::Tcp { port: port(t.port) },
        Some(Probe::Http(h)) => ReadinessProbe::Http {
            port: port(h.port),
            path: h.path,
        },
        None => {
            problems.push(Problem::new(
                path.clone(),
                "readiness needs a tcp or http check",
            ));
            return None;
        }
    };
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    Some(Readiness {
        probe,
        interval: from_millis(r.interval_ms),
        timeout: from_millis(r.timeout_ms),
        initial_delay: from_millis(r.initial_delay_ms),
        success_threshold: count(r.success_threshold),
        failure_threshold: count(r.failure_threshold),
    })
}

fn restart_to(r: &RestartPolicy) -> proto::RestartPolicy {
    use proto::restart_policy::Mode;
    proto::RestartPolicy {
        policy: match r.policy {
            RestartMode::OnFailure => Mode::OnFailure,
            RestartMode::Never => Mode::Never,
            RestartMode::Always => Mode::Always,
        } as i32,
        max_restarts: r.max_restarts,
        window_ms: r.window.map_or(0, millis),
        backoff_ms: millis(r.backoff),
    }
}

/// A negative time from the wire reads as 0 (no window, no backoff), which validation of the
/// window then reports.
fn restart_from(r: proto::RestartPolicy) -> RestartPolicy {
    use proto::restart_policy::Mode;
    let duration = from_millis;
    RestartPolicy {
        policy: match Mode::try_from(r.policy) {
            Ok(Mode::Never) => RestartMode::Never,
            Ok(Mode::Always) => RestartMode::Always,
            // An unknown mode from a newer client: the safe one.
            Ok(Mode::OnFailure) | Err(_) => RestartMode::OnFailure,
        },
        max_restarts: r.max_restarts,
        window: (r.window_ms != 0).then(|| duration(r.window_ms)),
        backoff: duration(r.backoff_ms),
    }
}

fn resources_from(r: &proto::Resources) -> Resources {
    Resources {
        memory: r.memory,
        vcores: r.vcores,
        gpus: r.gpus,
        fpgas: r.fpgas,
    }
}

fn files_from(
    files: std::collections::HashMap<String, proto::File>,
    path: &FieldPath,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, File> {
    files
        .into_iter()
        .filter_map(|(dest, f)| {
            let file = file_from(f, &path.key(&dest), problems)?;
            Some((dest, file))
        })
        .collect()
}

fn file_from(f: proto::File, path: &FieldPath, problems: &mut Vec<Problem>) -> Option<File> {
    let source_path = path.key("source");
    let Some(url) = f.source else {
        problems.push(Problem::new(source_path, "missing required field `source`"));
        return None;
    };
    let parts = UrlParts {
        scheme: url.scheme,
        host: url.host,
        port: url.port,
        file: url.file,
    };
    let source = match source::from_parts(&parts) {
        Ok(s) => s,
        Err(message) => {
            problems.push(Problem::new(source_path, message.to_string()));
            return None;
        }
    };
    let file_type = match proto::file::Type::try_from(f.r#type) {
        Ok(proto::file::Type::File) => FileType::File,
        Ok(proto::file::Type::Archive) => FileType::Archive,
        Err(_) => {
            problems.push(Problem::new(
                path.key("type"),
                format!("unknown file type {}", f.r#type),
            ));
            return None;
        }
    };
    let visibility = match proto::file::Visibility::try_from(f.visibility) {
        Ok(proto::file::Visibility::Public) => Visibility::Public,
        Ok(proto::file::Visibility::Private) => Visibility::Private,
        Ok(proto::file::Visibility::Application) => Visibility::Application,
        Err(_) => {
            problems.push(Problem::new(
                path.key("visibility"),
                format!("unknown visibility {}", f.visibility),
            ));
            return None;
        }
    };
    Some(File {
        source,
        file_type,
        visibility,
        size: f.size,
        timestamp: f.timestamp,
    })
}

fn level_from(level: proto::log::Level) -> LogLevel {
    use proto::log::Level;
    match level {
        Level::All => LogLevel::All,
        Level::Trace => LogLevel::Trace,
        Level::Debug => LogLevel::Debug,
        Level::Info => LogLevel::Info,
        Level::Warn => LogLevel::Warn,
        Level::Error => LogLevel::Error,
        Level::Fatal => LogLevel::Fatal,
        Level::Off => LogLevel::Off,
    }
}
