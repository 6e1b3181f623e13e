//! The async edge of the key-value store: one lock around [`Store`], and the `Watch` streams.
//!
//! [`KvService`] is what the `skein.AppMaster` gRPC service delegates its five kv RPCs to.
//! Every mutation and the delivery of the notifications it produced happen under one mutex,
//! into per-stream unbounded channels, so each watch sees events in operation order and a
//! CREATE acknowledgement always precedes the watch's first event. The lock is a
//! `std::sync::Mutex`: store operations are short and never await.
//!
//! Shutdown ([`KvService::shutdown`]) ends every `Watch` stream *after* the events already
//! queued for it, with `UNAVAILABLE`: the Python client turns that into
//! `skein.ConnectionError`, as when Skein's AM exits. (Ending with OK instead would make the
//! Python listener thread stop silently and leave event queues blocked forever.)

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::Status;

use crate::am::kv_wire;
use crate::am::status::kv_status;
use crate::proto::{
    DeleteRangeRequest, DeleteRangeResponse, GetRangeRequest, GetRangeResponse, PutKeyRequest,
    PutKeyResponse, TransactionRequest, TransactionResponse, WatchRequest, WatchResponse,
    watch_request,
};
use skein_core::kv::{ContainerDirectory, ContainerInstance, Notification, Store, StreamId};

/// The response stream of one `Watch` RPC (the `AppMaster::WatchStream` type).
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<WatchResponse, Status>> + Send>>;

/// Status every open `Watch` stream ends with at shutdown.
pub(crate) const SHUTDOWN_MESSAGE: &str = "Application master is shutting down";

type Sender = mpsc::UnboundedSender<Result<WatchResponse, Status>>;

struct State {
    store: Store,
    streams: HashMap<StreamId, Sender>,
    shut_down: bool,
}

