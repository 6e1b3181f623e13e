//! `submit` on the real cluster: what YARN receives, what is staged on HDFS and with which
//! permissions, that a refused submit leaves nothing behind, and that the AM binary is uploaded
//! once per content.

use prost::Message;
use skein::proto::driver_server::Driver;
use skein::proto::{self, application_state::Type as AppState};
use skein_hadoop::hdfs::Hdfs;
use tonic::{Code, Request};

use crate::fixtures::{current_user, driver_as, hdfs_as, spec_from_yaml as spec, wait_for};

async fn entries(fs: &Hdfs, dir: &str) -> Vec<hdfs_native::client::FileStatus> {
    fs.client()
        .list_status(dir, false)
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn a_submitted_spec_lands_in_yarn_and_its_files_are_staged_privately() {
    let user = current_user();
    let d = driver_as(&user);
    let yaml = format!(
        "name: landing-{pid}\nqueue: apples\ntags: [one, two]\nmaster:\n  resources:\n    memory: 200 MiB\n    vcores: 1\n\
         services:\n  sleeper:\n    resources:\n      memory: 32\n      vcores: 1\n    script: sleep 600\n",
        pid = std::process::id()
    );
    let id = d
        .submit(Request::new(spec(&yaml)))
        .await
        .expect("submit")
        .into_inner()
        .id;
    let report = d
        .get_status(Request::new(proto::Application { id: id.clone() }))
        .await
        .expect("status")
        .into_inner();
    assert_eq!(report.name, format!("landing-{}", std::process::id()));
    assert!(report.queue.ends_with("apples"), "{report:?}");
    let mut tags = report.tags.clone();
    tags.sort();
    assert_eq!(tags, vec!["one", "two"]);

    let fs = hdfs_as(&user);
    let dir = fs.staging_dir(&id);
    let dir_status = fs
        .client()
        .get_file_info(&dir)
        .await
        .expect("staging folder");
    assert_eq!(u32::from(dir_status.permission), 0o700);
    let files = entries(&fs, &dir).await;
    let names: Vec<String> = files
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap_or("").to_string())
        .collect();
    for expected in [".skein.crt", ".skein.pem", ".skein.proto", "sleeper.sh"] {
        assert!(
            names.contains(&expected.to_string()),
            "{expected} not in {names:?}"
        );
    }
    for f in files.iter().filter(|f| !f.isdir) {
        assert_eq!(u32::from(f.permission), 0o600, "{}", f.path);
    }
    // The AM reads the rewritten spec: Skein's script wrapper, the key pair among each
    // service's files, the master's security pointing at the staged key pair.
    let mut reader = fs
        .client()
        .read(&format!("{dir}/.skein.proto"))
        .await
        .expect("open");
    let bytes = reader.read_bytes(reader.file_length()).await.expect("read");
    let staged = proto::ApplicationSpec::decode(bytes).expect("a spec");
    let sleeper = &staged.services["sleeper"];
    assert_eq!(sleeper.script, "bash .skein.sh ><LOG_DIR>/sleeper.log 2>&1");
    for name in [".skein.sh", ".skein.crt", ".skein.pem"] {
        let file = &sleeper.files[name];
        assert!(file.size > 0 && file.timestamp > 0, "{name}: {file:?}");
    }
    let master = staged.master.expect("master");
    assert!(master.files.contains_key("skein") && master.files.contains_key(".skein.jar"));
    assert!(matches!(
        master.security.and_then(|s| s.cert),
        Some(proto::security::Cert::CertFile(_))
    ));

    d.kill(Request::new(proto::KillRequest {
        id: id.clone(),
        user: String::new(),
    }))
    .await
    .expect("kill");
    assert!(
        fs.client().get_file_info(&dir).await.is_err(),
        "kill must remove the staging folder"
    );
    let r = d
        .wait_for_start(Request::new(proto::Application { id }))
        .await
        .expect("report")
        .into_inner();
    assert!(matches!(
        r.state(),
        AppState::Killed | AppState::Failed | AppState::Finished
    ));
}

