//! Loader stories: every field, default and rule of a spec, and the exact text of each error.

use std::path::Path;

use super::*;

pub(super) fn yaml(text: &str) -> Result<ApplicationSpec, SpecError> {
    from_yaml_str(text, "spec.yaml", Path::new("/app"))
}

pub(super) fn ok(text: &str) -> ApplicationSpec {
    yaml(text).unwrap_or_else(|e| panic!("expected a valid spec, got:\n{e}"))
}

fn errors(text: &str) -> Vec<String> {
    match yaml(text) {
        Ok(spec) => panic!("expected errors, got {spec:?}"),
        Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

pub(super) const HELLO: &str = "\
services:
  hello:
    resources:
      memory: 128
      vcores: 1
    script: echo hello
";

#[test]
fn a_one_service_spec_gets_skeins_defaults() {
    let spec = ok(HELLO);
    assert_eq!(spec.name, "skein");
    assert_eq!(spec.queue, "default");
    assert_eq!((spec.user.as_str(), spec.node_label.as_str()), ("", ""));
    assert_eq!(spec.max_attempts, 1);
    assert!(spec.tags.is_empty() && spec.file_systems.is_empty());
    assert_eq!(spec.acls, Acls::default());
    assert_eq!(spec.master, Master::default());
    let hello = &spec.services["hello"];
    assert_eq!(
        hello,
        &Service::new(
            Resources {
                memory: 128,
                vcores: 1,
                gpus: 0,
                fpgas: 0
            },
            "echo hello"
        )
    );
}

pub(super) const FULL: &str = "\
name: full
queue: science
user: alice
node_label: gpu
max_attempts: 2
tags: [a, b, a]
file_systems: ['hdfs://nn2:8020']
acls:
  enable: true
  view_users: [bob]
  view_groups: [staff]
  modify_users: [carol]
  modify_groups: [admins]
  ui_users: ['*']
master:
  resources: {memory: 1 GiB, vcores: 2, gpus: 1, fpgas: 2}
  script: python driver.py
  files:
    driver.py: driver.py
  env: {MODE: batch}
  log_level: debug
  log_config: conf/log4j.properties
  security:
    cert_file: certs/cert.pem
    key_bytes: KEY
services:
  web:
    resources: {memory: '2 GB', vcores: 1}
    script: |
      echo one
      echo two
    instances: 3
    files:
      env:
        source: hdfs:///envs/env.tar.gz
        visibility: public
        size: 10
        timestamp: 20
      data: {source: ./data.bin, type: archive}
    env: {PORT: '8080'}
    depends: [db]
    max_restarts: -1
    allow_failures: true
    node_label: web
    nodes: [n1, n2]
    racks: [r1]
    relax_locality: true
  db:
    resources: {memory: 1.5g, vcores: 4}
    script: run-db
    instances: 0
";

#[test]
fn every_field_is_read() {
    let spec = ok(FULL);
    assert_eq!(
        (spec.name.as_str(), spec.queue.as_str(), spec.user.as_str()),
        ("full", "science", "alice")
    );
    assert_eq!((spec.node_label.as_str(), spec.max_attempts), ("gpu", 2));
    assert_eq!(spec.tags.iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(spec.file_systems, ["hdfs://nn2:8020"]);
    let acls = &spec.acls;
    assert!(acls.enable);
    assert_eq!(
        (&acls.view_users, &acls.view_groups, &acls.modify_users),
        (
            &vec!["bob".to_string()],
            &vec!["staff".to_string()],
            &vec!["carol".to_string()]
        )
    );
    assert_eq!(
        (&acls.modify_groups[0], &acls.ui_users[0]),
        (&"admins".to_string(), &"*".to_string())
    );

    let m = &spec.master;
    assert_eq!(
        m.resources,
        Resources {
            memory: 1024,
            vcores: 2,
            gpus: 1,
            fpgas: 2
        }
    );
    assert_eq!(m.script, "python driver.py");
    assert_eq!(m.files["driver.py"].source, "file:///app/driver.py");
    assert_eq!(m.env["MODE"], "batch");
    assert_eq!(m.log_level, LogLevel::Debug);
    assert_eq!(
        m.log_config.as_ref().map(|f| f.source.as_str()),
        Some("file:///app/conf/log4j.properties")
    );
    let security = m.security.as_ref().expect("security");
    assert_eq!(
        security.cert,
        Secret::File(File::from_source("file:///app/certs/cert.pem"))
    );
    assert_eq!(security.key, Secret::Bytes("KEY".into()));

    let web = &spec.services["web"];
    assert_eq!((web.resources.memory, web.resources.vcores), (1908, 1));
    assert_eq!(web.script, "echo one\necho two\n");
    assert_eq!(web.instances, 3);
    let env_file = &web.files["env"];
    assert_eq!(env_file.source, "hdfs:///envs/env.tar.gz");
    assert_eq!(env_file.file_type, FileType::Archive);
    assert_eq!(env_file.visibility, Visibility::Public);
    assert_eq!((env_file.size, env_file.timestamp), (10, 20));
    let data = &web.files["data"];
    assert_eq!(
        (data.source.as_str(), data.file_type),
        ("file:///app/data.bin", FileType::Archive)
    );
    assert_eq!(web.env["PORT"], "8080");
    assert_eq!(web.depends.iter().collect::<Vec<_>>(), ["db"]);
    assert_eq!(web.max_restarts, -1);
    assert!(web.allow_failures && web.relax_locality);
    assert_eq!(web.node_label, "web");
    assert_eq!((web.nodes.len(), web.racks.len()), (2, 1));
    let db = &spec.services["db"];
    assert_eq!(
        (db.resources.memory, db.resources.vcores, db.instances),
        (1431, 4, 0)
    );
}

#[test]
fn memory_in_every_form_of_skein() {
    for (written, mib) in [
        ("512", 512),
        ("'512'", 512),
        ("1.5", 2),
        ("'100 MB'", 96),
        ("5kB", 1),
        ("5.4 MiB", 6),
        ("1e3", 1000),
        ("'1e3'", 1000),
        ("2 GB", 1908),
        ("1.5g", 1431),
        ("MiB", 1),
    ] {
        let text = HELLO.replace("memory: 128", &format!("memory: {written}"));
        assert_eq!(
            ok(&text).services["hello"].resources.memory,
            mib,
            "{written}"
        );
    }
}

#[test]
fn null_means_the_default() {
    let spec = ok(&format!(
        "{HELLO}name:\nmaster:\n  files:\n  env: ~\ntags:\n"
    ));
    assert_eq!(spec.name, "skein");
    assert_eq!(spec.master, Master::default());
}

#[test]
fn a_master_script_alone_is_an_application() {
    let spec = ok("master:\n  script: python app.py\n");
    assert!(spec.services.is_empty());
    assert_eq!(spec.master.script, "python app.py");
}

#[test]
fn files_keep_urls_and_resolve_local_paths() {
    let spec = ok(&format!(
        "{HELLO}    files:\n      a.zip: ../shared/a.zip\n      b: /abs/b.txt\n      \
         c.tgz: HDFS://NN:8020/x/c.tgz\n      ./d: file:///d\n"
    ));
    let files = &spec.services["hello"].files;
    assert_eq!(files["a.zip"].source, "file:///shared/a.zip");
    assert_eq!(files["a.zip"].file_type, FileType::Archive);
    assert_eq!(files["b"].source, "file:///abs/b.txt");
    assert_eq!(files["b"].file_type, FileType::File);
    assert_eq!(files["c.tgz"].source, "hdfs://nn:8020/x/c.tgz");
    assert_eq!(files["./d"].visibility, Visibility::Application);
}

#[test]
fn unknown_keys_suggest_the_nearest() {
    let text = HELLO.replace("script:", "instnces: 2\n    script:");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:6:5: services.hello: unknown key `instnces` in a service; did you mean `instances`?"
        ]
    );
    assert_eq!(
        errors(&format!("{HELLO}servics: {{}}\n")),
        ["spec.yaml:7:1: unknown key `servics` in the application spec; did you mean `services`?"]
    );
    let text = HELLO.replace("script:", "commands: [a]\n    script:");
    assert!(errors(&text)[0].contains("`commands` was removed in Skein 0.6"));
}

#[test]
fn an_invalid_memory_names_file_line_column_and_path() {
    let text = HELLO.replace("memory: 128", "memory: 12 XB");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:4:15: services.hello.resources.memory: invalid memory '12 XB': expected a \
          number with an optional unit such as '512 MiB' or '2 GB'"
        ]
    );
    let text = HELLO.replace("memory: 128", "memory: -1 GiB");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:4:15: services.hello.resources.memory: invalid memory '-1 GiB': memory must \
          be positive"
        ]
    );
    let text = HELLO.replace("memory: 128", "memory: 0");
    assert_eq!(
        errors(&text),
        ["spec.yaml:4:15: services.hello.resources.memory: memory must be at least 1 MiB, found 0"]
    );
    let text = HELLO.replace("memory: 128", "memory: [1]");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:4:15: services.hello.resources.memory: expected a memory amount such as 512, \
          '512 MiB' or '2 GB', found a list"
        ]
    );
}

