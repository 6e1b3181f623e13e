//! What every skein-rs gRPC server offers beside its own service, over the same mutual TLS:
//! `grpc.health.v1.Health` (for load balancers, `grpcurl` and Kubernetes-era probes) and
//! server reflection (`grpc.reflection.v1` and `v1alpha`, so `grpcurl list` and `describe`
//! work without the `.proto` file).

use tonic::transport::server::Router;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// The health service's name.
const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// Adds health and reflection to `router`, whose main service is `service` (e.g.
/// `skein.Driver`), reported SERVING (as is the server as a whole, the empty name). The
/// returned reporter changes that, e.g. to NOT_SERVING while shutting down.
pub(crate) async fn with_health_and_reflection<L>(
    router: Router<L>,
    service: &str,
) -> (Router<L>, HealthReporter) {
    let (reporter, health) = tonic_health::server::health_reporter();
    set_status(&reporter, service, ServingStatus::Serving).await;
    let mut router = router.add_service(health);
    // Only the services this server has: skein.proto also defines the other one.
    let builder = |reflection_service: &str| {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(service)
            .with_service_name(HEALTH_SERVICE)
            .with_service_name(reflection_service)
    };
    match builder("grpc.reflection.v1.ServerReflection").build_v1() {
        Ok(v1) => router = router.add_service(v1),
        Err(e) => tracing::warn!("no gRPC reflection (v1): {e}"),
    }
    match builder("grpc.reflection.v1alpha.ServerReflection").build_v1alpha() {
        Ok(v1alpha) => router = router.add_service(v1alpha),
        Err(e) => tracing::warn!("no gRPC reflection (v1alpha): {e}"),
    }
    (router, reporter)
}

/// Sets the status of `service` and of the server as a whole (the empty service name).
pub(crate) async fn set_status(reporter: &HealthReporter, service: &str, status: ServingStatus) {
    reporter.set_service_status(service, status).await;
    reporter.set_service_status("", status).await;
}