struct Shared {
    state: Mutex<State>,
    directory: Arc<dyn ContainerDirectory + Send + Sync>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// The key-value store shared by all RPCs of one ApplicationMaster. Cheap to clone.
///
/// Wiring, in the `AppMaster` service: `get_range`, `put_key`, `delete_range` and
/// `transaction` map one to one (`self.kv.put_key(req.into_inner()).await.map(Response::new)`);
/// `watch` takes `request.into_inner()` (a `tonic::Streaming<WatchRequest>`) and its result is
/// the `WatchStream`; the container state machine calls [`KvService::container_completed`];
/// the shutdown path calls [`KvService::shutdown`] before stopping the gRPC server gracefully.
#[derive(Clone)]
pub struct KvService {
    shared: Arc<Shared>,
}

impl KvService {
    /// A service over an empty store; `directory` answers owner checks.
    pub fn new(directory: Arc<dyn ContainerDirectory + Send + Sync>) -> Self {
        let (shutdown, _) = tokio::sync::watch::channel(false);
        KvService {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    store: Store::new(),
                    streams: HashMap::new(),
                    shut_down: false,
                }),
                directory,
                shutdown,
            }),
        }
    }

    /// `GetRange` (never awaits; async for symmetry with the gRPC handlers).
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` for a result type outside `skein.proto`.
    pub async fn get_range(&self, request: GetRangeRequest) -> Result<GetRangeResponse, Status> {
        let request = kv_wire::get_range(request).map_err(kv_status)?;
        let result = self.shared.lock().store.get_range(&request);
        Ok(kv_wire::get_range_response(result))
    }

    /// `PutKey`, notifying watches.
    ///
    /// # Errors
    /// Skein's put errors (`INVALID_ARGUMENT` / `FAILED_PRECONDITION`, see `KvError`).
    pub async fn put_key(&self, request: PutKeyRequest) -> Result<PutKeyResponse, Status> {
        let request = kv_wire::put_key(request);
        let mut state = self.shared.lock();
        let applied = state
            .store
            .put_key(request, &*self.shared.directory)
            .map_err(kv_status)?;
        state.deliver(applied.notifications);
        drop(state);
        Ok(kv_wire::put_key_response(applied.response))
    }

    /// `DeleteRange`, notifying watches.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` for a result type outside `skein.proto`.
    pub async fn delete_range(
        &self,
        request: DeleteRangeRequest,
    ) -> Result<DeleteRangeResponse, Status> {
        let request = kv_wire::delete_range(request).map_err(kv_status)?;
        let mut state = self.shared.lock();
        let applied = state.store.delete_range(&request).map_err(kv_status)?;
        state.deliver(applied.notifications);
        drop(state);
        Ok(kv_wire::delete_range_response(applied.response))
    }

    /// `Transaction`, atomically, notifying watches.
    ///
    /// # Errors
    /// The first failing put's error; nothing is applied then.
    pub async fn transaction(
        &self,
        request: TransactionRequest,
    ) -> Result<TransactionResponse, Status> {
        let request = kv_wire::transaction(request).map_err(kv_status)?;
        let mut state = self.shared.lock();
        let applied = state
            .store
            .transaction(request, &*self.shared.directory)
            .map_err(kv_status)?;
        state.deliver(applied.notifications);
        drop(state);
        Ok(kv_wire::transaction_response(applied.response))
    }

    /// Deletes the keys `owner` owned, with DELETE events. Call after the container table
    /// reports it completed (see `ContainerDirectory`).
    pub fn container_completed(&self, owner: &ContainerInstance) {
        let mut state = self.shared.lock();
        let notifications = state.store.container_completed(owner);
        state.deliver(notifications);
    }

    /// Serves one `Watch` RPC: reads create/cancel requests from `incoming`, answers them in
    /// order, and streams the events of its watches.
    ///
    /// Must be called inside a tokio runtime (it spawns the reader of `incoming`). The stream
    /// ends when the client half-closes (OK, like Skein), when the client goes away, or at
    /// [`KvService::shutdown`] (`UNAVAILABLE`, after the queued events).
    pub fn watch<S>(&self, incoming: S) -> WatchStream
    where
        S: Stream<Item = Result<WatchRequest, Status>> + Send + Unpin + 'static,
    {
        let (sender, receiver) = mpsc::unbounded_channel();
        let stream = {
            let mut state = self.shared.lock();
            if state.shut_down {
                // Receiver-side error only; a closed channel is not worth reporting.
                let _ = sender.send(Err(Status::unavailable(SHUTDOWN_MESSAGE)));
                return Box::pin(UnboundedReceiverStream::new(receiver));
            }
            let stream = state.store.open_stream();
            state.streams.insert(stream, sender);
            stream
        };
        let shared = Arc::clone(&self.shared);
        tokio::spawn(read_watch_requests(shared, stream, incoming));
        Box::pin(UnboundedReceiverStream::new(receiver))
    }

    /// Ends every open `Watch` stream after its queued events, with `UNAVAILABLE`, and makes
    /// later `watch` calls fail the same way. Idempotent. Unary kv RPCs keep working until the
    /// gRPC server itself stops.
    pub fn shutdown(&self) {
        let mut state = self.shared.lock();
        state.shut_down = true;
        let streams: Vec<(StreamId, Sender)> = state.streams.drain().collect();
        for (stream, sender) in streams {
            state.store.close_stream(stream);
            // Queued behind the buffered events; dropping the sender then ends the stream.
            let _ = sender.send(Err(Status::unavailable(SHUTDOWN_MESSAGE)));
        }
        drop(state);
        self.shared.shutdown.send_replace(true);
    }

    /// Runs `f` on the store under the lock (inspection for the web UI and tests).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.shared.lock().store)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock is a bug in the store; keep serving rather than
        // turning every later RPC into a panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Handles one create/cancel; false when the stream must end.
    fn handle(&self, stream: StreamId, request: WatchRequest) -> bool {
        let mut state = self.lock();
        if !state.streams.contains_key(&stream) {
            return false;
        }
        let response = match request.request {
            Some(watch_request::Request::Create(create)) => kv_wire::watch_create(create)
                .map(|create| kv_wire::watch_response(state.store.create_watch(stream, &create)))
                .map_err(kv_status),
            Some(watch_request::Request::Cancel(cancel)) => Ok(kv_wire::watch_response(
                state.store.cancel_watch(stream, cancel.watch_id),
            )),
            // An empty request asks for nothing; Skein would answer a bogus CREATE.
            None => return true,
        };
        let failed = response.is_err();
        let delivered = state
            .streams
            .get(&stream)
            .is_some_and(|sender| sender.send(response).is_ok());
        if failed || !delivered {
            state.close(stream);
            return false;
        }
        true
    }
}

