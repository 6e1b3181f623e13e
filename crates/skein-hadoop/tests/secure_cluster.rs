//! Kerberos against the real secure test cluster (`scripts/cluster up --secure`: MiniKdc,
//! secure HDFS, secure YARN with SPNEGO on the web endpoints).
//!
//! Runs only when `SKEIN_SECURE_TEST_CLUSTER` names the cluster's configuration folder (its
//! HADOOP_CONF_DIR, which holds `cluster.json`); otherwise every test prints why it skips.
//!
//! Each story runs in a child process of this test binary with exactly the Kerberos
//! environment it is about (KRB5_CONFIG, KRB5CCNAME, HADOOP_TOKEN_FILE_LOCATION...), as the
//! driver and YARN containers would have it: MIT krb5 and hdfs-native read these variables,
//! and changing them inside one multi-threaded test process would race.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::hdfs::Hdfs;
use skein_hadoop::security::credentials::StorageFormat;
use skein_hadoop::security::delegation::{self, DelegationError};
use skein_hadoop::security::login::{self, KerberosCredentials, KeytabLogin};
use skein_hadoop::security::token::{self, Token};
use skein_hadoop::security::{Auth, Credentials, KerberosError, SecurityMode};
use skein_hadoop::yarn::{
    AppQuery, Commands, ContainerLaunchContext, ResourceInfo, ResourceManager, SubmissionContext,
    YarnError,
};

const CLUSTER_VAR: &str = "SKEIN_SECURE_TEST_CLUSTER";
const SCENARIO_VAR: &str = "SKEIN_SECURE_SCENARIO";
const SCRATCH_VAR: &str = "SKEIN_SECURE_SCRATCH";

/// What `cluster.json` of a secure cluster says.
#[derive(Debug, Clone)]
struct Cluster {
    conf_dir: PathBuf,
    krb5_conf: String,
    principal: String,
    keytab: String,
    principal2: String,
    rm_principal: String,
    ticket_lifetime_s: u64,
}

