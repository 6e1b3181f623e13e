//! Conversions from the ResourceManager's REST documents to the wire contract's reports
//! (`ApplicationReport`, `NodeReport`, `Queue`), with Skein's conventions: progress in 0..1,
//! times in ms (0 = unset), negative "not applicable" values as 0, queue capacities in percent.

use crate::proto;
use skein_hadoop::yarn::{AppInfo, ApplicationState, FinalStatus, NodeInfo, NodeState};

/// The wire form of a YARN application state; `None` for a state Skein's contract lacks.
pub fn application_state(state: &ApplicationState) -> Option<proto::application_state::Type> {
    use proto::application_state::Type;
    Some(match state {
        ApplicationState::New => Type::New,
        ApplicationState::NewSaving => Type::NewSaving,
        ApplicationState::Submitted => Type::Submitted,
        ApplicationState::Accepted => Type::Accepted,
        ApplicationState::Running => Type::Running,
        ApplicationState::Finished => Type::Finished,
        ApplicationState::Failed => Type::Failed,
        ApplicationState::Killed => Type::Killed,
        ApplicationState::Unknown(_) => return None,
    })
}

/// The YARN application state of a wire state (for the RM's `states=` filter).
pub(crate) fn yarn_application_state(state: proto::application_state::Type) -> ApplicationState {
    ApplicationState::from(state.as_str_name())
}

fn final_status(status: &FinalStatus) -> proto::final_status::Type {
    use proto::final_status::Type;
    match status {
        FinalStatus::Succeeded => Type::Succeeded,
        FinalStatus::Failed => Type::Failed,
        FinalStatus::Killed => Type::Killed,
        // Skein 0.8's contract has no ENDED (a timed-out application): it reads as UNDEFINED.
        FinalStatus::Undefined | FinalStatus::Ended | FinalStatus::Unknown(_) => Type::Undefined,
    }
}

fn resources(memory: i64, vcores: i64) -> proto::Resources {
    proto::Resources {
        memory: i32::try_from(memory.max(0)).unwrap_or(i32::MAX),
        vcores: i32::try_from(vcores.max(0)).unwrap_or(i32::MAX),
        gpus: 0,
        fpgas: 0,
    }
}

/// An application report as Skein's driver builds it from YARN's.
pub(crate) fn application_report(app: &AppInfo) -> proto::ApplicationReport {
    let (host, port) = app
        .am_rpc()
        .map(|(h, p)| (h, i32::from(p)))
        .unwrap_or_default();
    let used = resources(app.allocated_mb, app.allocated_vcores);
    let reserved = resources(app.reserved_mb, app.reserved_vcores);
    let needed = proto::Resources {
        memory: used.memory.saturating_add(reserved.memory),
        vcores: used.vcores.saturating_add(reserved.vcores),
        gpus: 0,
        fpgas: 0,
    };
    proto::ApplicationReport {
        id: app.id.clone(),
        name: app.name.clone(),
        user: app.user.clone(),
        queue: app.queue.clone(),
        tags: app.tags(),
        host,
        port,
        tracking_url: app.tracking_url.clone(),
        state: application_state(&app.state)
            .unwrap_or(proto::application_state::Type::New)
            .into(),
        final_status: final_status(&app.final_status).into(),
        progress: (app.progress / 100.0).clamp(0.0, 1.0) as f32,
        usage: Some(proto::ResourceUsageReport {
            memory_seconds: app.memory_seconds.max(0),
            vcore_seconds: app.vcore_seconds.max(0),
            num_used_containers: app.running_containers.max(0),
            needed_resources: Some(needed),
            reserved_resources: Some(reserved),
            used_resources: Some(used),
        }),
        diagnostics: app.diagnostics.clone(),
        start_time: app.started_time.max(0),
        finish_time: app.finished_time.max(0),
        priority: app.priority,
        lifetime_expiry_time: app.lifetime().and_then(|t| t.expiry_millis()).unwrap_or(0),
        lifetime_remaining_seconds: app
            .lifetime()
            .map_or(0, |t| t.remaining_time_in_seconds.max(0)),
    }
}

/// The wire form of a node state; `None` for a state Skein's contract lacks.
pub fn node_state(state: &NodeState) -> Option<proto::node_state::Type> {
    proto::node_state::Type::from_str_name(state.as_str())
}

/// A node report as Skein's driver builds it.
pub(crate) fn node_report(node: &NodeInfo) -> proto::NodeReport {
    proto::NodeReport {
        id: node.id.clone(),
        http_address: node.node_http_address.clone(),
        rack_name: node.rack.clone(),
        labels: node.node_labels.clone(),
        state: node_state(&node.state)
            .unwrap_or(proto::node_state::Type::New)
            .into(),
        health_report: node.health_report.clone(),
        total_resources: Some(resources(
            node.used_memory_mb + node.avail_memory_mb,
            node.used_virtual_cores + node.available_virtual_cores,
        )),
        used_resources: Some(resources(node.used_memory_mb, node.used_virtual_cores)),
    }
}

