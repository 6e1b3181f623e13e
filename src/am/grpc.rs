//! The `skein.AppMaster` gRPC service: Skein's semantics, status codes and messages, on top
//! of [`AppMaster`] (containers, shutdown, progress), [`KvService`](crate::am::watch::KvService)
//! (the key-value store) and [`Proxies`] (the web UI's proxied pages).
//!
//! [`serve`] runs it over mutual TLS on a listener bound by the caller *before* the AM
//! registers, so the port YARN reports (and containers get in `SKEIN_APPMASTER_ADDRESS`) is
//! the real one.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tonic::{Request, Response, Status, Streaming};

use crate::am::master::AppMaster;
use crate::am::status::service_status;
use crate::am::ui::{PROXY_PREFIX, Proxies};
use crate::am::watch::WatchStream;
use crate::proto::{self, app_master_server};
use crate::security::{Credentials, tls};
use skein_core::services::{ContainerReport, ContainerState};

/// The largest message gRPC clients accept by default (grpcio's `max_receive_message_length`,
/// so Skein's Python client, and tonic's `max_decoding_message_size`, so the CLI): a larger
/// reply would reach them only as "message length too large".
pub use skein_core::kv::MAX_REPLY_BYTES;

/// The largest request the AM decodes: well above [`MAX_REPLY_BYTES`], so that a kv value
/// somewhat too large reaches the handler and is refused naming its key, its size and the
/// store's limit ([`skein_core::kv::MAX_ENTRY_BYTES`]) rather than as gRPC's "decoded message
/// length too large".
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// Why the gRPC server stopped.
#[derive(Debug, thiserror::Error)]
#[error("the application master's gRPC server failed: {0}")]
pub(crate) struct ServeError(String);

/// A float as Java's `Float.toString` writes the common cases (`2.0`, not `2`), for messages
/// that quote a value the way Skein's do.
fn java_float(value: f32) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e7 {
        format!("{value:.1}")
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        value.to_string()
    }
}

/// The `skein.AppMaster` service of one ApplicationMaster.
pub(crate) struct AppMasterService {
    am: AppMaster,
    proxies: Arc<Mutex<Proxies>>,
    ui_addresses: Vec<String>,
}

impl AppMasterService {
    /// The service over `am`; `ui_addresses` are the web proxy's addresses of the application
    /// (`http://<proxy host:port>/proxy/<app id>/`: [`crate::am::ui::proxy_uri_bases`] and `/`);
    /// `proxies` are the web UI's proxied pages, shared with it.
    pub fn new(am: AppMaster, ui_addresses: Vec<String>, proxies: Arc<Mutex<Proxies>>) -> Self {
        AppMasterService {
            am,
            proxies,
            ui_addresses,
        }
    }

    fn proxies(&self) -> std::sync::MutexGuard<'_, Proxies> {
        self.proxies.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[tonic::async_trait]
impl app_master_server::AppMaster for AppMasterService {
    async fn shutdown(
        &self,
        request: Request<proto::ShutdownRequest>,
    ) -> Result<Response<proto::Empty>, Status> {
        let request = request.into_inner();
        let status = proto::final_status::Type::try_from(request.final_status)
            .unwrap_or(proto::final_status::Type::Undefined);
        self.am.shutdown(status.into(), &request.diagnostics);
        Ok(Response::new(proto::Empty {}))
    }

    async fn get_range(
        &self,
        request: Request<proto::GetRangeRequest>,
    ) -> Result<Response<proto::GetRangeResponse>, Status> {
        let reply = self.am.kv().get_range(request.into_inner()).await?;
        bounded_range(reply).map(Response::new)
    }

