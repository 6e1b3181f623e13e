//! Builds the model from a located document tree, collecting every type and key problem.
//!
//! This is the one place that knows the spec's keys; each object's keys are listed in
//! `fields` so that the JSON Schema and the "did you mean" hints use the same names. Rules
//! between values (ranges, depends, ...) are not checked here but in `validate`, which also
//! checks specs that arrive over the wire.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::duration;
use super::error::{FieldPath, Problem};
use super::fields;
use super::memory;
use super::model::{
    Acls, ApplicationSpec, File, FileType, KerberosPrincipal, LogAggregation, LogLevel, Master,
    Readiness, ReadinessProbe, Resources, RestartMode, RestartPolicy, Secret, Security, Service,
    Visibility,
};
use super::node::{Node, Pos, Value};
use super::source;

/// A problem found while building, and whether it makes later checks of the same field (and
/// everything under it) redundant.
pub(crate) struct Found {
    pub pos: Pos,
    pub problem: Problem,
    pub covers: bool,
}

/// The model built from a tree, what was wrong with it, and where each field was written.
pub(crate) struct Built {
    pub spec: ApplicationSpec,
    pub found: Vec<Found>,
    pub positions: HashMap<FieldPath, Pos>,
    /// Fields whose rule problems would only repeat a reported typo (`servics` -> `services`).
    pub shadowed: Vec<FieldPath>,
}

/// Builds an `ApplicationSpec` from `root`; local file sources are resolved against `base_dir`.
pub(crate) fn build(root: &Node, base_dir: &Path) -> Built {
    let mut builder = Builder {
        base_dir,
        found: Vec::new(),
        positions: HashMap::new(),
        shadowed: Vec::new(),
    };
    let path = FieldPath::root();
    builder.positions.insert(path.clone(), Pos::START);
    let spec = match &root.value {
        // An empty document is an empty spec: the validation then says what is missing.
        Value::Null => ApplicationSpec::default(),
        _ => builder.application(root, &path),
    };
    Built {
        spec,
        found: builder.found,
        positions: builder.positions,
        shadowed: builder.shadowed,
    }
}

/// The keys of a mapping that is an object of the spec, with their value nodes.
struct Fields<'n> {
    pos: Pos,
    path: FieldPath,
    values: HashMap<&'n str, &'n Node>,
}

impl<'n> Fields<'n> {
    /// The value of `key` when it is given and not null (null means "the default").
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.values
            .get(key)
            .copied()
            .filter(|n| !matches!(n.value, Value::Null))
    }
}

struct Builder<'a> {
    base_dir: &'a Path,
    found: Vec<Found>,
    positions: HashMap<FieldPath, Pos>,
    shadowed: Vec<FieldPath>,
}