#[test]
fn wrong_types_say_what_was_expected() {
    let text =
        format!("{HELLO}    instances: two\n    env: {{PORT: 8080}}\n    relax_locality: yes\n");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:7:16: services.hello.instances: expected an integer, found the string 'two'",
            "spec.yaml:8:17: services.hello.env.PORT: expected a string, found the integer 8080; \
             quote it to make it a string: '8080'",
            "spec.yaml:9:21: services.hello.relax_locality: expected true or false, found the \
             string 'yes'",
        ]
    );
    assert_eq!(
        errors("services: [a, b]\n"),
        ["spec.yaml:1:11: services: expected a mapping (services by name), found a list"]
    );
    assert_eq!(
        errors("- a\n"),
        ["spec.yaml:1:1: expected a mapping (the application spec), found a list"]
    );
    assert_eq!(
        errors(&format!("{HELLO}tags: a\n")),
        ["spec.yaml:7:7: tags: expected a list of strings, found the string 'a'"]
    );
    assert_eq!(
        errors(&format!("{HELLO}max_attempts: 3000000000\n")),
        [
            "spec.yaml:7:15: max_attempts: expected an integer between -2147483648 and 2147483647, \
          found 3000000000"
        ]
    );
}

#[test]
fn missing_required_fields() {
    assert_eq!(
        errors("services:\n  a:\n    instances: 1\n"),
        [
            "spec.yaml:3:5: services.a.resources: missing required field `resources`",
            "spec.yaml:3:5: services.a.script: missing required field `script`",
        ]
    );
    assert_eq!(
        errors("services:\n  a:\n    script: x\n    resources: {memory: 1}\n"),
        ["spec.yaml:4:16: services.a.resources.vcores: missing required field `vcores`"]
    );
    assert_eq!(
        errors(&format!("{HELLO}    files:\n      x: {{type: file}}\n")),
        ["spec.yaml:8:10: services.hello.files.x.source: missing required field `source`"]
    );
    assert_eq!(
        errors(&HELLO.replace("echo hello", "''")),
        ["spec.yaml:6:13: services.hello.script: A script must be provided"]
    );
}

