//! End-to-end tests of skein-rs on the Kerberized test cluster: the driver's login (ticket
//! cache, `--principal`/`--keytab`, no ticket), delegation tokens at submission, the AM and
//! its services running on those tokens alone, and proxy users.
//!
//! They run when `SKEIN_SECURE_TEST_CLUSTER` names the configuration folder of a running
//! `scripts/cluster up --secure` and the test process has its Kerberos environment with a
//! ticket for the test principal:
//!
//! ```text
//! SKEIN_CLUSTER_DIR=target/secure scripts/cluster up --secure
//! eval "$(SKEIN_CLUSTER_DIR=target/secure scripts/cluster env --secure)"
//! kinit -kt "$SKEIN_TEST_KEYTAB" "$SKEIN_TEST_PRINCIPAL"
//! SKEIN_SECURE_TEST_CLUSTER=$HADOOP_CONF_DIR cargo test --test secure
//! ```
//!
//! Otherwise every test prints why it is skipped and passes. `scripts/run-tests` does all of
//! this in its secure section.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde::Deserialize;
use skein::driver::service::YarnDriver;
use skein::proto::driver_server::Driver;
use skein::proto::{self, final_status::Type as FinalStatus};
use skein::security::Credentials;
use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::Hdfs;
use tonic::Request;

mod tokens;

/// What `cluster.json` of a secure test cluster says (the fields used here).
#[derive(Debug, Clone, Deserialize)]
struct Cluster {
    conf_dir: PathBuf,
    container_lib: PathBuf,
    krb5_conf: PathBuf,
    test_user: String,
    test_principal: String,
    test_keytab: PathBuf,
    work_dir: PathBuf,
    /// The delegation tokens' maximum lifetime (0 when the cluster does not say).
    #[serde(default)]
    token_max_lifetime_ms: u64,
}

/// The secure cluster, or `None` (and a printed reason) when the tests are not asked for.
fn cluster(test: &str) -> Option<Cluster> {
    let Some(dir) = std::env::var_os("SKEIN_SECURE_TEST_CLUSTER").filter(|d| !d.is_empty()) else {
        eprintln!(
            "{test}: skipped: set SKEIN_SECURE_TEST_CLUSTER to the conf folder of \
             `scripts/cluster up --secure` (scripts/run-tests does)"
        );
        return None;
    };
    let path = Path::new(&dir).join("cluster.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "SKEIN_SECURE_TEST_CLUSTER: cannot read {}: {e}",
            path.display()
        )
    });
    let cluster: Cluster = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not a cluster description: {e}", path.display()));
    assert!(
        std::env::var_os("KRB5_CONFIG").is_some(),
        "KRB5_CONFIG is not set: eval \"$(scripts/cluster env --secure)\" first"
    );
    Some(cluster)
}

fn config(c: &Cluster) -> HadoopConfig {
    HadoopConfig::from_dir(&c.conf_dir).expect("the cluster's configuration")
}

/// An in-process driver acting as the test user with the test process's ticket cache.
fn driver(c: &Cluster) -> YarnDriver {
    YarnDriver::new(Ok(config(c)), &c.test_user)
        .with_credentials(Credentials::generate().expect("credentials"))
        .with_am_binary(PathBuf::from(env!("CARGO_BIN_EXE_skein")))
}

fn spec(yaml: &str) -> proto::ApplicationSpec {
    let model =
        skein_core::spec::from_yaml_str(yaml, "test.yaml", Path::new("/")).expect("a valid spec");
    proto::ApplicationSpec::from(&model)
}

