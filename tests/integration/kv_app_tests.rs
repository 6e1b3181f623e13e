//! The key-value store of an application under the Rust ApplicationMaster, over gRPC with
//! the application's key pair and through `skein kv watch`: puts, watches, compare-and-swap
//! transactions from concurrent clients, keys owned by a container deleted when it ends.

use serde_json::json;
use skein_hadoop::yarn::FinalStatus;
use std::io::BufRead;
use std::time::Duration;

use skein::proto;
use tokio_stream::StreamExt;

use crate::fixtures::{
    Cli, LONG, app, connect, get_key, resource_manager, service, submit, wait_running,
    wait_until_finished,
};

fn put(key: &str, value: &[u8]) -> proto::PutKeyRequest {
    proto::PutKeyRequest {
        key: key.into(),
        value: value.to_vec(),
        ignore_owner: true,
        ..Default::default()
    }
}

fn watch_create(start: &str, end: &str) -> proto::WatchRequest {
    proto::WatchRequest {
        request: Some(proto::watch_request::Request::Create(
            proto::WatchCreateRequest {
                start: start.into(),
                end: end.into(),
                event_type: proto::watch_create_request::Type::All as i32,
            },
        )),
    }
}

/// One compare-and-swap increment of the decimal counter at `key`, retried until it wins.
async fn increment(am: &mut proto::app_master_client::AppMasterClient<tonic::transport::Channel>) {
    loop {
        let current = get_key(am, "counter").await;
        let n: u64 = current
            .as_deref()
            .map_or(0, |v| String::from_utf8_lossy(v).parse().expect("a number"));
        let condition = proto::Condition {
            key: "counter".into(),
            operator: proto::condition::Operator::Equal as i32,
            field: proto::condition::Field::Value as i32,
            rhs: current.map(proto::condition::Rhs::Value),
        };
        let op = proto::OpRequest {
            request: Some(proto::op_request::Request::PutKey(put(
                "counter",
                (n + 1).to_string().as_bytes(),
            ))),
        };
        let done = am
            .transaction(proto::TransactionRequest {
                condition: vec![condition],
                on_success: vec![op],
                on_failure: vec![],
            })
            .await
            .expect("transaction")
            .into_inner();
        if done.succeeded {
            return;
        }
    }
}

#[tokio::test]
async fn the_key_value_store_serves_puts_watches_transactions_and_owned_keys() {
    let rm = resource_manager();
    let id = submit(&app("kv", json!({"owner": service("sleep 600\n")}))).await;
    let mut am = connect(&rm, &id).await;
    let owner = wait_running(&mut am, "owner", 1).await;

    // `skein kv watch` prints every change; the pings tell when its watch is in place.
    let cli = Cli::with_app_credentials();
    let mut watcher = cli
        .command(&["kv", "watch", &id])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("skein kv watch");
    let stdout = watcher.stdout.take().expect("stdout");
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut pings = 0;
    'ping: loop {
        assert!(pings < 60, "skein kv watch never saw a ping");
        am.put_key(put("ping", b"")).await.expect("ping");
        pings += 1;
        while let Ok(line) = lines.recv_timeout(Duration::from_secs(1)) {
            if line.starts_with("PUT ping") {
                break 'ping;
            }
        }
    }

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(watch_create("", "")).expect("create");
    let mut events = am
        .watch(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .expect("watch")
        .into_inner();
    let created = events.next().await.expect("CREATE").expect("CREATE");
    assert_eq!(created.r#type, proto::watch_response::Type::Create as i32);

    am.put_key(put("plain", b"v1")).await.expect("put");
    let owned = proto::PutKeyRequest {
        key: "owned".into(),
        value: b"mine".to_vec(),
        owner: Some(proto::ContainerInstance {
            service_name: "owner".into(),
            instance: owner[0].instance,
        }),
        ..Default::default()
    };
    am.put_key(owned).await.expect("owned put");
    for key in ["plain", "owned"] {
        let event = events.next().await.expect("event").expect("event");
        assert_eq!(event.r#type, proto::watch_response::Type::Put as i32);
        assert_eq!(event.event[0].key, key);
    }

    // 8 clients, 200 compare-and-swap increments each.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut client = am.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                increment(&mut client).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    assert_eq!(
        get_key(&mut am, "counter").await.as_deref(),
        Some(&b"1600"[..])
    );

    // Killing the owner deletes its key, with a DELETE event.
    am.kill_container(proto::ContainerInstance {
        service_name: "owner".into(),
        instance: owner[0].instance,
    })
    .await
    .expect("kill");
    let delete = tokio::time::timeout(LONG, async {
        loop {
            let event = events.next().await.expect("event").expect("event");
            if event.r#type == proto::watch_response::Type::Delete as i32 {
                return event;
            }
        }
    })
    .await
    .expect("a DELETE event");
    assert_eq!(delete.event[0].key, "owned");
    let left = am
        .get_range(proto::GetRangeRequest {
            result_type: proto::get_range_request::ResultType::Keys as i32,
            ..Default::default()
        })
        .await
        .expect("keys")
        .into_inner();
    let keys: Vec<&str> = left.result.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["counter", "ping", "plain"]);

    // Killing the only container ends the app: watches then end with UNAVAILABLE.
    let end = tokio::time::timeout(LONG, async {
        loop {
            match events.next().await {
                Some(Ok(_)) => {}
                Some(Err(status)) => return Some(status),
                None => return None,
            }
        }
    })
    .await
    .expect("the watch ends");
    let report = wait_until_finished(&rm, &id, LONG).await;
    assert_eq!(report.final_status, FinalStatus::Succeeded, "{report:?}");
    assert_eq!(
        end.map(|s| s.code()),
        Some(tonic::Code::Unavailable),
        "watch end"
    );
    // The CLI's watch saw the same changes and ended with the application.
    let status = watcher.wait().expect("skein kv watch exits");
    let printed: Vec<String> = lines.iter().collect();
    assert!(status.success(), "{status:?} {printed:?}");
    for line in [
        "PUT plain v1",
        "PUT owned mine",
        "PUT counter 1600",
        "DELETE owned",
    ] {
        assert!(
            printed.iter().any(|l| l == line),
            "{line} not in {printed:?}"
        );
    }
}
