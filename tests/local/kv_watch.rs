//! The key-value RPCs and the bidirectional `Watch` stream over a real in-process tonic server
//! on 127.0.0.1, as the unchanged Python client would use them: acknowledgements in request
//! order, events in operation order, and queued events delivered before the stream ends with
//! `UNAVAILABLE` at shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use skein::am::watch::{KvService, WatchStream};
use skein::proto::app_master_client::AppMasterClient;
use skein::proto::app_master_server::{AppMaster, AppMasterServer};
use skein::proto::*;
use skein_core::kv::{ContainerDirectory, OwnerState};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status, Streaming};

/// One service `worker` with instance 0, which the test can complete.
#[derive(Default)]
struct OneWorker {
    completed: Mutex<bool>,
}

impl ContainerDirectory for OneWorker {
    fn owner_state(&self, owner: &skein_core::kv::ContainerInstance) -> OwnerState {
        match (owner.service_name.as_str(), owner.instance) {
            ("worker", 0) if *self.completed.lock().unwrap_or_else(|e| e.into_inner()) => {
                OwnerState::Completed
            }
            ("worker", 0) => OwnerState::Active,
            ("worker", _) => OwnerState::UnknownInstance,
            _ => OwnerState::UnknownService,
        }
    }
}

/// A test AppMaster: kv RPCs delegate to `KvService`, `shutdown` drains the watch streams.
struct TestAm {
    kv: KvService,
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not part of the kv test"))
}

#[tonic::async_trait]
impl AppMaster for TestAm {
    type WatchStream = WatchStream;

    async fn shutdown(&self, _: Request<ShutdownRequest>) -> Result<Response<Empty>, Status> {
        self.kv.shutdown();
        Ok(Response::new(Empty {}))
    }
    async fn get_range(
        &self,
        r: Request<GetRangeRequest>,
    ) -> Result<Response<GetRangeResponse>, Status> {
        self.kv.get_range(r.into_inner()).await.map(Response::new)
    }
    async fn put_key(&self, r: Request<PutKeyRequest>) -> Result<Response<PutKeyResponse>, Status> {
        self.kv.put_key(r.into_inner()).await.map(Response::new)
    }
    async fn delete_range(
        &self,
        r: Request<DeleteRangeRequest>,
    ) -> Result<Response<DeleteRangeResponse>, Status> {
        self.kv
            .delete_range(r.into_inner())
            .await
            .map(Response::new)
    }
    async fn transaction(
        &self,
        r: Request<TransactionRequest>,
    ) -> Result<Response<TransactionResponse>, Status> {
        self.kv.transaction(r.into_inner()).await.map(Response::new)
    }
    async fn watch(
        &self,
        r: Request<Streaming<WatchRequest>>,
    ) -> Result<Response<WatchStream>, Status> {
        Ok(Response::new(self.kv.watch(r.into_inner())))
    }
    async fn get_application_spec(
        &self,
        _: Request<Empty>,
    ) -> Result<Response<ApplicationSpec>, Status> {
        unimplemented()
    }
    async fn get_containers(
        &self,
        _: Request<ContainersRequest>,
    ) -> Result<Response<ContainersResponse>, Status> {
        unimplemented()
    }
    async fn kill_container(
        &self,
        _: Request<ContainerInstance>,
    ) -> Result<Response<Empty>, Status> {
        unimplemented()
    }
    async fn scale(
        &self,
        _: Request<ScaleRequest>,
    ) -> Result<Response<ContainersResponse>, Status> {
        unimplemented()
    }
    async fn add_container(
        &self,
        _: Request<AddContainerRequest>,
    ) -> Result<Response<Container>, Status> {
        unimplemented()
    }
    async fn set_progress(
        &self,
        _: Request<SetProgressRequest>,
    ) -> Result<Response<Empty>, Status> {
        unimplemented()
    }
    async fn add_proxy(&self, _: Request<Proxy>) -> Result<Response<Empty>, Status> {
        unimplemented()
    }
    async fn remove_proxy(
        &self,
        _: Request<RemoveProxyRequest>,
    ) -> Result<Response<Empty>, Status> {
        unimplemented()
    }
    async fn ui_info(&self, _: Request<UiInfoRequest>) -> Result<Response<UiInfoResponse>, Status> {
        unimplemented()
    }
    async fn get_proxies(
        &self,
        _: Request<GetProxiesRequest>,
    ) -> Result<Response<GetProxiesResponse>, Status> {
        unimplemented()
    }
    async fn get_token_status(
        &self,
        _: Request<skein::proto::TokenStatusRequest>,
    ) -> Result<Response<skein::proto::TokenStatus>, Status> {
        unimplemented()
    }
    type WatchDelegationTokensStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<skein::proto::DelegationTokens, Status>> + Send>,
    >;
    async fn watch_delegation_tokens(
        &self,
        _: Request<skein::proto::TokenStatusRequest>,
    ) -> Result<Response<Self::WatchDelegationTokensStream>, Status> {
        unimplemented()
    }
}

