//! A service's readiness check (`readiness`, a skein-rs extension) on the real cluster: a web
//! server that listens only after a few seconds is READY only then, and the service depending
//! on it starts only then.

use serde_json::json;
use skein::proto::container::State;
use skein_hadoop::yarn::ApplicationState;

use crate::fixtures::{
    Cli, LONG, app, connect, containers, resource_manager, service, submit, wait_for,
    wait_until_finished,
};

/// A port nobody listens on now (the OS's pick, released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dependent_starts_only_once_its_dependency_passes_its_readiness_check() {
    let port = free_port();
    // Listens only after 5 s, then serves until the client is done.
    let mut web = service(&format!(
        "sleep 5\nexec python3 -m http.server {port} --bind 127.0.0.1"
    ));
    web["readiness"] = json!({"http": {"port": port, "path": "/"}, "interval": "1s"});
    // Fails unless the web server answers when it starts: without the check it would start
    // as soon as the web container was allocated, 5 s too early.
    let mut client = service(&format!(
        "python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/', \
         timeout=5)\""
    ));
    client["depends"] = json!(["web"]);
    let id = submit(&app("readiness", json!({"web": web, "client": client}))).await;
    let rm = resource_manager();
    let mut am = connect(&rm, &id).await;

    // Before the check passes: web runs, not ready, with the failure; the client waits.
    let web_0 = wait_for("web to run", LONG, || {
        let mut am = am.clone();
        async move {
            let running = containers(&mut am, "web", &[State::Running]).await;
            running.into_iter().next()
        }
    })
    .await;
    assert!(web_0.has_readiness_check);
    let cli = Cli::with_app_credentials();
    let (code, json, err) = cli.run(&["container", "ls", &id, "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let listed: serde_json::Value = serde_json::from_str(&json).expect("json");
    let web_listed = listed
        .as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == "web_0"))
        .unwrap_or_else(|| panic!("web_0 in {json}"));
    assert!(web_listed.get("ready").is_some(), "{json}");

    let client_started = wait_for("the client to succeed", LONG, || {
        let mut am = am.clone();
        async move {
            let done = containers(&mut am, "client", &[State::Succeeded, State::Failed]).await;
            done.into_iter().next()
        }
    })
    .await;
    assert_eq!(
        client_started.state,
        State::Succeeded as i32,
        "the client found the web server up: {}",
        client_started.exit_message
    );
    let web_now = containers(&mut am, "web", &[State::Running]).await;
    assert!(web_now.first().is_some_and(|c| c.ready), "{web_now:?}");
    let (code, table, err) = cli.run(&["container", "ls", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(
        table.lines().next().is_some_and(|h| h.contains("READY")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("web") && l.contains(" yes ")),
        "{table}"
    );

    rm.kill(&id).await.expect("kill");
    let app = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(app.state, ApplicationState::Killed, "{app:?}");
}
