//! Key-value store over gRPC against a running ApplicationMaster, from Rust clients.
//!
//! ```sh
//! cargo bench --bench kv_grpc -- --address HOST:PORT [--config DIR | --cert FILE --key FILE]
//!     [--clients 1,16] [--ops 1000] [--warmup 200] [--watch-samples 200] [--json]
//! ```
//!
//! For each client count N it opens N clients, each [`connect_app_master`] with its own mutual-TLS
//! HTTP/2 connection, and measures with every client issuing one call at a time (closed loop):
//!
//! * **PutKey**: each client puts 100-byte values round-robin into 100 keys of its own.
//! * **GetRange** (one key, `end = key + "\0"`, as Python's `kv.get`): each client reads its own
//!   keys back; every answer must be exactly that key with the value the client put last.
//! * **Transaction**: compare-and-swap on **one counter shared by all N clients**:
//!   `if value == seen { put seen+1 } else { get }`, one Transaction call per attempt (a
//!   failed attempt returns the current value, so the retry needs no extra call). Throughput
//!   counts every attempt, committed or not. Checked: a failed attempt must read a larger value
//!   than the one compared against, one client never fails, and the counter ends equal to the
//!   number of committed transactions.
//! * **Watch latency**: all N clients watch one prefix (PUT events) on their own connection;
//!   the clients take turns putting a key under it; measured is the time from the put being
//!   issued to its event having arrived at all N watches, and from the put's response to that
//!   moment (0 when every event came first). Every event must be the key and value just put,
//!   once per watch.
//!
//! Any failed call or check ends the run with an error and no numbers. Every run writes under a
//! fresh prefix `kvgrpc/<pid>-<nanos>/`, so runs against the same AM do not interfere.
//! The credentials are those of the application (`skein.crt` / `skein.pem`): `--cert` and
//! `--key`, or `--config DIR`, or the skein configuration directory (`$SKEIN_CONFIG`, else
//! `~/.skein`). The same wire contract makes it work against Java Skein 0.8's AM too;
//! `benches/compare/run.sh` runs it against both (row 5r of BENCHMARKS.md).
//!
//! Without `--address` (e.g. a plain `cargo bench`) it prints how to use it and exits.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use clap::Parser;
use skein::client::connect_app_master;
use skein::proto::app_master_client::AppMasterClient;
use skein::proto::{
    Condition, GetRangeRequest, OpRequest, PutKeyRequest, TransactionRequest, WatchCreateRequest,
    WatchRequest, condition, op_request, op_response, watch_create_request, watch_request,
    watch_response,
};
use skein::security::{Credentials, config_dir};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::transport::Channel;

type Client = AppMasterClient<Channel>;

