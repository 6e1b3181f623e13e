//! Property tests: any valid spec survives the wire (model -> proto bytes -> model) and the
//! text forms (model -> YAML -> model, model -> JSON -> model) unchanged.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use prost::Message;
use skein_core::spec::{
    Acls, ApplicationSpec, File, FileType, KerberosPrincipal, LogLevel, Master, Resources, Secret,
    Security, Service, Visibility,
};
use skein_proto as proto;

/// Text a user might write, including what YAML would read as another type if unquoted.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _.:#'\"-]{0,12}",
        "[ -~\n\t\u{e9}\u{4e2d}\u{1F600}]{0,40}",
        prop::sample::select(vec![
            "",
            "yes",
            "no",
            "true",
            "null",
            "~",
            "123",
            "0x1F",
            "1e3",
            "-",
            "- a",
            "a: b",
            "#c",
            "*x",
            "&y",
            "!t",
            "@",
            "`",
            "|",
            ">",
            "'",
            "\"",
            " lead",
            "trail ",
            "a\nb",
            "a\n",
            "\n",
            "%x",
            "[1]",
            "{a: 1}",
            "2001-01-01",
            ".inf",
            "=",
        ])
        .prop_map(String::from),
    ]
}

fn non_blank() -> impl Strategy<Value = String> {
    text().prop_filter("a script must not be blank", |s| !s.trim().is_empty())
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_-]{0,8}",
        text().prop_filter("non-empty", |s| !s.is_empty())
    ]
}

fn source() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec!["file", "hdfs", "s3a", "viewfs"]);
    let host = prop_oneof!["", "[a-z0-9][a-z0-9.-]{0,10}"];
    let port = prop_oneof![Just(0u32), 1u32..=65535];
    // The extension only after a '/', else it would be part of the (lower-cased) host.
    let path = "((/[a-zA-Z0-9_. :@!$&()*+,;=~%-]{0,10}){1,3}(\\.zip|\\.tar\\.gz|\\.tgz|\\.TGZ)?)?";
    (scheme, host, port, path).prop_map(|(scheme, host, port, path)| {
        let port = if port > 0 && !host.is_empty() {
            format!(":{port}")
        } else {
            String::new()
        };
        format!("{scheme}://{host}{port}{path}")
    })
}

fn file() -> impl Strategy<Value = File> {
    let visibility = prop::sample::select(vec![
        Visibility::Public,
        Visibility::Private,
        Visibility::Application,
    ]);
    let file_type = prop::sample::select(vec![FileType::File, FileType::Archive]);
    (source(), file_type, visibility, 0i64.., 0i64..).prop_map(
        |(source, file_type, visibility, size, timestamp)| File {
            source,
            file_type,
            visibility,
            size,
            timestamp,
        },
    )
}

/// A principal and a keytab (a file, not an archive), or none.
fn kerberos_principal() -> impl Strategy<Value = Option<KerberosPrincipal>> {
    let principal = (
        file(),
        "[a-z][a-z0-9]{0,7}(/[a-z0-9.]{1,12})?(@[A-Z][A-Z.]{0,11})?",
        1u8..=KerberosPrincipal::MAX_REFRESH_PERCENT,
    )
        .prop_map(
            |(keytab, principal_name, token_refresh_percent)| KerberosPrincipal {
                principal_name,
                keytab: File {
                    file_type: FileType::File,
                    ..keytab
                },
                token_refresh_percent,
            },
        );
    prop::option::of(principal)
}

fn files() -> impl Strategy<Value = BTreeMap<String, File>> {
    let dest = "(\\./)?[a-zA-Z0-9_.-]{1,10}".prop_filter("a file name", |d| {
        let n = d.strip_prefix("./").unwrap_or(d);
        n != "." && n != ".."
    });
    prop::collection::btree_map(dest, file(), 0..3)
}

fn resources(min_memory: i32) -> impl Strategy<Value = Resources> {
    let small = prop_oneof![min_memory..=65536, min_memory..=i32::MAX];
    (
        small,
        1..=i32::MAX,
        prop_oneof![Just(0i64), 0i64..],
        prop_oneof![Just(0i64), 0i64..],
    )
        .prop_map(|(memory, vcores, gpus, fpgas)| Resources {
            memory,
            vcores,
            gpus,
            fpgas,
        })
}

