//! Prometheus metrics of the driver and the ApplicationMaster (prometheus-client; the text
//! exposition format, never written by hand).
//!
//! Both servers count their gRPC calls with [`GrpcMetricsLayer`]: `<prefix>_grpc_requests_total`
//! by `method` (`/skein.Driver/submit`) and `code` (`OK`, `NOT_FOUND`, ...), and
//! `<prefix>_grpc_request_duration_seconds` by `method`, where the prefix is `skein_driver` or
//! `skein_am`. The AM adds gauges computed when scraped (see `am::ui`). The names are listed
//! in docs/metrics.md.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label pairs of one series.
pub(crate) type Labels = Vec<(String, String)>;

/// The metrics of one process, and the registry that writes them out.
pub struct Metrics {
    registry: Mutex<Registry>,
    grpc_requests: Family<Labels, Counter>,
    grpc_duration: Family<Labels, Histogram>,
    /// Gauges set right before each scrape by whoever owns the numbers.
    gauges: Mutex<Vec<(String, Family<Labels, Gauge>)>>,
    /// Other histograms (seconds) and counters, by name after the prefix.
    histograms: Mutex<Vec<(String, Family<Labels, Histogram>)>>,
    counters: Mutex<Vec<(String, Family<Labels, Counter>)>>,
}

/// Call durations from 1 ms to ~16 s.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// The metrics of a process whose names start with `prefix` (`skein_driver`, `skein_am`).
    pub fn new(prefix: &str) -> Arc<Self> {
        let mut registry = Registry::with_prefix(prefix);
        let grpc_requests = Family::<Labels, Counter>::default();
        let grpc_duration =
            Family::<Labels, Histogram>::new_with_constructor(duration_histogram as fn() -> _);
        registry.register(
            "grpc_requests",
            "gRPC calls answered, by method and status code",
            grpc_requests.clone(),
        );
        registry.register_with_unit(
            "grpc_request_duration",
            "Time to answer a gRPC call (to its response headers), by method",
            prometheus_client::registry::Unit::Seconds,
            grpc_duration.clone(),
        );
        Arc::new(Metrics {
            registry: Mutex::new(registry),
            grpc_requests,
            grpc_duration,
            gauges: Mutex::new(Vec::new()),
            histograms: Mutex::new(Vec::new()),
            counters: Mutex::new(Vec::new()),
        })
    }

    /// Registers a histogram of durations `<name>_seconds` with `help`.
    pub(crate) fn register_duration(&self, name: &str, help: &str) {
        let family =
            Family::<Labels, Histogram>::new_with_constructor(duration_histogram as fn() -> _);
        lock(&self.registry).register_with_unit(
            name,
            help,
            prometheus_client::registry::Unit::Seconds,
            family.clone(),
        );
        lock(&self.histograms).push((name.to_string(), family));
    }

    /// Registers a counter `<name>_total` with `help`.
    pub(crate) fn register_counter(&self, name: &str, help: &str) {
        let family = Family::<Labels, Counter>::default();
        lock(&self.registry).register(name, help, family.clone());
        lock(&self.counters).push((name.to_string(), family));
    }

    /// Adds `seconds` to the histogram `name` (registered with [`Self::register_duration`]).
    pub(crate) fn observe(&self, name: &str, labels: &[(&str, &str)], seconds: f64) {
        let histograms = lock(&self.histograms);
        if let Some((_, family)) = histograms.iter().find(|(n, _)| n == name) {
            family.get_or_create(&owned(labels)).observe(seconds);
        }
    }

    /// Raises the counter `name` to `total` when it is lower (for counts kept elsewhere).
    pub(crate) fn count_up_to(&self, name: &str, labels: &[(&str, &str)], total: u64) {
        let counters = lock(&self.counters);
        if let Some((_, family)) = counters.iter().find(|(n, _)| n == name) {
            let counter = family.get_or_create(&owned(labels));
            let now = counter.get();
            if total > now {
                counter.inc_by(total - now);
            }
        }
    }

    /// Adds one to the counter `name` (registered with [`Self::register_counter`]).
    pub(crate) fn inc(&self, name: &str, labels: &[(&str, &str)]) {
        let counters = lock(&self.counters);
        if let Some((_, family)) = counters.iter().find(|(n, _)| n == name) {
            family.get_or_create(&owned(labels)).inc();
        }
    }

    /// Registers a gauge family `name` (after the prefix) with `help`; its values are set with
    /// [`Self::set_gauges`].
    pub(crate) fn register_gauge(&self, name: &str, help: &str) {
        let family = Family::<Labels, Gauge>::default();
        lock(&self.registry).register(name, help, family.clone());
        lock(&self.gauges).push((name.to_string(), family));
    }

    /// Replaces every series of the gauge `name` with `values`.
    pub(crate) fn set_gauges(&self, name: &str, values: impl IntoIterator<Item = (Labels, i64)>) {
        let gauges = lock(&self.gauges);
        let Some((_, family)) = gauges.iter().find(|(n, _)| n == name) else {
            return;
        };
        family.clear();
        for (labels, value) in values {
            family.get_or_create(&labels).set(value);
        }
    }

    /// Counts one gRPC call.
    fn observe_call(&self, method: &str, code: tonic::Code, seconds: f64) {
        let method_label = vec![("method".to_string(), method.to_string())];
        let mut labels = method_label.clone();
        labels.push(("code".to_string(), code_name(code).to_string()));
        self.grpc_requests.get_or_create(&labels).inc();
        self.grpc_duration
            .get_or_create(&method_label)
            .observe(seconds);
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if encode(&mut text, &lock(&self.registry)).is_err() {
            tracing::warn!("cannot encode the metrics");
        }
        text
    }
}

