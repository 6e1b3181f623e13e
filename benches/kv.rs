//! Key-value store benchmark: `cargo bench --bench kv`.
//!
//! Measures put / get / transaction throughput through [`KvService`] (the same calls the
//! AppMaster's gRPC handlers make) with 1 and 16 concurrent tokio tasks, and watch latency
//! (put returned -> PUT event received on a `Watch` stream). This is the in-process version:
//! no gRPC, TLS or network, so it bounds what the store itself costs. The same workloads over
//! gRPC against a real AM (either implementation) are `benches/kv_grpc.rs`.
//!
//! `KV_BENCH_OPS` sets the operations per row (default 200000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use skein::am::watch::KvService;
use skein::proto::{
    Condition, GetRangeRequest, OpRequest, PutKeyRequest, TransactionRequest, WatchCreateRequest,
    WatchRequest, condition, op_request, watch_request,
};
use skein_core::kv::{ContainerDirectory, OwnerState};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;

struct NoContainers;

impl ContainerDirectory for NoContainers {
    fn owner_state(&self, _: &skein_core::kv::ContainerInstance) -> OwnerState {
        OwnerState::UnknownService
    }
}

#[derive(Clone, Copy)]
enum Workload {
    Put,
    Get,
    Transaction,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Put => "PutKey",
            Workload::Get => "GetRange (one key)",
            Workload::Transaction => "Transaction (CAS)",
        }
    }
}

fn key(task: usize, i: usize) -> String {
    // 1000 keys per task: a realistic working set, and gets/CAS always hit.
    format!("task{task:02}/key{:04}", i % 1000)
}

async fn one_op(kv: &KvService, workload: Workload, task: usize, i: usize) -> bool {
    let key = key(task, i);
    match workload {
        Workload::Put => {
            let request = PutKeyRequest {
                key,
                value: b"value".to_vec(),
                ..Default::default()
            };
            kv.put_key(request).await.is_ok()
        }
        Workload::Get => {
            let end = format!("{key}\u{0}");
            let request = GetRangeRequest {
                start: key,
                end,
                result_type: 0,
            };
            kv.get_range(request).await.is_ok()
        }
        Workload::Transaction => {
            let condition = Condition {
                key: key.clone(),
                operator: condition::Operator::Equal as i32,
                field: condition::Field::Value as i32,
                rhs: Some(condition::Rhs::Value(b"value".to_vec())),
            };
            let put = PutKeyRequest {
                key,
                value: b"value".to_vec(),
                ..Default::default()
            };
            let request = TransactionRequest {
                condition: vec![condition],
                on_success: vec![OpRequest {
                    request: Some(op_request::Request::PutKey(put)),
                }],
                on_failure: vec![],
            };
            kv.transaction(request).await.is_ok_and(|r| r.succeeded)
        }
    }
}

async fn throughput(kv: &KvService, workload: Workload, tasks: usize, ops: usize) -> Duration {
    let per_task = ops / tasks;
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let kv = kv.clone();
            tokio::spawn(async move {
                let mut failures = 0usize;
                for i in 0..per_task {
                    if !one_op(&kv, workload, task, i).await {
                        failures += 1;
                    }
                }
                failures
            })
        })
        .collect();
    for handle in handles {
        match handle.await {
            Ok(0) => {}
            Ok(failures) => eprintln!("warning: {failures} failed {} calls", workload.name()),
            Err(e) => eprintln!("warning: bench task failed: {e}"),
        }
    }
    start.elapsed()
}

/// Put -> event latencies, in microseconds, sorted.
async fn watch_latency(kv: &KvService, samples: usize) -> Vec<f64> {
    let (requests, incoming) = tokio::sync::mpsc::unbounded_channel();
    let mut events = kv.watch(UnboundedReceiverStream::new(incoming).map(Ok));
    let create = WatchCreateRequest {
        start: "watched/".into(),
        end: "watched0".into(),
        event_type: 1,
    };
    if requests
        .send(WatchRequest {
            request: Some(watch_request::Request::Create(create)),
        })
        .is_err()
    {
        return Vec::new();
    }
    let _ack = events.next().await;
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let request = PutKeyRequest {
            key: format!("watched/{i}"),
            value: b"x".to_vec(),
            ..Default::default()
        };
        let start = Instant::now();
        if kv.put_key(request).await.is_err() {
            continue;
        }
        if !matches!(events.next().await, Some(Ok(_))) {
            break;
        }
        latencies.push(start.elapsed().as_secs_f64() * 1e6);
    }
    latencies.sort_by(f64::total_cmp);
    latencies
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let ops: usize = std::env::var("KV_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start a tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    runtime.block_on(async {
        let kv = KvService::new(Arc::new(NoContainers));
        println!(
            "skein-rs kv store, in-process (no gRPC), {ops} ops per row, {threads} runtime threads"
        );
        println!();
        println!("| operation            | tasks |      ops/s | µs/op (wall) |");
        println!("|----------------------|------:|-----------:|-------------:|");
        for workload in [Workload::Put, Workload::Get, Workload::Transaction] {
            for tasks in [1, 16] {
                let elapsed = throughput(&kv, workload, tasks, ops).await;
                let done = (ops / tasks * tasks) as f64;
                println!(
                    "| {:<20} | {:>5} | {:>10.0} | {:>12.3} |",
                    workload.name(),
                    tasks,
                    done / elapsed.as_secs_f64(),
                    elapsed.as_secs_f64() * 1e6 / done
                );
            }
        }
        let samples = (ops / 20).max(100);
        let latencies = watch_latency(&kv, samples).await;
        println!();
        println!("| watch latency (put -> event) | samples |  p50 µs |  p99 µs |  max µs |");
        println!("|------------------------------|--------:|--------:|--------:|--------:|");
        println!(
            "| 1 watch, 1 writer            | {:>7} | {:>7.2} | {:>7.2} | {:>7.2} |",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(f64::NAN)
        );
        kv.shutdown();
    });
}