/// Bytes per value put.
const VALUE_LEN: usize = 100;
/// Keys per client in the put and get workloads.
const KEYS_PER_CLIENT: usize = 100;
/// How long one watch event may take before the run fails.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Parser, Debug)]
#[command(
    name = "kv_grpc",
    about = "kv put/get/transaction throughput and watch latency over gRPC against a running AM"
)]
struct Args {
    /// The ApplicationMaster's gRPC address, HOST:PORT.
    #[arg(long)]
    address: Option<String>,
    /// Certificate file (PEM) of the application's credentials.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Private key file (PEM) of the application's credentials.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Directory with skein.crt and skein.pem (default: $SKEIN_CONFIG, else ~/.skein).
    #[arg(long, conflicts_with_all = ["cert", "key"])]
    config: Option<PathBuf>,
    /// Client counts to measure, each with that many connections.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    clients: Vec<usize>,
    /// Calls per client in each of the put, get and transaction workloads.
    #[arg(long, default_value_t = 1000)]
    ops: usize,
    /// Unmeasured calls per client and workload before measuring (warms a JIT, opens streams).
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Puts whose watch latency is measured, per client count.
    #[arg(long, default_value_t = 200)]
    watch_samples: usize,
    /// Print one JSON object on stdout (the table goes to stderr).
    #[arg(long)]
    json: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What one client count measured.
#[derive(Debug, serde::Serialize)]
struct Measured {
    clients: usize,
    ops_per_client: usize,
    put_per_s: f64,
    get_per_s: f64,
    /// Transaction calls per second, committed or not.
    txn_per_s: f64,
    txn_attempts: usize,
    txn_committed: usize,
    watch_samples: usize,
    /// Put issued -> PUT event at all watches.
    watch_p50_ms: f64,
    watch_p99_ms: f64,
    /// Put's response -> PUT event at all watches (0 when the events came first).
    watch_after_return_p50_ms: f64,
    watch_after_return_p99_ms: f64,
}

fn main() {
    let args = Args::parse();
    let Some(address) = args.address.clone() else {
        eprintln!(
            "kv_grpc: skipped, it needs a running ApplicationMaster: cargo bench --bench kv_grpc \
             -- --address HOST:PORT [--config DIR | --cert FILE --key FILE] (see --help)"
        );
        return;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kv_grpc: cannot start a tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(err) = runtime.block_on(run(&args, &address)) {
        eprintln!("kv_grpc: error: {err:#}");
        std::process::exit(1);
    }
}

async fn run(args: &Args, address: &str) -> Result<()> {
    ensure!(
        !args.clients.is_empty() && args.clients.iter().all(|&n| n > 0),
        "--clients needs positive counts"
    );
    ensure!(args.ops > 0, "--ops must be positive");
    ensure!(args.watch_samples > 0, "--watch-samples must be positive");
    let credentials = match (&args.cert, &args.key, &args.config) {
        (Some(cert), Some(key), _) => Credentials::from_files(cert, key)?,
        (_, _, Some(dir)) => Credentials::from_directory(dir)?,
        _ => Credentials::from_directory(&config_dir()?)?,
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let run_prefix = format!("kvgrpc/{}-{nanos}/", std::process::id());
    let mut results = Vec::new();
    for &n in &args.clients {
        let prefix = format!("{run_prefix}c{n}/");
        results.push(measure(args, address, &credentials, n, &prefix).await?);
    }
    let table = table(address, args, &results);
    if args.json {
        eprintln!("{table}");
        let out = serde_json::json!({ "address": address, "results": results });
        println!("{out}");
    } else {
        println!("{table}");
    }
    Ok(())
}

async fn measure(
    args: &Args,
    address: &str,
    credentials: &Credentials,
    n: usize,
    prefix: &str,
) -> Result<Measured> {
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        // One connect per client: its own TCP connection, TLS session and HTTP/2 connection.
        clients.push(
            connect_app_master(address, credentials)
                .await
                .with_context(|| format!("client {i}"))?,
        );
    }
    if args.warmup > 0 {
        let warm = format!("{prefix}warmup/");
        let (_, expected) = put_phase(&clients, &warm, args.warmup).await?;
        get_phase(&clients, &warm, args.warmup, Arc::new(expected)).await?;
        txn_phase(&clients, &warm, args.warmup).await?;
    }
    let total = (n * args.ops) as f64;
    let (put_time, expected) = put_phase(&clients, prefix, args.ops).await?;
    let get_time = get_phase(&clients, prefix, args.ops, Arc::new(expected)).await?;
    let (txn_time, committed) = txn_phase(&clients, prefix, args.ops).await?;
    let (mut from_issue, mut after_return) =
        watch_latency(&clients, prefix, args.watch_samples).await?;
    from_issue.sort_by(f64::total_cmp);
    after_return.sort_by(f64::total_cmp);
    Ok(Measured {
        clients: n,
        ops_per_client: args.ops,
        put_per_s: total / put_time.as_secs_f64(),
        get_per_s: total / get_time.as_secs_f64(),
        txn_per_s: total / txn_time.as_secs_f64(),
        txn_attempts: n * args.ops,
        txn_committed: committed,
        watch_samples: from_issue.len(),
        watch_p50_ms: percentile(&from_issue, 0.5),
        watch_p99_ms: percentile(&from_issue, 0.99),
        watch_after_return_p50_ms: percentile(&after_return, 0.5),
        watch_after_return_p99_ms: percentile(&after_return, 0.99),
    })
}

/// Runs `work(i, client)` for every client at once, started together; returns the wall time
/// from the start until the last one finished, and their results in client order.
async fn all_clients<F, Fut, T>(clients: &[Client], work: F) -> Result<(Duration, Vec<T>)>
where
    F: Fn(usize, Client) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(clients.len() + 1));
    let handles: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, client)| {
            let job = work(i, client.clone());
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                job.await
            })
        })
        .collect();
    barrier.wait().await;
    let start = Instant::now();
    let mut results = Vec::with_capacity(handles.len());
    for (i, handle) in handles.into_iter().enumerate() {
        let result = handle
            .await
            .map_err(|e| anyhow!("client {i}'s task failed: {e}"))?
            .with_context(|| format!("client {i}"))?;
        results.push(result);
    }
    Ok((start.elapsed(), results))
}