fn strings() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..3)
}

/// File name globs, as `log_aggregation` takes them.
fn globs() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-z0-9_.*?-]{1,8}", 0..3)
}

fn env() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(name(), text(), 0..3)
}

fn secret() -> impl Strategy<Value = Secret> {
    prop_oneof![
        file().prop_map(Secret::File),
        text().prop_map(Secret::Bytes)
    ]
}

fn master(script: BoxedStrategy<String>) -> impl Strategy<Value = Master> {
    let security =
        prop::option::of((secret(), secret()).prop_map(|(cert, key)| Security { cert, key }));
    (
        resources(1),
        script,
        files(),
        env(),
        prop::sample::select(LogLevel::ALL.to_vec()),
        prop::option::of(file()),
        security,
        prop::sample::select(vec!["", "0.0.0.0", "::", "10.1.2.3"]),
    )
        .prop_map(
            |(resources, script, files, env, log_level, log_config, security, bind_host)| Master {
                resources,
                script,
                files,
                env,
                log_level,
                log_config,
                security,
                bind_host: bind_host.to_string(),
            },
        )
}

fn service(depends_on: Vec<String>) -> impl Strategy<Value = Service> {
    let depends = if depends_on.is_empty() {
        Just(Vec::new()).boxed()
    } else {
        prop::sample::subsequence(depends_on.clone(), 0..=depends_on.len()).boxed()
    };
    (
        (
            resources(1),
            non_blank(),
            0..=i32::MAX,
            files(),
            env(),
            depends,
        ),
        (
            -1..=i32::MAX,
            any::<bool>(),
            text(),
            strings(),
            strings(),
            any::<bool>(),
        ),
        (
            proptest::option::of(restart()),
            proptest::option::of(readiness()),
        ),
    )
        .prop_map(
            |((resources, script, instances, files, env, depends), rest, (restart, readiness))| {
                let (max_restarts, allow_failures, node_label, nodes, racks, relax_locality) = rest;
                // With a restart policy the service's own max_restarts stays 0.
                let max_restarts = if restart.is_some() { 0 } else { max_restarts };
                Service {
                    resources,
                    script,
                    instances,
                    files,
                    env,
                    depends: depends.into_iter().collect(),
                    max_restarts,
                    // The default, or the instances when above it (both must round-trip).
                    max_instances: instances.max(Service::DEFAULT_MAX_INSTANCES),
                    allow_failures,
                    node_label,
                    nodes,
                    racks,
                    relax_locality,
                    restart,
                    readiness,
                }
            },
        )
}

/// A valid readiness check.
fn readiness() -> impl Strategy<Value = skein_core::spec::Readiness> {
    use skein_core::spec::{Readiness, ReadinessProbe};
    use std::time::Duration;
    let probe = prop_oneof![
        (1..=u16::MAX).prop_map(|port| ReadinessProbe::Tcp { port }),
        (1..=u16::MAX, "/[a-z/]{0,6}").prop_map(|(port, path)| ReadinessProbe::Http { port, path }),
    ];
    (
        probe,
        1u64..1_000_000,
        1u64..1_000_000,
        0u64..1_000_000,
        1..100u32,
        1..100u32,
    )
        .prop_map(
            |(probe, interval, timeout, delay, success_threshold, failure_threshold)| Readiness {
                probe,
                interval: Duration::from_millis(interval),
                timeout: Duration::from_millis(timeout),
                initial_delay: Duration::from_millis(delay),
                success_threshold,
                failure_threshold,
            },
        )
}