/// Polls until the application has a final status; returns its last report.
async fn wait_finished(d: &YarnDriver, id: &str, limit: Duration) -> proto::ApplicationReport {
    let start = Instant::now();
    loop {
        let report = d
            .get_status(Request::new(proto::Application { id: id.into() }))
            .await
            .expect("status")
            .into_inner();
        if report.final_status != FinalStatus::Undefined as i32 || start.elapsed() > limit {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A service script that writes `text` to `path` on HDFS with Hadoop's own client (the jars on
/// the cluster's `yarn.application.classpath`) and nothing but the container's token file.
fn hdfs_put_script(c: &Cluster, text: &str, path: &str) -> String {
    fs_put_script(c, text, path, &format!("{}/*", c.container_lib.display()))
}

/// [`hdfs_put_script`] with Hadoop's client on `classpath`.
fn fs_put_script(c: &Cluster, text: &str, path: &str, classpath: &str) -> String {
    format!(
        "set -e; test -n \"$HADOOP_TOKEN_FILE_LOCATION\"; echo '{text}' > msg.txt; \
         \"$JAVA_HOME/bin/java\" -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
         -Djava.security.krb5.conf={krb5} -cp \"$HADOOP_CONF_DIR:{classpath}\" \
         org.apache.hadoop.fs.FsShell -put -f msg.txt {path}",
        krb5 = c.krb5_conf.display(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_service_application_runs_on_delegation_tokens() {
    let Some(c) = cluster("a_two_service_application_runs_on_delegation_tokens") else {
        return;
    };
    let d = driver(&c);
    let pid = std::process::id();
    let target = format!("/user/{}/krb-e2e-{pid}.txt", c.test_user);
    let yaml = format!(
        "name: krb-e2e-{pid}\nmaster:\n  resources:\n    memory: 256\n    vcores: 1\nservices:\n  \
         writer:\n    resources:\n      memory: 384\n      vcores: 1\n    script: {writer:?}\n  \
         plain:\n    resources:\n      memory: 64\n      vcores: 1\n    \
         script: test -n \"$HADOOP_TOKEN_FILE_LOCATION\" && echo tokens at $HADOOP_TOKEN_FILE_LOCATION\n",
        writer = hdfs_put_script(&c, "written on delegation tokens", &target),
    );
    let id = d
        .submit(Request::new(spec(&yaml)))
        .await
        .expect("submit on the secure cluster")
        .into_inner()
        .id;
    let report = wait_finished(&d, &id, Duration::from_secs(120)).await;
    assert_eq!(
        report.final_status,
        FinalStatus::Succeeded as i32,
        "{id} did not succeed (logs: SKEIN_CLUSTER_DIR=... scripts/cluster --secure logs {id}): {report:?}"
    );

    // The writer's file, read back with the test's own ticket.
    let fs = Hdfs::connect(&config(&c), &c.test_user).expect("hdfs");
    let mut reader = fs.client().read(&target).await.expect("the writer's file");
    let bytes = reader.read_bytes(reader.file_length()).await.expect("read");
    assert_eq!(
        String::from_utf8_lossy(&bytes).trim(),
        "written on delegation tokens"
    );
    let _ = fs.client().delete(&target, false).await;

    // The AM removed the staging folder with its tokens (hdfs-native, no Kerberos ticket).
    assert_staging_removed(&fs, &id).await;
}

/// Waits (at most 20 s) until the staging folder of `id` is gone: its AM removes it at the end.
async fn assert_staging_removed(fs: &Hdfs, id: &str) {
    let staging = fs.staging_dir(id);
    let start = Instant::now();
    while fs.client().get_file_info(&staging).await.is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the AM did not remove {staging}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `webhdfs://localhost:<port>` of the cluster's NameNode web server: the NameNode under another
/// name than the default filesystem's, whose token is a WebHDFS one (service
/// `127.0.0.1:<port>`) that only `file_systems` asks for.
fn webhdfs_of(c: &Cluster) -> String {
    let http = config(c)
        .get("dfs.namenode.http-address")
        .expect("dfs.namenode.http-address");
    format!(
        "webhdfs://localhost:{}",
        http.rsplit(':').next().expect("a port")
    )
}

/// Submits, through `d`, an application whose spec lists `file_systems` and whose one
/// service writes `text` to `url` + `target` with Hadoop's client on nothing but its token
/// file; checks that it succeeded and that HDFS holds the text at `target`.
async fn write_through_extra_filesystem(
    c: &Cluster,
    d: &YarnDriver,
    file_systems: &str,
    url: &str,
    target: &str,
    text: &str,
) {
    // Hadoop's unshaded client (the cluster's own classpath): the shaded one of Hadoop 3.5.0
    // cannot decode any WebHDFS answer (its relocated Jersey lacks RuntimeDelegateImpl).
    let classpath_file = c
        .container_lib
        .parent()
        .expect("the cluster build folder")
        .join("classpath.txt");
    let classpath = std::fs::read_to_string(&classpath_file)
        .unwrap_or_else(|e| panic!("{}: {e}", classpath_file.display()));
    let yaml = format!(
        "name: krb-extra-fs-{pid}\nfile_systems: [{file_systems}]\nmaster:\n  resources:\n    \
         memory: 256\n    vcores: 1\nservices:\n  writer:\n    resources:\n      memory: 384\n      \
         vcores: 1\n    script: {writer:?}\n",
        pid = std::process::id(),
        writer = fs_put_script(c, text, &format!("{url}{target}"), classpath.trim()),
    );
    let id = d
        .submit(Request::new(spec(&yaml)))
        .await
        .unwrap_or_else(|e| panic!("submit with file_systems [{file_systems}]: {e:?}"))
        .into_inner()
        .id;
    let report = wait_finished(d, &id, Duration::from_secs(120)).await;
    assert_eq!(
        report.final_status,
        FinalStatus::Succeeded as i32,
        "{id}: the container could not write to {url} on its tokens (file_systems: \
         [{file_systems}]; logs: SKEIN_CLUSTER_DIR=... scripts/cluster --secure logs {id}): \
         {report:?}"
    );
    let fs = Hdfs::connect(&config(c), &c.test_user).expect("hdfs");
    let mut reader = fs.client().read(target).await.expect("the writer's file");
    let bytes = reader.read_bytes(reader.file_length()).await.expect("read");
    assert_eq!(String::from_utf8_lossy(&bytes).trim(), text);
    let _ = fs.client().delete(target, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhdfs_filesystem_in_file_systems_gets_its_own_token() {
    let Some(c) = cluster("a_webhdfs_filesystem_in_file_systems_gets_its_own_token") else {
        return;
    };
    let webhdfs = webhdfs_of(&c);
    let target = format!(
        "/user/{}/krb-webhdfs-{}.txt",
        c.test_user,
        std::process::id()
    );
    write_through_extra_filesystem(
        &c,
        &driver(&c),
        &webhdfs,
        &webhdfs,
        &target,
        "written over webhdfs",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewfs_filesystem_gets_the_tokens_of_its_mount_targets() {
    let Some(c) = cluster("a_viewfs_filesystem_gets_the_tokens_of_its_mount_targets") else {
        return;
    };
    let webhdfs = webhdfs_of(&c);
    // The driver's configuration: the cluster's, plus a mount table `cluster` whose one link
    // goes to the NameNode over WebHDFS. Only the view names that filesystem.
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(&c.conf_dir).expect("conf dir").flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    let core_site = dir.path().join("core-site.xml");
    let xml = std::fs::read_to_string(&core_site).expect("core-site.xml");
    let link = format!(
        "<property><name>fs.viewfs.mounttable.cluster.link./data</name>\
         <value>{webhdfs}/user/{}</value></property></configuration>",
        c.test_user
    );
    std::fs::write(&core_site, xml.replace("</configuration>", &link)).expect("write");
    let view_config = HadoopConfig::from_dir(dir.path()).expect("the view's configuration");
    let d = YarnDriver::new(Ok(view_config), &c.test_user)
        .with_credentials(Credentials::generate().expect("credentials"))
        .with_am_binary(PathBuf::from(env!("CARGO_BIN_EXE_skein")));
    // The container writes to the mount target itself: its own configuration has no view.
    let target = format!(
        "/user/{}/krb-viewfs-{}.txt",
        c.test_user,
        std::process::id()
    );
    write_through_extra_filesystem(
        &c,
        &d,
        "viewfs://cluster/",
        &webhdfs,
        &target,
        "written to a mount target",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_user_alice_is_allowed_and_bob_refused() {
    let Some(c) = cluster("proxy_user_alice_is_allowed_and_bob_refused") else {
        return;
    };
    let d = driver(&c);
    let pid = std::process::id();
    let yaml = |user: &str| {
        format!(
            "name: krb-proxy-{user}-{pid}\nuser: {user}\nmaster:\n  resources:\n    memory: 256\n    \
             vcores: 1\nservices:\n  whoami:\n    resources:\n      memory: 64\n      vcores: 1\n    \
             script: test -n \"$HADOOP_TOKEN_FILE_LOCATION\" && echo \"$USER\"\n"
        )
    };

    let refused = d
        .submit(Request::new(spec(&yaml("bob"))))
        .await
        .expect_err("bob may not be impersonated");
    let message = refused.message();
    assert!(
        message.contains("bob") && message.contains("hadoop.proxyuser.skein.users"),
        "the refusal names the user and how an administrator allows it: {message}"
    );

    let id = d
        .submit(Request::new(spec(&yaml("alice"))))
        .await
        .expect("alice may be impersonated")
        .into_inner()
        .id;
    let report = wait_finished(&d, &id, Duration::from_secs(120)).await;
    assert_eq!(report.user, "alice", "{report:?}");
    assert_eq!(
        report.final_status,
        FinalStatus::Succeeded as i32,
        "alice's application ran on her tokens: {report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_to_get_tokens_is_reported_and_stages_nothing() {
    let Some(c) = cluster("a_failure_to_get_tokens_is_reported_and_stages_nothing") else {
        return;
    };
    // The NameNode's web server (which hands out HDFS tokens) at a closed port; RPC still works.
    let mut broken = config(&c);
    broken.set("dfs.namenode.http-address", "127.0.0.1:1");
    let d = YarnDriver::new(Ok(broken), &c.test_user)
        .with_credentials(Credentials::generate().expect("credentials"))
        .with_am_binary(PathBuf::from(env!("CARGO_BIN_EXE_skein")));
    let yaml = format!(
        "name: krb-no-tokens-{}\nservices:\n  s:\n    resources:\n      memory: 64\n      \
         vcores: 1\n    script: echo never\n",
        std::process::id()
    );
    let refused = d
        .submit(Request::new(spec(&yaml)))
        .await
        .expect_err("no HDFS token, no submission");
    let message = refused.message();
    assert!(
        message.contains("cannot get the delegation tokens of skein")
            && message.contains("127.0.0.1:1"),
        "the error says which tokens and where: {message}"
    );
    assert_nothing_staged(&c, &d).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extra_filesystem_without_a_token_fails_the_submission_naming_it() {
    let Some(c) = cluster("an_extra_filesystem_without_a_token_fails_the_submission_naming_it")
    else {
        return;
    };
    let d = driver(&c);
    for (filesystem, cause) in [
        // No NameNode web server there.
        (
            "webhdfs://127.0.0.1:1",
            "cannot reach the NameNode web server",
        ),
        // No Hadoop filesystem has this scheme: Java's FileSystem.get fails the same way.
        ("nope://somewhere", "No FileSystem for scheme \"nope\""),
    ] {
        let yaml = format!(
            "name: krb-extra-fs-{}\nfile_systems: [{filesystem}]\nservices:\n  s:\n    \
             resources:\n      memory: 64\n      vcores: 1\n    script: echo never\n",
            std::process::id()
        );
        let refused = d
            .submit(Request::new(spec(&yaml)))
            .await
            .expect_err("no token for a listed filesystem, no submission");
        let message = refused.message();
        assert!(
            message.contains(filesystem) && message.contains(cause),
            "the error names {filesystem} and why ({cause}): {message}"
        );
    }
    assert_nothing_staged(&c, &d).await;
}

/// Nothing of a refused submission stays in the staging area: every application folder there
/// belongs to an application YARN knows (other tests submit concurrently: their folders exist
/// a moment before their submission, so look again for a while).
async fn assert_nothing_staged(c: &Cluster, d: &YarnDriver) {
    let fs = Hdfs::connect(&config(c), &c.test_user).expect("hdfs");
    let root = format!("/user/{}/.skein", c.test_user);
    let start = Instant::now();
    loop {
        let all = proto::ApplicationsRequest {
            states: (0..=7).collect(),
            ..Default::default()
        };
        let known: Vec<String> = d
            .get_applications(Request::new(all))
            .await
            .expect("applications")
            .into_inner()
            .reports
            .into_iter()
            .map(|a| a.id)
            .collect();
        let unknown: Vec<String> = fs
            .client()
            .list_status(&root, false)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.path.rsplit('/').next().unwrap_or("").to_string())
            .filter(|name| name.starts_with("application_") && !known.contains(name))
            .collect();
        if unknown.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "staged but never submitted: {unknown:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Runs the `skein` CLI with the cluster's configuration, `SKEIN_CONFIG=config_dir` and the
/// Kerberos ticket cache `ccache`.
fn skein(c: &Cluster, config_dir: &Path, ccache: &str, args: &[&str]) -> Output {
    skein_with_krb5_conf(c, &c.krb5_conf, config_dir, ccache, args)
}

/// As [`skein`], with another krb5.conf.
fn skein_with_krb5_conf(
    c: &Cluster,
    krb5_conf: &Path,
    config_dir: &Path,
    ccache: &str,
    args: &[&str],
) -> Output {
    skein_command(c, krb5_conf, config_dir, ccache, args)
        .output()
        .expect("run skein")
}

/// The command [`skein_with_krb5_conf`] runs.
fn skein_command(
    c: &Cluster,
    krb5_conf: &Path,
    config_dir: &Path,
    ccache: &str,
    args: &[&str],
) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skein"));
    command
        .args(args)
        .env("SKEIN_CONFIG", config_dir)
        .env("HADOOP_CONF_DIR", &c.conf_dir)
        .env("KRB5_CONFIG", krb5_conf)
        .env("KRB5CCNAME", ccache)
        .env_remove("KRB5_CLIENT_KTNAME")
        .env_remove("SKEIN_CERTIFICATE")
        .env_remove("SKEIN_KEY")
        .env_remove("SKEIN_CALLBACK_PORT");
    command
}

/// `skein driver start --principal P --keytab K --log LOG` with `krb5_conf`: the command's
/// output and the driver's log as it stands once the command returned.
fn start_with_keytab(
    c: &Cluster,
    krb5_conf: &Path,
    config_dir: &Path,
    ccache: &str,
    principal: &str,
    keytab: &Path,
    log: &Path,
) -> (Output, String) {
    let (keytab, log_arg) = (keytab.display().to_string(), log.display().to_string());
    let started = skein_with_krb5_conf(
        c,
        krb5_conf,
        config_dir,
        ccache,
        &[
            "driver",
            "start",
            "--principal",
            principal,
            "--keytab",
            &keytab,
            "--log",
            &log_arg,
        ],
    );
    let logged = std::fs::read_to_string(log).unwrap_or_default();
    (started, logged)
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_driver_logs_in_with_principal_and_keytab() {
    let Some(c) = cluster("the_driver_logs_in_with_principal_and_keytab") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("skein");
    // No ticket anywhere but what the keytab gives.
    let ccache = format!("FILE:{}", dir.path().join("no-ticket").display());
    let log = dir.path().join("driver.log");
    let (started, _) = start_with_keytab(
        &c,
        &c.krb5_conf,
        &config_dir,
        &ccache,
        &c.test_principal,
        &c.test_keytab,
        &log,
    );
    let result = std::panic::catch_unwind(|| {
        assert!(started.status.success(), "driver start: {}", text(&started));
        let cache_dir = config_dir.join("kerberos");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&cache_dir)
                .expect("the private cache folder")
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o700, "{}", cache_dir.display());
        let listed = skein(&c, &config_dir, &ccache, &["application", "ls", "-a"]);
        assert!(listed.status.success(), "application ls: {}", text(&listed));
        // A submission stages on HDFS: hdfs-native authenticates with the keytab login's
        // cache, which the driver made its default credentials.
        let spec_file = dir.path().join("app.yaml");
        std::fs::write(
            &spec_file,
            "name: krb-keytab-driver\nmaster:\n  resources:\n    memory: 256\n    vcores: 1\n\
             services:\n  s:\n    resources:\n      memory: 64\n      vcores: 1\n    \
             script: echo keytab\n",
        )
        .expect("write the spec");
        let spec_arg = spec_file.display().to_string();
        let submitted = skein(
            &c,
            &config_dir,
            &ccache,
            &["application", "submit", &spec_arg],
        );
        assert!(submitted.status.success(), "submit: {}", text(&submitted));
        let id = String::from_utf8_lossy(&submitted.stdout)
            .trim()
            .to_string();
        let start = Instant::now();
        let status = loop {
            let status = skein(&c, &config_dir, &ccache, &["application", "status", &id]);
            let out = String::from_utf8_lossy(&status.stdout).to_string();
            if ["FINISHED", "FAILED", "KILLED"]
                .iter()
                .any(|s| out.contains(s))
                || start.elapsed() > Duration::from_secs(90)
            {
                break out;
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        assert!(
            status.contains("FINISHED") && status.contains("SUCCEEDED"),
            "{id}: {status}"
        );
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            logged.contains(&format!("logged in as {} from keytab", c.test_principal)),
            "the driver says who it is: {logged}"
        );
    });
    let stopped = skein(&c, &config_dir, &ccache, &["driver", "stop"]);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert!(stopped.status.success(), "driver stop: {}", text(&stopped));
    // The private cache goes with the driver (`driver stop` only sends SIGTERM: give the
    // daemon a moment to exit).
    let start = Instant::now();
    loop {
        let left: Vec<_> = std::fs::read_dir(config_dir.join("kerberos"))
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if left.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "left behind: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn without_a_ticket_the_driver_says_to_run_kinit() {
    let Some(c) = cluster("without_a_ticket_the_driver_says_to_run_kinit") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let ccache = format!("FILE:{}", dir.path().join("no-ticket").display());
    // No global driver in this config folder: the CLI starts a private one, which stays up
    // and answers with the login problem.
    let listed = skein(
        &c,
        &dir.path().join("skein"),
        &ccache,
        &["application", "ls"],
    );
    assert!(!listed.status.success(), "{}", text(&listed));
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(
        stderr.contains("kinit") && stderr.contains("--keytab"),
        "the error says what to do: {}",
        text(&listed)
    );
}

#[test]
fn a_wrong_keytab_fails_the_driver_start() {
    let Some(c) = cluster("a_wrong_keytab_fails_the_driver_start") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("skein");
    let ccache = format!("FILE:{}", dir.path().join("no-ticket").display());
    let log = dir.path().join("driver.log");
    let (started, logged) = start_with_keytab(
        &c,
        &c.krb5_conf,
        &config_dir,
        &ccache,
        "nobody@EXAMPLE.COM",
        &c.test_keytab,
        &log,
    );
    let _ = skein(&c, &config_dir, &ccache, &["driver", "stop", "--force"]);
    let keytab = c.test_keytab.display().to_string();
    assert!(!started.status.success(), "{}", text(&started));
    assert!(
        logged.contains("nobody@EXAMPLE.COM") && logged.contains(&keytab),
        "the driver log names the principal and the keytab: {logged}\n{}",
        text(&started)
    );
}

/// The Python interpreter with `skein` 0.8.2: `$SKEIN_TEST_PYTHON`, else the venv
/// `tests/python/setup-venv.sh` makes (scripts/run-tests makes it before this section).
fn python_with_skein() -> Option<PathBuf> {
    let candidate = std::env::var_os("SKEIN_TEST_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/.venv/bin/python")
        });
    candidate.is_file().then_some(candidate)
}

#[test]
fn the_python_client_starts_a_driver_with_principal_and_keytab() {
    let test = "the_python_client_starts_a_driver_with_principal_and_keytab";
    let Some(c) = cluster(test) else {
        return;
    };
    let Some(python) = python_with_skein() else {
        eprintln!("{test}: skipped: no Python with skein (tests/python/setup-venv.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let java_home = dir.path().join("java-home");
    let shim = Command::new(env!("CARGO_BIN_EXE_skein"))
        .args(["driver", "install-python-shim"])
        .arg(&java_home)
        .output()
        .expect("install-python-shim");
    assert!(shim.status.success(), "{}", text(&shim));
    let log = dir.path().join("driver.log");
    let script = format!(
        "import os, time, skein\n\
         c = skein.Client(principal=os.environ['P'], keytab=os.environ['K'], log={log:?})\n\
         print('listed', len(c.get_applications(states=['FINISHED', 'RUNNING'])))\n\
         spec = skein.ApplicationSpec(name='krb-python',\n\
             master=skein.Master(resources=skein.Resources(memory=256, vcores=1)),\n\
             services={{'sleeper': skein.Service(\n\
                 resources=skein.Resources(memory=64, vcores=1), script='sleep 600')}})\n\
         app_id = c.submit(spec)\n\
         try:\n\
         \x20   ac = c.connect(app_id)\n\
         \x20   ac.kv['greeting'] = b'hello'\n\
         \x20   assert ac.kv['greeting'] == b'hello', ac.kv['greeting']\n\
         \x20   ac.scale('sleeper', 2)\n\
         \x20   deadline = time.time() + 120\n\
         \x20   while len(ac.get_containers(services=['sleeper'], states=['RUNNING'])) < 2:\n\
         \x20       assert time.time() < deadline, ac.get_containers()\n\
         \x20       time.sleep(0.5)\n\
         \x20   print('scaled', app_id)\n\
         finally:\n\
         \x20   c.kill_application(app_id)\n\
         state = c.application_report(app_id).state\n\
         assert state == 'KILLED', state\n\
         print('killed', app_id)\n\
         c.close()\n",
        log = log.display().to_string(),
    );
    let path = format!(
        "{}/bin:{}",
        java_home.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(python)
        .args(["-W", "ignore", "-c", &script])
        .env("JAVA_HOME", &java_home)
        .env("PATH", path)
        .env("P", &c.test_principal)
        .env("K", &c.test_keytab)
        .env("SKEIN_CONFIG", dir.path().join("skein"))
        .env("HADOOP_CONF_DIR", &c.conf_dir)
        .env("KRB5_CONFIG", &c.krb5_conf)
        // No ticket but what the keytab gives.
        .env(
            "KRB5CCNAME",
            format!("FILE:{}", dir.path().join("no-ticket").display()),
        )
        .env_remove("SKEIN_CERTIFICATE")
        .env_remove("SKEIN_KEY")
        .output()
        .expect("run python");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        output.status.success() && {
            let stdout = String::from_utf8_lossy(&output.stdout);
            ["listed", "scaled", "killed"]
                .iter()
                .all(|step| stdout.contains(step))
        },
        "{}\ndriver log:\n{logged}",
        text(&output)
    );
    assert!(
        logged.contains(&format!("logged in as {} from keytab", c.test_principal)),
        "the driver log: {logged}"
    );
}

/// Runs the CLI until `done` accepts its stdout or `limit` passes; returns the last output.
fn skein_until(
    c: &Cluster,
    config_dir: &Path,
    ccache: &str,
    args: &[&str],
    limit: Duration,
    done: impl Fn(&str) -> bool,
) -> Output {
    let start = Instant::now();
    loop {
        let output = skein(c, config_dir, ccache, args);
        if (output.status.success() && done(&String::from_utf8_lossy(&output.stdout)))
            || start.elapsed() > limit
        {
            return output;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn the_cli_manages_an_application_on_the_secure_cluster() {
    let Some(c) = cluster("the_cli_manages_an_application_on_the_secure_cluster") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("skein");
    // The test's own ticket cache (kinit): a driver on the ticket cache.
    let ccache = std::env::var("KRB5CCNAME").expect("KRB5CCNAME (scripts/cluster env --secure)");
    let log = dir.path().join("driver.log");
    let log_arg = log.display().to_string();
    let started = skein(
        &c,
        &config_dir,
        &ccache,
        &["driver", "start", "--log", &log_arg],
    );
    let result = std::panic::catch_unwind(|| {
        assert!(started.status.success(), "driver start: {}", text(&started));
        let spec_file = dir.path().join("app.yaml");
        std::fs::write(
            &spec_file,
            format!(
                "name: krb-cli-{}\nmaster:\n  resources:\n    memory: 256\n    vcores: 1\n\
                 services:\n  sleeper:\n    resources:\n      memory: 64\n      vcores: 1\n    \
                 script: echo started on the secure cluster; sleep 600\n",
                std::process::id()
            ),
        )
        .expect("write the spec");
        let spec_arg = spec_file.display().to_string();
        let submitted = skein(
            &c,
            &config_dir,
            &ccache,
            &["application", "submit", &spec_arg],
        );
        assert!(submitted.status.success(), "submit: {}", text(&submitted));
        let id = String::from_utf8_lossy(&submitted.stdout)
            .trim()
            .to_string();
        let run = |args: &[&str]| {
            let output = skein(&c, &config_dir, &ccache, args);
            assert!(output.status.success(), "{args:?}: {}", text(&output));
            String::from_utf8_lossy(&output.stdout).to_string()
        };
        let until = |args: &[&str], done: &dyn Fn(&str) -> bool| {
            let output = skein_until(
                &c,
                &config_dir,
                &ccache,
                args,
                Duration::from_secs(90),
                done,
            );
            let out = String::from_utf8_lossy(&output.stdout).to_string();
            assert!(
                output.status.success() && done(&out),
                "{args:?}: {}",
                text(&output)
            );
            out
        };

        until(&["application", "status", &id], &|out| {
            out.contains("RUNNING")
        });
        // A running application's tokens, and that nothing renews them without a keytab.
        let status = run(&["application", "status", &id]);
        assert!(
            status.contains("HDFS_DELEGATION_TOKEN")
                && status.contains("RM_DELEGATION_TOKEN")
                && status.contains("MAX_LIFETIME")
                && status.contains("the spec has no kerberos_principal"),
            "application status: {status}"
        );
        let json = run(&["application", "status", &id, "--output", "json"]);
        assert!(
            json.contains("\"delegation_tokens\"") && json.contains("\"max_lifetime\""),
            "application status --output json: {json}"
        );
        let listed = run(&["application", "ls"]);
        assert!(listed.contains(&id), "application ls: {listed}");
        until(&["container", "ls", &id], &|out| {
            out.contains("sleeper_0") && out.contains("RUNNING")
        });

        // The key-value store of the running application's AM.
        run(&[
            "kv",
            "put",
            &id,
            "--key",
            "greeting",
            "--value",
            "kerberized",
        ]);
        assert_eq!(
            run(&["kv", "get", &id, "--key", "greeting"]),
            "kerberized\n"
        );
        let keys = run(&["kv", "ls", &id]);
        assert!(keys.contains("greeting"), "kv ls: {keys}");

        // Scale up, then kill one container.
        run(&[
            "container",
            "scale",
            &id,
            "--service",
            "sleeper",
            "--number",
            "2",
        ]);
        until(&["container", "ls", &id], &|out| {
            out.contains("sleeper_1") && out.matches("RUNNING").count() >= 2
        });
        run(&["container", "kill", &id, "--id", "sleeper_0"]);
        until(&["container", "ls", "-a", &id], &|out| {
            out.lines()
                .any(|l| l.contains("sleeper_0") && l.contains("KILLED"))
        });

        run(&["application", "kill", &id]);
        let status = run(&["application", "status", &id]);
        assert!(status.contains("KILLED"), "after kill: {status}");
        // The aggregated logs of the finished application, read from HDFS with Kerberos.
        let logs = until(&["application", "logs", &id], &|out| {
            out.contains("started on the secure cluster")
        });
        assert!(logs.contains("application.master.log"), "{logs}");
    });
    let stopped = skein(&c, &config_dir, &ccache, &["driver", "stop"]);
    if let Err(panic) = result {
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        eprintln!("driver log:\n{logged}");
        std::panic::resume_unwind(panic);
    }
    assert!(stopped.status.success(), "driver stop: {}", text(&stopped));
}

/// `kinit` from the test keytab into `cache`, for `lifetime` when given.
fn kinit(c: &Cluster, cache: &Path, lifetime: Option<&str>) {
    let mut command = Command::new("kinit");
    if let Some(lifetime) = lifetime {
        command.args(["-l", lifetime]);
    }
    let output = command
        .arg("-c")
        .arg(format!("FILE:{}", cache.display()))
        .arg("-kt")
        .arg(&c.test_keytab)
        .arg(&c.test_principal)
        .env("KRB5_CONFIG", &c.krb5_conf)
        .output()
        .expect("run kinit");
    assert!(output.status.success(), "kinit: {}", text(&output));
}

/// The driver's pid as `skein driver pid` prints it (it pings the driver).
fn driver_pid(c: &Cluster, config_dir: &Path, ccache: &str) -> String {
    let output = skein(c, config_dir, ccache, &["driver", "pid"]);
    assert!(output.status.success(), "driver pid: {}", text(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn a_driver_whose_ticket_expires_says_so_and_stays_up() {
    let Some(c) = cluster("a_driver_whose_ticket_expires_says_so_and_stays_up") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("skein");
    let cache = dir.path().join("krb5cc");
    let ccache = format!("FILE:{}", cache.display());
    let lifetime = Duration::from_secs(10);
    kinit(&c, &cache, Some("10s"));
    let kinit_at = Instant::now();
    // Without the staging sweeper, whose first look at the cluster would get the driver an
    // authentication cookie while the ticket is still valid.
    let started = skein_command(&c, &c.krb5_conf, &config_dir, &ccache, &["driver", "start"])
        .env("SKEIN_STAGING_GRACE", "off")
        .output()
        .expect("run skein");
    let result = std::panic::catch_unwind(|| {
        assert!(started.status.success(), "driver start: {}", text(&started));
        let pid = driver_pid(&c, &config_dir, &ccache);
        // Nothing has asked the cluster yet (no SPNEGO cookie to live on): the next call
        // needs the ticket, which has expired by then.
        std::thread::sleep((lifetime + Duration::from_secs(2)).saturating_sub(kinit_at.elapsed()));
        let listed = skein(&c, &config_dir, &ccache, &["application", "ls"]);
        let stderr = String::from_utf8_lossy(&listed.stderr).to_string();
        assert!(!listed.status.success(), "{}", text(&listed));
        assert!(
            stderr.contains(&format!(
                "the Kerberos ticket in cache {ccache} has expired"
            )) && stderr.contains("run kinit again")
                && stderr.contains("--principal and --keytab"),
            "the error names the expired ticket and the fix: {}",
            text(&listed)
        );
        assert_eq!(
            stderr.matches("has expired").count(),
            1,
            "one message: {stderr}"
        );
        // The driver is still up (it answers ping), and a new ticket is all it needs.
        assert_eq!(driver_pid(&c, &config_dir, &ccache), pid);
        kinit(&c, &cache, None);
        let listed = skein(&c, &config_dir, &ccache, &["application", "ls"]);
        assert!(listed.status.success(), "after kinit: {}", text(&listed));
    });
    let stopped = skein(&c, &config_dir, &ccache, &["driver", "stop"]);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert!(stopped.status.success(), "driver stop: {}", text(&stopped));
}

/// A copy of the cluster's krb5.conf whose KDC does not listen.
fn krb5_conf_with_a_dead_kdc(c: &Cluster, dir: &Path) -> PathBuf {
    let conf = std::fs::read_to_string(&c.krb5_conf).expect("krb5.conf");
    let broken: String = conf
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("kdc =") {
                "    kdc = 127.0.0.1:9\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let path = dir.join("krb5-dead-kdc.conf");
    std::fs::write(&path, broken).expect("write krb5.conf");
    path
}

#[test]
fn a_kdc_that_does_not_answer_is_named() {
    let Some(c) = cluster("a_kdc_that_does_not_answer_is_named") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let dead = krb5_conf_with_a_dead_kdc(&c, dir.path());
    let dead_arg = dead.display().to_string();

    // A keytab login cannot get its ticket: the start fails, and says why.
    let config_dir = dir.path().join("keytab");
    let log = dir.path().join("driver.log");
    let no_ticket = format!("FILE:{}", dir.path().join("no-ticket").display());
    let (started, logged) = start_with_keytab(
        &c,
        &dead,
        &config_dir,
        &no_ticket,
        &c.test_principal,
        &c.test_keytab,
        &log,
    );
    let _ = skein(&c, &config_dir, &no_ticket, &["driver", "stop", "--force"]);
    assert!(!started.status.success(), "{}", text(&started));
    assert!(
        logged.contains("cannot contact any KDC") && logged.contains(&dead_arg),
        "the driver log names the KDC's krb5.conf: {logged}\n{}",
        text(&started)
    );

    // A driver with a ticket-granting ticket still needs the KDC for the RM's service ticket.
    let config_dir = dir.path().join("ticket");
    let cache = dir.path().join("krb5cc");
    kinit(&c, &cache, None);
    let ccache = format!("FILE:{}", cache.display());
    let started = skein_with_krb5_conf(&c, &dead, &config_dir, &ccache, &["driver", "start"]);
    let listed = skein_with_krb5_conf(&c, &dead, &config_dir, &ccache, &["application", "ls"]);
    let _ = skein(&c, &config_dir, &ccache, &["driver", "stop", "--force"]);
    assert!(started.status.success(), "driver start: {}", text(&started));
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(
        !listed.status.success()
            && stderr.contains("cannot contact any KDC")
            && stderr.contains(&dead_arg),
        "the error names the KDC and the krb5.conf to check: {}",
        text(&listed)
    );
}

/// libfaketime (Debian's `faketime` package, which `.ci/run` installs), if present.
fn libfaketime() -> Option<PathBuf> {
    let lib = std::fs::read_dir("/usr/lib")
        .ok()?
        .flatten()
        .map(|arch| arch.path().join("faketime/libfaketime.so.1"))
        .find(|path| path.exists());
    if lib.is_none() {
        eprintln!("libfaketime not found: install Debian's `faketime` to run the clock-skew test");
    }
    lib
}

#[test]
fn a_clock_off_by_hours_is_named_clock_skew_with_the_fix() {
    let Some(c) = cluster("a_clock_off_by_hours_is_named_clock_skew_with_the_fix") else {
        return;
    };
    let Some(faketime) = libfaketime() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("krb5cc");
    let ccache = format!("FILE:{}", cache.display());
    // A valid ticket, got at the true time ...
    kinit(&c, &cache, None);
    // ... and a client (the CLI and the driver it starts) whose clock is two hours ahead:
    // the KDC refuses its service-ticket request.
    let listed = skein_command(
        &c,
        &c.krb5_conf,
        &dir.path().join("skein"),
        &ccache,
        &["application", "ls"],
    )
    .env("LD_PRELOAD", &faketime)
    .env("FAKETIME", "+2h")
    .output()
    .expect("run skein");
    assert!(!listed.status.success(), "{}", text(&listed));
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(
        stderr.contains("clock skew too great") && stderr.contains("synchronize the clocks"),
        "the error names the skew and the fix: {}",
        text(&listed)
    );
    assert_eq!(
        stderr.matches("clock skew").count(),
        1,
        "one message: {stderr}"
    );
}