fn data_key(prefix: &str, client: usize, index: usize) -> String {
    format!("{prefix}data/{client:02}/{:03}", index % KEYS_PER_CLIENT)
}

fn value_for(client: usize, op: usize) -> Vec<u8> {
    let mut value = format!("client {client} op {op} ").into_bytes();
    value.resize(VALUE_LEN, b'.');
    value
}

/// Each client puts `ops` values round-robin into its keys; returns the time and, per client,
/// the value each key holds afterwards.
async fn put_phase(
    clients: &[Client],
    prefix: &str,
    ops: usize,
) -> Result<(Duration, Vec<Vec<Vec<u8>>>)> {
    let prefix = prefix.to_string();
    all_clients(clients, |i, mut client| {
        let prefix = prefix.clone();
        async move {
            let mut last = vec![Vec::new(); KEYS_PER_CLIENT.min(ops)];
            for j in 0..ops {
                let key = data_key(&prefix, i, j);
                let value = value_for(i, j);
                put_one(&mut client, &key, value.clone()).await?;
                last[j % KEYS_PER_CLIENT] = value;
            }
            Ok(last)
        }
    })
    .await
}

/// Each client reads its keys back round-robin, `ops` single-key GetRange calls.
async fn get_phase(
    clients: &[Client],
    prefix: &str,
    ops: usize,
    expected: Arc<Vec<Vec<Vec<u8>>>>,
) -> Result<Duration> {
    let prefix = prefix.to_string();
    let (elapsed, _) = all_clients(clients, |i, mut client| {
        let prefix = prefix.clone();
        let expected = Arc::clone(&expected);
        async move {
            let mine = expected
                .get(i)
                .ok_or_else(|| anyhow!("no values put by client {i}"))?;
            for j in 0..ops {
                let index = j % mine.len().max(1);
                let key = data_key(&prefix, i, index);
                let found = get_one(&mut client, &key).await?;
                ensure!(
                    Some(&found) == mine.get(index),
                    "GetRange {key}: value {:?} is not the one put last",
                    String::from_utf8_lossy(&found)
                );
            }
            Ok(())
        }
    })
    .await?;
    Ok(elapsed)
}

/// Every client runs `ops` compare-and-swap increments of one shared counter; returns the time
/// and the number committed, after checking the counter's final value against it.
async fn txn_phase(clients: &[Client], prefix: &str, ops: usize) -> Result<(Duration, usize)> {
    let key = format!("{prefix}counter");
    let Some(initial) = clients.first() else {
        bail!("no clients");
    };
    put_one(&mut initial.clone(), &key, b"0".to_vec()).await?;
    let (elapsed, counts) = all_clients(clients, |_, mut client| {
        let key = key.clone();
        async move {
            let mut seen: u64 = 0;
            let mut committed = 0usize;
            for _ in 0..ops {
                let response = client
                    .transaction(cas_increment(&key, seen))
                    .await
                    .with_context(|| format!("Transaction on {key}"))?
                    .into_inner();
                let first = response.result.first().and_then(|r| r.response.as_ref());
                if response.succeeded {
                    ensure!(
                        response.result.len() == 1
                            && matches!(first, Some(op_response::Response::PutKey(_))),
                        "committed Transaction on {key}: expected one PutKey result"
                    );
                    committed += 1;
                    seen += 1;
                } else {
                    let current = match first {
                        Some(op_response::Response::GetRange(range)) if range.count == 1 => {
                            range.result.first().map(|kv| parse_counter(&kv.value))
                        }
                        _ => None,
                    }
                    .ok_or_else(|| {
                        anyhow!("failed Transaction on {key}: expected the counter read back")
                    })??;
                    ensure!(
                        current > seen,
                        "CAS on {key} failed with the counter at {current}, compared with {seen}"
                    );
                    seen = current;
                }
            }
            Ok(committed)
        }
    })
    .await?;
    let committed: usize = counts.iter().sum();
    if clients.len() == 1 {
        ensure!(
            committed == ops,
            "one client alone: {committed} of {ops} CAS committed"
        );
    }
    let final_value = read_counter(initial.clone(), &key).await?;
    ensure!(
        final_value == committed as u64,
        "counter {key} is {final_value} after {committed} committed increments"
    );
    Ok((elapsed, committed))
}

