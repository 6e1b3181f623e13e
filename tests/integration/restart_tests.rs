//! A service's restart policy (`restart`, a skein-rs extension) on the real cluster: a
//! crash-looping service stops after `max_restarts` within its window, while a service that
//! crashes more rarely than that keeps being restarted.

use serde_json::json;
use skein::proto::container::State;

use crate::fixtures::{
    LONG, app, connect, containers, resource_manager, service, submit, wait_for,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_loop_stops_within_its_window_but_a_rare_crash_is_restarted() {
    // Fails at once: two restarts within 10 minutes, then the service is done (its failures
    // allowed, so the application goes on).
    let mut crasher = service("exit 3");
    crasher["allow_failures"] = json!(true);
    crasher["restart"] = json!({"max_restarts": 2, "window": "10m", "backoff": "1s"});
    // Fails every 8 s: never two restarts within 5 s, so it is restarted past max_restarts.
    let mut rare = service("sleep 8; exit 3");
    rare["restart"] = json!({"max_restarts": 1, "window": "5s"});
    let id = submit(&app("restarts", json!({"crasher": crasher, "rare": rare}))).await;
    let rm = resource_manager();
    let mut am = connect(&rm, &id).await;

    let failed = wait_for("the crash loop to stop", LONG, || {
        let mut am = am.clone();
        async move {
            let active = containers(&mut am, "crasher", &[]).await;
            let failed = containers(&mut am, "crasher", &[State::Failed]).await;
            (active.is_empty() && failed.len() >= 3).then_some(failed.len())
        }
    })
    .await;
    assert_eq!(failed, 3, "the first container and its two restarts");

    let rare_failed = wait_for("the rare crasher to pass its max_restarts", LONG, || {
        let (mut am, rm, id) = (am.clone(), &rm, &id);
        async move {
            let app = rm.application(id).await.expect("report");
            assert!(
                !app.state.is_terminal(),
                "the application ended: {}",
                app.diagnostics
            );
            let failed = containers(&mut am, "rare", &[State::Failed]).await;
            (failed.len() >= 3).then_some(failed.len())
        }
    })
    .await;
    assert!(rare_failed >= 3, "{rare_failed}");
    let app = rm.application(&id).await.expect("report");
    assert!(!app.state.is_terminal(), "still running: {app:?}");
    // Restarted once more after each failure: one container is on its way.
    assert_eq!(containers(&mut am, "rare", &[]).await.len(), 1);
    assert_eq!(
        containers(&mut am, "crasher", &[State::Failed]).await.len(),
        3,
        "the crash loop stayed stopped"
    );
    rm.kill(&id).await.expect("kill");
}