impl State {
    /// Queues notifications on their streams; a stream whose client is gone loses its watches
    /// (as in Skein, where a failed send drops all watches of that stream).
    fn deliver(&mut self, notifications: Vec<Notification>) {
        for Notification { stream, response } in notifications {
            let gone = self
                .streams
                .get(&stream)
                .is_some_and(|sender| sender.send(Ok(kv_wire::watch_response(response))).is_err());
            if gone {
                self.close(stream);
            }
        }
    }

    fn close(&mut self, stream: StreamId) {
        self.streams.remove(&stream);
        self.store.close_stream(stream);
    }
}

async fn read_watch_requests<S>(shared: Arc<Shared>, stream: StreamId, mut incoming: S)
where
    S: Stream<Item = Result<WatchRequest, Status>> + Send + Unpin + 'static,
{
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let next = tokio::select! {
            next = incoming.next() => next,
            _ = shutdown.wait_for(|down| *down) => break,
        };
        match next {
            Some(Ok(request)) => {
                if !shared.handle(stream, request) {
                    return;
                }
            }
            // Half-close (None) ends the response stream once drained, like Skein's
            // onCompleted; a transport error (client cancelled) just drops the watches.
            Some(Err(_)) | None => break,
        }
    }
    shared.lock().close(stream);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{WatchCreateRequest, watch_response};
    use skein_core::kv::OwnerState;

    struct NoContainers;

    impl ContainerDirectory for NoContainers {
        fn owner_state(&self, _: &ContainerInstance) -> OwnerState {
            OwnerState::UnknownService
        }
    }

    fn create_all() -> WatchRequest {
        let create = WatchCreateRequest::default();
        WatchRequest {
            request: Some(watch_request::Request::Create(create)),
        }
    }

    fn put(key: &str) -> PutKeyRequest {
        PutKeyRequest {
            key: key.into(),
            value: b"v".to_vec(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_stream_whose_reader_is_gone_loses_its_watches_at_the_next_event() {
        let kv = KvService::new(Arc::new(NoContainers));
        let (requests, incoming) = mpsc::unbounded_channel();
        let mut responses = kv.watch(UnboundedReceiverStream::new(incoming).map(Ok));
        assert!(requests.send(create_all()).is_ok());
        let ack = responses.next().await;
        assert!(matches!(ack, Some(Ok(r)) if r.r#type == watch_response::Type::Create as i32));
        assert_eq!(kv.with_store(Store::watch_count), 1);
        drop(responses);
        assert!(kv.put_key(put("k")).await.is_ok());
        // The failed send inside put_key removed the watches, synchronously.
        assert_eq!(kv.with_store(Store::watch_count), 0);
        drop(requests);
    }

    #[tokio::test]
    async fn shutdown_delivers_queued_events_then_unavailable() {
        let kv = KvService::new(Arc::new(NoContainers));
        let (requests, incoming) = mpsc::unbounded_channel();
        let mut responses = kv.watch(UnboundedReceiverStream::new(incoming).map(Ok));
        assert!(requests.send(create_all()).is_ok());
        assert!(matches!(responses.next().await, Some(Ok(_))));
        for key in ["a1", "a2"] {
            assert!(kv.put_key(put(key)).await.is_ok());
        }
        kv.shutdown();
        kv.shutdown();
        let keys: Vec<String> = [responses.next().await, responses.next().await]
            .into_iter()
            .filter_map(|r| r.and_then(Result::ok))
            .flat_map(|r| r.event.into_iter().map(|kv| kv.key))
            .collect();
        assert_eq!(keys, ["a1", "a2"]);
        let end = responses.next().await;
        assert!(
            matches!(end, Some(Err(s)) if s.code() == tonic::Code::Unavailable && s.message() == SHUTDOWN_MESSAGE)
        );
        assert!(responses.next().await.is_none());
        // Requests after shutdown create nothing.
        let _ = requests.send(create_all());
        tokio::task::yield_now().await;
        assert_eq!(kv.with_store(Store::watch_count), 0);
    }
}