fn cas_increment(key: &str, seen: u64) -> TransactionRequest {
    TransactionRequest {
        condition: vec![Condition {
            key: key.to_string(),
            operator: condition::Operator::Equal as i32,
            field: condition::Field::Value as i32,
            rhs: Some(condition::Rhs::Value(seen.to_string().into_bytes())),
        }],
        on_success: vec![OpRequest {
            request: Some(op_request::Request::PutKey(PutKeyRequest {
                key: key.to_string(),
                value: (seen + 1).to_string().into_bytes(),
                ..Default::default()
            })),
        }],
        on_failure: vec![OpRequest {
            request: Some(op_request::Request::GetRange(GetRangeRequest {
                start: key.to_string(),
                end: format!("{key}\0"),
                result_type: 0,
            })),
        }],
    }
}

fn parse_counter(value: &[u8]) -> Result<u64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| anyhow!("counter value {value:?} is not a number"))
}

/// PutKey of `value` at `key`, without owner or previous value.
async fn put_one(client: &mut Client, key: &str, value: Vec<u8>) -> Result<()> {
    client
        .put_key(PutKeyRequest {
            key: key.to_string(),
            value,
            ..Default::default()
        })
        .await
        .with_context(|| format!("PutKey {key}"))?;
    Ok(())
}

/// GetRange of exactly `key`, as Python's `kv.get`: its value, or an error naming what came
/// back instead.
async fn get_one(client: &mut Client, key: &str) -> Result<Vec<u8>> {
    let response = client
        .get_range(GetRangeRequest {
            start: key.to_string(),
            end: format!("{key}\0"),
            result_type: 0,
        })
        .await
        .with_context(|| format!("GetRange {key}"))?
        .into_inner();
    let mut result = response.result;
    if response.count == 1 && result.len() == 1 && result[0].key == key {
        return Ok(result.swap_remove(0).value);
    }
    let keys: Vec<&str> = result.iter().map(|kv| kv.key.as_str()).collect();
    bail!(
        "GetRange {key}: expected that one key, got count {} and keys {keys:?}",
        response.count
    )
}

async fn read_counter(mut client: Client, key: &str) -> Result<u64> {
    parse_counter(&get_one(&mut client, key).await?)
}

/// A PUT event as it arrived at watch `watcher`.
struct Arrival {
    watcher: usize,
    key: String,
    value: Vec<u8>,
    at: Instant,
}