struct Harness {
    client: AppMasterClient<Channel>,
    kv: KvService,
    directory: Arc<OneWorker>,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

async fn start() -> Harness {
    let directory = Arc::new(OneWorker::default());
    let kv = KvService::new(directory.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let address = listener.local_addr().expect("local address");
    let (stop, stopped) = oneshot::channel();
    let service = AppMasterServer::new(TestAm { kv: kv.clone() });
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = stopped.await;
            }),
    );
    let client = AppMasterClient::connect(format!("http://{address}"))
        .await
        .expect("connect");
    Harness {
        client,
        kv,
        directory,
        stop,
        server,
    }
}

/// A Watch call with a request sender, like the Python client's input queue.
async fn open_watch(
    client: &mut AppMasterClient<Channel>,
) -> (mpsc::Sender<WatchRequest>, Streaming<WatchResponse>) {
    let (requests, incoming) = mpsc::channel(16);
    let responses = client
        .watch(ReceiverStream::new(incoming))
        .await
        .expect("watch call")
        .into_inner();
    (requests, responses)
}

fn create(start: &str, end: &str, event_type: watch_create_request::Type) -> WatchRequest {
    let create = WatchCreateRequest {
        start: start.into(),
        end: end.into(),
        event_type: event_type as i32,
    };
    WatchRequest {
        request: Some(watch_request::Request::Create(create)),
    }
}

fn cancel(watch_id: i32) -> WatchRequest {
    WatchRequest {
        request: Some(watch_request::Request::Cancel(WatchCancelRequest {
            watch_id,
        })),
    }
}

async fn next(responses: &mut Streaming<WatchResponse>) -> Option<Result<WatchResponse, Status>> {
    tokio::time::timeout(Duration::from_secs(10), responses.next())
        .await
        .expect("no watch response within 10 s")
}