#[test]
fn ranges_of_skein() {
    let text = format!("{HELLO}    instances: -1\n    max_restarts: -2\nmax_attempts: 0\n");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:7:16: services.hello.instances: instances must be at least 0, found -1",
            "spec.yaml:8:19: services.hello.max_restarts: max_restarts must be at least -1, \
             found -2; use -1 for unlimited restarts",
            "spec.yaml:9:15: max_attempts: max_attempts must be at least 1, found 0",
        ]
    );
    let text = HELLO.replace("vcores: 1", "vcores: 0\n      gpus: -1\n      fpgas: -2");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:5:15: services.hello.resources.vcores: vcores must be at least 1, found 0",
            "spec.yaml:6:13: services.hello.resources.gpus: gpus must be at least 0, found -1",
            "spec.yaml:7:14: services.hello.resources.fpgas: fpgas must be at least 0, found -2",
        ]
    );
}

#[test]
fn an_application_needs_a_service_or_a_master_script() {
    let expected = "spec.yaml:1:1: services: There must be either at least one service or a \
                    script to run on the application master; add a service under `services`, \
                    or a `master.script`";
    assert_eq!(errors(""), [expected]);
    assert_eq!(errors("# nothing\n"), [expected]);
    assert_eq!(
        errors("name: x\nservices: {}\n"),
        [expected.replace("1:1", "2:11")]
    );
}