fn cluster() -> Option<Cluster> {
    let Some(dir) = std::env::var_os(CLUSTER_VAR).filter(|d| !d.is_empty()) else {
        eprintln!(
            "skipped: set {CLUSTER_VAR} to the conf folder of `scripts/cluster up --secure` to run the Kerberos tests"
        );
        return None;
    };
    let conf_dir = PathBuf::from(dir);
    let text = std::fs::read_to_string(conf_dir.join("cluster.json"))
        .unwrap_or_else(|e| panic!("{}/cluster.json: {e}", conf_dir.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("cluster.json is JSON");
    let field = |name: &str| {
        json[name]
            .as_str()
            .unwrap_or_else(|| panic!("cluster.json has no {name}: is the cluster secure?"))
            .to_string()
    };
    Some(Cluster {
        krb5_conf: field("krb5_conf"),
        principal: field("test_principal"),
        keytab: field("test_keytab"),
        principal2: field("test_principal2"),
        rm_principal: field("rm_principal"),
        ticket_lifetime_s: json["ticket_lifetime_s"].as_u64().unwrap_or(86400),
        conf_dir,
    })
}

/// A fresh scratch folder under the target dir (kept for inspection after a failure).
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("secure-cluster")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// `kinit` into `cache` (with `lifetime` when given), with the cluster's krb5.conf.
fn kinit(cluster: &Cluster, cache: &Path, principal: &str, keytab: &str, lifetime: Option<&str>) {
    let mut cmd = Command::new("kinit");
    cmd.env("KRB5_CONFIG", &cluster.krb5_conf)
        .arg("-c")
        .arg(format!("FILE:{}", cache.display()));
    if let Some(l) = lifetime {
        cmd.args(["-l", l]);
    }
    let out = cmd
        .args(["-kt", keytab, principal])
        .output()
        .expect("kinit runs");
    assert!(
        out.status.success(),
        "kinit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `klist` of a cache: (exit status ok, output).
fn klist(cluster: &Cluster, cache: &Path) -> (bool, String) {
    let out = Command::new("klist")
        .env("KRB5_CONFIG", &cluster.krb5_conf)
        .arg("-c")
        .arg(format!("FILE:{}", cache.display()))
        .output()
        .expect("klist runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Runs `scenario` in a child process of this test binary with the cluster's krb5.conf,
/// `KRB5CCNAME=cache` and `extra` variables; no token file or client keytab unless given.
/// Returns (success, output).
fn run_child(
    cluster: &Cluster,
    scenario: &str,
    scratch: &Path,
    cache: &str,
    extra: &[(&str, String)],
) -> (bool, String) {
    let exe = std::env::current_exe().expect("test binary");
    let mut cmd = Command::new(exe);
    cmd.args([
        "scenario_entry",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(SCENARIO_VAR, scenario)
    .env(SCRATCH_VAR, scratch)
    .env(CLUSTER_VAR, &cluster.conf_dir)
    .env("HADOOP_CONF_DIR", &cluster.conf_dir)
    .env("KRB5_CONFIG", &cluster.krb5_conf)
    .env("KRB5CCNAME", cache)
    .env_remove("KRB5_CLIENT_KTNAME")
    .env_remove("HADOOP_TOKEN_FILE_LOCATION")
    .env_remove("HADOOP_PROXY_USER");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("child runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn expect_child_ok(
    cluster: &Cluster,
    scenario: &str,
    scratch: &Path,
    cache: &str,
    extra: &[(&str, String)],
) -> String {
    let (ok, out) = run_child(cluster, scenario, scratch, cache, extra);
    println!("--- {scenario} ---\n{out}");
    assert!(ok, "scenario {scenario} failed:\n{out}");
    out
}

// ---------------------------------------------------------------------------------------
// The stories (parent side).

/// With a `kinit` ticket, the RM REST client authenticates with SPNEGO, remembers the
/// `hadoop.auth` cookie, and keeps working on the cookie alone after the ticket is gone; once
/// the cookie is forgotten it needs a ticket again and says so.
#[test]
fn rm_over_spnego_with_a_ticket_cache_then_on_the_cookie() {
    let Some(c) = cluster() else { return };
    let dir = scratch("rm-ticket");
    let cache = dir.join("krb5cc");
    kinit(&c, &cache, &c.principal, &c.keytab, None);
    expect_child_ok(
        &c,
        "rm_with_ticket",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[],
    );
}

/// No ticket: the RM call fails with an error that says to kinit or use a keytab.
#[test]
fn rm_without_a_ticket_says_kinit_or_keytab() {
    let Some(c) = cluster() else { return };
    let dir = scratch("rm-no-ticket");
    let cache = format!("FILE:{}", dir.join("absent").display());
    expect_child_ok(&c, "rm_without_ticket", &dir, &cache, &[]);
}

/// An expired ticket (a 2-second `kinit -l`) is named as expired.
#[test]
fn an_expired_ticket_is_named_expired() {
    let Some(c) = cluster() else { return };
    let dir = scratch("expired");
    let cache = dir.join("krb5cc");
    kinit(&c, &cache, &c.principal, &c.keytab, Some("2s"));
    std::thread::sleep(Duration::from_secs(4));
    expect_child_ok(
        &c,
        "expired_ticket",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[],
    );
}

/// `--principal/--keytab`: a private 0600 cache, filled at login, used for SPNEGO; when its
/// ticket has expired, MIT's client-keytab support gets a new one (for our SPNEGO and, through
/// KRB5_CLIENT_KTNAME, for hdfs-native).
#[test]
fn keytab_login_uses_a_private_cache_and_renews_expired_tickets() {
    let Some(c) = cluster() else { return };
    let dir = scratch("keytab");
    // The process's default cache is empty: only the keytab login can authenticate.
    let absent = format!("FILE:{}", dir.join("absent").display());
    let out = expect_child_ok(&c, "keytab_login", &dir, &absent, &[]);
    assert!(out.contains("LOGIN ok"), "{out}");
    let cache = dir.join("login").join("krb5cc");
    let (ok, list) = klist(&c, &cache);
    println!("{list}");
    assert!(ok && list.contains(&c.principal), "{list}");

    // Replace the cache with a ticket that expires in 2 s, let it expire, and use the login.
    kinit(&c, &cache, &c.principal, &c.keytab, Some("2s"));
    std::thread::sleep(Duration::from_secs(4));
    let (_, before) = klist(&c, &cache);
    println!("expired cache:\n{before}");
    expect_child_ok(&c, "keytab_renews", &dir, &absent, &[]);
    let (_, after) = klist(&c, &cache);
    println!("after the keytab refresh:\n{after}");
    assert_ne!(before, after, "the cache must hold a new ticket");

    // The process-wide form (what hdfs-native uses): KRB5CCNAME + KRB5_CLIENT_KTNAME.
    kinit(&c, &cache, &c.principal, &c.keytab, Some("2s"));
    std::thread::sleep(Duration::from_secs(4));
    let expired = format!("FILE:{}", cache.display());
    let (ok, out) = run_child(&c, "hdfs_with_ticket", &dir, &expired, &[]);
    println!("--- hdfs_with_ticket, expired and no client keytab (must fail) ---\n{out}");
    assert!(!ok, "hdfs-native must not work on an expired ticket alone");
    // KeytabLogin::process_env (checked in the keytab_login child) names these two.
    expect_child_ok(
        &c,
        "hdfs_with_ticket",
        &dir,
        &expired,
        &[("KRB5_CLIENT_KTNAME", c.keytab.clone())],
    );
    // The same for a proxy user: the login's user must be known with an expired ticket too.
    kinit(&c, &cache, &c.principal, &c.keytab, Some("2s"));
    std::thread::sleep(Duration::from_secs(4));
    expect_child_ok(
        &c,
        "hdfs_proxy_users",
        &dir,
        &expired,
        &[("KRB5_CLIENT_KTNAME", c.keytab.clone())],
    );
}

/// On a cluster whose KDC hands out short tickets (`scripts/cluster up --secure
/// --ticket-lifetime 15`), a keytab login keeps working for several ticket lifetimes, for
/// SPNEGO and (through the process environment) hdfs-native, each call negotiating anew.
#[test]
fn keytab_login_outlives_short_tickets() {
    let Some(c) = cluster() else { return };
    if c.ticket_lifetime_s > 60 {
        eprintln!(
            "skipped: tickets last {} s on this cluster; start it with --ticket-lifetime 15 to run this test",
            c.ticket_lifetime_s
        );
        return;
    }
    let dir = scratch("short-tickets");
    let cache = dir.join("login").join("krb5cc");
    expect_child_ok(
        &c,
        "short_tickets",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[("KRB5_CLIENT_KTNAME", c.keytab.clone())],
    );
}

/// Keytab and configuration mistakes are classified with their fix.
#[test]
fn kerberos_mistakes_are_classified() {
    let Some(c) = cluster() else { return };
    let dir = scratch("mistakes");
    let absent = format!("FILE:{}", dir.join("absent").display());
    expect_child_ok(&c, "keytab_mistakes", &dir, &absent, &[]);

    // A krb5.conf whose KDC does not listen.
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
    let broken_path = dir.join("krb5-unreachable.conf");
    std::fs::write(&broken_path, broken).expect("write conf");
    expect_child_ok(
        &c,
        "kdc_unreachable",
        &dir,
        &absent,
        &[("KRB5_CONFIG", broken_path.display().to_string())],
    );

    // A host name the server's HTTP principal was not made for.
    let cache = dir.join("krb5cc");
    kinit(&c, &cache, &c.principal, &c.keytab, None);
    expect_child_ok(
        &c,
        "unknown_server_principal",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[],
    );
}

/// A server that refuses a valid SPNEGO token: the error says it was refused after
/// negotiation (the fake server listens on localhost, whose HTTP principal exists).
#[test]
fn spnego_refused_after_negotiation_is_reported() {
    let Some(c) = cluster() else { return };
    let dir = scratch("refused");
    let cache = dir.join("krb5cc");
    kinit(&c, &cache, &c.principal, &c.keytab, None);
    expect_child_ok(
        &c,
        "spnego_refused",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[],
    );
}

/// HDFS (WebHDFS) and RM delegation tokens: fetched, decoded, renewer and owner visible; the
/// proxy user `alice` is allowed, `bob` refused.
#[test]
fn delegation_tokens_and_proxy_users() {
    let Some(c) = cluster() else { return };
    let dir = scratch("tokens");
    let cache = dir.join("krb5cc");
    kinit(&c, &cache, &c.principal, &c.keytab, None);
    let out = expect_child_ok(
        &c,
        "tokens",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[],
    );
    assert!(out.contains("renewer=hadoop"), "{out}");
    expect_child_ok(
        &c,
        "proxy_users",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[],
    );
}

/// hdfs-native with the Kerberos ticket; then with ONLY a token file (no ticket), as YARN
/// containers and the AM run: works with the rewritten token, fails without a file and with
/// the NameNode's WebHDFS-labelled token as it comes.
#[test]
fn hdfs_native_with_a_ticket_and_with_only_a_token_file() {
    let Some(c) = cluster() else { return };
    let dir = scratch("hdfs");
    let cache = dir.join("krb5cc");
    kinit(&c, &cache, &c.principal, &c.keytab, None);
    let ticket = format!("FILE:{}", cache.display());
    expect_child_ok(&c, "hdfs_with_ticket", &dir, &ticket, &[]);
    expect_child_ok(&c, "hdfs_proxy_users", &dir, &ticket, &[]);
    // Writes tokens.hdts (rewritten) and raw.hdts (as the NameNode labels it).
    expect_child_ok(&c, "write_token_files", &dir, &ticket, &[]);

    let no_ticket = format!("FILE:{}", dir.join("absent").display());
    let token_file = |name: &str| dir.join(name).display().to_string();
    expect_child_ok(
        &c,
        "hdfs_with_token_only",
        &dir,
        &no_ticket,
        &[("HADOOP_TOKEN_FILE_LOCATION", token_file("tokens.hdts"))],
    );
    expect_child_ok(
        &c,
        "hdfs_with_token_only",
        &dir,
        &no_ticket,
        &[(
            "HADOOP_TOKEN_FILE_LOCATION",
            token_file("tokens-protobuf.hdts"),
        )],
    );
    for (name, file) in [
        ("no token file", None),
        ("WebHDFS-labelled token", Some(token_file("raw.hdts"))),
    ] {
        let extra: Vec<(&str, String)> = file
            .map(|f| vec![("HADOOP_TOKEN_FILE_LOCATION", f)])
            .unwrap_or_default();
        let (ok, out) = run_child(&c, "hdfs_with_token_only", &dir, &no_ticket, &extra);
        println!("--- hdfs_with_token_only, {name} (must fail) ---\n{out}");
        assert!(!ok, "HDFS must refuse a client with {name}");
    }
}

/// A submission carrying our tokens is accepted (the RM renews them at submit) and its AM's
/// token file holds them, enough for hdfs-native without a ticket; the RM fails
/// one carrying the NameNode's WebHDFS-labelled token as it comes, and one whose tokens name
/// a renewer other than the RM.
#[test]
fn the_rm_accepts_our_tokens_at_submission() {
    let Some(c) = cluster() else { return };
    if c.ticket_lifetime_s < 120 {
        // The daemons' own tickets then expire before Java relogs in (it waits at least
        // 60 s between logins): the RM cannot reach the NameNode to renew anything.
        eprintln!(
            "skipped: tickets last {} s on this cluster, too short for the RM's own renewals",
            c.ticket_lifetime_s
        );
        return;
    }
    let dir = scratch("submit");
    let cache = dir.join("krb5cc");
    kinit(&c, &cache, &c.principal, &c.keytab, None);
    expect_child_ok(
        &c,
        "submit_with_tokens",
        &dir,
        &format!("FILE:{}", cache.display()),
        &[],
    );
    // What every container of the application can do with that file alone.
    expect_child_ok(
        &c,
        "hdfs_with_token_only",
        &dir,
        &format!("FILE:{}", dir.join("absent").display()),
        &[(
            "HADOOP_TOKEN_FILE_LOCATION",
            dir.join("am-tokens.hdts").display().to_string(),
        )],
    );
}

// ---------------------------------------------------------------------------------------
// The child side.

/// The entry point of child processes; does nothing in a normal test run.
#[test]
fn scenario_entry() {
    let Ok(scenario) = std::env::var(SCENARIO_VAR) else {
        return;
    };
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let c = cluster().expect("child of a secure run");
    let dir = PathBuf::from(std::env::var(SCRATCH_VAR).expect("scratch"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        match scenario.as_str() {
            "rm_with_ticket" => rm_with_ticket(&c).await,
            "rm_without_ticket" => rm_without_ticket(&c).await,
            "expired_ticket" => expired_ticket(&c).await,
            "keytab_login" => keytab_login(&c, &dir).await,
            "keytab_renews" => keytab_renews(&c, &dir).await,
            "keytab_mistakes" => keytab_mistakes(&c, &dir).await,
            "kdc_unreachable" => kdc_unreachable(&c, &dir).await,
            "unknown_server_principal" => unknown_server_principal(&c).await,
            "spnego_refused" => spnego_refused().await,
            "tokens" => tokens(&c).await,
            "proxy_users" => proxy_users(&c).await,
            "hdfs_with_ticket" => hdfs_with_ticket(&c).await,
            "hdfs_proxy_users" => hdfs_proxy_users(&c).await,
            "short_tickets" => short_tickets(&c, &dir).await,
            "write_token_files" => write_token_files(&c, &dir).await,
            "hdfs_with_token_only" => hdfs_with_token_only(&c).await,
            "submit_with_tokens" => submit_with_tokens(&c, &dir).await,
            other => panic!("unknown scenario {other}"),
        }
    });
}

fn config(c: &Cluster) -> HadoopConfig {
    HadoopConfig::from_dir(&c.conf_dir).expect("cluster configuration")
}

fn rm(c: &Cluster) -> ResourceManager {
    let rm = ResourceManager::from_config(&config(c), "skein").expect("RM client");
    assert_eq!(rm.auth().mode(), SecurityMode::Kerberos);
    rm
}

fn rm_authority(rm: &ResourceManager) -> String {
    let url = reqwest::Url::parse(rm.active_url()).expect("url");
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

async fn rm_with_ticket(c: &Cluster) {
    let info = login::check_default_credentials().expect("a ticket");
    println!("ticket: {} for {:?}", info.principal, info.lifetime);
    assert_eq!(info.principal, c.principal);

    let rm = rm(c);
    let cluster_info = rm.cluster_info().await.expect("cluster info over SPNEGO");
    println!("cluster info: {cluster_info:?}");
    let apps = rm
        .applications(&AppQuery::default())
        .await
        .expect("applications over SPNEGO");
    println!("applications: {}", apps.len());

    // HA failover under Kerberos: a first RM that does not answer is skipped.
    let ha = ResourceManager::new(
        vec!["http://localhost:1".into(), rm.active_url().to_string()],
        "skein",
        Default::default(),
    )
    .expect("rm")
    .with_auth(rm.auth().clone());
    ha.cluster_info().await.expect("the second RM answers");
    assert_eq!(ha.active_url(), rm.active_url());
    println!("failover to {}: ok", ha.active_url());
    let spnego = rm.auth().spnego().expect("Kerberos mode");
    let cookie = spnego
        .cookie(&rm_authority(&rm))
        .expect("hadoop.auth cookie kept");
    println!("cookie: {}...", &cookie[..cookie.len().min(60)]);
    assert!(cookie.contains("t=kerberos"), "{cookie}");

    // The ticket goes away: the cookie alone still authenticates (no new GSS round trip).
    let cache = std::env::var("KRB5CCNAME").expect("cache");
    std::fs::remove_file(cache.trim_start_matches("FILE:")).expect("kdestroy");
    assert!(login::check_default_credentials().is_err());
    rm.cluster_info().await.expect("the cookie authenticates");
    println!("cookie reused without a ticket: ok");

    // Without the cookie, a new negotiation is needed, and there is no ticket for it.
    spnego.clear_cookies();
    let err = rm.cluster_info().await.expect_err("no cookie, no ticket");
    println!("without cookie and ticket: {err}");
    assert!(
        matches!(err, YarnError::Kerberos(KerberosError::NoTicket { .. })),
        "{err:?}"
    );
}

async fn rm_without_ticket(c: &Cluster) {
    let err = login::login_at_startup(&config(c), None, Path::new("/nonexistent"))
        .expect_err("no ticket");
    println!("start-up: {err}");
    assert!(
        matches!(
            err,
            login::LoginError::Kerberos(KerberosError::NoTicket { .. })
        ),
        "{err:?}"
    );
    let err = rm(c).cluster_info().await.expect_err("no ticket");
    println!("RM call: {err}");
    let text = err.to_string();
    assert!(text.contains("no Kerberos ticket in cache FILE:"), "{text}");
    assert!(text.contains("run kinit"), "{text}");
    assert!(text.contains("--principal and --keytab"), "{text}");
}

async fn expired_ticket(c: &Cluster) {
    let err = login::check_default_credentials().expect_err("expired");
    println!("check: {err}");
    assert!(
        matches!(err, KerberosError::TicketExpired { .. }),
        "{err:?}"
    );
    let err = rm(c).cluster_info().await.expect_err("expired");
    println!("RM call: {err}");
    assert!(
        matches!(
            err,
            YarnError::Kerberos(KerberosError::TicketExpired { .. })
        ),
        "{err:?}"
    );
}

async fn keytab_login(c: &Cluster, dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let (principal, keytab, cache_dir) = (
        c.principal.clone(),
        PathBuf::from(&c.keytab),
        dir.join("login"),
    );
    let hadoop = config(c);
    let login = tokio::task::spawn_blocking(move || {
        login::login_at_startup(&hadoop, Some((&principal, &keytab)), &cache_dir)
    })
    .await
    .expect("join")
    .expect("keytab login");
    let login::Login::Keytab(login) = login else {
        panic!("a Kerberos cluster gives a keytab login: {login:?}")
    };
    let mode = std::fs::metadata(login.cache_file())
        .expect("cache file")
        .permissions()
        .mode();
    let dir_mode = std::fs::metadata(dir.join("login"))
        .expect("dir")
        .permissions()
        .mode();
    println!(
        "cache {} mode {:o}, folder mode {:o}",
        login.cache_name(),
        mode & 0o777,
        dir_mode & 0o777
    );
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(dir_mode & 0o777, 0o700);
    // The process default cache is empty, so this can only work through the login.
    assert!(login::check_default_credentials().is_err());
    assert_eq!(
        login.process_env(),
        [
            ("KRB5CCNAME", login.cache_name()),
            ("KRB5_CLIENT_KTNAME", c.keytab.clone())
        ]
    );
    let rm = ResourceManager::from_config(&config(c), "skein")
        .expect("rm")
        .with_auth(Auth::kerberos(login.credentials()));
    let info = rm
        .cluster_info()
        .await
        .expect("SPNEGO from the keytab login");
    println!("cluster {} via keytab login", info.id);
    println!("LOGIN ok");
}

async fn short_tickets(c: &Cluster, dir: &Path) {
    let (principal, keytab, cache_dir) = (
        c.principal.clone(),
        PathBuf::from(&c.keytab),
        dir.join("login"),
    );
    let hadoop = config(c);
    let login = tokio::task::spawn_blocking(move || {
        login::login_at_startup(&hadoop, Some((&principal, &keytab)), &cache_dir)
    })
    .await
    .expect("join")
    .expect("keytab login");
    let login::Login::Keytab(login) = login else {
        panic!("{login:?}")
    };
    // The parent pointed KRB5CCNAME/KRB5_CLIENT_KTNAME at this login (process_env).
    assert_eq!(
        std::env::var("KRB5CCNAME").ok().as_deref(),
        Some(login.cache_name().as_str())
    );
    let rm = ResourceManager::from_config(&config(c), "skein")
        .expect("rm")
        .with_auth(Auth::kerberos(login.credentials()));
    let spnego = rm.auth().spnego().expect("Kerberos");
    let lifetime = c.ticket_lifetime_s;
    let start = std::time::Instant::now();
    let mut rounds = 0;
    while start.elapsed() < Duration::from_secs(3 * lifetime + 2) {
        spnego.clear_cookies();
        rm.cluster_info()
            .await
            .expect("SPNEGO with a renewed ticket");
        hdfs_roundtrip(&format!("short-{rounds}"), "skein").await;
        let credentials = login.credentials();
        let info = tokio::task::spawn_blocking(move || credentials.check())
            .await
            .expect("join")
            .expect("renewable");
        println!(
            "after {:>3} s: RM and HDFS ok, ticket left {:?}",
            start.elapsed().as_secs(),
            info.lifetime
        );
        rounds += 1;
        tokio::time::sleep(Duration::from_secs(lifetime.div_ceil(2))).await;
    }
    assert!(rounds >= 6, "{rounds} rounds");
}

async fn keytab_renews(c: &Cluster, dir: &Path) {
    let cache = dir.join("login").join("krb5cc");
    let credentials = KerberosCredentials::Keytab {
        principal: c.principal.clone(),
        keytab: PathBuf::from(&c.keytab),
        cache: format!("FILE:{}", cache.display()),
    };
    let rm = ResourceManager::from_config(&config(c), "skein")
        .expect("rm")
        .with_auth(Auth::kerberos(credentials.clone()));
    rm.cluster_info()
        .await
        .expect("SPNEGO after the ticket expired");
    let info = tokio::task::spawn_blocking(move || credentials.check())
        .await
        .expect("join")
        .expect("valid again");
    println!(
        "renewed from the keytab: {} for {:?}",
        info.principal, info.lifetime
    );
    assert!(!info.lifetime.is_zero(), "{info:?}");
}

async fn keytab_mistakes(c: &Cluster, dir: &Path) {
    let missing = dir.join("nope.keytab");
    let principal = c.principal.clone();
    let principal2 = c.principal2.clone();
    let keytab = PathBuf::from(&c.keytab);
    let unreadable = dir.join("unreadable.keytab");
    std::fs::write(&unreadable, b"not a keytab").expect("write");
    let login_dir = dir.join("m");
    let results = tokio::task::spawn_blocking(move || {
        vec![
            (
                "missing keytab",
                KeytabLogin::login(&principal, &missing, &login_dir),
            ),
            (
                "principal not in keytab",
                KeytabLogin::login(&principal2, &keytab, &login_dir),
            ),
            (
                "not a keytab",
                KeytabLogin::login(&principal, &unreadable, &login_dir),
            ),
            (
                "unknown realm",
                KeytabLogin::login("skein@NOWHERE.INVALID", &keytab, &login_dir),
            ),
        ]
    })
    .await
    .expect("join");
    for (what, result) in results {
        let err = result.expect_err(what);
        println!("{what}: {err}");
        let ok = match what {
            "missing keytab" => matches!(err, KerberosError::KeytabUnreadable { .. }),
            "principal not in keytab" => matches!(err, KerberosError::PrincipalNotInKeytab { .. }),
            "not a keytab" => matches!(err, KerberosError::KeytabUnreadable { .. }),
            _ => matches!(
                err,
                KerberosError::PrincipalNotInKeytab { .. } | KerberosError::UnknownRealm { .. }
            ),
        };
        assert!(ok, "{what}: {err:?}");
    }
}

async fn kdc_unreachable(c: &Cluster, dir: &Path) {
    let (principal, keytab, cache_dir) =
        (c.principal.clone(), PathBuf::from(&c.keytab), dir.join("u"));
    let err =
        tokio::task::spawn_blocking(move || KeytabLogin::login(&principal, &keytab, &cache_dir))
            .await
            .expect("join")
            .expect_err("no KDC");
    println!("KDC down: {err}");
    assert!(
        matches!(err, KerberosError::KdcUnreachable { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("krb5-unreachable.conf"), "{err}");
}

async fn unknown_server_principal(c: &Cluster) {
    let rm = rm(c);
    // Under its IP address the RM is still found: the address is named back to `localhost`
    // for the service principal, as Hadoop's Java client does.
    let by_ip_url = rm.active_url().replace("://localhost:", "://127.0.0.1:");
    assert!(
        by_ip_url.contains("127.0.0.1"),
        "the RM web URL uses localhost: {by_ip_url}"
    );
    let by_ip = ResourceManager::new(vec![by_ip_url], "skein", Default::default())
        .expect("rm")
        .with_auth(Auth::kerberos(KerberosCredentials::Default));
    by_ip
        .cluster_info()
        .await
        .expect("HTTP/localhost for 127.0.0.1");
    println!("RM by IP address: ok (HTTP/localhost)");

    // A host name with no HTTP principal (in the cluster's realm through [domain_realm]).
    let alias_url = rm.active_url().replace("://localhost:", "://rm.localhost:");
    let alias = ResourceManager::new(vec![alias_url], "skein", Default::default())
        .expect("rm")
        .with_auth(Auth::kerberos(KerberosCredentials::Default));
    let err = alias
        .cluster_info()
        .await
        .expect_err("no HTTP/rm.localhost");
    println!("by alias: {err}");
    assert!(
        matches!(
            err,
            YarnError::Kerberos(KerberosError::ServerPrincipalUnknown { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTTP@rm.localhost"), "{err}");
}

async fn spnego_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (heads, mut seen) = tokio::sync::mpsc::unbounded_channel::<String>();
    let server = tokio::spawn(async move {
        // Answer every request 401, as a server whose keytab does not match would.
        for _ in 0..2 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 65536];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let _ = heads.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            let body =
                "<html><head><title>Error 401 GSSException: Checksum failed</title></head></html>";
            let answer = format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    let rm = ResourceManager::new(
        vec![format!("http://localhost:{port}")],
        "skein",
        Default::default(),
    )
    .expect("rm")
    .with_auth(Auth::kerberos(KerberosCredentials::Default))
    .acting_as("alice");
    let err = rm.cluster_info().await.expect_err("refused");
    println!("refused: {err}");
    // What went on the wire: doAs kept, no user.name, a Negotiate token.
    let head = seen.recv().await.expect("a request");
    let request_line = head.lines().next().unwrap_or_default();
    println!("request: {request_line}");
    assert_eq!(request_line, "GET /ws/v1/cluster/info?doAs=alice HTTP/1.1");
    assert!(
        head.lines().any(|l| l
            .to_ascii_lowercase()
            .starts_with("authorization: negotiate ")),
        "{head}"
    );
    assert!(
        matches!(
            err,
            YarnError::Kerberos(KerberosError::Rejected { status: 401, .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Checksum failed"), "{err}");
    server.abort();
}

fn describe(what: &str, token: &Token) -> token::DelegationTokenIdentifier {
    let id = token.delegation_identifier().expect("identifier decodes");
    println!(
        "{what}: kind={:?} service={:?} owner={} renewer={} real_user={:?} issued={} max={} seq={}",
        token.kind(),
        token.service(),
        id.owner,
        id.renewer,
        id.real_user,
        id.issue_date,
        id.max_date,
        id.sequence_number
    );
    id
}

async fn tokens(c: &Cluster) {
    let config = config(c);
    let rm = rm(c);
    let renewer = delegation::default_renewer(&config).expect("yarn.resourcemanager.principal");
    println!("renewer principal: {renewer}");
    assert_eq!(renewer, c.rm_principal);

    let webhdfs = delegation::fetch_webhdfs_token(&config, rm.auth(), "skein", &renewer, None)
        .await
        .expect("WebHDFS token");
    println!("urlString: {}", webhdfs.encode_to_url_string());
    let id = describe("WebHDFS token", &webhdfs);
    assert_eq!(webhdfs.kind(), token::WEBHDFS_DELEGATION_KIND);
    assert_eq!(id.owner, "skein");
    assert_eq!(id.renewer, "hadoop");
    println!("renewer=hadoop");
    // The codec round-trips a real token bit for bit.
    let again = Token::decode_from_url_string(&webhdfs.encode_to_url_string()).expect("decode");
    assert_eq!(again, webhdfs);
    for (alias, t) in delegation::hdfs_rpc_tokens(&webhdfs, &config) {
        describe(&format!("RPC token {alias}"), &t);
        assert_eq!(t.kind(), token::HDFS_DELEGATION_KIND);
        assert_eq!(t.service(), alias);
    }
    println!(
        "services readers look for: {:?}",
        delegation::hdfs_token_services(&config)
    );

    let rm_token = delegation::fetch_rm_token(&rm, &renewer)
        .await
        .expect("RM token");
    println!("RM urlString: {}", rm_token.encode_to_url_string());
    let id = describe("RM token", &rm_token);
    assert_eq!(rm_token.kind(), token::RM_DELEGATION_KIND);
    // The RM names the owner by the full principal, the NameNode by its short name.
    assert_eq!(
        (id.owner.as_str(), id.renewer.as_str()),
        (c.principal.as_str(), "hadoop")
    );
    assert_eq!(
        rm_token.service(),
        "",
        "the RM leaves the service to the client"
    );

    let all = delegation::submission_credentials(&config, &rm, None, &[])
        .await
        .expect("submission credentials");
    for (alias, t) in all.tokens() {
        println!("submission token {alias}: {} {}", t.kind(), t.service());
    }
    assert!(
        all.tokens()
            .any(|(_, t)| t.kind() == token::RM_DELEGATION_KIND
                && t.service() == delegation::rm_token_service(&config))
    );
    let rest = serde_json::to_string(&all.to_rest()).expect("json");
    println!("REST credentials: {}...", &rest[..rest.len().min(160)]);
}

async fn proxy_users(c: &Cluster) {
    let config = config(c);
    let rm = rm(c);
    let renewer = delegation::default_renewer(&config).expect("renewer");

    let alice = rm.acting_as("alice");
    let apps = alice
        .applications(&AppQuery::default())
        .await
        .expect("doAs=alice");
    println!("as alice: {} applications", apps.len());
    let token =
        delegation::fetch_webhdfs_token(&config, alice.auth(), "skein", &renewer, Some("alice"))
            .await
            .expect("WebHDFS token for alice");
    let id = describe("alice's WebHDFS token", &token);
    // The NameNode issues it to alice herself (it records no real user through WebHDFS).
    assert_eq!(id.owner, "alice");
    match delegation::fetch_rm_token(&alice, &renewer).await {
        Ok(t) => {
            let id = describe("alice's RM token", &t);
            println!(
                "RM delegation-token honours doAs: owner={} real_user={}",
                id.owner, id.real_user
            );
        }
        Err(e) => println!("RM delegation-token with doAs=alice refused: {e}"),
    }

    let bob = rm.acting_as("bob");
    let err = bob
        .applications(&AppQuery::default())
        .await
        .expect_err("bob refused");
    println!("as bob (RM): {err}");
    assert_eq!(err.status(), Some(403), "{err:?}");
    let err = delegation::fetch_webhdfs_token(&config, bob.auth(), "skein", &renewer, Some("bob"))
        .await
        .expect_err("bob refused by the NameNode");
    println!("as bob (WebHDFS): {err}");
    assert!(
        matches!(err, DelegationError::Remote { status: 403, .. }),
        "{err:?}"
    );
}

async fn hdfs_roundtrip(label: &str, user: &str) {
    let config = HadoopConfig::load().expect("HADOOP_CONF_DIR");
    let hdfs = Hdfs::connect(&config, user).expect("client");
    let dir = format!("/user/{user}/krb-{label}-{}", std::process::id());
    let data = bytes::Bytes::from(format!("written with {label}"));
    hdfs.write_file(&format!("{dir}/hello.txt"), data.clone(), 0o644)
        .await
        .expect("put");
    let listing = hdfs
        .timed("list", &dir, hdfs.client().list_status(&dir, false))
        .await
        .expect("list");
    println!(
        "{label}: listed {:?}",
        listing.iter().map(|s| &s.path).collect::<Vec<_>>()
    );
    let path = format!("{dir}/hello.txt");
    let reader = hdfs
        .timed("open", &path, hdfs.client().read(&path))
        .await
        .expect("open");
    let len = reader.file_length();
    let read = hdfs
        .timed("read", &path, reader.read_range(0, len))
        .await
        .expect("read");
    assert_eq!(read, data);
    hdfs.timed("delete", &dir, hdfs.client().delete(&dir, true))
        .await
        .expect("delete");
    println!("{label}: put, list, read, delete ok");
}

async fn hdfs_with_ticket(_c: &Cluster) {
    hdfs_roundtrip("ticket", "skein").await;
}

async fn hdfs_proxy_users(_c: &Cluster) {
    // skein@EXAMPLE.COM's ticket, acting as alice (hadoop.proxyuser.skein.users=alice).
    hdfs_roundtrip("proxy", "alice").await;
    let config = HadoopConfig::load().expect("HADOOP_CONF_DIR");
    // The NameNode refuses bob at connection ("skein@EXAMPLE.COM is not allowed to
    // impersonate bob"); hdfs-native takes that for a dropped connection and retries, so
    // the refusal shows as no answer.
    let bob = Hdfs::connect(&config, "bob")
        .expect("client")
        .with_timeout(Duration::from_secs(5));
    let err = bob
        .timed("list", "/user", bob.client().list_status("/user", false))
        .await
        .expect_err("bob refused");
    println!("as bob: {err}");
    assert!(
        matches!(err, skein_hadoop::hdfs::HdfsError::Timeout { .. })
            || err.to_string().contains("not allowed to impersonate bob"),
        "{err}"
    );
}

async fn write_token_files(c: &Cluster, dir: &Path) {
    let config = config(c);
    let rm = rm(c);
    let renewer = delegation::default_renewer(&config).expect("renewer");
    let webhdfs = delegation::fetch_webhdfs_token(&config, rm.auth(), "skein", &renewer, None)
        .await
        .expect("token");
    let mut rewritten = Credentials::new();
    for (alias, t) in delegation::hdfs_rpc_tokens(&webhdfs, &config) {
        rewritten.add_token(alias, t);
    }
    rewritten
        .write_token_storage_file(&dir.join("tokens.hdts"), StorageFormat::Writable)
        .expect("write");
    rewritten
        .write_token_storage_file(&dir.join("tokens-protobuf.hdts"), StorageFormat::Protobuf)
        .expect("write");
    let mut raw = Credentials::new();
    raw.add_token(webhdfs.service().to_string(), webhdfs);
    raw.write_token_storage_file(&dir.join("raw.hdts"), StorageFormat::Writable)
        .expect("write");
    let back = Credentials::read_token_storage_file(&dir.join("tokens.hdts")).expect("read back");
    assert_eq!(back, rewritten);
}

async fn hdfs_with_token_only(_c: &Cluster) {
    assert!(
        login::check_default_credentials().is_err(),
        "no ticket here"
    );
    let file = std::env::var("HADOOP_TOKEN_FILE_LOCATION").unwrap_or_default();
    println!("token file: {file:?}");
    if !file.is_empty() {
        let creds = Credentials::read_token_storage_file(Path::new(&file)).expect("token file");
        for (alias, t) in creds.tokens() {
            println!("  {alias}: {} {}", t.kind(), t.service());
        }
    }
    hdfs_roundtrip("token", "skein").await;
}

async fn wait_for_state(rm: &ResourceManager, id: &str) -> (String, String) {
    for _ in 0..120 {
        let app = rm.application(id).await.expect("report");
        if !matches!(app.state.as_str(), "NEW" | "NEW_SAVING" | "SUBMITTED") {
            return (app.state.to_string(), app.diagnostics);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{id} stayed before ACCEPTED");
}

async fn submit_sleep(rm: &ResourceManager, credentials: &Credentials, name: &str) -> String {
    submit_command(rm, credentials, name, "sleep 1").await
}

async fn submit_command(
    rm: &ResourceManager,
    credentials: &Credentials,
    name: &str,
    command: &str,
) -> String {
    let app = rm.new_application().await.expect("new application");
    let context = SubmissionContext {
        application_id: app.application_id.clone(),
        application_name: name.to_string(),
        max_app_attempts: 1,
        resource: ResourceInfo {
            memory: 128,
            vcores: 1,
        },
        application_type: "skein-krb-test".into(),
        am_container_spec: ContainerLaunchContext {
            commands: Commands {
                command: vec![command.into()],
            },
            credentials: Some(credentials.to_rest()),
            ..Default::default()
        },
        ..Default::default()
    };
    rm.submit(&context).await.expect("submitted");
    app.application_id
}

async fn submit_with_tokens(c: &Cluster, dir: &Path) {
    let config = config(c);
    let rm = rm(c);
    let good = delegation::submission_credentials(&config, &rm, None, &[])
        .await
        .expect("tokens");
    // The AM copies the token file the NodeManager wrote for it.
    let copy = dir.join("am-tokens.hdts");
    let command = format!("cp \"$HADOOP_TOKEN_FILE_LOCATION\" {}", copy.display());
    let id = submit_command(&rm, &good, "krb-good-tokens", &command).await;
    let (state, diagnostics) = wait_for_state(&rm, &id).await;
    println!("{id} with our tokens: {state} {diagnostics:?}");
    // This AM only copies its token file and exits without registering, so YARN fails the
    // attempt once it has run (at once on a fast ResourceManager, as Hadoop 3.5's): what must
    // not happen is a refusal of the tokens at submission.
    assert!(
        state != "FAILED" || !diagnostics.contains("renew"),
        "{state}: {diagnostics}"
    );
    for _ in 0..240 {
        if copy.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let am = Credentials::read_token_storage_file(&copy).expect("the AM's token file");
    for (alias, t) in am.tokens() {
        println!("AM token file: {alias}: {} {}", t.kind(), t.service());
    }
    for (alias, t) in good.tokens() {
        assert_eq!(am.token(alias), Some(t), "{alias} reaches the AM unchanged");
    }
    assert!(am.tokens().any(|(_, t)| t.kind() == "YARN_AM_RM_TOKEN"));

    // The RM's short name works as well as its principal (the servers map both to it).
    let short = delegation::submission_credentials(&config, &rm, Some("hadoop"), &[])
        .await
        .expect("tokens");
    let id = submit_sleep(&rm, &short, "krb-short-renewer").await;
    let (state, diagnostics) = wait_for_state(&rm, &id).await;
    println!("{id} with renewer \"hadoop\": {state} {diagnostics:?}");
    assert!(state != "FAILED", "{state}: {diagnostics}");
    let _ = rm.kill(&id).await;

    // The NameNode's WebHDFS-labelled token as it comes, instead of the rewritten one.
    let renewer = delegation::default_renewer(&config).expect("renewer");
    let webhdfs = delegation::fetch_webhdfs_token(&config, rm.auth(), "skein", &renewer, None)
        .await
        .expect("token");
    let mut raw = Credentials::new();
    raw.add_token(webhdfs.service().to_string(), webhdfs);
    let id = submit_sleep(&rm, &raw, "krb-webhdfs-kind").await;
    let (state, diagnostics) = wait_for_state(&rm, &id).await;
    println!("{id} with the WebHDFS-labelled token: {state} {diagnostics:?}");
    assert_eq!(
        state, "FAILED",
        "the RM renews WEBHDFS tokens over HTTP: {diagnostics}"
    );
    assert!(diagnostics.contains("WEBHDFS delegation"), "{diagnostics}");

    let foreign = delegation::submission_credentials(&config, &rm, Some(&c.principal2), &[])
        .await
        .expect("tokens with another renewer");
    let id = submit_sleep(&rm, &foreign, "krb-foreign-renewer").await;
    let (state, diagnostics) = wait_for_state(&rm, &id).await;
    println!("{id} with renewer alice: {state} {diagnostics:?}");
    assert_eq!(
        state, "FAILED",
        "the RM cannot renew alice's tokens: {diagnostics}"
    );
    assert!(
        diagnostics.to_ascii_lowercase().contains("renew"),
        "{diagnostics}"
    );
}
