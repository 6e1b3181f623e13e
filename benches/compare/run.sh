#!/usr/bin/env bash
# Java Skein 0.8.2 against skein-rs on one local Hadoop: the table of BENCHMARKS.md.
#
#   benches/compare/run.sh            build, start a cluster in target/bench-cluster, run every
#                                     row, stop the cluster; table on stdout and in
#                                     target/bench/results.md (raw samples: results.json)
#
# Environment: BENCH_REPS (samples per row and implementation, default 3), BENCH_ROWS (comma
# list of coldstart,cli,submit,containers,kv,memory,upload, or kvrs for row 5r alone; default
# all), BENCH_KEEP_CLUSTER=1
# (leave the cluster running), SKEIN_CLUSTER_DIR (default target/bench-cluster; an already
# running cluster there is reused), HADOOP_VERSION (default 3.4.2).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
export SKEIN_CLUSTER_DIR="${SKEIN_CLUSTER_DIR:-$repo/target/bench-cluster}"

bash tests/python/setup-venv.sh          # skein==0.8.2 from PyPI: the Python client + skein.jar
scripts/cluster build
cargo build --release --quiet --bin skein
# Row 5r's load generator: benches/kv_grpc.rs, built as `cargo bench` builds it.
SKEIN_KV_GRPC_BIN="$(cargo bench --quiet --bench kv_grpc --no-run --message-format=json \
    | sed -n 's/.*"executable":"\([^"]*\/kv_grpc-[^"]*\)".*/\1/p' | tail -n 1)"
if [ ! -x "$SKEIN_KV_GRPC_BIN" ]; then
    echo "run.sh: cannot find the kv_grpc bench binary" >&2
    exit 1
fi
export SKEIN_KV_GRPC_BIN
# The skein-rs AM's Java shim, found next to the binary by the driver's submit.
if [ ! -f target/release/skein-shim.jar ] || [ -n "$(find java-shim/src java-shim/pom.xml -newer target/release/skein-shim.jar -print -quit)" ]; then
    JAVA_HOME="$(scripts/cluster java-home)" mvn -B -q -f java-shim/pom.xml package -DskipTests
    cp java-shim/target/skein-shim.jar target/release/skein-shim.jar
fi

started_cluster=0
if ! scripts/cluster status >/dev/null 2>&1; then
    scripts/cluster up >/dev/null
    started_cluster=1
fi
stop_cluster() {
    if [ "$started_cluster" = 1 ] && [ -z "${BENCH_KEEP_CLUSTER:-}" ]; then scripts/cluster down; fi
}
trap stop_cluster EXIT

export HADOOP_CONF_DIR="$SKEIN_CLUSTER_DIR/conf"
export SKEIN_BIN="$repo/target/release/skein"
tests/python/.venv/bin/python benches/compare/bench.py
