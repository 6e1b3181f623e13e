//! Long-running applications on the secure cluster: delegation tokens renewed from the
//! application's own keytab (`kerberos_principal`) past their maximum lifetime, and what an
//! application without one sees.
//!
//! The lifetime test needs a cluster whose tokens live minutes, not days:
//! `scripts/cluster up --secure --token-renew-interval 60 --token-max-lifetime 120`
//! (`scripts/run-tests` starts one beside the main secure cluster and runs the tests named
//! `tokens_` there); on a cluster with Hadoop's default lifetimes it says so and passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use skein::driver::service::YarnDriver;
use skein::proto::driver_server::Driver;
use skein::proto::{self, final_status::Type as FinalStatus};
use skein::security::Credentials;
use skein_hadoop::hdfs::Hdfs;
use tonic::Request;

use super::{Cluster, cluster, config, spec, wait_finished};

/// A token lifetime short enough to outlive twice in a test.
const SHORT_LIFETIME: Duration = Duration::from_secs(300);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A driver and the key pair of its applications (to ask their AMs).
fn driver_with_credentials(c: &Cluster) -> (YarnDriver, Credentials) {
    let credentials = Credentials::generate().expect("credentials");
    let d = YarnDriver::new(Ok(config(c)), &c.test_user)
        .with_credentials(credentials.clone())
        .with_am_binary(PathBuf::from(env!("CARGO_BIN_EXE_skein")));
    (d, credentials)
}

/// A service script that writes a numbered file into `dir` on HDFS every `every` seconds, each
/// time with a new Hadoop client process (Hadoop's FsShell on the container's token file
/// alone), and logs each outcome.
fn writer_script(c: &Cluster, dir: &str, every: u32) -> String {
    format!(
        "i=0; while true; do i=$((i+1)); echo \"$i\" > msg.txt; \
         if \"$JAVA_HOME/bin/java\" -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
         -Djava.security.krb5.conf={krb5} -cp \"$HADOOP_CONF_DIR:{lib}/*\" \
         org.apache.hadoop.fs.FsShell -put -f msg.txt {dir}/$SKEIN_CONTAINER_ID-$i 2>err.txt; \
         then echo \"write $i ok\"; else echo \"write $i FAILED: $(grep -m1 -i \
         'token\\|exception' err.txt)\"; fi; sleep {every}; done",
        krb5 = c.krb5_conf.display(),
        lib = c.container_lib.display(),
    )
}

/// A spec of one `writer` service writing into `dir`; with `keytab`, a `kerberos_principal`
/// of the test principal. The AM finds the test KDC through KRB5_CONFIG (a real cluster's
/// nodes have theirs in /etc/krb5.conf).
fn writer_spec(c: &Cluster, name: &str, dir: &str, keytab: Option<&str>) -> String {
    let principal = keytab.map_or(String::new(), |keytab| {
        format!(
            "kerberos_principal:\n  principal_name: {}\n  keytab: {keytab}\n",
            c.test_principal
        )
    });
    format!(
        "name: {name}\nmaster:\n  resources:\n    memory: 384\n    vcores: 1\n  env:\n    \
         KRB5_CONFIG: {krb5}\n{principal}services:\n  writer:\n    resources:\n      \
         memory: 256\n      vcores: 1\n    script: {script:?}\n",
        krb5 = c.krb5_conf.display(),
        script = writer_script(c, dir, 10),
    )
}

