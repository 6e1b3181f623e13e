//! The rules of a spec that hold between values, checked on the model itself so that specs
//! from a file and specs from the wire pass the same checks (Skein's `Model.*.validate`).

use std::collections::BTreeMap;

use super::error::{FieldPath, Problem};
use super::log_aggregation::FORBIDDEN_GLOB_CHARS;
use super::model::{
    ApplicationSpec, File, FileType, KerberosPrincipal, LogAggregation, Readiness, ReadinessProbe,
    Resources, RestartPolicy, Secret,
};
use super::source;

/// At most this many services in one application: each costs the AM its own requests,
/// records and launch script, and the driver a staged script.
pub const MAX_SERVICES: usize = 1_000;

/// At most this many files to localize, the master's and every service's together.
pub const MAX_FILES: usize = 10_000;

/// The size limits, checked first: a spec over them is refused with that one problem, before
/// anything is looked at further (or staged).
fn limits(spec: &ApplicationSpec) -> Option<Problem> {
    let files = spec.master.files.len()
        + spec
            .services
            .values()
            .map(|service| service.files.len())
            .sum::<usize>();
    limits_of(spec.services.len(), files)
}

/// [`limits`] from the counts alone: a spec from the wire is checked before its model is
/// built, which for a huge spec would take more memory than the message itself.
pub(crate) fn limits_of(services: usize, files: usize) -> Option<Problem> {
    let root = FieldPath::root();
    if services > MAX_SERVICES {
        return Some(
            Problem::new(
                root.key("services"),
                format!(
                    "the application has {services} services; skein-rs takes at most \
                     {MAX_SERVICES} in one application"
                ),
            )
            .with_hint("run copies of a service as its `instances`, or split the application"),
        );
    }
    if files > MAX_FILES {
        return Some(
            Problem::new(
                root,
                format!(
                    "the application localizes {files} files; skein-rs takes at most \
                     {MAX_FILES} (the master's and every service's together)"
                ),
            )
            .with_hint("pack files into an archive (`type: archive`) that YARN unpacks"),
        );
    }
    None
}

/// The size limit of a spec file, for a spec from the wire: the driver takes larger messages
/// than that so that such a spec gets this problem rather than gRPC's bare "message length
/// too large".
pub(crate) fn wire_size_limit(bytes: usize) -> Option<Problem> {
    let limit = super::node::MAX_SPEC_BYTES;
    (bytes > limit).then(|| {
        Problem::new(
            FieldPath::root(),
            format!(
                "the spec is {bytes} bytes; skein-rs takes specs of at most {} MiB, as for a \
                 spec file",
                limit >> 20
            ),
        )
        .with_hint(
            "put large scripts, environment values or data in files the application \
             localizes (`files:`), e.g. on HDFS",
        )
    })
}