#[test]
fn depends_must_name_services_without_cycles() {
    let spec = "services:\n  a:\n    resources: {memory: 1, vcores: 1}\n    script: x\n    \
                depends: [b, ghost]\n  b:\n    resources: {memory: 1, vcores: 1}\n    \
                script: x\n    depends: [a]\n";
    assert_eq!(
        errors(spec),
        [
            "spec.yaml:5:14: services.a.depends: Unknown service dependencies for service 'a':\n\
             - ghost; the services are: a, b",
            "spec.yaml:5:14: services.a.depends: Dependency cycle detected between services: a->b->a",
        ]
    );
    let selfish = HELLO.replace("script:", "depends: [hello]\n    script:");
    assert_eq!(
        errors(&selfish),
        [
            "spec.yaml:6:14: services.hello.depends: Dependency cycle detected between services: \
          hello->hello"
        ]
    );
}

#[test]
fn log_levels_in_any_case() {
    for (written, level) in [
        ("info", LogLevel::Info),
        ("Trace", LogLevel::Trace),
        ("OFF", LogLevel::Off),
    ] {
        let spec = ok(&format!("{HELLO}master:\n  log_level: {written}\n"));
        assert_eq!(spec.master.log_level, level);
    }
    assert_eq!(
        errors(&format!("{HELLO}master:\n  log_level: loud\n")),
        [
            "spec.yaml:8:14: master.log_level: invalid log level 'loud': expected one of ALL, \
          TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF"
        ]
    );
}

#[test]
fn file_options_are_checked() {
    let text = format!(
        "{HELLO}    files:\n      a/b: x\n      c: {{source: y, type: dir, visibility: world}}\n      \
         d: 5\n      e: 'http://h/x?q'\n"
    );
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:8:12: services.hello.files.\"a/b\": invalid file destination 'a/b': \
             expected a file name; a destination is a name in the container's working \
             directory, without '/'",
            "spec.yaml:9:28: services.hello.files.c.type: invalid file type 'dir': expected one \
             of FILE, ARCHIVE",
            "spec.yaml:9:45: services.hello.files.c.visibility: invalid visibility 'world': \
             expected one of PUBLIC, PRIVATE, APPLICATION",
            "spec.yaml:10:10: services.hello.files.d: expected a file: a source path or URL, or \
             a mapping with `source`, found the integer 5",
            "spec.yaml:11:10: services.hello.files.e: a file source cannot have a query or \
             fragment ('?' or '#'); the wire form has no place for them",
        ]
    );
}

#[test]
fn security_needs_exactly_one_of_each_pair() {
    let text = format!("{HELLO}master:\n  security:\n    cert_file: a\n    cert_bytes: b\n");
    assert_eq!(
        errors(&text),
        [
            "spec.yaml:9:5: master.security: Must specify exactly one of cert_file or cert_bytes",
            "spec.yaml:9:5: master.security: Must specify exactly one of key_file or key_bytes",
        ]
    );
}

