//! Output stories: a spec written back as YAML or JSON, and sent over the wire, is the same
//! spec; presence and URLs on the wire follow the Python client.

use std::path::Path;

use super::tests::{FULL, HELLO, ok};
use super::*;

#[test]
fn yaml_output_has_every_default_and_reads_back() {
    let spec = ok(FULL);
    let text = spec.to_yaml();
    assert_eq!(ok(&text), spec, "{text}");
    assert_eq!(
        from_json_str(&spec.to_json(), "x.json", Path::new("/")).ok(),
        Some(spec)
    );
    let minimal = ok(HELLO).to_yaml();
    for field in [
        "max_attempts: 1",
        "log_level: INFO",
        "instances: 1",
        "relax_locality: false",
    ] {
        assert!(minimal.contains(field), "{field} missing in\n{minimal}");
    }
    assert!(!minimal.contains("security") && !minimal.contains("log_config"));
    // Keys are sorted like Skein's `to_yaml`.
    let top: Vec<&str> = minimal.lines().filter(|l| !l.starts_with(' ')).collect();
    let mut sorted = top.clone();
    sorted.sort();
    assert_eq!(top, sorted);
}

#[test]
fn proto_presence_follows_the_python_client() {
    let spec = ok(HELLO);
    let wire = crate::proto::ApplicationSpec::from(&spec);
    let master = wire.master.as_ref().expect("master is always sent");
    assert!(master.log_config.is_none() && master.security.is_none());
    assert_eq!(
        master.resources.map(|r| (r.memory, r.vcores)),
        Some((512, 1))
    );
    assert_eq!(master.log_level, crate::proto::log::Level::Info as i32);
    let full = ok(FULL);
    let wire = crate::proto::ApplicationSpec::from(&full);
    let web = &wire.services["web"];
    let env = web.files["env"].source.as_ref().expect("source");
    assert_eq!(
        (
            env.scheme.as_str(),
            env.host.as_str(),
            env.port,
            env.file.as_str()
        ),
        ("hdfs", "", 0, "/envs/env.tar.gz")
    );
    assert_eq!(
        web.files["env"].r#type,
        crate::proto::file::Type::Archive as i32
    );
    assert!(matches!(
        wire.master.as_ref().and_then(|m| m.security.as_ref()).and_then(|s| s.key.as_ref()),
        Some(crate::proto::security::Key::KeyBytes(b)) if b == b"KEY"
    ));
    assert_eq!(ApplicationSpec::try_from(wire).as_ref(), Ok(&full));
}

#[test]
fn specs_from_the_wire_are_validated_with_paths() {
    let mut wire = crate::proto::ApplicationSpec::from(&ok(HELLO));
    wire.max_attempts = 0;
    if let Some(s) = wire.services.get_mut("hello") {
        s.script.clear();
        s.resources = None;
        s.files.insert(
            "x".into(),
            crate::proto::File {
                source: None,
                ..Default::default()
            },
        );
    }
    let e = ApplicationSpec::try_from(wire).unwrap_err();
    assert_eq!(
        e.to_string(),
        "<request>: max_attempts: max_attempts must be at least 1, found 0\n\
         <request>: services.hello.files.x.source: missing required field `source`\n\
         <request>: services.hello.resources: missing required field `resources`\n\
         <request>: services.hello.script: A script must be provided"
    );
}

#[test]
fn a_spec_from_the_wire_larger_than_a_spec_file_may_be_is_refused_naming_both_sizes() {
    let mut wire = crate::proto::ApplicationSpec::from(&ok(HELLO));
    if let Some(hello) = wire.services.get_mut("hello") {
        hello.script = "echo x\n".repeat(700_000);
    }
    let bytes = prost::Message::encoded_len(&wire);
    assert!(bytes > 4 << 20);
    let e = ApplicationSpec::try_from(wire).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "<request>: the spec is {bytes} bytes; skein-rs takes specs of at most 4 MiB, as \
             for a spec file; put large scripts, environment values or data in files the \
             application localizes (`files:`), e.g. on HDFS"
        )
    );
}

