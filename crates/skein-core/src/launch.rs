//! The launch plan of a service container: the spec's files as YARN local resources, its
//! (already rewritten) script, its env with skein's variables, and the application's YARN
//! ACLs. Pure: the ApplicationMaster hands the result to its YARN runtime, and the driver uses
//! the same ACLs and local resources for the AM's own container.

use std::collections::BTreeMap;

use crate::runtime::{LocalResource, ResourceUrl, StartContainer};
use crate::services::Launch;
use crate::spec::{self, ApplicationSpec};

/// The name of the application's keytab (`kerberos_principal.keytab`) in the AM's working
/// folder; no other container gets it.
pub const KEYTAB_FILE: &str = ".skein.keytab";

/// The name of the `skein` binary in a service container of an application with a
/// `kerberos_principal`: it runs the token agent beside the service's script.
pub const AGENT_FILE: &str = ".skein.agent";

/// The command of a service container: its script (staged as `.skein.sh`) with its output in
/// `<LOG_DIR>/<service>.log`, and with `token_agent` the token agent started beside it (output
/// in `<LOG_DIR>/skein-token-agent.log`), which exits when the script's shell does.
pub fn service_command(service: &str, token_agent: bool) -> String {
    let script = format!("bash .skein.sh ><LOG_DIR>/{service}.log 2>&1");
    if token_agent {
        format!("./{AGENT_FILE} token-agent >><LOG_DIR>/skein-token-agent.log 2>&1 & {script}")
    } else {
        script
    }
}

/// The AM-wide facts every service container learns from its environment.
#[derive(Debug, Clone, Default)]
pub struct LaunchEnvironment {
    /// `SKEIN_APPLICATION_ID`.
    pub application_id: String,
    /// `SKEIN_APPMASTER_ADDRESS` (`host:port` of the AM's gRPC server).
    pub appmaster_address: String,
    /// `HADOOP_USER_NAME`, on clusters with simple authentication only.
    pub hadoop_user_name: Option<String>,
}

/// The runtime's `start` command for `launch`, a container of a service of `spec`.
///
/// The service's `script` is used as the command line as it is: the driver has already
/// rewritten it to `bash .skein.sh ><LOG_DIR>/<service>.log 2>&1` and staged `.skein.sh` among
/// the service's files (Skein's staging layout).
pub fn start_container(
    spec: &ApplicationSpec,
    environment: &LaunchEnvironment,
    launch: &Launch,
) -> StartContainer {
    let service = spec.services.get(&launch.service);
    let mut env = launch.env.clone();
    env.insert(
        "SKEIN_APPMASTER_ADDRESS".into(),
        environment.appmaster_address.clone(),
    );
    env.insert(
        "SKEIN_APPLICATION_ID".into(),
        environment.application_id.clone(),
    );
    env.insert(
        "SKEIN_RESOURCE_MEMORY".into(),
        launch.resources.memory.to_string(),
    );
    env.insert(
        "SKEIN_RESOURCE_VCORES".into(),
        launch.resources.vcores.to_string(),
    );
    env.insert(
        "SKEIN_CONTAINER_ID".into(),
        format!("{}_{}", launch.service, launch.instance),
    );
    if let Some(user) = &environment.hadoop_user_name {
        env.insert("HADOOP_USER_NAME".into(), user.clone());
    }
    StartContainer {
        container_id: launch.container_id.clone(),
        local_resources: service
            .map(|s| {
                s.files
                    .iter()
                    .map(|(name, f)| (name.clone(), LocalResource::from(f)))
                    .collect()
            })
            .unwrap_or_default(),
        env,
        commands: service.map(|s| vec![s.script.clone()]).unwrap_or_default(),
        acls: yarn_acls(&spec.acls),
    }
}