#[tokio::test]
async fn a_refused_submit_leaves_no_staging_folder() {
    let user = format!("refused{}", std::process::id());
    let d = driver_as(&user);
    let yaml = "services:\n  big:\n    resources:\n      memory: 32\n      vcores: 1000\n    script: 'true'\n";
    let err = d
        .submit(Request::new(spec(yaml)))
        .await
        .expect_err("too many vcores");
    assert_eq!(err.code(), Code::Internal);
    assert!(
        err.message()
            .starts_with("Failed to submit application, exception:\n"),
        "{}",
        err.message()
    );
    let fs = hdfs_as(&user);
    let left: Vec<String> = entries(&fs, &format!("/user/{user}/.skein"))
        .await
        .into_iter()
        .map(|f| f.path)
        .filter(|p| !p.ends_with("/cache"))
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}

#[tokio::test]
async fn a_second_submit_uploads_no_second_copy_of_the_am_binary() {
    let user = format!("cached{}", std::process::id());
    let d = driver_as(&user);
    let fs = hdfs_as(&user);
    let yaml = "services:\n  s:\n    resources:\n      memory: 32\n      vcores: 1\n    script: sleep 600\n";
    let mut ids = Vec::new();
    let mut binaries = Vec::new();
    for _ in 0..2 {
        let id = d
            .submit(Request::new(spec(yaml)))
            .await
            .expect("submit")
            .into_inner()
            .id;
        ids.push(id);
        binaries.push(
            entries(&fs, &fs.cache_dir())
                .await
                .into_iter()
                .filter(|f| f.path.ends_with("-skein"))
                .map(|f| (f.path, f.modification_time))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(binaries[0].len(), 1, "{binaries:?}");
    assert_eq!(
        binaries[0], binaries[1],
        "the second submit replaced the cached binary"
    );
    for id in ids {
        d.kill(Request::new(proto::KillRequest {
            id,
            user: String::new(),
        }))
        .await
        .expect("kill");
    }
}

#[tokio::test]
async fn a_driver_submitted_application_runs_with_its_am_resources_and_environment() {
    let user = current_user();
    let d = driver_as(&user);
    let yaml = format!(
        "name: env-check-{pid}\nmaster:\n  resources:\n    memory: 256 MiB\n    vcores: 2\n  env:\n    GREETING: hello-from-master-env\n  script: |\n    echo \"GREETING=$GREETING\"\n    echo \"SKEIN_APPLICATION_ID=$SKEIN_APPLICATION_ID\"\n    echo \"HADOOP_USER_NAME=$HADOOP_USER_NAME\"\n    echo \"CLASSPATH=${{CLASSPATH:-unset}}\"\n    sleep 4\n",
        pid = std::process::id()
    );
    let id = d
        .submit(Request::new(spec(&yaml)))
        .await
        .expect("submit")
        .into_inner()
        .id;
    let app = |id: &str| Request::new(proto::Application { id: id.to_string() });
    let running = d
        .wait_for_start(app(&id))
        .await
        .expect("start")
        .into_inner();
    assert_eq!(running.state(), AppState::Running, "{running:?}");
    assert!(
        !running.host.is_empty() && running.port > 0,
        "the AM registered its gRPC address"
    );
    let used = running.usage.and_then(|u| u.used_resources).expect("usage");
    assert!(
        used.memory >= 256 && used.vcores == 2,
        "the AM container: {used:?}"
    );

    let finished = wait_for(
        "the application to end",
        std::time::Duration::from_secs(120),
        || async {
            let r = d.get_status(app(&id)).await.expect("status").into_inner();
            matches!(
                r.state(),
                AppState::Finished | AppState::Failed | AppState::Killed
            )
            .then_some(r)
        },
    )
    .await;
    assert_eq!(
        finished.final_status(),
        proto::final_status::Type::Succeeded,
        "{finished:?}"
    );
    assert_eq!(
        finished.diagnostics,
        "Application driver completed successfully."
    );
    let logs = wait_for(
        "the aggregated logs",
        std::time::Duration::from_secs(120),
        || async {
            d.get_logs(Request::new(proto::LogsRequest {
                id: id.clone(),
                user: String::new(),
            }))
            .await
            .ok()
            .map(|r| {
                r.into_inner()
                    .logs
                    .into_values()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        },
    )
    .await;
    for line in [
        "GREETING=hello-from-master-env".to_string(),
        format!("SKEIN_APPLICATION_ID={id}"),
        format!("HADOOP_USER_NAME={user}"),
        "CLASSPATH=unset".to_string(),
        "LogType:application.driver.log".to_string(),
    ] {
        assert!(
            logs.contains(&line),
            "{line} missing from the logs:\n{logs}"
        );
    }
}

/// A home of `user` on HDFS, as an administrator makes it (the test runs as the superuser).
async fn make_home(user: &str) {
    let fs = hdfs_as(&current_user());
    let home = format!("/user/{user}");
    fs.client()
        .mkdirs(&home, 0o755, true)
        .await
        .expect("mkdirs");
    fs.client()
        .set_owner(&home, Some(user), None)
        .await
        .expect("chown");
}

#[tokio::test]
async fn a_proxy_user_submission_runs_as_that_user_and_is_killed_as_that_user() {
    // The test cluster lets the current user act as `alice` (hadoop.proxyuser.<user>.users).
    make_home("alice").await;
    let d = driver_as(&current_user());
    let yaml = "name: proxied\nuser: alice\nservices:\n  sleeper:\n    resources:\n      memory: 32\n      vcores: 1\n    script: sleep 600\n";
    let id = d
        .submit(Request::new(spec(yaml)))
        .await
        .expect("submit as alice")
        .into_inner()
        .id;
    // Running means the AM, as alice, read the files staged in alice's home.
    let report = d
        .wait_for_start(Request::new(proto::Application { id: id.clone() }))
        .await
        .expect("wait for start")
        .into_inner();
    assert_eq!(report.user, "alice", "{report:?}");
    assert_eq!(report.state, AppState::Running as i32, "{report:?}");
    let fs = hdfs_as("alice");
    let staging = fs
        .client()
        .get_file_info(&format!("/user/alice/.skein/{id}"))
        .await
        .expect("staged in alice's home");
    assert_eq!(staging.owner, "alice");

    d.kill(Request::new(proto::KillRequest {
        id: id.clone(),
        user: "alice".into(),
    }))
    .await
    .expect("kill as alice");
    let report = d
        .get_status(Request::new(proto::Application { id: id.clone() }))
        .await
        .expect("status")
        .into_inner();
    assert_eq!(report.state, AppState::Killed as i32, "{report:?}");
    assert!(
        fs.client()
            .get_file_info(&format!("/user/alice/.skein/{id}"))
            .await
            .is_err(),
        "alice's staging folder of {id} is left after the kill"
    );
}

#[tokio::test]
async fn a_refused_proxy_user_submission_names_both_users_and_stages_nothing() {
    make_home("bob").await;
    let me = current_user();
    let d = driver_as(&me);
    let yaml = "user: bob\nservices:\n  sleeper:\n    resources:\n      memory: 32\n      vcores: 1\n    script: sleep 600\n";
    let err = d
        .submit(Request::new(spec(yaml)))
        .await
        .expect_err("the cluster does not let this user act as bob");
    assert_eq!(err.code(), Code::Internal);
    assert!(
        err.message()
            .starts_with("Failed to submit application, exception:\n")
            && err.message().contains(&me)
            && err.message().contains("bob")
            && err
                .message()
                .contains(&format!("hadoop.proxyuser.{me}.users")),
        "{}",
        err.message()
    );
    let left = entries(&hdfs_as("bob"), "/user/bob/.skein").await;
    assert!(left.is_empty(), "staged for bob: {left:?}");
}

#[tokio::test]
async fn gpus_the_cluster_does_not_define_are_refused_before_staging() {
    let user = format!("gpu{}", std::process::id());
    let d = driver_as(&user);
    let yaml = "services:\n  train:\n    resources:\n      memory: 32\n      vcores: 1\n      gpus: 1\n    script: 'true'\n";
    let err = d
        .submit(Request::new(spec(yaml)))
        .await
        .expect_err("the test cluster defines no GPUs");
    // The answer shows that the ResourceManager listed its resource types (Hadoop 3).
    assert_eq!(
        (err.code(), err.message()),
        (
            Code::InvalidArgument,
            "Resource 'yarn.io/gpu' is not defined in your cluster's configuration"
        )
    );
    let left = entries(&hdfs_as(&user), &format!("/user/{user}/.skein")).await;
    assert!(left.is_empty(), "staged: {left:?}");
}
