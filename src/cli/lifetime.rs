//! An application's lifetime and priority on the command line: `skein application
//! update-lifetime` and `update-priority`, and what `skein application status` adds about
//! them.

use std::process::ExitCode;

use serde_json::{Map, Value};

use super::application::{rpc, with_driver};
use crate::proto;

/// `skein application update-lifetime APP_ID LIFETIME`: the application ends `lifetime` from
/// now (as YARN's `-updateLifetime`), whatever its spec said.
pub(crate) fn update_lifetime(app_id: String, lifetime: &str) -> anyhow::Result<ExitCode> {
    let duration = skein_core::spec::parse_duration(lifetime)?;
    let lifetime_seconds = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
    if lifetime_seconds < 1 || duration.subsec_millis() != 0 {
        anyhow::bail!(
            "invalid lifetime '{lifetime}': YARN counts lifetimes in whole seconds, at least 1 \
             (e.g. 90s, 30m, 4h)"
        );
    }
    with_driver(|mut d| async move {
        let report = d
            .update_application_lifetime(proto::UpdateLifetimeRequest {
                id: app_id,
                lifetime_seconds,
            })
            .await
            .map_err(rpc)?
            .into_inner();
        println!("{}", lifetime_line(&report));
        Ok(ExitCode::SUCCESS)
    })
}

/// `skein application update-priority APP_ID PRIORITY`.
pub(crate) fn update_priority(app_id: String, priority: i32) -> anyhow::Result<ExitCode> {
    with_driver(|mut d| async move {
        let report = d
            .update_application_priority(proto::UpdatePriorityRequest {
                id: app_id,
                priority,
            })
            .await
            .map_err(rpc)?
            .into_inner();
        println!("{}: priority {}", report.id, report.priority);
        if report.priority != priority {
            eprintln!(
                "the scheduler kept priority {} rather than {priority}: the cluster's \
                 yarn.cluster.max-application-priority (or the queue's limit) caps it",
                report.priority
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `<id>: lifetime ends <time> (<left> left)`, or `unlimited`.
fn lifetime_line(report: &proto::ApplicationReport) -> String {
    match lifetime_text(report) {
        Some(text) => format!("{}: lifetime ends {text}", report.id),
        None => format!("{}: lifetime unlimited", report.id),
    }
}

fn lifetime_text(report: &proto::ApplicationReport) -> Option<String> {
    (report.lifetime_expiry_time > 0).then(|| {
        format!(
            "{} ({} left)",
            crate::am::tokens::utc(report.lifetime_expiry_time),
            super::output::humanize_ms(report.lifetime_remaining_seconds.saturating_mul(1000))
        )
    })
}

/// Whether the status has anything to say about lifetime or priority: only then do its
/// table and document grow, so that other applications' status reads as Skein's.
fn has_extras(report: &proto::ApplicationReport) -> bool {
    report.lifetime_expiry_time > 0 || report.priority != 0
}

/// Lines after the status table: the priority and the lifetime left, when set.
pub(crate) fn status_lines(report: &proto::ApplicationReport) -> String {
    if !has_extras(report) {
        return String::new();
    }
    format!(
        "\nPRIORITY  {}\nLIFETIME  {}\n",
        report.priority,
        lifetime_text(report).unwrap_or_else(|| "unlimited".into())
    )
}

/// The same as keys of the status document (`--output json|yaml`).
pub(crate) fn add_status_keys(report: &proto::ApplicationReport, object: &mut Map<String, Value>) {
    if !has_extras(report) {
        return;
    }
    object.insert("priority".into(), Value::from(report.priority));
    if report.lifetime_expiry_time > 0 {
        object.insert(
            "lifetime_expires".into(),
            Value::from(crate::am::tokens::utc(report.lifetime_expiry_time)),
        );
        object.insert(
            "lifetime_remaining_seconds".into(),
            Value::from(report.lifetime_remaining_seconds),
        );
    }
}