#[test]
fn duplicate_keys_are_errors() {
    let e = errors(&format!("{HELLO}name: a\nname: b\n"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("spec.yaml:8:1:"), "{e:?}");
    assert!(e[0].contains("duplicate"), "{e:?}");
}

#[test]
fn all_errors_of_a_spec_are_reported() {
    let text = "name: 1\nservices:\n  a:\n    resources: {memory: lots, vcores: x}\n    \
                script: x\n    instnces: 1\n  b: {}\n";
    let e = errors(text);
    assert_eq!(e.len(), 6, "{e:#?}");
    assert!(
        e[0].starts_with("spec.yaml:1:7: name: expected a string"),
        "{e:#?}"
    );
    assert!(e[5].contains("services.b.script: missing"), "{e:#?}");
}

#[test]
fn syntax_errors_are_located() {
    let e = errors("services:\n  a: [1, 2\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("spec.yaml:"), "{e:?}");
    assert!(e[0].contains("invalid YAML"), "{e:?}");
}

#[test]
fn json_specs_are_located_too() {
    let text = "{\n  \"services\": {\n    \"a\": {\n      \"resources\": {\"memory\": \"12 XB\", \
                \"vcores\": 1},\n      \"script\": \"x\"\n    }\n  }\n}\n";
    let e = from_json_str(text, "spec.json", Path::new("/app")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "spec.json:4:31: services.a.resources.memory: invalid memory '12 XB': expected a number \
         with an optional unit such as '512 MiB' or '2 GB'"
    );
    let e = from_json_str("{\"name\": }", "spec.json", Path::new("/app")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "spec.json:1:10: invalid JSON: expected value"
    );
}

#[test]
fn load_chooses_the_format_by_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml_path = dir.path().join("app.yml");
    std::fs::write(&yaml_path, HELLO.replace("echo hello", "echo yml")).expect("write");
    assert_eq!(
        load(&yaml_path).expect("yml").services["hello"].script,
        "echo yml"
    );
    let json_path = dir.path().join("app.JSON");
    std::fs::write(
        &json_path,
        r#"{"master": {"script": "x", "files": {"f": "f.txt"}}}"#,
    )
    .expect("write");
    let spec = load(&json_path).expect("json");
    assert_eq!(
        spec.master.files["f"].source,
        format!("file://{}/f.txt", dir.path().display())
    );
    let toml_path = dir.path().join("app.toml");
    std::fs::write(&toml_path, "").expect("write");
    assert_eq!(
        load(&toml_path).unwrap_err().to_string(),
        format!(
            "{}: unsupported file type '.toml': expected a .yaml, .yml or .json spec file",
            toml_path.display()
        )
    );
    let missing = dir.path().join("missing.yaml");
    assert_eq!(
        load(&missing).unwrap_err().to_string(),
        format!("{}: no such file", missing.display())
    );
}

#[test]
fn validate_files_prints_normalized_specs_or_every_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.yaml");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&good, HELLO).expect("write");
    std::fs::write(&bad, "services: {}\nqueue: [x]\n").expect("write");
    let (out, err, ok) = validate_files(std::slice::from_ref(&good));
    assert!(ok && err.is_empty());
    assert!(
        out.contains("queue: default") && out.contains("memory: 128"),
        "{out}"
    );
    let (out, err, ok) = validate_files(&[good.clone(), bad.clone()]);
    assert!(!ok);
    assert!(out.starts_with(&format!("# {}\n", good.display())), "{out}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.starts_with(&format!("{}:1:11: services: There must", bad.display())),
        "{err}"
    );
}

#[test]
fn max_instances_bounds_the_initial_instances() {
    assert_eq!(
        ok(HELLO).services["hello"].max_instances,
        Service::DEFAULT_MAX_INSTANCES
    );
    let spec = ok(&format!("{HELLO}    instances: 3\n    max_instances: 3\n"));
    assert_eq!(spec.services["hello"].max_instances, 3);
    assert_eq!(
        errors(&format!("{HELLO}    instances: 4\n    max_instances: 3\n")),
        [
            "spec.yaml:7:16: services.hello.instances: instances (4) is above the service's \
             max_instances (3); lower instances, or raise `services.hello.max_instances` \
             (default 10000)"
        ]
    );
    assert_eq!(
        errors(&format!("{HELLO}    max_instances: 0\n")),
        ["spec.yaml:7:20: services.hello.max_instances: max_instances must be at least 1, found 0"]
    );
}