/// Every queue of a CapacityScheduler tree (`/ws/v1/cluster/scheduler`), root first, each with
/// the names of its children.
pub fn queues(scheduler: &serde_json::Value) -> Vec<(proto::Queue, Vec<String>)> {
    let mut out = Vec::new();
    let info = &scheduler["scheduler"]["schedulerInfo"];
    if info.is_object() {
        collect_queue(info, &mut out);
    }
    out
}

/// What `getAllQueues` answers: every queue below the root, depth first, as YARN's
/// `YarnClient.getAllQueues` (which Skein calls) returns them: the root queue itself is not
/// one of them. `queues` is [`queues`]' output, root first.
pub(crate) fn all_queues(queues: Vec<(proto::Queue, Vec<String>)>) -> Vec<proto::Queue> {
    queues.into_iter().skip(1).map(|(q, _)| q).collect()
}

fn children(queue: &serde_json::Value) -> Vec<&serde_json::Value> {
    match &queue["queues"]["queue"] {
        serde_json::Value::Array(list) => list.iter().collect(),
        one @ serde_json::Value::Object(_) => vec![one],
        _ => Vec::new(),
    }
}

fn collect_queue(queue: &serde_json::Value, out: &mut Vec<(proto::Queue, Vec<String>)>) {
    let number = |key: &str| queue[key].as_f64().unwrap_or(0.0) as f32;
    let name = queue["queueName"].as_str().unwrap_or("root").to_string();
    let max_capacity = number("maxCapacity");
    let labels = match &queue["nodeLabels"] {
        serde_json::Value::Array(list) => list
            .iter()
            .filter_map(|l| l.as_str().map(str::to_string))
            .collect(),
        serde_json::Value::String(one) => vec![one.clone()],
        _ => Vec::new(),
    };
    let state = match queue["state"].as_str() {
        Some("STOPPED") => proto::queue::State::Stopped,
        _ => proto::queue::State::Running,
    };
    let kids = children(queue);
    let converted = proto::Queue {
        name,
        state: state.into(),
        capacity: number("capacity").clamp(0.0, 100.0),
        max_capacity: if max_capacity < 0.0 {
            100.0
        } else {
            max_capacity.clamp(0.0, 100.0)
        },
        percent_used: number("usedCapacity").max(0.0),
        node_labels: labels,
        default_node_label: queue["defaultNodeLabelExpression"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    };
    let child_names = kids
        .iter()
        .filter_map(|k| k["queueName"].as_str().map(str::to_string))
        .collect();
    out.push((converted, child_names));
    for kid in kids {
        collect_queue(kid, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_reports_follow_skeins_conventions() {
        let app: AppInfo = serde_json::from_value(serde_json::json!({
            "id": "application_1_0002", "name": "n", "user": "u", "queue": "default",
            "state": "RUNNING", "finalStatus": "UNDEFINED", "progress": 50.0,
            "amRPCAddress": "h:123", "applicationTags": "x,y", "allocatedMB": 288,
            "allocatedVCores": 2, "reservedMB": -1, "reservedVCores": -1,
            "startedTime": 10, "finishedTime": 0, "runningContainers": 2
        }))
        .expect("app");
        let r = application_report(&app);
        assert_eq!((r.host.as_str(), r.port), ("h", 123));
        assert_eq!(r.state(), proto::application_state::Type::Running);
        assert!((r.progress - 0.5).abs() < 1e-6);
        let usage = r.usage.expect("usage");
        assert_eq!(
            usage.used_resources.map(|u| (u.memory, u.vcores)),
            Some((288, 2))
        );
        assert_eq!(usage.reserved_resources.map(|u| u.memory), Some(0));
        assert_eq!(r.tags, vec!["x", "y"]);
    }

    #[test]
    fn capacity_scheduler_trees_flatten_with_children() {
        let doc = serde_json::json!({"scheduler": {"schedulerInfo": {
        "type": "capacityScheduler", "queueName": "root", "capacity": 100.0,
        "maxCapacity": 100.0, "usedCapacity": 1.5,
        "queues": {"queue": [
            {"queueName": "default", "capacity": 70.0, "maxCapacity": 100.0,
             "usedCapacity": 3.0, "state": "RUNNING", "nodeLabels": ["*"]},
            {"queueName": "fruit", "capacity": 30.0, "maxCapacity": -1.0,
             "usedCapacity": 0.0, "state": "STOPPED",
             "queues": {"queue": {"queueName": "apples", "capacity": 150.0}}}
        ]}}}});
        let qs = queues(&doc);
        let names: Vec<&str> = qs.iter().map(|(q, _)| q.name.as_str()).collect();
        assert_eq!(names, vec!["root", "default", "fruit", "apples"]);
        assert_eq!(qs[0].1, vec!["default", "fruit"]);
        assert_eq!(qs[2].0.max_capacity, 100.0);
        assert_eq!(qs[2].0.state(), proto::queue::State::Stopped);
        assert_eq!(qs[3].0.capacity, 100.0);
        assert_eq!(qs[1].0.node_labels, vec!["*"]);
        let all: Vec<String> = all_queues(qs).into_iter().map(|q| q.name).collect();
        assert_eq!(
            all,
            vec!["default", "fruit", "apples"],
            "no root, as YARN's getAllQueues"
        );
    }
}
