//! YARN applications that are not skein's: a shell command run by tests/cluster's minimal Java
//! ApplicationMaster, submitted through the REST API. The cluster and log tests use them, and
//! the driver's tests where an application of another type is the point. Skein applications
//! are submitted through the driver (see `fixtures`).

use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::yarn::{
    Commands, ContainerLaunchContext, LocalResource, ResourceInfo, SubmissionContext, Tags,
};

use crate::cluster;
use crate::fixtures::{current_user, resource_manager_at};

/// Uploads the test cluster's jar (holding `ShellAppMaster`) for the application and returns it
/// as a local resource.
async fn stage_shell_am(info: &cluster::ClusterInfo, app_id: &str) -> LocalResource {
    let jar = cluster::repo_root().join(format!(
        "tests/cluster/target/hadoop-{}/skein-test-cluster-0.1.0.jar",
        info.hadoop_version
    ));
    let bytes = std::fs::read(&jar).unwrap_or_else(|e| panic!("{}: {e}", jar.display()));
    let path = format!("/tmp/skein-rs-test/{app_id}/shell-am.jar");
    let config = HadoopConfig::from_dir(&info.conf_dir).expect("configuration");
    let fs = skein_hadoop::hdfs::Hdfs::connect(&config, &current_user()).expect("hdfs");
    let file = fs
        .write_file(&path, bytes::Bytes::from(bytes), 0o644)
        .await
        .unwrap_or_else(|e| panic!("upload {path}: {e}"));
    LocalResource::from(&file)
}

/// A shell command run by a minimal Java ApplicationMaster (tests/cluster's ShellAppMaster),
/// submitted through the REST API: proves containers run Java 17 with Hadoop's client classes.
pub async fn submit_shell(
    info: &cluster::ClusterInfo,
    application_type: &str,
    name: &str,
    command: &str,
) -> String {
    let rm = resource_manager_at(&info.rm_webapp);
    let app = rm.new_application().await.expect("new-application");
    assert!(app.application_id.starts_with("application_"), "{app:?}");
    let jar = stage_shell_am(info, &app.application_id).await;
    let config = HadoopConfig::from_dir(&info.conf_dir).expect("configuration");
    let mut classpath = vec!["{{CLASSPATH}}".to_string(), "./*".to_string()];
    classpath.extend(config.yarn_application_classpath());
    let quoted = command.replace('\'', "'\\''");
    let context = SubmissionContext {
        application_id: app.application_id.clone(),
        application_name: name.to_string(),
        queue: Some("default".into()),
        max_app_attempts: 1,
        resource: ResourceInfo {
            memory: 256,
            vcores: 1,
        },
        application_type: application_type.into(),
        application_tags: Tags {
            tag: vec!["skein-rs-test".into()],
        },
        am_container_spec: ContainerLaunchContext {
            local_resources: [("shell-am.jar".to_string(), jar)].into_iter().collect(),
            environment: [("CLASSPATH".to_string(), classpath.join("<CPS>"))]
                .into_iter()
                .collect(),
            commands: Commands {
                command: vec![format!(
                    "{{{{JAVA_HOME}}}}/bin/java -Xmx96m skeinrs.cluster.ShellAppMaster '{quoted}' 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
                )],
            },
            ..Default::default()
        },
        ..Default::default()
    };
    rm.submit(&context).await.expect("submit");
    app.application_id
}