#[test]
fn kerberos_principal_names_a_principal_and_a_keytab() {
    assert_eq!(ok(HELLO).kerberos_principal, None);
    let spec = ok(&format!(
        "{HELLO}kerberos_principal:\n  principal_name: alice@EXAMPLE.COM\n  \
         keytab: keytabs/alice.keytab\n"
    ));
    let principal = spec.kerberos_principal.expect("a principal");
    assert_eq!(principal.principal_name, "alice@EXAMPLE.COM");
    // A local path is resolved against the spec's folder, like every file.
    assert_eq!(principal.keytab.source, "file:///app/keytabs/alice.keytab");
    assert_eq!(principal.keytab.file_type, FileType::File);
    assert_eq!(
        principal.token_refresh_percent,
        KerberosPrincipal::DEFAULT_REFRESH_PERCENT
    );
    let spec = ok(&format!(
        "{HELLO}kerberos_principal:\n  principal_name: alice\n  \
         keytab: hdfs:///user/alice/alice.keytab\n  token_refresh_percent: 50\n"
    ));
    let principal = spec.kerberos_principal.expect("a principal");
    assert_eq!(principal.keytab.source, "hdfs:///user/alice/alice.keytab");
    assert_eq!(principal.token_refresh_percent, 50);
}

#[test]
fn kerberos_principal_errors_are_located_and_say_what_to_write() {
    assert_eq!(
        errors(&format!(
            "{HELLO}kerberos_principal:\n  principal_name: alice@EXAMPLE.COM\n"
        )),
        ["spec.yaml:8:3: kerberos_principal.keytab: missing required field `keytab`"]
    );
    assert_eq!(
        errors(&format!(
            "{HELLO}kerberos_principal:\n  principal_name: alice smith\n  keytab: a.keytab\n  \
             token_refresh_percent: 99\n"
        )),
        [
            "spec.yaml:8:19: kerberos_principal.principal_name: 'alice smith' is not a \
             Kerberos principal; write it as name[/instance][@REALM], without spaces",
            "spec.yaml:10:26: kerberos_principal.token_refresh_percent: \
             token_refresh_percent must be between 1 and 95, found 99; new tokens are fetched \
             when this share of the current ones' lifetime has passed (default 75)",
        ]
    );
    assert_eq!(
        errors(&format!(
            "{HELLO}kerberos_principal:\n  principal_name: svc/_HOST@EXAMPLE.COM\n  \
             keytab: {{source: k.tgz}}\n  principle: x\n"
        ))
        .len(),
        3,
        "_HOST, an archive keytab and the unknown key `principle`"
    );
}

#[test]
fn bind_host_is_an_ip_address_or_absent() {
    assert_eq!(ok(HELLO).master.bind_host, "");
    let spec = ok(&format!("master:\n  bind_host: 0.0.0.0\n{HELLO}"));
    assert_eq!(spec.master.bind_host, "0.0.0.0");
    assert_eq!(
        errors(&format!("master:\n  bind_host: nm1.example.com\n{HELLO}")),
        [
            "spec.yaml:2:14: master.bind_host: bind_host must be an IP address, found \
             \"nm1.example.com\"; leave it out to listen on the NodeManager host's address, or \
             use 0.0.0.0 for every interface"
        ]
    );
}

#[test]
fn lifetime_and_priority_are_read_and_written_back() {
    let plain = ok(HELLO);
    assert_eq!((plain.lifetime, plain.priority), (None, None));
    let spec = ok(&format!("{HELLO}lifetime: 1h30m\npriority: 5\n"));
    assert_eq!(spec.lifetime, Some(std::time::Duration::from_secs(5400)));
    assert_eq!(spec.priority, Some(5));
    assert_eq!(ok(&spec.to_yaml()), spec);
    assert!(
        spec.to_yaml().contains("lifetime: 1h30m"),
        "{}",
        spec.to_yaml()
    );
    // A number is seconds.
    let spec = ok(&format!("{HELLO}lifetime: 20\n"));
    assert_eq!(spec.lifetime, Some(std::time::Duration::from_secs(20)));
}