fn owned(labels: &[(&str, &str)]) -> Labels {
    labels
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// The driver's metrics, once `--metrics-address` turned them on.
static DRIVER: std::sync::OnceLock<Arc<Metrics>> = std::sync::OnceLock::new();

/// The driver's metrics if they are on.
pub(crate) fn driver() -> Option<&'static Arc<Metrics>> {
    DRIVER.get()
}

/// Turns the driver's metrics on (once per process) and returns them: its gRPC calls, submits
/// and their phases, ResourceManager and HDFS calls, and its applications by state.
pub(crate) fn enable_driver() -> Arc<Metrics> {
    DRIVER
        .get_or_init(|| {
            let metrics = Metrics::new("skein_driver");
            metrics.register_duration(
                "submit_phase_duration",
                "Time spent in each phase of a submit (prepare: checks and a new application \
                 id; stage: files to HDFS and tokens; rm_submit: the ResourceManager's submit)",
            );
            metrics.register_counter("submits", "Submits by result (ok, error)");
            metrics.register_duration(
                "rm_request_duration",
                "ResourceManager REST calls by operation (method and path, ids left out)",
            );
            metrics.register_counter("rm_request_errors", "Failed ResourceManager REST calls");
            metrics.register_duration("hdfs_request_duration", "HDFS calls by operation");
            metrics.register_counter("hdfs_request_errors", "Failed HDFS calls by operation");
            metrics.register_gauge(
                "applications",
                "The driver user's skein applications by state (from the ResourceManager)",
            );
            skein_hadoop::observe::set_call_observer(observe_cluster_call);
            metrics
        })
        .clone()
}

/// Records a call to the cluster into the driver's metrics.
fn observe_cluster_call(call: &skein_hadoop::observe::Call<'_>) {
    let Some(metrics) = driver() else {
        return;
    };
    let (duration, errors) = match call.system {
        skein_hadoop::observe::System::ResourceManager => {
            ("rm_request_duration", "rm_request_errors")
        }
        skein_hadoop::observe::System::Hdfs => ("hdfs_request_duration", "hdfs_request_errors"),
    };
    let labels = [("operation", call.operation)];
    metrics.observe(duration, &labels, call.seconds);
    if !call.ok {
        metrics.inc(errors, &labels);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// gRPC's name of a status code (`OK`, `INVALID_ARGUMENT`, ...).
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A tower layer that counts the gRPC calls of a tonic server into [`Metrics`]. The status
/// code is the `grpc-status` of the response headers (tonic answers errors with headers
/// only), else OK.
#[derive(Clone)]
pub struct GrpcMetricsLayer(pub Arc<Metrics>);

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetricsService {
            inner,
            metrics: self.0.clone(),
        }
    }
}

/// The service [`GrpcMetricsLayer`] wraps around a server's routes.
#[derive(Clone)]
pub struct GrpcMetricsService<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetricsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await;
            if let Ok(response) = &response {
                let code = response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .map_or(tonic::Code::Ok, tonic::Code::from_i32);
                metrics.observe_call(&method, code, started.elapsed().as_secs_f64());
            }
            response
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_gauges_are_written_in_the_text_format() {
        let metrics = Metrics::new("skein_test");
        metrics.observe_call("/skein.Driver/ping", tonic::Code::Ok, 0.002);
        metrics.observe_call("/skein.Driver/ping", tonic::Code::Ok, 0.004);
        metrics.observe_call("/skein.Driver/kill", tonic::Code::NotFound, 0.1);
        metrics.register_gauge("containers", "Containers by state");
        metrics.set_gauges(
            "containers",
            [(vec![("state".to_string(), "RUNNING".to_string())], 3)],
        );
        let text = metrics.encode();
        for line in [
            "skein_test_grpc_requests_total{method=\"/skein.Driver/ping\",code=\"OK\"} 2",
            "skein_test_grpc_requests_total{method=\"/skein.Driver/kill\",code=\"NOT_FOUND\"} 1",
            "skein_test_grpc_request_duration_seconds_count{method=\"/skein.Driver/ping\"} 2",
            "skein_test_containers{state=\"RUNNING\"} 3",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} missing in\n{text}");
        }
        metrics.register_counter("restarts", "Restarts");
        metrics.count_up_to("restarts", &[("service", "web")], 2);
        metrics.count_up_to("restarts", &[("service", "web")], 1);
        metrics.count_up_to("restarts", &[("service", "web")], 3);
        assert!(
            metrics
                .encode()
                .contains("skein_test_restarts_total{service=\"web\"} 3"),
            "a count kept elsewhere only goes up"
        );
        metrics.set_gauges("containers", []);
        assert!(
            !metrics.encode().contains("RUNNING"),
            "a gauge's old series go"
        );
    }
}
