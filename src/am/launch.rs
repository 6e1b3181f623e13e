//! What a service container is started with: the spec's files, its (already rewritten) script,
//! its env with skein's variables, and the application's YARN ACLs. Pure.

use std::collections::BTreeMap;

use crate::proto::{self, ApplicationSpec, file};
use skein_core::runtime::{LocalResource, ResourceUrl, StartContainer};
use skein_core::services::Launch;

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

/// The shim's `start` command for `launch`, a container of a service of `spec`.
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
                    .map(|(name, f)| (name.clone(), local_resource(f)))
                    .collect()
            })
            .unwrap_or_default(),
        env,
        commands: service.map(|s| vec![s.script.clone()]).unwrap_or_default(),
        acls: yarn_acls(spec.acls.as_ref()),
    }
}

/// A spec file as YARN's local resource (Skein's `Url` port 0 means "none", YARN's is -1).
pub fn local_resource(f: &proto::File) -> LocalResource {
    let url = f.source.clone().unwrap_or_default();
    LocalResource {
        url: ResourceUrl {
            scheme: url.scheme,
            host: url.host,
            port: if url.port == 0 { -1 } else { url.port },
            file: url.file,
        },
        kind: file::Type::try_from(f.r#type)
            .unwrap_or(file::Type::File)
            .as_str_name()
            .to_string(),
        visibility: file::Visibility::try_from(f.visibility)
            .unwrap_or(file::Visibility::Application)
            .as_str_name()
            .to_string(),
        size: f.size,
        timestamp: f.timestamp,
    }
}

/// YARN's `VIEW_APP` / `MODIFY_APP` ACL strings (`users groups`, comma-separated lists), or
/// none when the spec does not enable ACLs.
pub fn yarn_acls(acls: Option<&proto::Acls>) -> BTreeMap<String, String> {
    let Some(acls) = acls.filter(|a| a.enable) else {
        return BTreeMap::new();
    };
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
        let script_file = proto::File {
            source: Some(proto::Url {
                scheme: "hdfs".into(),
                host: "nn".into(),
                port: 0,
                file: "/user/alice/.skein/app/hello.sh".into(),
            }),
            r#type: file::Type::File as i32,
            visibility: file::Visibility::Application as i32,
            size: 11,
            timestamp: 1234,
        };
        ApplicationSpec {
            services: [(
                "hello".to_string(),
                proto::Service {
                    script: "bash .skein.sh ><LOG_DIR>/hello.log 2>&1".into(),
                    files: [(".skein.sh".to_string(), script_file)].into(),
                    ..Default::default()
                },
            )]
            .into(),
            acls: Some(proto::Acls {
                enable: true,
                view_users: vec!["bob".into(), "carl".into()],
                modify_groups: vec!["admins".into()],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_service_container_gets_its_files_script_acls_and_skeins_variables() {
        let launch = Launch {
            container_id: "container_1_0001_01_000002".into(),
            service: "hello".into(),
            instance: 3,
            env: [("MINE".to_string(), "x".to_string())].into(),
            resources: proto::Resources {
                memory: 256,
                vcores: 2,
                ..Default::default()
            },
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
        assert!(yarn_acls(None).is_empty());
        assert!(yarn_acls(Some(&proto::Acls::default())).is_empty());
    }
}
