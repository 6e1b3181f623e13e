//! Shared test helpers: a counting Driver service and an in-process driver daemon.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use skein::driver::{BoundDriver, Driver, ServeOptions};
use skein::proto::*;
use skein::security::Credentials;
use tokio::sync::oneshot;
use tonic::{Request, Response, Status};

/// Test-only Driver: counts pings so a test can prove a call reached the server; every other
/// RPC is `UNIMPLEMENTED`.
#[derive(Clone, Default)]
pub struct CountingDriver {
    pub pings: Arc<AtomicUsize>,
}

#[tonic::async_trait]
impl Driver for CountingDriver {
    async fn ping(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        self.pings.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(Empty {}))
    }
    async fn get_status(
        &self,
        _r: Request<Application>,
    ) -> Result<Response<ApplicationReport>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn get_applications(
        &self,
        _r: Request<ApplicationsRequest>,
    ) -> Result<Response<ApplicationsResponse>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn get_nodes(
        &self,
        _r: Request<NodesRequest>,
    ) -> Result<Response<NodesResponse>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn get_queue(&self, _r: Request<QueueRequest>) -> Result<Response<Queue>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn get_child_queues(
        &self,
        _r: Request<QueueRequest>,
    ) -> Result<Response<QueuesResponse>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn get_all_queues(&self, _r: Request<Empty>) -> Result<Response<QueuesResponse>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn move_application(&self, _r: Request<MoveRequest>) -> Result<Response<Empty>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn submit(&self, _r: Request<ApplicationSpec>) -> Result<Response<Application>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn wait_for_start(
        &self,
        _r: Request<Application>,
    ) -> Result<Response<ApplicationReport>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn kill(&self, _r: Request<KillRequest>) -> Result<Response<Empty>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn get_logs(&self, _r: Request<LogsRequest>) -> Result<Response<LogsResponse>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn get_submit_progress(
        &self,
        _r: Request<SubmitProgressRequest>,
    ) -> Result<Response<SubmitProgress>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn update_application_lifetime(
        &self,
        _r: Request<UpdateLifetimeRequest>,
    ) -> Result<Response<ApplicationReport>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
    async fn update_application_priority(
        &self,
        _r: Request<UpdatePriorityRequest>,
    ) -> Result<Response<ApplicationReport>, Status> {
        Err(Status::unimplemented("test driver: ping only"))
    }
}

/// A driver served in this process until dropped or stopped.
pub struct RunningDriver {
    pub address: SocketAddr,
    pub service: CountingDriver,
    stop: Option<oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<Result<(), skein::driver::DaemonError>>,
}

impl RunningDriver {
    pub async fn start(credentials: &Credentials, options: ServeOptions) -> Self {
        let bound = BoundDriver::bind().await.expect("bind");
        let address = bound.address();
        let service = CountingDriver::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let credentials = credentials.clone();
        let served = service.clone();
        let task = tokio::spawn(async move {
            bound
                .serve_until(served, &credentials, &options, async {
                    let _ = stopped.await;
                })
                .await
        });
        Self {
            address,
            service,
            stop: Some(stop),
            task,
        }
    }

    pub fn pings(&self) -> usize {
        self.service.pings.load(Ordering::SeqCst)
    }

    pub async fn stop(mut self) -> Result<(), skein::driver::DaemonError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(std::time::Duration::from_secs(10), &mut self.task)
            .await
            .expect("driver stops within 10 s")
            .expect("driver task")
    }
}

/// Credentials generated once per test binary (RSA generation takes a moment).
pub fn credentials() -> &'static Credentials {
    static CREDENTIALS: std::sync::OnceLock<Credentials> = std::sync::OnceLock::new();
    CREDENTIALS.get_or_init(|| Credentials::generate().expect("generate"))
}

/// A second, unrelated key pair.
pub fn foreign_credentials() -> &'static Credentials {
    static CREDENTIALS: std::sync::OnceLock<Credentials> = std::sync::OnceLock::new();
    CREDENTIALS.get_or_init(|| Credentials::generate().expect("generate"))
}