/// A valid restart policy: a window bounds a limited count.
fn restart() -> impl Strategy<Value = skein_core::spec::RestartPolicy> {
    use skein_core::spec::{RestartMode, RestartPolicy};
    use std::time::Duration;
    (
        prop::sample::select(vec![
            RestartMode::Never,
            RestartMode::OnFailure,
            RestartMode::Always,
        ]),
        -1..=1000i32,
        proptest::option::of(1u64..100_000_000),
        0u64..100_000_000,
    )
        .prop_map(
            |(policy, max_restarts, window_ms, backoff_ms)| RestartPolicy {
                policy,
                max_restarts,
                window: window_ms
                    .filter(|_| max_restarts != -1)
                    .map(Duration::from_millis),
                backoff: Duration::from_millis(backoff_ms),
            },
        )
}

/// Services whose dependencies only point to names sorted before them, so never a cycle.
fn services() -> impl Strategy<Value = BTreeMap<String, Service>> {
    prop::collection::btree_set(name(), 0..4).prop_flat_map(|names| {
        let names: Vec<String> = names.into_iter().collect();
        let per_service: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (Just(n.clone()), service(names[..i].to_vec())))
            .collect();
        per_service.prop_map(|pairs| pairs.into_iter().collect::<BTreeMap<_, _>>())
    })
}

fn spec() -> impl Strategy<Value = ApplicationSpec> {
    let acls = (
        any::<bool>(),
        strings(),
        strings(),
        strings(),
        strings(),
        strings(),
    )
        .prop_map(
            |(enable, view_users, view_groups, modify_users, modify_groups, ui_users)| Acls {
                enable,
                view_users,
                view_groups,
                modify_users,
                modify_groups,
                ui_users,
            },
        );
    let head = (
        text(),
        text(),
        text(),
        text(),
        1..=i32::MAX,
        strings(),
        strings(),
    );
    let lifetime_and_priority = (
        proptest::option::of((1u64..10_000_000).prop_map(std::time::Duration::from_secs)),
        proptest::option::of(0..=i32::MAX),
        proptest::option::of((globs(), globs(), any::<bool>()).prop_map(
            |(include, exclude, rolled)| skein_core::spec::LogAggregation {
                include,
                exclude,
                rolled,
            },
        )),
    );
    (
        head,
        acls,
        services(),
        kerberos_principal(),
        lifetime_and_priority,
    )
        .prop_flat_map(
            |(head, acls, services, kerberos_principal, (lifetime, priority, log_aggregation))| {
                // Without services the master needs a script.
                let script = if services.is_empty() {
                    non_blank().boxed()
                } else {
                    text().boxed()
                };
                (
                    Just(head),
                    Just(acls),
                    master(script),
                    Just(services),
                    Just(kerberos_principal),
                    Just((lifetime, priority, log_aggregation)),
                )
                    .prop_map(
                        |(
                            (name, queue, user, node_label, max_attempts, tags, file_systems),
                            acls,
                            master,
                            services,
                            kerberos_principal,
                            (lifetime, priority, log_aggregation),
                        )| {
                            ApplicationSpec {
                                name,
                                queue,
                                user,
                                node_label,
                                max_attempts,
                                tags: tags.into_iter().collect(),
                                file_systems,
                                acls,
                                master,
                                services,
                                kerberos_principal,
                                lifetime,
                                priority,
                                log_aggregation,
                            }
                        },
                    )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn spec_to_proto_to_spec_is_the_identity(spec in spec()) {
        let bytes = proto::ApplicationSpec::from(&spec).encode_to_vec();
        let wire = proto::ApplicationSpec::decode(bytes.as_slice()).expect("decodes");
        let back = ApplicationSpec::try_from(wire);
        prop_assert_eq!(back, Ok(spec));
    }

    #[test]
    fn spec_to_yaml_to_spec_is_the_identity(spec in spec()) {
        let yaml = spec.to_yaml();
        let back = skein_core::spec::from_yaml_str(&yaml, "out.yaml", Path::new("/elsewhere"));
        prop_assert_eq!(back, Ok(spec), "YAML was:\n{}", yaml);
    }

    #[test]
    fn spec_to_json_to_spec_is_the_identity(spec in spec()) {
        let json = spec.to_json();
        let back = skein_core::spec::from_json_str(&json, "out.json", Path::new("/elsewhere"));
        prop_assert_eq!(back, Ok(spec), "JSON was:\n{}", json);
    }
}