/// Every client watches `<prefix>watched/`; the clients take turns putting `samples` keys
/// there. Returns the latencies in milliseconds from each put's issue and from its response
/// until its event had arrived at every watch.
async fn watch_latency(
    clients: &[Client],
    prefix: &str,
    samples: usize,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let start = format!("{prefix}watched/");
    let end = next_key(&start);
    let (arrived, mut arrivals) = mpsc::unbounded_channel::<Result<Arrival>>();
    let mut request_streams = Vec::with_capacity(clients.len());
    let mut readers = Vec::with_capacity(clients.len());
    for (watcher, client) in clients.iter().enumerate() {
        let (requests, outgoing) = mpsc::unbounded_channel();
        requests
            .send(WatchRequest {
                request: Some(watch_request::Request::Create(WatchCreateRequest {
                    start: start.clone(),
                    end: end.clone(),
                    event_type: watch_create_request::Type::Put as i32,
                })),
            })
            .map_err(|_| anyhow!("watch request stream closed"))?;
        let mut events = client
            .clone()
            .watch(UnboundedReceiverStream::new(outgoing))
            .await
            .with_context(|| format!("Watch of client {watcher}"))?
            .into_inner();
        let ack = tokio::time::timeout(EVENT_TIMEOUT, events.message())
            .await
            .map_err(|_| anyhow!("Watch of client {watcher}: no CREATE answer"))?
            .with_context(|| format!("Watch of client {watcher}"))?;
        ensure!(
            ack.is_some_and(|r| r.r#type == watch_response::Type::Create as i32),
            "Watch of client {watcher}: the first answer is not CREATE"
        );
        request_streams.push(requests);
        let arrived = arrived.clone();
        readers.push(tokio::spawn(async move {
            loop {
                let message = events.message().await;
                let at = Instant::now();
                let response = match message {
                    Ok(Some(response)) => response,
                    Ok(None) => return,
                    Err(status) => {
                        let _ = arrived.send(Err(anyhow!("Watch of client {watcher}: {status}")));
                        return;
                    }
                };
                if response.r#type != watch_response::Type::Put as i32 {
                    let _ = arrived.send(Err(anyhow!(
                        "Watch of client {watcher}: event type {} instead of PUT",
                        response.r#type
                    )));
                    return;
                }
                for kv in response.event {
                    let arrival = Arrival {
                        watcher,
                        key: kv.key,
                        value: kv.value,
                        at,
                    };
                    if arrived.send(Ok(arrival)).is_err() {
                        return;
                    }
                }
            }
        }));
    }
    drop(arrived);
    let result = async {
        let mut from_issue = Vec::with_capacity(samples);
        let mut after_return = Vec::with_capacity(samples);
        for sample in 0..samples {
            let writer = sample % clients.len();
            let key = format!("{start}{sample:05}");
            let value = value_for(writer, sample);
            let mut client = clients[writer].clone();
            let issued = Instant::now();
            put_one(&mut client, &key, value.clone()).await?;
            let returned = Instant::now();
            let mut seen = vec![false; clients.len()];
            let mut last = issued;
            for _ in 0..clients.len() {
                let arrival = tokio::time::timeout(EVENT_TIMEOUT, arrivals.recv())
                    .await
                    .map_err(|_| anyhow!("no PUT event for {key} within {EVENT_TIMEOUT:?}"))?
                    .ok_or_else(|| anyhow!("every watch ended"))??;
                ensure!(
                    arrival.key == key && arrival.value == value,
                    "watch of client {} got {} while waiting for {key}",
                    arrival.watcher,
                    arrival.key
                );
                let Some(flag) = seen.get_mut(arrival.watcher) else {
                    bail!("event from unknown watch {}", arrival.watcher);
                };
                ensure!(
                    !*flag,
                    "watch of client {} got {key} twice",
                    arrival.watcher
                );
                *flag = true;
                last = last.max(arrival.at);
            }
            from_issue.push(ms(last.duration_since(issued)));
            after_return.push(ms(last.saturating_duration_since(returned)));
        }
        Ok((from_issue, after_return))
    }
    .await;
    // Closing the request streams ends the watches on the server.
    drop(request_streams);
    for reader in readers {
        reader.abort();
    }
    result
}

/// The first key after every key starting with `prefix` (Python skein's `_next_key`).
fn next_key(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    match bytes.last_mut() {
        // The prefixes here end in '/', so the result stays ASCII.
        Some(last) if *last < 0x7f => *last += 1,
        _ => bytes.push(0),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn table(address: &str, args: &Args, results: &[Measured]) -> String {
    let mut out = format!(
        "kv over gRPC, AM at {address}: {} calls per client and workload after {} warm-up calls, \
         {} watched puts; Transaction = CAS on one counter shared by all clients\n\n",
        args.ops, args.warmup, args.watch_samples
    );
    out.push_str(
        "| clients | PutKey ops/s | GetRange ops/s | Transaction ops/s (committed) \
         | watch p50 / p99 ms | after put returned p50 / p99 ms |\n",
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|\n");
    for m in results {
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.0} ({:.0} %) | {:.3} / {:.3} | {:.3} / {:.3} |\n",
            m.clients,
            m.put_per_s,
            m.get_per_s,
            m.txn_per_s,
            100.0 * m.txn_committed as f64 / m.txn_attempts.max(1) as f64,
            m.watch_p50_ms,
            m.watch_p99_ms,
            m.watch_after_return_p50_ms,
            m.watch_after_return_p99_ms,
        ));
    }
    out
}