/// "CREATE 0", "PUT 0 a1=1", "DELETE 0 a1,a2".
async fn next_line(responses: &mut Streaming<WatchResponse>) -> String {
    let response = match next(responses).await {
        Some(Ok(response)) => response,
        other => panic!("expected a watch response, got {other:?}"),
    };
    let kind = watch_response::Type::try_from(response.r#type)
        .map(|t| t.as_str_name())
        .unwrap_or("?");
    let events: Vec<String> = response
        .event
        .iter()
        .map(|kv| {
            if kv.value.is_empty() {
                kv.key.clone()
            } else {
                format!("{}={}", kv.key, String::from_utf8_lossy(&kv.value))
            }
        })
        .collect();
    format!("{kind} {} {}", response.watch_id, events.join(","))
        .trim_end()
        .to_string()
}

async fn put(client: &mut AppMasterClient<Channel>, key: &str, value: &str) {
    let request = PutKeyRequest {
        key: key.into(),
        value: value.as_bytes().to_vec(),
        ..Default::default()
    };
    client.put_key(request).await.expect("put_key");
}

#[tokio::test]
async fn watch_acks_and_events_arrive_in_order_and_survive_until_shutdown() {
    let mut h = start().await;
    let (requests, mut responses) = open_watch(&mut h.client).await;
    for request in [
        create("a", "b", watch_create_request::Type::All),
        create("a2", "a2\u{0}", watch_create_request::Type::Put),
        cancel(1),
        create("", "", watch_create_request::Type::Delete),
    ] {
        requests.send(request).await.expect("send watch request");
    }
    assert_eq!(next_line(&mut responses).await, "CREATE 0");
    assert_eq!(next_line(&mut responses).await, "CREATE 1");
    assert_eq!(next_line(&mut responses).await, "CANCEL 1");
    assert_eq!(next_line(&mut responses).await, "CREATE 2");

    // Puts, then one DeleteRange: one DELETE response per watch with all its keys.
    for (key, value) in [("a1", "1"), ("a2", "2"), ("z", "9")] {
        put(&mut h.client, key, value).await;
    }
    let delete = DeleteRangeRequest {
        start: "".into(),
        end: "".into(),
        result_type: 2,
    };
    let deleted = h
        .client
        .delete_range(delete)
        .await
        .expect("delete_range")
        .into_inner();
    assert_eq!((deleted.count, deleted.result.len()), (3, 3));
    assert_eq!(next_line(&mut responses).await, "PUT 0 a1=1");
    assert_eq!(next_line(&mut responses).await, "PUT 0 a2=2");
    assert_eq!(next_line(&mut responses).await, "DELETE 0 a1,a2");
    assert_eq!(next_line(&mut responses).await, "DELETE 2 a1,a2,z");

    // An owned key disappears with its container, with a DELETE event.
    let owned = PutKeyRequest {
        key: "a3".into(),
        value: b"3".to_vec(),
        owner: Some(ContainerInstance {
            service_name: "worker".into(),
            instance: 0,
        }),
        ..Default::default()
    };
    h.client.put_key(owned.clone()).await.expect("owned put");
    *h.directory
        .completed
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = true;
    h.kv.container_completed(&skein_core::kv::ContainerInstance {
        service_name: "worker".into(),
        instance: 0,
    });
    assert_eq!(next_line(&mut responses).await, "PUT 0 a3=3");
    assert_eq!(next_line(&mut responses).await, "DELETE 0 a3");
    assert_eq!(next_line(&mut responses).await, "DELETE 2 a3");
    let error = h.client.put_key(owned).await.expect_err("completed owner");
    assert_eq!(
        (error.code(), error.message()),
        (
            Code::InvalidArgument,
            "Container 'worker_0' has already completed"
        )
    );
    let missing = PutKeyRequest {
        key: "nope".into(),
        ignore_value: true,
        ..Default::default()
    };
    let error = h
        .client
        .put_key(missing)
        .await
        .expect_err("ignore_value on a missing key");
    assert_eq!(
        (error.code(), error.message()),
        (
            Code::FailedPrecondition,
            "ignore_value=True & key isn't already set"
        )
    );

    // Events queued before shutdown still arrive, then UNAVAILABLE, then the end.
    for (key, value) in [("a4", "4"), ("a5", "5"), ("a6", "6")] {
        put(&mut h.client, key, value).await;
    }
    h.client
        .shutdown(ShutdownRequest::default())
        .await
        .expect("shutdown rpc");
    put(&mut h.client, "a7", "after shutdown").await;
    for expected in ["PUT 0 a4=4", "PUT 0 a5=5", "PUT 0 a6=6"] {
        assert_eq!(next_line(&mut responses).await, expected);
    }
    match next(&mut responses).await {
        Some(Err(status)) => assert_eq!(status.code(), Code::Unavailable),
        other => panic!("expected UNAVAILABLE after the buffered events, got {other:?}"),
    }
    assert!(
        next(&mut responses).await.is_none(),
        "stream must end after the error"
    );

    // New watches are refused the same way.
    let (_requests2, mut late) = open_watch(&mut h.client).await;
    assert!(matches!(next(&mut late).await, Some(Err(s)) if s.code() == Code::Unavailable));
    assert_eq!(h.kv.with_store(|s| s.watch_count()), 0);

    drop(requests);
    let _ = h.stop.send(());
    let served = tokio::time::timeout(Duration::from_secs(10), h.server).await;
    assert!(
        matches!(served, Ok(Ok(Ok(())))),
        "server did not stop cleanly: {served:?}"
    );
}

#[tokio::test]
async fn closing_a_watch_stream_ends_it_and_drops_its_watches() {
    let mut h = start().await;
    let (requests, mut responses) = open_watch(&mut h.client).await;
    requests
        .send(create("", "", watch_create_request::Type::All))
        .await
        .expect("send");
    assert_eq!(next_line(&mut responses).await, "CREATE 0");
    put(&mut h.client, "k", "v").await;

    // Client half-close: like Skein's onCompleted, the stream ends OK after queued events.
    drop(requests);
    assert_eq!(next_line(&mut responses).await, "PUT 0 k=v");
    assert!(next(&mut responses).await.is_none());
    assert_eq!(h.kv.with_store(|s| s.watch_count()), 0);

    // A client that cancels the call (drops both halves) loses its watches too.
    let (requests, mut responses) = open_watch(&mut h.client).await;
    requests
        .send(create("", "", watch_create_request::Type::All))
        .await
        .expect("send");
    assert_eq!(next_line(&mut responses).await, "CREATE 1");
    drop((requests, responses));
    let mut remaining = 1;
    for _ in 0..100 {
        put(&mut h.client, "k", "again").await;
        remaining = h.kv.with_store(|s| s.watch_count());
        if remaining == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(remaining, 0, "watches of a cancelled call must be dropped");
    let _ = h.stop.send(());
}