/// Every rule violation of `spec`, each with the path of the field it concerns.
pub(crate) fn validate(spec: &ApplicationSpec) -> Vec<Problem> {
    if let Some(problem) = limits(spec) {
        return vec![problem];
    }
    let mut problems = Vec::new();
    let root = FieldPath::root();
    if spec.max_attempts < 1 {
        problems.push(Problem::new(
            root.key("max_attempts"),
            format!(
                "max_attempts must be at least 1, found {}",
                spec.max_attempts
            ),
        ));
    }
    let master = root.key("master");
    resources(
        &spec.master.resources,
        &master.key("resources"),
        &mut problems,
    );
    files(&spec.master.files, &master.key("files"), &mut problems);
    let bind_host = &spec.master.bind_host;
    if !bind_host.is_empty() && bind_host.parse::<std::net::IpAddr>().is_err() {
        problems.push(
            Problem::new(
                master.key("bind_host"),
                format!("bind_host must be an IP address, found {bind_host:?}"),
            )
            .with_hint(
                "leave it out to listen on the NodeManager host's address, or use 0.0.0.0 for \
                 every interface",
            ),
        );
    }
    if let Some(config) = &spec.master.log_config {
        file(config, &master.key("log_config"), &mut problems);
    }
    if let Some(security) = &spec.master.security {
        for (secret, name) in [(&security.cert, "cert_file"), (&security.key, "key_file")] {
            if let Secret::File(f) = secret {
                file(f, &master.key("security").key(name), &mut problems);
            }
        }
    }
    if let Some(principal) = &spec.kerberos_principal {
        kerberos_principal(principal, &root.key("kerberos_principal"), &mut problems);
    }
    lifetime_and_priority(spec, &root, &mut problems);
    if let Some(aggregation) = &spec.log_aggregation {
        log_aggregation(aggregation, &root.key("log_aggregation"), &mut problems);
    }
    let services = root.key("services");
    if spec.services.is_empty() && spec.master.script.is_empty() {
        problems.push(
            Problem::new(
                services.clone(),
                "There must be either at least one service or a script to run on the \
                 application master",
            )
            .with_hint("add a service under `services`, or a `master.script`"),
        );
    }
    for (name, service) in &spec.services {
        let path = services.key(name);
        if name.is_empty() {
            problems.push(Problem::new(
                path.clone(),
                "a service name must not be empty",
            ));
        }
        if service.instances < 0 {
            problems.push(Problem::new(
                path.key("instances"),
                format!("instances must be at least 0, found {}", service.instances),
            ));
        }
        if service.max_restarts < -1 {
            problems.push(
                Problem::new(
                    path.key("max_restarts"),
                    format!(
                        "max_restarts must be at least -1, found {}",
                        service.max_restarts
                    ),
                )
                .with_hint("use -1 for unlimited restarts"),
            );
        }
        if let Some(readiness) = &service.readiness {
            readiness_check(readiness, &path.key("readiness"), &mut problems);
        }
        if let Some(restart) = &service.restart {
            restart_policy(restart, service.max_restarts, &path, &mut problems);
        }
        if service.max_instances < 1 {
            problems.push(Problem::new(
                path.key("max_instances"),
                format!(
                    "max_instances must be at least 1, found {}",
                    service.max_instances
                ),
            ));
        } else if service.instances > service.max_instances {
            problems.push(
                Problem::new(
                    path.key("instances"),
                    format!(
                        "instances ({}) is above the service's max_instances ({})",
                        service.instances, service.max_instances
                    ),
                )
                .with_hint(format!(
                    "lower instances, or raise `services.{name}.max_instances` (default {})",
                    super::model::Service::DEFAULT_MAX_INSTANCES
                )),
            );
        }
        resources(&service.resources, &path.key("resources"), &mut problems);
        if service.script.trim().is_empty() {
            problems.push(Problem::new(
                path.key("script"),
                "A script must be provided",
            ));
        }
        files(&service.files, &path.key("files"), &mut problems);
        let unknown: Vec<&String> = service
            .depends
            .iter()
            .filter(|d| !spec.services.contains_key(*d))
            .collect();
        if !unknown.is_empty() {
            let list: String = unknown.iter().map(|d| format!("\n- {d}")).collect();
            let known: Vec<&str> = spec.services.keys().map(String::as_str).collect();
            problems.push(
                Problem::new(
                    path.key("depends"),
                    format!("Unknown service dependencies for service '{name}':{list}"),
                )
                .with_hint(format!("the services are: {}", known.join(", "))),
            );
        }
    }
    for cycle in cycles(spec) {
        problems.push(Problem::new(
            services.key(&cycle[0]).key("depends"),
            format!(
                "Dependency cycle detected between services: {}",
                cycle.join("->")
            ),
        ));
    }
    problems
}

fn lifetime_and_priority(spec: &ApplicationSpec, root: &FieldPath, problems: &mut Vec<Problem>) {
    if let Some(lifetime) = spec.lifetime
        && (lifetime.as_secs() < 1 || lifetime.subsec_millis() != 0)
    {
        problems.push(
            Problem::new(
                root.key("lifetime"),
                format!(
                    "lifetime must be whole seconds, at least 1, found {}",
                    super::duration::format_duration(lifetime)
                ),
            )
            .with_hint("YARN counts application lifetimes in seconds, e.g. `lifetime: 2h`; leave it out for no limit"),
        );
    }
    if let Some(priority) = spec.priority
        && priority < 0
    {
        problems.push(
            Problem::new(
                root.key("priority"),
                format!("priority must be 0 or more, found {priority}"),
            )
            .with_hint("higher priorities run first, up to the cluster's yarn.cluster.max-application-priority"),
        );
    }
}