#[test]
fn lifetime_and_priority_errors_are_located() {
    assert_eq!(
        errors(&format!("{HELLO}lifetime: 2 hours\n")),
        [
            "spec.yaml:7:11: lifetime: invalid duration '2 hours': expected a number of seconds \
          or numbers with units, such as '90s', '30m', '2h', '1h30m' or '1d' (units d, h, m, \
          s, ms)"
        ]
    );
    assert_eq!(
        errors(&format!("{HELLO}lifetime: [1]\n")),
        [
            "spec.yaml:7:11: lifetime: expected a duration (seconds, or text such as '30s' or \
          '2h'), found a list"
        ]
    );
    assert_eq!(
        errors(&format!("{HELLO}lifetime: 500ms\n")),
        [
            "spec.yaml:7:11: lifetime: lifetime must be whole seconds, at least 1, found 500ms; YARN counts application lifetimes in seconds, e.g. `lifetime: 2h`; leave it \
          out for no limit"
        ]
    );
    assert_eq!(
        errors(&format!("{HELLO}priority: high\n")),
        ["spec.yaml:7:11: priority: expected an integer, found the string 'high'"]
    );
    assert_eq!(
        errors(&format!("{HELLO}priority: -1\n")),
        [
            "spec.yaml:7:11: priority: priority must be 0 or more, found -1; higher \
          priorities run first, up to the cluster's yarn.cluster.max-application-priority"
        ]
    );
}

#[test]
fn log_aggregation_takes_one_glob_or_a_list() {
    assert_eq!(ok(HELLO).log_aggregation, None);
    let spec = ok(&format!(
        "{HELLO}log_aggregation:\n  include: '*.log'\n  exclude: [debug.log, 'gc*']\n  rolled: true\n"
    ));
    let aggregation = spec.log_aggregation.clone().expect("log_aggregation");
    assert_eq!(aggregation.include, ["*.log"]);
    assert_eq!(aggregation.exclude, ["debug.log", "gc*"]);
    assert!(aggregation.rolled);
    assert_eq!(ok(&spec.to_yaml()), spec);
}

#[test]
fn log_aggregation_errors_are_located() {
    assert_eq!(
        errors(&format!(
            "{HELLO}log_aggregation:\n  include: [a.log, 'logs/*.log']\n"
        )),
        [
            "spec.yaml:8:20: log_aggregation.include[1]: 'logs/*.log': a log file pattern \
          matches file names and may not hold '/'; list several patterns as a list, e.g. \
          include: ['*.log', '*.out']"
        ]
    );
    assert_eq!(
        errors(&format!(
            "{HELLO}log_aggregation:\n  exclude: ''\n  rolled: yes\n"
        )),
        [
            "spec.yaml:8:12: log_aggregation.exclude: a log file pattern must not be empty; \
             write a file name glob such as '*.log'",
            "spec.yaml:9:11: log_aggregation.rolled: expected true or false, found the string \
             'yes'"
        ]
    );
    assert_eq!(
        errors(&format!("{HELLO}log_aggregation:\n  includes: '*.log'\n")),
        [
            "spec.yaml:8:3: log_aggregation: unknown key `includes` in log_aggregation; did you \
          mean `include`?"
        ]
    );
}

#[test]
fn a_restart_policy_is_read_and_written_back() {
    let hello = &ok(HELLO).services["hello"];
    assert_eq!(hello.restart, None);
    assert_eq!(hello.restart_policy(), RestartPolicy::from_max_restarts(0));
    let spec = ok(&format!(
        "{HELLO}    restart:\n      policy: always\n      max_restarts: 5\n      window: 10m\n      \
         backoff: 2s\n"
    ));
    let restart = spec.services["hello"].restart.clone().expect("a policy");
    assert_eq!(
        restart,
        RestartPolicy {
            policy: RestartMode::Always,
            max_restarts: 5,
            window: Some(std::time::Duration::from_secs(600)),
            backoff: std::time::Duration::from_secs(2),
        }
    );
    assert_eq!(ok(&spec.to_yaml()), spec);
    // Every key has a default: unlimited restarts of failed containers, at once.
    let spec = ok(&format!("{HELLO}    restart: {{}}\n"));
    assert_eq!(
        spec.services["hello"].restart,
        Some(RestartPolicy::default())
    );
}