/// Connects to the AM of the running application `id`.
async fn appmaster(
    d: &YarnDriver,
    credentials: &Credentials,
    id: &str,
) -> proto::app_master_client::AppMasterClient<tonic::transport::Channel> {
    let start = Instant::now();
    loop {
        let report = d
            .get_status(Request::new(proto::Application { id: id.into() }))
            .await
            .expect("status")
            .into_inner();
        if report.state == proto::application_state::Type::Running as i32 && report.port > 0 {
            let address = format!("{}:{}", report.host, report.port);
            return skein::client::connect_app_master(&address, credentials)
                .await
                .expect("connect to the AM");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{id} is not running: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Polls the AM's token status until `done` holds (at most `limit`).
async fn token_status_until(
    am: &mut proto::app_master_client::AppMasterClient<tonic::transport::Channel>,
    limit: Duration,
    done: impl Fn(&proto::TokenStatus) -> bool,
) -> proto::TokenStatus {
    let start = Instant::now();
    loop {
        let status = am
            .get_token_status(proto::TokenStatusRequest {})
            .await
            .expect("token status")
            .into_inner();
        if done(&status) || start.elapsed() > limit {
            return status;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The modification time (ms) of each file written into `dir`, by name.
async fn written(fs: &Hdfs, dir: &str) -> BTreeMap<String, i64> {
    fs.client()
        .list_status(dir, false)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            let name = f.path.rsplit('/').next().unwrap_or_default().to_string();
            let mtime = i64::try_from(f.modification_time).unwrap_or(i64::MAX);
            (name, mtime)
        })
        .collect()
}

/// The newest write of `container` (`writer_0`, ...) among `files`.
fn last_write(files: &BTreeMap<String, i64>, container: &str) -> Option<i64> {
    files
        .iter()
        .filter(|(name, _)| name.starts_with(&format!("{container}-")))
        .map(|(_, &mtime)| mtime)
        .max()
}

/// Every log file called `name` of the application `id` on the test cluster's NodeManager,
/// concatenated (the AM's and its containers' logs, while the application runs).
fn local_logs(c: &Cluster, id: &str, name: &str) -> String {
    let root = c.work_dir.join("nodemanager/logs").join(id);
    let mut text = String::new();
    for container in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        if let Ok(log) = std::fs::read_to_string(container.path().join(name)) {
            text.push_str(&log);
        }
    }
    text
}

async fn sleep_until(deadline: Instant) {
    tokio::time::sleep(deadline.saturating_duration_since(Instant::now())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_renewed_from_a_keytab_outlive_their_maximum_lifetime() {
    let name = "tokens_renewed_from_a_keytab_outlive_their_maximum_lifetime";
    let Some(c) = cluster(name) else {
        return;
    };
    let max_lifetime = Duration::from_millis(c.token_max_lifetime_ms);
    if c.token_max_lifetime_ms == 0 || max_lifetime > SHORT_LIFETIME {
        eprintln!(
            "{name}: skipped: tokens live {max_lifetime:?} on this cluster; start one with \
             `scripts/cluster up --secure --token-renew-interval 60 --token-max-lifetime 120`"
        );
        return;
    }
    let (d, credentials) = driver_with_credentials(&c);
    let fs = Hdfs::connect(&config(&c), &c.test_user).expect("hdfs");
    let pid = std::process::id();
    let root = format!("/user/{}/tokens-{pid}", c.test_user);
    let (renewed_dir, plain_dir) = (format!("{root}/renewed"), format!("{root}/plain"));
    let keytab = c.test_keytab.display().to_string();
    for dir in [&renewed_dir, &plain_dir] {
        fs.client()
            .mkdirs(dir, 0o755, true)
            .await
            .expect("the writers' folders");
    }

    // The same writer twice: with the application's keytab, and without.
    let started = Instant::now();
    let started_ms = now_ms();
    let renewed = d
        .submit(Request::new(spec(&writer_spec(
            &c,
            &format!("tokens-renewed-{pid}"),
            &renewed_dir,
            Some(&keytab),
        ))))
        .await
        .expect("submit with a keytab")
        .into_inner()
        .id;
    let plain = d
        .submit(Request::new(spec(&writer_spec(
            &c,
            &format!("tokens-plain-{pid}"),
            &plain_dir,
            None,
        ))))
        .await
        .expect("submit without a keytab")
        .into_inner()
        .id;

    // The keytab was staged for the AM alone, readable by its owner only.
    let staged = format!("{}/.skein.keytab", fs.staging_dir(&renewed));
    let info = fs
        .client()
        .get_file_info(&staged)
        .await
        .expect("the staged keytab");
    assert_eq!(info.permission, 0o400, "{staged}");

    let mut renewed_am = appmaster(&d, &credentials, &renewed).await;
    let mut plain_am = appmaster(&d, &credentials, &plain).await;
    // The first refresh happens at the AM's start.
    let first = token_status_until(&mut renewed_am, Duration::from_secs(90), |s| {
        s.refreshes >= 1
    })
    .await;
    assert_eq!(first.principal, c.test_principal, "{first:?}");
    assert!(first.last_error.is_empty(), "{first:?}");
    assert!(
        first
            .tokens
            .iter()
            .any(|t| t.kind == "HDFS_DELEGATION_TOKEN" && t.expiry_date > now_ms()),
        "new HDFS tokens with a known expiry: {first:?}"
    );
    let plain_status = plain_am
        .get_token_status(proto::TokenStatusRequest {})
        .await
        .expect("token status")
        .into_inner();
    assert!(plain_status.principal.is_empty(), "{plain_status:?}");
    let plain_max = plain_status
        .tokens
        .iter()
        .map(|t| t.max_date)
        .filter(|&m| m > 0)
        .min()
        .expect("the submission's tokens have a maximum date");
    assert!(
        plain_max > started_ms && plain_max <= now_ms() + max_lifetime.as_millis() as i64,
        "the plain application's tokens end at {plain_max} (submitted at {started_ms})"
    );

    // Past the submission's tokens' maximum lifetime, a new container of the renewed
    // application: it can only write with tokens fetched since.
    sleep_until(started + max_lifetime + Duration::from_secs(20)).await;
    let scaled_ms = now_ms();
    renewed_am
        .scale(proto::ScaleRequest {
            service_name: "writer".into(),
            count: 2,
            delta: 0,
        })
        .await
        .expect("scale the renewed application");

    // Twice the maximum lifetime, and a little more for the last writes.
    sleep_until(started + 2 * max_lifetime + Duration::from_secs(25)).await;
    let end_ms = started_ms + 2 * max_lifetime.as_millis() as i64;
    let renewed_files = written(&fs, &renewed_dir).await;
    let plain_files = written(&fs, &plain_dir).await;
    let renewed_logs = local_logs(&c, &renewed, "writer.log");
    let plain_logs = local_logs(&c, &plain, "writer.log");
    let context = format!(
        "renewed writes {renewed_files:?}\nrenewed log:\n{renewed_logs}\nplain writes \
         {plain_files:?}\nplain log:\n{plain_logs}"
    );
    assert!(
        last_write(&renewed_files, "writer_0").is_some_and(|t| t > end_ms),
        "the renewed application still writes after twice the maximum lifetime:\n{context}"
    );
    assert!(
        last_write(&renewed_files, "writer_1").is_some_and(|t| t > scaled_ms),
        "a container started after the tokens were renewed writes:\n{context}"
    );
    assert!(
        !renewed_logs.contains("FAILED"),
        "no write of the renewed application failed:\n{context}"
    );
    assert!(
        last_write(&plain_files, "writer_0").is_some_and(|t| t > started_ms),
        "the plain application wrote while its tokens were valid:\n{context}"
    );
    assert!(
        last_write(&plain_files, "writer_0").is_some_and(|t| t < plain_max + 5_000),
        "the plain application cannot write after its tokens' maximum lifetime:\n{context}"
    );
    assert!(
        plain_logs.contains("FAILED"),
        "the plain application's writes fail:\n{context}"
    );

    // Each running container got the new tokens from its agent.
    let agent_logs = local_logs(&c, &renewed, "skein-token-agent.log");
    assert!(
        agent_logs.matches("replaced").count() >= 3,
        "the agents replaced the token files:\n{agent_logs}"
    );
    let renewed_status = token_status_until(&mut renewed_am, Duration::ZERO, |_| true).await;
    assert!(
        renewed_status.refreshes >= 3 && renewed_status.last_error.is_empty(),
        "{renewed_status:?}"
    );
    // The plain application's AM said when, and then that it happened.
    let plain_am_log = local_logs(&c, &plain, "application.master.log");
    assert!(
        plain_am_log.contains("reach their maximum lifetime at")
            && plain_am_log.contains("kerberos_principal")
            && plain_am_log.contains("reached their maximum lifetime"),
        "the plain AM's log:\n{plain_am_log}"
    );
    let renewed_am_log = local_logs(&c, &renewed, "application.master.log");
    assert!(
        !renewed_am_log.contains("reached their maximum lifetime"),
        "{renewed_am_log}"
    );

    // The renewed application ends normally: its AM still reaches HDFS (the staging folder).
    renewed_am
        .shutdown(proto::ShutdownRequest {
            final_status: FinalStatus::Succeeded as i32,
            diagnostics: String::new(),
        })
        .await
        .expect("shutdown");
    let report = wait_finished(&d, &renewed, Duration::from_secs(60)).await;
    assert_eq!(
        report.final_status,
        FinalStatus::Succeeded as i32,
        "{report:?}"
    );
    super::assert_staging_removed(&fs, &renewed).await;
    let _ = d
        .kill(Request::new(proto::KillRequest {
            id: plain,
            user: String::new(),
        }))
        .await;
    let _ = fs.client().delete(&root, true).await;
}

/// A spec with a `kerberos_principal` whose keytab is `keytab`.
fn keytab_spec(c: &Cluster, principal: &str, keytab: &str) -> String {
    format!(
        "name: tokens-bad-keytab-{}\nkerberos_principal:\n  principal_name: {principal}\n  \
         keytab: {keytab}\nservices:\n  s:\n    resources:\n      memory: 64\n      vcores: 1\n    \
         script: echo never\nmaster:\n  env:\n    KRB5_CONFIG: {}\n",
        std::process::id(),
        c.krb5_conf.display()
    )
}

/// A keytab for `principal` (any realm) with a random key, written by MIT's ktutil.
fn foreign_keytab(dir: &Path, principal: &str) -> PathBuf {
    let path = dir.join("foreign.keytab");
    let script = format!(
        "addent -password -p {principal} -k 1 -e aes256-cts-hmac-sha1-96\nnot-the-password\n\
         wkt {}\nquit\n",
        path.display()
    );
    let mut child = std::process::Command::new("ktutil")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ktutil (krb5-user)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(script.as_bytes()).expect("ktutil input");
    }
    assert!(child.wait().expect("ktutil").success(), "ktutil failed");
    assert!(path.exists(), "ktutil wrote no keytab");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_keytab_is_refused_at_submit_and_stages_nothing() {
    let Some(c) = cluster("a_bad_keytab_is_refused_at_submit_and_stages_nothing") else {
        return;
    };
    let (d, _) = driver_with_credentials(&c);
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.keytab");
    std::fs::write(&garbage, b"this is no keytab").expect("write");
    let other_realm = foreign_keytab(dir.path(), "skein@OTHER.REALM");
    let missing = dir.path().join("missing.keytab");
    let test_keytab = c.test_keytab.display().to_string();
    let alice_keytab = c.test_keytab.with_file_name("alice.keytab");
    let cases = [
        (
            c.test_principal.clone(),
            missing.display().to_string(),
            vec!["cannot read the keytab", "missing.keytab", "No such file"],
        ),
        (
            c.test_principal.clone(),
            dir.path().display().to_string(),
            vec!["cannot read the keytab", "directory"],
        ),
        (
            c.test_principal.clone(),
            garbage.display().to_string(),
            vec!["garbage.keytab", "not a keytab"],
        ),
        (
            c.test_principal.clone(),
            alice_keytab.display().to_string(),
            vec!["has no key for skein@EXAMPLE.COM", "alice@EXAMPLE.COM"],
        ),
        (
            c.test_principal.clone(),
            other_realm.display().to_string(),
            vec!["has no key for skein@EXAMPLE.COM", "skein@OTHER.REALM"],
        ),
        (
            "nobody@EXAMPLE.COM".to_string(),
            test_keytab,
            vec!["has no key for nobody@EXAMPLE.COM", "skein@EXAMPLE.COM"],
        ),
    ];
    for (principal, keytab, expected) in cases {
        let refused = d
            .submit(Request::new(spec(&keytab_spec(&c, &principal, &keytab))))
            .await
            .expect_err("a bad keytab is refused");
        assert_eq!(
            refused.code(),
            tonic::Code::InvalidArgument,
            "{}",
            refused.message()
        );
        let message = refused.message();
        assert!(message.contains("kerberos_principal"), "{message}");
        for part in expected {
            assert!(
                message.contains(part),
                "{keytab} for {principal}: expected {part:?} in: {message}"
            );
        }
    }
    super::assert_nothing_staged(&c, &d).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keytab_on_hdfs_reaches_the_am_and_no_other_container() {
    let Some(c) = cluster("a_keytab_on_hdfs_reaches_the_am_and_no_other_container") else {
        return;
    };
    let (d, credentials) = driver_with_credentials(&c);
    let fs = Hdfs::connect(&config(&c), &c.test_user).expect("hdfs");
    let pid = std::process::id();
    let on_hdfs = format!("/user/{}/tokens-keytab-{pid}.keytab", c.test_user);
    let bytes = std::fs::read(&c.test_keytab).expect("the test keytab");
    let mut writer = fs
        .client()
        .create(
            &on_hdfs,
            hdfs_native::WriteOptions::default().permission(0o400),
        )
        .await
        .expect("create the keytab on HDFS");
    writer
        .write_bytes(bytes::Bytes::from(bytes))
        .await
        .expect("write the keytab");
    writer.close().await.expect("close");
    let yaml = format!(
        "name: tokens-hdfs-keytab-{pid}\nkerberos_principal:\n  principal_name: {}\n  \
         keytab: hdfs://{on_hdfs}\nmaster:\n  env:\n    KRB5_CONFIG: {}\nservices:\n  s:\n    \
         resources:\n      memory: 64\n      vcores: 1\n    script: if test -e .skein.keytab; \
         then echo the keytab leaked; exit 1; fi; sleep 600\n",
        c.test_principal,
        c.krb5_conf.display()
    );
    let id = d
        .submit(Request::new(spec(&yaml)))
        .await
        .expect("submit with a keytab on HDFS")
        .into_inner()
        .id;
    let mut am = appmaster(&d, &credentials, &id).await;
    let status = token_status_until(&mut am, Duration::from_secs(90), |s| s.refreshes >= 1).await;
    assert_eq!(status.principal, c.test_principal, "{status:?}");
    assert!(
        status.refreshes >= 1 && status.last_error.is_empty(),
        "the AM logged in from the HDFS keytab and fetched tokens: {status:?}"
    );
    // The service container runs without the keytab (its script fails if it has one).
    let start = Instant::now();
    loop {
        let running = am
            .get_containers(proto::ContainersRequest::default())
            .await
            .expect("containers")
            .into_inner()
            .containers;
        if running
            .iter()
            .any(|c| c.state == proto::container::State::Running as i32)
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{running:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let failed = am
        .get_containers(proto::ContainersRequest {
            states: vec![proto::container::State::Failed as i32],
            ..Default::default()
        })
        .await
        .expect("containers")
        .into_inner()
        .containers;
    assert!(
        failed.is_empty(),
        "the keytab reached a service: {failed:?}"
    );
    let _ = d
        .kill(Request::new(proto::KillRequest {
            id,
            user: String::new(),
        }))
        .await;
    let _ = fs.client().delete(&on_hdfs, false).await;
}