fn restart_policy(
    r: &RestartPolicy,
    service_max_restarts: i32,
    service: &FieldPath,
    problems: &mut Vec<Problem>,
) {
    let path = service.key("restart");
    if service_max_restarts != 0 {
        problems.push(
            Problem::new(
                service.key("max_restarts"),
                "max_restarts and restart are both given: restart.max_restarts replaces it",
            )
            .with_hint(
                "move the count into `restart`, e.g. restart: {max_restarts: 5, window: 10m}",
            ),
        );
    }
    if r.max_restarts < -1 {
        problems.push(
            Problem::new(
                path.key("max_restarts"),
                format!("max_restarts must be at least -1, found {}", r.max_restarts),
            )
            .with_hint("use -1 (the default) for unlimited restarts"),
        );
    }
    if let Some(window) = r.window {
        if window.is_zero() {
            problems.push(
                Problem::new(path.key("window"), "window must be longer than 0")
                    .with_hint("e.g. `window: 10m`; leave it out to count over the service's life"),
            );
        } else if r.max_restarts == -1 {
            problems.push(
                Problem::new(
                    path.key("window"),
                    "a window bounds max_restarts, which is unlimited here",
                )
                .with_hint("set `max_restarts` too, e.g. {max_restarts: 5, window: 10m}"),
            );
        }
    }
}

fn readiness_check(r: &Readiness, path: &FieldPath, problems: &mut Vec<Problem>) {
    if let ReadinessProbe::Tcp { port: 0 } | ReadinessProbe::Http { port: 0, .. } = r.probe {
        let key = if matches!(r.probe, ReadinessProbe::Tcp { .. }) {
            "tcp"
        } else {
            "http"
        };
        problems.push(Problem::new(
            path.key(key).key("port"),
            "port must be between 1 and 65535",
        ));
    }
    if let ReadinessProbe::Http {
        path: http_path, ..
    } = &r.probe
        && !http_path.starts_with('/')
    {
        problems.push(
            Problem::new(
                path.key("http").key("path"),
                format!("'{http_path}': an http check's path starts with '/'"),
            )
            .with_hint("e.g. `path: /health`"),
        );
    }
    for (key, value) in [("interval", r.interval), ("timeout", r.timeout)] {
        if value.is_zero() {
            problems.push(Problem::new(
                path.key(key),
                format!("{key} must be longer than 0"),
            ));
        }
    }
    for (key, value) in [
        ("success_threshold", r.success_threshold),
        ("failure_threshold", r.failure_threshold),
    ] {
        if value == 0 {
            problems.push(Problem::new(
                path.key(key),
                format!("{key} must be at least 1"),
            ));
        }
    }
}

fn log_aggregation(a: &LogAggregation, path: &FieldPath, problems: &mut Vec<Problem>) {
    for (key, globs) in [("include", &a.include), ("exclude", &a.exclude)] {
        for (i, glob) in globs.iter().enumerate() {
            let glob_path = if globs.len() == 1 {
                path.key(key)
            } else {
                path.key(key).index(i)
            };
            if glob.trim().is_empty() {
                problems.push(
                    Problem::new(glob_path, "a log file pattern must not be empty")
                        .with_hint("write a file name glob such as '*.log'"),
                );
            } else if let Some(c) = glob.chars().find(|c| FORBIDDEN_GLOB_CHARS.contains(c)) {
                problems.push(
                    Problem::new(
                        glob_path,
                        format!(
                            "'{glob}': a log file pattern matches file names and may not hold '{c}'"
                        ),
                    )
                    .with_hint("list several patterns as a list, e.g. include: ['*.log', '*.out']"),
                );
            }
        }
    }
}

fn kerberos_principal(p: &KerberosPrincipal, path: &FieldPath, problems: &mut Vec<Problem>) {
    let name = p.principal_name.trim();
    if name.is_empty() {
        problems.push(
            Problem::new(
                path.key("principal_name"),
                "principal_name must not be empty",
            )
            .with_hint("name the principal whose keys the keytab holds, e.g. alice@EXAMPLE.COM"),
        );
    } else if name != p.principal_name
        || name.chars().any(char::is_whitespace)
        || name.matches('@').count() > 1
        || name.starts_with('@')
        || name.ends_with('@')
    {
        problems.push(
            Problem::new(
                path.key("principal_name"),
                format!("'{}' is not a Kerberos principal", p.principal_name),
            )
            .with_hint("write it as name[/instance][@REALM], without spaces"),
        );
    } else if name.contains("_HOST") {
        problems.push(
            Problem::new(
                path.key("principal_name"),
                format!(
                    "'{name}': _HOST is not supported here (the ApplicationMaster's host is                      not known at submission)"
                ),
            )
            .with_hint("name the principal with its host, e.g. svc/node1.example.com@REALM"),
        );
    }
    let keytab = path.key("keytab");
    file(&p.keytab, &keytab, problems);
    if p.keytab.file_type == FileType::Archive {
        problems.push(
            Problem::new(keytab.key("type"), "a keytab is a file, not an archive")
                .with_hint("use `type: file`, or name the keytab file itself"),
        );
    }
    let percent = p.token_refresh_percent;
    if !(1..=KerberosPrincipal::MAX_REFRESH_PERCENT).contains(&percent) {
        problems.push(
            Problem::new(
                path.key("token_refresh_percent"),
                format!(
                    "token_refresh_percent must be between 1 and {}, found {percent}",
                    KerberosPrincipal::MAX_REFRESH_PERCENT
                ),
            )
            .with_hint(format!(
                "new tokens are fetched when this share of the current ones' lifetime has \
                 passed (default {})",
                KerberosPrincipal::DEFAULT_REFRESH_PERCENT
            )),
        );
    }
}