#[test]
fn specs_from_the_wire_have_the_size_limits_of_spec_files() {
    let mut wire = crate::proto::ApplicationSpec::from(&ok(HELLO));
    let hello = wire.services["hello"].clone();
    for i in 0..=MAX_SERVICES {
        wire.services.insert(format!("s{i}"), hello.clone());
    }
    let e = ApplicationSpec::try_from(wire).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "<request>: services: the application has {} services; skein-rs takes at most \
             {MAX_SERVICES} in one application; run copies of a service as its \
             `instances`, or split the application",
            MAX_SERVICES + 2
        )
    );

    let mut wire = crate::proto::ApplicationSpec::from(&ok(HELLO));
    if let Some(s) = wire.services.get_mut("hello") {
        for i in 0..=MAX_FILES {
            s.files.insert(
                format!("f{i}"),
                crate::proto::File {
                    source: Some(crate::proto::Url {
                        scheme: "hdfs".into(),
                        file: format!("/data/{i}"),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            );
        }
    }
    let e = ApplicationSpec::try_from(wire).unwrap_err().to_string();
    assert!(
        e.contains(&format!("localizes {} files", MAX_FILES + 1)) && e.contains("archive"),
        "{e}"
    );
}

#[test]
fn wire_urls_are_rebuilt_like_python_but_without_port_zero() {
    let mut wire = crate::proto::ApplicationSpec::from(&ok(HELLO));
    let url = |host: &str, port| crate::proto::Url {
        scheme: "hdfs".into(),
        host: host.into(),
        port,
        file: "/p".into(),
    };
    if let Some(s) = wire.services.get_mut("hello") {
        for (name, u) in [
            ("a", url("NN", 8020)),
            ("b", url("nn", 0)),
            ("c", url("", 0)),
            ("d", url("nn", -1)),
        ] {
            s.files.insert(
                name.into(),
                crate::proto::File {
                    source: Some(u),
                    ..Default::default()
                },
            );
        }
    }
    let spec = ApplicationSpec::try_from(wire).expect("valid");
    let files = &spec.services["hello"].files;
    let sources: Vec<&str> = files.values().map(|f| f.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            "hdfs://nn:8020/p",
            "hdfs://nn/p",
            "hdfs:///p",
            "hdfs://nn/p"
        ]
    );
    // proto3 zero values: FILE and PUBLIC.
    assert_eq!(
        (files["a"].file_type, files["a"].visibility),
        (FileType::File, Visibility::Public)
    );
}

#[test]
fn awkward_strings_survive_yaml_and_json() {
    let mut spec = ok(HELLO);
    for text in [
        "a\r\nb",
        "a\rb",
        "line\u{85}next",
        "x\u{2028}y\u{2029}",
        "\u{feff}bom",
        "nul\0byte",
        "del\u{7f}",
        "trailing \nspaces  \n",
        "\ttab first",
        "  \n  indented\n",
        "---",
        "...",
        "? key",
        "%YAML",
        "é\u{1F600}",
    ] {
        spec.name = text.to_string();
        spec.services.get_mut("hello").expect("hello").script = format!("echo {text}");
        let yaml = spec.to_yaml();
        assert_eq!(
            from_yaml_str(&yaml, "x.yaml", Path::new("/")).as_ref(),
            Ok(&spec),
            "{text:?} as YAML:\n{yaml}"
        );
        let json = spec.to_json();
        assert_eq!(
            from_json_str(&json, "x.json", Path::new("/")).as_ref(),
            Ok(&spec),
            "{text:?} as JSON:\n{json}"
        );
    }
}

#[test]
fn max_instances_travels_as_a_new_field_unset_by_default() {
    let mut spec = ok(HELLO);
    let wire = crate::proto::ApplicationSpec::from(&spec);
    // A default spec encodes as Skein's clients encode it: field 13 unset.
    assert_eq!(wire.services["hello"].max_instances, 0);
    assert_eq!(ApplicationSpec::try_from(wire).expect("valid"), spec);
    spec.services.get_mut("hello").expect("hello").max_instances = 50_000;
    let wire = crate::proto::ApplicationSpec::from(&spec);
    assert_eq!(wire.services["hello"].max_instances, 50_000);
    assert_eq!(ApplicationSpec::try_from(wire).expect("valid"), spec);
    let document = spec.to_document();
    assert_eq!(document["services"]["hello"]["max_instances"], 50_000);
    assert!(
        ok(HELLO).to_document()["services"]["hello"]
            .get("max_instances")
            .is_none()
    );
}

#[test]
fn kerberos_principal_travels_as_a_new_field_and_is_absent_by_default() {
    let wire = crate::proto::ApplicationSpec::from(&ok(HELLO));
    assert!(wire.kerberos_principal.is_none());
    assert!(ok(HELLO).to_document().get("kerberos_principal").is_none());
    let spec = ok(&format!(
        "{HELLO}kerberos_principal:\n  principal_name: alice@EXAMPLE.COM\n  \
         keytab: /home/alice/alice.keytab\n"
    ));
    let wire = crate::proto::ApplicationSpec::from(&spec);
    let principal = wire.kerberos_principal.as_ref().expect("field 11");
    // The default percentage goes as 0 (unset).
    assert_eq!(principal.token_refresh_percent, 0);
    assert_eq!(ApplicationSpec::try_from(wire).expect("valid"), spec);
    assert_eq!(ok(&spec.to_yaml()), spec);
    // A spec from the wire gets the same rules as a file.
    let mut wire = crate::proto::ApplicationSpec::from(&spec);
    if let Some(p) = wire.kerberos_principal.as_mut() {
        p.token_refresh_percent = -3;
        p.principal_name = String::new();
    }
    let err = ApplicationSpec::try_from(wire).expect_err("invalid");
    let text = err.to_string();
    assert!(text.contains("principal_name must not be empty"), "{text}");
    assert!(
        text.contains("token_refresh_percent must be between 1 and 95, found 0"),
        "{text}"
    );
}

#[test]
fn bind_host_travels_as_a_new_field_unset_by_default() {
    let mut spec = ok(HELLO);
    let wire = crate::proto::ApplicationSpec::from(&spec);
    // A default spec encodes as Skein's clients encode it: field 8 of Master unset.
    assert_eq!(wire.master.as_ref().map(|m| m.bind_host.as_str()), Some(""));
    assert!(ok(HELLO).to_document()["master"].get("bind_host").is_none());
    spec.master.bind_host = "::".into();
    let wire = crate::proto::ApplicationSpec::from(&spec);
    assert_eq!(ApplicationSpec::try_from(wire).expect("valid"), spec);
    assert_eq!(spec.to_document()["master"]["bind_host"], "::");
}