    async fn put_key(
        &self,
        request: Request<proto::PutKeyRequest>,
    ) -> Result<Response<proto::PutKeyResponse>, Status> {
        self.am
            .kv()
            .put_key(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn delete_range(
        &self,
        request: Request<proto::DeleteRangeRequest>,
    ) -> Result<Response<proto::DeleteRangeResponse>, Status> {
        self.am
            .kv()
            .delete_range(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn transaction(
        &self,
        request: Request<proto::TransactionRequest>,
    ) -> Result<Response<proto::TransactionResponse>, Status> {
        self.am
            .kv()
            .transaction(request.into_inner())
            .await
            .map(Response::new)
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<Streaming<proto::WatchRequest>>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Ok(Response::new(self.am.kv().watch(request.into_inner())))
    }

    async fn get_application_spec(
        &self,
        _request: Request<proto::Empty>,
    ) -> Result<Response<proto::ApplicationSpec>, Status> {
        Ok(Response::new(proto::ApplicationSpec::from(self.am.spec())))
    }

    async fn get_containers(
        &self,
        request: Request<proto::ContainersRequest>,
    ) -> Result<Response<proto::ContainersResponse>, Status> {
        // No states means Skein's default (WAITING, REQUESTED, RUNNING): see `containers`.
        let request = request.into_inner();
        // Numbers the contract does not define select nothing, as in Skein.
        let states: Vec<ContainerState> = request
            .states
            .iter()
            .filter_map(|s| proto::container::State::try_from(*s).ok())
            .map(ContainerState::from)
            .collect();
        let containers = self
            .am
            .containers(&request.services, &states)
            .map_err(service_status)?;
        bounded(containers_response(&containers)).map(Response::new)
    }

    async fn kill_container(
        &self,
        request: Request<proto::ContainerInstance>,
    ) -> Result<Response<proto::Empty>, Status> {
        let request = request.into_inner();
        self.am
            .kill_container(&request.service_name, request.instance)
            .map_err(service_status)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn scale(
        &self,
        request: Request<proto::ScaleRequest>,
    ) -> Result<Response<proto::ContainersResponse>, Status> {
        let request = request.into_inner();
        let reply_bytes = |changed: &[ContainerReport]| {
            use prost::Message;
            containers_response(changed).encoded_len()
        };
        let containers = self
            .am
            .scale(
                &request.service_name,
                request.count,
                request.delta,
                MAX_REPLY_BYTES,
                reply_bytes,
            )
            .map_err(service_status)?;
        Ok(Response::new(containers_response(&containers)))
    }

    async fn add_container(
        &self,
        request: Request<proto::AddContainerRequest>,
    ) -> Result<Response<proto::Container>, Status> {
        let request = request.into_inner();
        let env = request.env.into_iter().collect();
        let container = self
            .am
            .add_container(&request.service_name, env)
            .map_err(service_status)?;
        Ok(Response::new(proto::Container::from(&container)))
    }

    async fn set_progress(
        &self,
        request: Request<proto::SetProgressRequest>,
    ) -> Result<Response<proto::Empty>, Status> {
        let progress = request.into_inner().progress;
        // `!(0..=1).contains` also rejects NaN.
        if !(0.0..=1.0).contains(&progress) {
            return Err(Status::invalid_argument(format!(
                "progress must be between 0 and 1, got {}",
                java_float(progress)
            )));
        }
        self.am.set_progress(progress);
        Ok(Response::new(proto::Empty {}))
    }

    async fn add_proxy(
        &self,
        request: Request<proto::Proxy>,
    ) -> Result<Response<proto::Empty>, Status> {
        self.proxies().add(request.into_inner())?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn remove_proxy(
        &self,
        request: Request<proto::RemoveProxyRequest>,
    ) -> Result<Response<proto::Empty>, Status> {
        self.proxies().remove(&request.into_inner().route)?;
        Ok(Response::new(proto::Empty {}))
    }

    async fn ui_info(
        &self,
        _request: Request<proto::UiInfoRequest>,
    ) -> Result<Response<proto::UiInfoResponse>, Status> {
        Ok(Response::new(proto::UiInfoResponse {
            ui_address: self.ui_addresses.clone(),
            proxy_prefix: PROXY_PREFIX.to_string(),
        }))
    }

    async fn get_proxies(
        &self,
        _request: Request<proto::GetProxiesRequest>,
    ) -> Result<Response<proto::GetProxiesResponse>, Status> {
        Ok(Response::new(proto::GetProxiesResponse {
            proxy: self.proxies().list(),
        }))
    }

    async fn get_token_status(
        &self,
        _request: Request<proto::TokenStatusRequest>,
    ) -> Result<Response<proto::TokenStatus>, Status> {
        Ok(Response::new(self.am.tokens().status()))
    }

    type WatchDelegationTokensStream = TokenStream;

    async fn watch_delegation_tokens(
        &self,
        _request: Request<proto::TokenStatusRequest>,
    ) -> Result<Response<Self::WatchDelegationTokensStream>, Status> {
        use futures_util::StreamExt;
        let updates = tokio_stream::wrappers::WatchStream::new(self.am.tokens().subscribe()).map(
            |snapshot| {
                Ok(proto::DelegationTokens {
                    token_storage: snapshot.storage.as_ref().clone(),
                    status: Some(snapshot.status),
                })
            },
        );
        // Ends with the application, so the server's graceful stop does not wait for it.
        let am = self.am.clone();
        let stream = updates.take_until(Box::pin(async move { am.decided().await }));
        Ok(Response::new(Box::pin(stream)))
    }
}

/// The `WatchDelegationTokens` stream.
pub(crate) type TokenStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<proto::DelegationTokens, Status>> + Send>,
>;

/// Serves `service` on `listener` over mutual TLS with the application's `credentials` until
/// `stop` completes, then stops gracefully (open `Watch` streams must already have ended, see
/// [`KvService::shutdown`](crate::am::watch::KvService::shutdown)).
///
/// # Errors
/// [`ServeError`] when TLS cannot be set up or the server fails.
pub(crate) async fn serve(
    listener: TcpListener,
    service: AppMasterService,
    credentials: &Credentials,
    stop: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let describe = |e: &dyn std::error::Error| ServeError(crate::client::error_chain(e));
    let tls = tls::server_config(credentials).map_err(|e| describe(&e))?;
    let am = service.am.clone();
    let router = tonic::transport::Server::builder()
        .layer(crate::metrics::GrpcMetricsLayer(am.metrics().clone()))
        .add_service(
            app_master_server::AppMasterServer::new(service)
                .max_decoding_message_size(MAX_REQUEST_BYTES),
        );
    let (router, health) =
        crate::grpc_extras::with_health_and_reflection(router, "skein.AppMaster").await;
    // NOT_SERVING once the application's end is decided (the AM then only finishes up).
    tokio::spawn(async move {
        am.decided().await;
        crate::grpc_extras::set_status(
            &health,
            "skein.AppMaster",
            tonic_health::ServingStatus::NotServing,
        )
        .await;
    });
    router
        .serve_with_incoming_shutdown(
            crate::net::tls_incoming(listener, tls, "application master"),
            stop,
        )
        .await
        .map_err(|e| describe(&e))
}

/// `reply`, or FAILED_PRECONDITION with `refusal(reply, its size)` when it would pass
/// [`MAX_REPLY_BYTES`].
fn within_limit<T: prost::Message>(
    reply: T,
    refusal: impl FnOnce(&T, usize) -> String,
) -> Result<T, Status> {
    let bytes = reply.encoded_len();
    if bytes <= MAX_REPLY_BYTES {
        return Ok(reply);
    }
    Err(Status::failed_precondition(refusal(&reply, bytes)))
}

/// `reply`, or a clear refusal when it would pass [`MAX_REPLY_BYTES`]. Active containers always
/// fit (a service's `max_instances`, 10,000 by default, of ~100-300 bytes each); all the
/// containers a long-running application ever had, with YARN's diagnostics, may not.
fn bounded(reply: proto::ContainersResponse) -> Result<proto::ContainersResponse, Status> {
    within_limit(reply, |reply, bytes| {
        format!(
            "The reply would list {} containers in {bytes} bytes, above gRPC's message limit of \
             {MAX_REPLY_BYTES} bytes (4 MiB); ask for fewer containers, by service or by state \
             (e.g. `skein container ls APP --service NAME --state RUNNING`)",
            reply.containers.len()
        )
    })
}

/// A `GetRange` reply, or a clear refusal when it would pass [`MAX_REPLY_BYTES`]: the store
/// can hold more than one reply carries (keys and values up to that limit each). Reading
/// changes nothing, so the refusal loses nothing.
fn bounded_range(reply: proto::GetRangeResponse) -> Result<proto::GetRangeResponse, Status> {
    within_limit(reply, |reply, bytes| {
        format!(
            "The reply would hold {} keys in {bytes} bytes, above gRPC's message limit of \
             {MAX_REPLY_BYTES} bytes (4 MiB); read a narrower range or prefix, or the keys alone \
             (result type KEYS; `skein kv ls`)",
            reply.result.len()
        )
    })
}

/// The wire form of container reports.
fn containers_response(containers: &[ContainerReport]) -> proto::ContainersResponse {
    proto::ContainersResponse {
        containers: containers.iter().map(proto::Container::from).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An allocated container as the AM reports it, with an epoch in its id and a long host.
    fn running(service: &str, instance: i32, exit_message: &str) -> ContainerReport {
        ContainerReport {
            service: service.into(),
            instance,
            state: ContainerState::Running,
            yarn_container_id: "container_e17_1796217177981_0012_01_010002".into(),
            yarn_node_http_address: "worker-0123.rack-42.example.com:8042".into(),
            start_time: 1_796_217_177_981,
            finish_time: 1_796_217_277_981,
            exit_message: exit_message.into(),
            readiness: None,
        }
    }

    #[test]
    fn a_range_reply_above_the_message_limit_is_refused_saying_how_to_read_less() {
        let big = |key: &str| proto::KeyValue {
            key: key.into(),
            value: vec![7; 1_500_000],
            ..Default::default()
        };
        let small = proto::GetRangeResponse {
            count: 2,
            result: vec![big("a"), big("b")],
            ..Default::default()
        };
        assert!(bounded_range(small).is_ok());
        let large = proto::GetRangeResponse {
            count: 3,
            result: vec![big("a"), big("b"), big("c")],
            ..Default::default()
        };
        let refused = bounded_range(large).expect_err("above 4 MiB");
        assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
        assert!(
            refused.message().contains("3 keys") && refused.message().contains("narrower"),
            "{}",
            refused.message()
        );
    }

    #[test]
    fn a_full_service_of_active_containers_fits_in_one_reply() {
        // The default max_instances with a 64-character service name: ~1.5 MiB.
        let name = "s".repeat(64);
        let all: Vec<ContainerReport> = (0..skein_core::spec::Service::DEFAULT_MAX_INSTANCES)
            .map(|i| running(&name, i, ""))
            .collect();
        let reply = bounded(containers_response(&all)).expect("fits");
        assert!(prost::Message::encoded_len(&reply) < MAX_REPLY_BYTES / 2);
    }

    #[test]
    fn a_reply_above_the_message_limit_is_refused_with_how_to_ask_for_less() {
        // 5,000 completed containers with 1 KiB of YARN diagnostics each: ~5.6 MiB.
        let all: Vec<ContainerReport> = (0..5_000)
            .map(|i| running("svc", i, &"x".repeat(1024)))
            .collect();
        let err = bounded(containers_response(&all)).expect_err("too large");
        assert_eq!(err.code(), tonic::Code::FailedPrecondition);
        assert!(
            err.message()
                .starts_with("The reply would list 5000 containers in ")
                && err
                    .message()
                    .contains("above gRPC's message limit of 4194304 bytes")
                && err.message().contains("--state RUNNING"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn floats_are_quoted_as_java_does() {
        assert_eq!(java_float(2.0), "2.0");
        assert_eq!(java_float(1.5), "1.5");
        assert_eq!(java_float(-0.25), "-0.25");
        assert_eq!(java_float(f32::INFINITY), "Infinity");
        assert_eq!(java_float(f32::NAN), "NaN");
    }
}
