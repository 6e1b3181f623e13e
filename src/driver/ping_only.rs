//! The driver service this build ships: it answers `ping` and nothing else.
//!
//! It exists so the daemon's whole lifecycle (credentials, mTLS, the Python launch handshake,
//! the global driver file, `skein driver start|stop|address|pid`) works and is tested end to
//! end. The YARN-backed implementation of the other eleven RPCs replaces it in
//! [`super::service`]; until then they answer `UNIMPLEMENTED`, which the Python client
//! reports as `DriverError` with the message below.

use tonic::{Request, Response, Status};

use crate::proto::driver_server::Driver;
use crate::proto::{
    Application, ApplicationReport, ApplicationSpec, ApplicationsRequest, ApplicationsResponse,
    Empty, KillRequest, LogsRequest, LogsResponse, MoveRequest, NodesRequest, NodesResponse, Queue,
    QueueRequest, QueuesResponse,
};

/// Answers `ping`; every other Driver RPC returns `UNIMPLEMENTED`.
#[derive(Debug, Default, Clone)]
pub struct PingOnlyDriver;

fn unavailable(rpc: &str) -> Status {
    Status::unimplemented(format!(
        "The skein-rs driver in this build does not implement `{rpc}` yet"
    ))
}

#[tonic::async_trait]
impl Driver for PingOnlyDriver {
    async fn ping(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("ping");
        Ok(Response::new(Empty {}))
    }

    async fn get_status(
        &self,
        _: Request<Application>,
    ) -> Result<Response<ApplicationReport>, Status> {
        Err(unavailable("getStatus"))
    }

    async fn get_applications(
        &self,
        _: Request<ApplicationsRequest>,
    ) -> Result<Response<ApplicationsResponse>, Status> {
        Err(unavailable("getApplications"))
    }

    async fn get_nodes(&self, _: Request<NodesRequest>) -> Result<Response<NodesResponse>, Status> {
        Err(unavailable("getNodes"))
    }

    async fn get_queue(&self, _: Request<QueueRequest>) -> Result<Response<Queue>, Status> {
        Err(unavailable("getQueue"))
    }

    async fn get_child_queues(
        &self,
        _: Request<QueueRequest>,
    ) -> Result<Response<QueuesResponse>, Status> {
        Err(unavailable("getChildQueues"))
    }

    async fn get_all_queues(&self, _: Request<Empty>) -> Result<Response<QueuesResponse>, Status> {
        Err(unavailable("getAllQueues"))
    }

    async fn move_application(&self, _: Request<MoveRequest>) -> Result<Response<Empty>, Status> {
        Err(unavailable("moveApplication"))
    }

    async fn submit(&self, _: Request<ApplicationSpec>) -> Result<Response<Application>, Status> {
        Err(unavailable("submit"))
    }

    async fn wait_for_start(
        &self,
        _: Request<Application>,
    ) -> Result<Response<ApplicationReport>, Status> {
        Err(unavailable("waitForStart"))
    }

    async fn kill(&self, _: Request<KillRequest>) -> Result<Response<Empty>, Status> {
        Err(unavailable("kill"))
    }

    async fn get_logs(&self, _: Request<LogsRequest>) -> Result<Response<LogsResponse>, Status> {
        Err(unavailable("getLogs"))
    }
}