impl From<&spec::File> for LocalResource {
    /// A spec file as YARN's local resource (no port is YARN's -1).
    fn from(f: &spec::File) -> Self {
        // A model source is canonical, so it always splits; the fallback keeps the text.
        let parts = spec::source::split(&f.source).unwrap_or_else(|_| spec::source::UrlParts {
            scheme: String::new(),
            host: String::new(),
            port: 0,
            file: f.source.clone(),
        });
        LocalResource {
            url: ResourceUrl {
                scheme: parts.scheme,
                host: parts.host,
                port: if parts.port == 0 { -1 } else { parts.port },
                file: parts.file,
            },
            kind: f.file_type.yarn_name().to_string(),
            visibility: f.visibility.yarn_name().to_string(),
            size: f.size,
            timestamp: f.timestamp,
        }
    }
}

/// YARN's `VIEW_APP` / `MODIFY_APP` ACL strings (`users groups`, comma-separated lists), or
/// none when the spec does not enable ACLs.
pub fn yarn_acls(acls: &spec::Acls) -> BTreeMap<String, String> {
    if !acls.enable {
        return BTreeMap::new();
    }
    let acl =
        |users: &[String], groups: &[String]| format!("{} {}", users.join(","), groups.join(","));
    BTreeMap::from([
        (
            "VIEW_APP".to_string(),
            acl(&acls.view_users, &acls.view_groups),
        ),
        (
            "MODIFY_APP".to_string(),
            acl(&acls.modify_users, &acls.modify_groups),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ApplicationSpec {
        let yaml = "acls: {enable: true, view_users: [bob, carl], modify_groups: [admins]}\n\
                    services:\n  hello:\n    resources: {memory: 256, vcores: 2}\n    \
                    script: bash .skein.sh ><LOG_DIR>/hello.log 2>&1\n";
        let mut spec = spec::from_yaml_str(yaml, "hello.yaml", std::path::Path::new("/"))
            .expect("a valid spec");
        let mut script_file = spec::File::from_source("hdfs://nn/user/alice/.skein/app/hello.sh");
        script_file.size = 11;
        script_file.timestamp = 1234;
        if let Some(hello) = spec.services.get_mut("hello") {
            hello.files.insert(".skein.sh".to_string(), script_file);
        }
        spec
    }

    #[test]
    fn a_service_container_gets_its_files_script_acls_and_skeins_variables() {
        let launch = Launch {
            container_id: "container_1_0001_01_000002".into(),
            service: "hello".into(),
            instance: 3,
            env: [("MINE".to_string(), "x".to_string())].into(),
            resources: spec().services["hello"].resources,
        };
        let environment = LaunchEnvironment {
            application_id: "application_1_0001".into(),
            appmaster_address: "node1:4567".into(),
            hadoop_user_name: Some("alice".into()),
        };
        let start = start_container(&spec(), &environment, &launch);
        assert_eq!(
            start.commands,
            vec!["bash .skein.sh ><LOG_DIR>/hello.log 2>&1"]
        );
        let script = &start.local_resources[".skein.sh"];
        assert_eq!(script.url.port, -1, "Skein's port 0 is YARN's -1");
        assert_eq!(
            (script.kind.as_str(), script.visibility.as_str()),
            ("FILE", "APPLICATION")
        );
        assert_eq!((script.size, script.timestamp), (11, 1234));
        assert_eq!(start.env["MINE"], "x");
        assert_eq!(start.env["SKEIN_CONTAINER_ID"], "hello_3");
        assert_eq!(start.env["SKEIN_APPMASTER_ADDRESS"], "node1:4567");
        assert_eq!(start.env["SKEIN_APPLICATION_ID"], "application_1_0001");
        assert_eq!(start.env["SKEIN_RESOURCE_MEMORY"], "256");
        assert_eq!(start.env["SKEIN_RESOURCE_VCORES"], "2");
        assert_eq!(start.env["HADOOP_USER_NAME"], "alice");
        assert_eq!(start.acls["VIEW_APP"], "bob,carl ");
        assert_eq!(start.acls["MODIFY_APP"], " admins");
    }

    #[test]
    fn acls_are_left_to_yarn_unless_enabled() {
        assert!(yarn_acls(&spec::Acls::default()).is_empty());
        let mut disabled = spec().acls;
        disabled.enable = false;
        assert!(yarn_acls(&disabled).is_empty());
    }
}