impl Builder<'_> {
    fn report(&mut self, pos: Pos, problem: Problem, covers: bool) {
        self.found.push(Found {
            pos,
            problem,
            covers,
        });
    }

    /// Reports a value of the wrong kind; the hint tells how to write a string if one was meant.
    fn wrong_kind(&mut self, node: &Node, path: &FieldPath, expected: &str) {
        let mut problem = Problem::new(
            path.clone(),
            format!("expected {expected}, found {}", node.value.kind()),
        );
        if expected.starts_with("a string") {
            let text = match &node.value {
                Value::Bool(b) => Some(b.to_string()),
                Value::Int(i) => Some(i.to_string()),
                Value::Float(f) => Some(f.to_string()),
                _ => None,
            };
            if let Some(text) = text {
                problem = problem.with_hint(format!("quote it to make it a string: '{text}'"));
            }
        }
        self.report(node.pos, problem, true);
    }

    fn missing(&mut self, fields: &Fields<'_>, key: &str) {
        let problem = Problem::new(
            fields.path.key(key),
            format!("missing required field `{key}`"),
        );
        self.report(fields.pos, problem, true);
    }

    /// Reads a mapping whose keys must be among `known`; unknown keys are reported with the
    /// nearest known one.
    fn object<'n>(
        &mut self,
        node: &'n Node,
        path: &FieldPath,
        what: &str,
        known: &[&str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_kind(node, path, &format!("a mapping ({what})"));
            return None;
        };
        self.positions.insert(path.clone(), node.pos);
        let mut values = HashMap::new();
        for (key_node, value) in entries {
            let Some(key) = self.key(key_node, path) else {
                continue;
            };
            if !known.contains(&key) {
                let hint = fields::suggest(key, known);
                if let Some(meant) = fields::nearest(key, known) {
                    self.shadowed.push(path.key(meant));
                }
                let problem = Problem::new(path.clone(), format!("unknown key `{key}` in {what}"))
                    .with_hint(hint);
                self.report(key_node.pos, problem, false);
            } else if values.insert(key, value).is_some() {
                let problem = Problem::new(path.clone(), format!("duplicate key `{key}`"));
                self.report(key_node.pos, problem, false);
            } else {
                self.positions.insert(path.key(key), value.pos);
            }
        }
        Some(Fields {
            pos: node.pos,
            path: path.clone(),
            values,
        })
    }

    fn key<'n>(&mut self, key_node: &'n Node, path: &FieldPath) -> Option<&'n str> {
        match &key_node.value {
            Value::Str(key) => Some(key),
            _ => {
                let problem = Problem::new(
                    path.clone(),
                    format!("keys must be strings, found {}", key_node.value.kind()),
                );
                self.report(key_node.pos, problem, false);
                None
            }
        }
    }

    /// Reads a mapping with free keys (services, files, env), in text order.
    fn entries<'n>(
        &mut self,
        node: &'n Node,
        path: &FieldPath,
        what: &str,
    ) -> Vec<(&'n str, &'n Node)> {
        let Value::Map(entries) = &node.value else {
            self.wrong_kind(node, path, &format!("a mapping ({what})"));
            return Vec::new();
        };
        self.positions.insert(path.clone(), node.pos);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (key_node, value) in entries {
            let Some(key) = self.key(key_node, path) else {
                continue;
            };
            if !seen.insert(key) {
                let problem = Problem::new(path.clone(), format!("duplicate key `{key}`"));
                self.report(key_node.pos, problem, false);
                continue;
            }
            self.positions.insert(path.key(key), value.pos);
            out.push((key, value));
        }
        out
    }

    fn string(&mut self, fields: &Fields<'_>, key: &str, default: &str) -> String {
        match fields.get(key) {
            None => default.to_string(),
            Some(node) => self
                .string_value(node, &fields.path.key(key))
                .unwrap_or_default(),
        }
    }

    fn string_value(&mut self, node: &Node, path: &FieldPath) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_kind(node, path, "a string");
                None
            }
        }
    }

    fn boolean(&mut self, fields: &Fields<'_>, key: &str) -> bool {
        match fields.get(key) {
            None => false,
            Some(Node {
                value: Value::Bool(b),
                ..
            }) => *b,
            Some(node) => {
                self.wrong_kind(node, &fields.path.key(key), "true or false");
                false
            }
        }
    }

    /// One of an enum's names (any case), when given; a wrong one is reported with the list.
    fn name<T: std::str::FromStr<Err = super::model::UnknownName>>(
        &mut self,
        fields: &Fields<'_>,
        key: &str,
    ) -> Option<T> {
        let node = fields.get(key)?;
        let path = fields.path.key(key);
        let text = self.string_value(node, &path)?;
        match text.parse::<T>() {
            Ok(value) => Some(value),
            Err(message) => {
                self.report(node.pos, Problem::new(path, message.to_string()), true);
                None
            }
        }
    }

    /// A duration: a number of seconds, or text with units (`2h`, `1h30m`, `500ms`).
    fn duration(&mut self, fields: &Fields<'_>, key: &str) -> Option<std::time::Duration> {
        let node = fields.get(key)?;
        let path = fields.path.key(key);
        let parsed = match &node.value {
            Value::Int(i) => u64::try_from(*i)
                .map(std::time::Duration::from_secs)
                .map_err(|_| format!("a duration must not be negative, found {i}")),
            Value::Str(s) => duration::parse_duration(s).map_err(|e| e.to_string()),
            _ => {
                self.wrong_kind(
                    node,
                    &path,
                    "a duration (seconds, or text such as '30s' or '2h')",
                );
                return None;
            }
        };
        match parsed {
            Ok(d) => Some(d),
            Err(message) => {
                self.report(node.pos, Problem::new(path, message), true);
                None
            }
        }
    }

    fn int<T: TryFrom<i128> + Copy + std::fmt::Display>(
        &mut self,
        fields: &Fields<'_>,
        key: &str,
        default: T,
        min: T,
        max: T,
    ) -> T {
        let Some(node) = fields.get(key) else {
            return default;
        };
        let path = fields.path.key(key);
        match &node.value {
            Value::Int(i) => match T::try_from(*i) {
                Ok(v) => v,
                Err(_) => {
                    let problem = Problem::new(
                        path,
                        format!("expected an integer between {min} and {max}, found {i}"),
                    );
                    self.report(node.pos, problem, true);
                    default
                }
            },
            _ => {
                self.wrong_kind(node, &path, "an integer");
                default
            }
        }
    }

    /// A string, or a list of strings.
    fn one_or_more_strings(&mut self, fields: &Fields<'_>, key: &str) -> Vec<String> {
        match fields.get(key).map(|n| &n.value) {
            Some(Value::Str(s)) => vec![s.clone()],
            _ => self.string_list(fields, key),
        }
    }

    fn string_list(&mut self, fields: &Fields<'_>, key: &str) -> Vec<String> {
        let Some(node) = fields.get(key) else {
            return Vec::new();
        };
        let path = fields.path.key(key);
        let Value::Seq(items) = &node.value else {
            self.wrong_kind(node, &path, "a list of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = path.index(i);
            self.positions.insert(item_path.clone(), item.pos);
            if let Some(s) = self.string_value(item, &item_path) {
                out.push(s);
            }
        }
        out
    }

    fn string_map(&mut self, fields: &Fields<'_>, key: &str) -> BTreeMap<String, String> {
        let Some(node) = fields.get(key) else {
            return BTreeMap::new();
        };
        let path = fields.path.key(key);
        let mut out = BTreeMap::new();
        for (name, value) in self.entries(node, &path, "environment variables") {
            if let Some(s) = self.string_value(value, &path.key(name)) {
                out.insert(name.to_string(), s);
            }
        }
        out
    }

    fn application(&mut self, node: &Node, path: &FieldPath) -> ApplicationSpec {
        let mut spec = ApplicationSpec::default();
        let Some(f) = self.object(node, path, "the application spec", fields::APPLICATION) else {
            return spec;
        };
        spec.name = self.string(&f, "name", "skein");
        spec.queue = self.string(&f, "queue", "default");
        spec.user = self.string(&f, "user", "");
        spec.node_label = self.string(&f, "node_label", "");
        spec.max_attempts = self.int(&f, "max_attempts", 1, i32::MIN, i32::MAX);
        spec.tags = self.string_list(&f, "tags").into_iter().collect();
        spec.file_systems = self.string_list(&f, "file_systems");
        if let Some(acls) = f.get("acls") {
            spec.acls = self.acls(acls, &path.key("acls"));
        }
        if let Some(master) = f.get("master") {
            spec.master = self.master(master, &path.key("master"));
        }
        if let Some(services) = f.get("services") {
            let services_path = path.key("services");
            for (name, service) in self.entries(services, &services_path, "services by name") {
                let service = self.service(service, &services_path.key(name));
                spec.services.insert(name.to_string(), service);
            }
        }
        if let Some(principal) = f.get("kerberos_principal") {
            spec.kerberos_principal =
                self.kerberos_principal(principal, &path.key("kerberos_principal"));
        }
        spec.lifetime = self.duration(&f, "lifetime");
        if f.get("priority").is_some() {
            spec.priority = Some(self.int(&f, "priority", 0, i32::MIN, i32::MAX));
        }
        if let Some(node) = f.get("log_aggregation") {
            spec.log_aggregation = self.log_aggregation(node, &path.key("log_aggregation"));
        }
        spec
    }

    fn kerberos_principal(&mut self, node: &Node, path: &FieldPath) -> Option<KerberosPrincipal> {
        let f = self.object(node, path, "kerberos_principal", fields::KERBEROS_PRINCIPAL)?;
        let principal_name = match f.get("principal_name") {
            Some(_) => self.string(&f, "principal_name", ""),
            None => {
                self.missing(&f, "principal_name");
                return None;
            }
        };
        let keytab = match f.get("keytab") {
            Some(keytab) => self.file(keytab, &path.key("keytab"))?,
            None => {
                self.missing(&f, "keytab");
                return None;
            }
        };
        let token_refresh_percent = self.int(
            &f,
            "token_refresh_percent",
            KerberosPrincipal::DEFAULT_REFRESH_PERCENT,
            0,
            u8::MAX,
        );
        Some(KerberosPrincipal {
            principal_name,
            keytab,
            token_refresh_percent,
        })
    }

    fn log_aggregation(&mut self, node: &Node, path: &FieldPath) -> Option<LogAggregation> {
        let f = self.object(node, path, "log_aggregation", fields::LOG_AGGREGATION)?;
        Some(LogAggregation {
            include: self.one_or_more_strings(&f, "include"),
            exclude: self.one_or_more_strings(&f, "exclude"),
            rolled: self.boolean(&f, "rolled"),
        })
    }

    fn acls(&mut self, node: &Node, path: &FieldPath) -> Acls {
        let Some(f) = self.object(node, path, "acls", fields::ACLS) else {
            return Acls::default();
        };
        Acls {
            enable: self.boolean(&f, "enable"),
            view_users: self.string_list(&f, "view_users"),
            view_groups: self.string_list(&f, "view_groups"),
            modify_users: self.string_list(&f, "modify_users"),
            modify_groups: self.string_list(&f, "modify_groups"),
            ui_users: self.string_list(&f, "ui_users"),
        }
    }

    fn master(&mut self, node: &Node, path: &FieldPath) -> Master {
        let mut master = Master::default();
        let Some(f) = self.object(node, path, "master", fields::MASTER) else {
            return master;
        };
        if let Some(resources) = f.get("resources") {
            master.resources = self.resources(resources, &path.key("resources"));
        }
        master.script = self.string(&f, "script", "");
        master.files = self.files(&f);
        master.env = self.string_map(&f, "env");
        master.bind_host = self.string(&f, "bind_host", "");
        if let Some(level) = self.name::<LogLevel>(&f, "log_level") {
            master.log_level = level;
        }
        if let Some(config) = f.get("log_config") {
            master.log_config = self.file(config, &path.key("log_config"));
        }
        if let Some(security) = f.get("security") {
            master.security = self.security(security, &path.key("security"));
        }
        master
    }

    fn service(&mut self, node: &Node, path: &FieldPath) -> Service {
        // Placeholders for missing required fields: their problems are already reported and
        // cover the checks that would complain about the placeholders.
        let placeholder = Resources {
            memory: 0,
            vcores: 0,
            gpus: 0,
            fpgas: 0,
        };
        let mut service = Service::new(placeholder, "");
        let Some(f) = self.object(node, path, "a service", fields::SERVICE) else {
            return service;
        };
        match f.get("resources") {
            Some(resources) => {
                service.resources = self.resources(resources, &path.key("resources"));
            }
            None => self.missing(&f, "resources"),
        }
        match f.get("script") {
            Some(script) => {
                service.script = self
                    .string_value(script, &path.key("script"))
                    .unwrap_or_default();
            }
            None => self.missing(&f, "script"),
        }
        service.instances = self.int(&f, "instances", 1, i32::MIN, i32::MAX);
        service.files = self.files(&f);
        service.env = self.string_map(&f, "env");
        service.depends = self.string_list(&f, "depends").into_iter().collect();
        service.max_restarts = self.int(&f, "max_restarts", 0, i32::MIN, i32::MAX);
        service.max_instances = self.int(
            &f,
            "max_instances",
            Service::DEFAULT_MAX_INSTANCES,
            i32::MIN,
            i32::MAX,
        );
        service.allow_failures = self.boolean(&f, "allow_failures");
        service.node_label = self.string(&f, "node_label", "");
        service.nodes = self.string_list(&f, "nodes");
        service.racks = self.string_list(&f, "racks");
        service.relax_locality = self.boolean(&f, "relax_locality");
        if let Some(restart) = f.get("restart") {
            service.restart = self.restart(restart, &path.key("restart"));
        }
        if let Some(readiness) = f.get("readiness") {
            service.readiness = self.readiness(readiness, &path.key("readiness"));
        }
        service
    }

    fn restart(&mut self, node: &Node, path: &FieldPath) -> Option<RestartPolicy> {
        let f = self.object(node, path, "restart", fields::RESTART)?;
        let mut restart = RestartPolicy::default();
        if let Some(policy) = self.name::<RestartMode>(&f, "policy") {
            restart.policy = policy;
        }
        restart.max_restarts = self.int(&f, "max_restarts", -1, i32::MIN, i32::MAX);
        restart.window = self.duration(&f, "window");
        restart.backoff = self.duration(&f, "backoff").unwrap_or_default();
        Some(restart)
    }

    fn readiness(&mut self, node: &Node, path: &FieldPath) -> Option<Readiness> {
        let f = self.object(node, path, "readiness", fields::READINESS)?;
        if let Some(command) = f.get("command") {
            let problem = Problem::new(
                path.key("command"),
                "readiness commands are not supported by skein-rs yet",
            )
            .with_hint("check a port instead: `tcp: {port: N}` or `http: {port: N, path: /}`");
            self.report(command.pos, problem, true);
        }
        let tcp = f.get("tcp").and_then(|tcp| {
            let f = self.object(
                tcp,
                &path.key("tcp"),
                "readiness.tcp",
                fields::READINESS_TCP,
            )?;
            let port = self.port(&f)?;
            Some(ReadinessProbe::Tcp { port })
        });
        let http = f.get("http").and_then(|http| {
            let f = self.object(
                http,
                &path.key("http"),
                "readiness.http",
                fields::READINESS_HTTP,
            )?;
            let port = self.port(&f)?;
            let path = self.string(&f, "path", "/");
            Some(ReadinessProbe::Http { port, path })
        });
        let probe = match (tcp, http) {
            (Some(probe), None) | (None, Some(probe)) => probe,
            (Some(_), Some(_)) => {
                let problem = Problem::new(path.clone(), "readiness has both tcp and http")
                    .with_hint("keep one of them");
                self.report(f.pos, problem, true);
                return None;
            }
            (None, None) => {
                if f.get("tcp").is_none() && f.get("http").is_none() {
                    let problem = Problem::new(path.clone(), "readiness needs a tcp or http check")
                        .with_hint(
                            "e.g. `tcp: {port: 8080}` or `http: {port: 8080, path: /health}`",
                        );
                    self.report(f.pos, problem, true);
                }
                return None;
            }
        };
        let mut readiness = Readiness::new(probe);
        readiness.interval = self.duration(&f, "interval").unwrap_or(readiness.interval);
        readiness.timeout = self.duration(&f, "timeout").unwrap_or(readiness.timeout);
        readiness.initial_delay = self.duration(&f, "initial_delay").unwrap_or_default();
        readiness.success_threshold = self.int(
            &f,
            "success_threshold",
            Readiness::DEFAULT_SUCCESS_THRESHOLD,
            0,
            u32::MAX,
        );
        readiness.failure_threshold = self.int(
            &f,
            "failure_threshold",
            Readiness::DEFAULT_FAILURE_THRESHOLD,
            0,
            u32::MAX,
        );
        Some(readiness)
    }

    /// A `port` (required), 0 to 65535.
    fn port(&mut self, f: &Fields<'_>) -> Option<u16> {
        if f.get("port").is_none() {
            self.missing(f, "port");
            return None;
        }
        // 0 is refused by validation, as from the wire.
        Some(self.int(f, "port", 0, 0, u16::MAX))
    }

    fn resources(&mut self, node: &Node, path: &FieldPath) -> Resources {
        let mut resources = Resources {
            memory: 0,
            vcores: 0,
            gpus: 0,
            fpgas: 0,
        };
        let Some(f) = self.object(node, path, "resources", fields::RESOURCES) else {
            return resources;
        };
        match f.get("memory") {
            Some(memory) => {
                let parsed = match &memory.value {
                    Value::Int(i) => Some(memory::memory_from_int(*i)),
                    Value::Float(x) => Some(memory::memory_from_float(*x)),
                    Value::Str(s) => Some(memory::parse_memory(s)),
                    _ => None,
                };
                let memory_path = path.key("memory");
                match parsed {
                    Some(Ok(mib)) => resources.memory = mib,
                    Some(Err(e)) => {
                        let problem = Problem::new(memory_path, e.to_string());
                        self.report(memory.pos, problem, true);
                    }
                    None => self.wrong_kind(
                        memory,
                        &memory_path,
                        "a memory amount such as 512, '512 MiB' or '2 GB'",
                    ),
                }
            }
            None => self.missing(&f, "memory"),
        }
        match f.get("vcores") {
            Some(_) => resources.vcores = self.int(&f, "vcores", 0, i32::MIN, i32::MAX),
            None => self.missing(&f, "vcores"),
        }
        resources.gpus = self.int(&f, "gpus", 0, i64::MIN, i64::MAX);
        resources.fpgas = self.int(&f, "fpgas", 0, i64::MIN, i64::MAX);
        resources
    }

    fn files(&mut self, fields: &Fields<'_>) -> BTreeMap<String, File> {
        let Some(node) = fields.get("files") else {
            return BTreeMap::new();
        };
        let path = fields.path.key("files");
        let mut out = BTreeMap::new();
        for (dest, value) in self.entries(node, &path, "files by destination") {
            if let Some(file) = self.file(value, &path.key(dest)) {
                out.insert(dest.to_string(), file);
            }
        }
        out
    }

    /// A file: a source string (the shorthand) or a mapping with `source` and options.
    fn file(&mut self, node: &Node, path: &FieldPath) -> Option<File> {
        if let Value::Str(raw) = &node.value {
            return self.source(raw, node.pos, path).map(File::from_source);
        }
        if !matches!(node.value, Value::Map(_)) {
            self.wrong_kind(
                node,
                path,
                "a file: a source path or URL, or a mapping with `source`",
            );
            return None;
        }
        let f = self.object(node, path, "a file", fields::FILE)?;
        let source = match f.get("source") {
            Some(source_node) => {
                let source_path = path.key("source");
                let raw = self.string_value(source_node, &source_path)?;
                self.source(&raw, source_node.pos, &source_path)?
            }
            None => {
                self.missing(&f, "source");
                return None;
            }
        };
        let mut file = File::from_source(source);
        if let Some(kind) = f.get("type") {
            let kind_path = path.key("type");
            match self.string_value(kind, &kind_path)?.parse::<FileType>() {
                Ok(kind) => file.file_type = kind,
                Err(message) => {
                    self.report(kind.pos, Problem::new(kind_path, message.to_string()), true)
                }
            }
        }
        if let Some(visibility) = f.get("visibility") {
            let visibility_path = path.key("visibility");
            match self
                .string_value(visibility, &visibility_path)?
                .parse::<Visibility>()
            {
                Ok(v) => file.visibility = v,
                Err(message) => {
                    self.report(
                        visibility.pos,
                        Problem::new(visibility_path, message.to_string()),
                        true,
                    );
                }
            }
        }
        file.size = self.int(&f, "size", 0, i64::MIN, i64::MAX);
        file.timestamp = self.int(&f, "timestamp", 0, i64::MIN, i64::MAX);
        Some(file)
    }

    fn source(&mut self, raw: &str, pos: Pos, path: &FieldPath) -> Option<String> {
        match source::canonical_source(raw, self.base_dir) {
            Ok(url) => Some(url),
            Err(message) => {
                self.report(pos, Problem::new(path.clone(), message.to_string()), true);
                None
            }
        }
    }

    fn security(&mut self, node: &Node, path: &FieldPath) -> Option<Security> {
        let f = self.object(node, path, "security", fields::SECURITY)?;
        let cert = self.secret(&f, "cert");
        let key = self.secret(&f, "key");
        Some(Security {
            cert: cert?,
            key: key?,
        })
    }

    /// `<what>_file` xor `<what>_bytes`.
    fn secret(&mut self, f: &Fields<'_>, what: &str) -> Option<Secret> {
        let file_key = format!("{what}_file");
        let bytes_key = format!("{what}_bytes");
        match (f.get(&file_key), f.get(&bytes_key)) {
            (Some(file), None) => self.file(file, &f.path.key(&file_key)).map(Secret::File),
            (None, Some(bytes)) => self
                .string_value(bytes, &f.path.key(&bytes_key))
                .map(Secret::Bytes),
            _ => {
                let problem = Problem::new(
                    f.path.clone(),
                    format!("Must specify exactly one of {file_key} or {bytes_key}"),
                );
                self.report(f.pos, problem, false);
                None
            }
        }
    }
}