#[test]
fn restart_policy_errors_are_located() {
    assert_eq!(
        errors(&format!("{HELLO}    restart:\n      policy: sometimes\n")),
        [
            "spec.yaml:8:15: services.hello.restart.policy: invalid restart policy 'sometimes': \
          expected one of NEVER, ON_FAILURE, ALWAYS"
        ]
    );
    assert_eq!(
        errors(&format!(
            "{HELLO}    max_restarts: 3\n    restart:\n      window: 10m\n      backoff: soon\n"
        )),
        [
            "spec.yaml:7:19: services.hello.max_restarts: max_restarts and restart are both \
             given: restart.max_restarts replaces it; move the count into `restart`, e.g. \
             restart: {max_restarts: 5, window: 10m}",
            "spec.yaml:9:15: services.hello.restart.window: a window bounds max_restarts, which \
             is unlimited here; set `max_restarts` too, e.g. {max_restarts: 5, window: 10m}",
            "spec.yaml:10:16: services.hello.restart.backoff: invalid duration 'soon': expected \
             a number of seconds or numbers with units, such as '90s', '30m', '2h', '1h30m' or \
             '1d' (units d, h, m, s, ms)",
        ]
    );
    assert_eq!(
        errors(&format!(
            "{HELLO}    restart:\n      max_restarts: -2\n      window: 0s\n"
        )),
        [
            "spec.yaml:8:21: services.hello.restart.max_restarts: max_restarts must be at least \
             -1, found -2; use -1 (the default) for unlimited restarts",
            "spec.yaml:9:15: services.hello.restart.window: window must be longer than 0; e.g. \
             `window: 10m`; leave it out to count over the service's life",
        ]
    );
}

#[test]
fn a_readiness_check_is_read_with_its_defaults_and_written_back() {
    let spec = ok(&format!(
        "{HELLO}    readiness:\n      http: {{port: 8080, path: /health}}\n      interval: 1s\n"
    ));
    let readiness = spec.services["hello"].readiness.clone().expect("a check");
    assert_eq!(
        readiness,
        Readiness {
            interval: std::time::Duration::from_secs(1),
            ..Readiness::new(ReadinessProbe::Http {
                port: 8080,
                path: "/health".into()
            })
        }
    );
    assert_eq!(ok(&spec.to_yaml()), spec);
    let tcp = ok(&format!("{HELLO}    readiness:\n      tcp: {{port: 22}}\n"));
    assert_eq!(
        tcp.services["hello"].readiness.as_ref().map(|r| &r.probe),
        Some(&ReadinessProbe::Tcp { port: 22 })
    );
}

#[test]
fn readiness_errors_are_located() {
    assert_eq!(
        errors(&format!("{HELLO}    readiness:\n      interval: 1s\n")),
        [
            "spec.yaml:8:7: services.hello.readiness: readiness needs a tcp or http check; e.g. \
          `tcp: {port: 8080}` or `http: {port: 8080, path: /health}`"
        ]
    );
    assert_eq!(
        errors(&format!(
            "{HELLO}    readiness:\n      command: curl localhost\n      tcp: {{port: 0}}\n      \
             success_threshold: 0\n"
        )),
        [
            "spec.yaml:8:16: services.hello.readiness.command: readiness commands are not \
             supported by skein-rs yet; check a port instead: `tcp: {port: N}` or `http: {port: \
             N, path: /}`",
            "spec.yaml:9:19: services.hello.readiness.tcp.port: port must be between 1 and 65535",
            "spec.yaml:10:26: services.hello.readiness.success_threshold: success_threshold \
             must be at least 1",
        ]
    );
    assert_eq!(
        errors(&format!(
            "{HELLO}    readiness:\n      http: {{port: 70000, path: health}}\n"
        )),
        [
            "spec.yaml:8:20: services.hello.readiness.http.port: expected an integer between 0 \
             and 65535, found 70000",
            "spec.yaml:8:33: services.hello.readiness.http.path: 'health': an http check's path \
             starts with '/'; e.g. `path: /health`",
        ]
    );
}