fn resources(r: &Resources, path: &FieldPath, problems: &mut Vec<Problem>) {
    if r.memory < 1 {
        problems.push(Problem::new(
            path.key("memory"),
            format!("memory must be at least 1 MiB, found {}", r.memory),
        ));
    }
    if r.vcores < 1 {
        problems.push(Problem::new(
            path.key("vcores"),
            format!("vcores must be at least 1, found {}", r.vcores),
        ));
    }
    for (count, name) in [(r.gpus, "gpus"), (r.fpgas, "fpgas")] {
        if count < 0 {
            problems.push(Problem::new(
                path.key(name),
                format!("{name} must be at least 0, found {count}"),
            ));
        }
    }
}

fn files(files: &BTreeMap<String, File>, path: &FieldPath, problems: &mut Vec<Problem>) {
    for (dest, f) in files {
        let file_path = path.key(dest);
        // YARN links each resource by this name in the container's working directory.
        let name = dest.strip_prefix("./").unwrap_or(dest);
        if name.is_empty() || name == "." || name == ".." || name.contains('/') {
            problems.push(
                Problem::new(
                    file_path.clone(),
                    format!("invalid file destination '{dest}': expected a file name"),
                )
                .with_hint(
                    "a destination is a name in the container's working directory, without '/'",
                ),
            );
        }
        file(f, &file_path, problems);
    }
}

fn file(f: &File, path: &FieldPath, problems: &mut Vec<Problem>) {
    // Sources from a file are canonical already; from the wire they are rebuilt from parts.
    if let Err(message) = source::split(&f.source) {
        problems.push(Problem::new(path.key("source"), message.to_string()));
    }
    for (value, name) in [(f.size, "size"), (f.timestamp, "timestamp")] {
        if value < 0 {
            problems.push(Problem::new(
                path.key(name),
                format!("{name} must be at least 0, found {value}"),
            ));
        }
    }
}

/// Each dependency cycle once, as the list of services along it, first service repeated last.
///
/// Iterative depth-first search: a hostile spec may chain thousands of services.
fn cycles(spec: &ApplicationSpec) -> Vec<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnStack,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    let mut found = Vec::new();
    for root in spec.services.keys() {
        if marks.contains_key(root.as_str()) {
            continue;
        }
        // Each frame: a service and the dependencies still to visit.
        let mut stack: Vec<(&str, Vec<&str>)> = Vec::new();
        let deps_of = |name: &str| -> Vec<&str> {
            spec.services
                .get(name)
                .map(|s| s.depends.iter().rev().map(String::as_str).collect())
                .unwrap_or_default()
        };
        marks.insert(root, Mark::OnStack);
        stack.push((root, deps_of(root)));
        while let Some((_, pending)) = stack.last_mut() {
            let Some(dep) = pending.pop() else {
                if let Some((name, _)) = stack.pop() {
                    marks.insert(name, Mark::Done);
                }
                continue;
            };
            match marks.get(dep) {
                Some(Mark::Done) => {}
                Some(Mark::OnStack) => {
                    let start = stack.iter().position(|(s, _)| *s == dep).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        stack[start..].iter().map(|(s, _)| s.to_string()).collect();
                    cycle.push(dep.to_string());
                    found.push(cycle);
                }
                // Not a service: reported as an unknown dependency.
                None if !spec.services.contains_key(dep) => {}
                None => {
                    marks.insert(dep, Mark::OnStack);
                    stack.push((dep, deps_of(dep)));
                }
            }
        }
    }
    found
}
