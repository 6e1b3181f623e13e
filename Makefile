# skein-rs: the two commands of the README, and their parts.
#
#   make demo     a real local Hadoop (fixed ports: RM UI :8088, NameNode :9000) and an example
#   make test     every test: unit tests, and integration tests on a real local Hadoop
#   make bench    skein-rs against Java Skein 0.8.2 on a local Hadoop (BENCHMARKS.md)
#   make dist     the release: a tarball and a Python wheel in target/dist/
#
# HADOOP_VERSION=3.5.0 (or 3.3.6) picks the Hadoop the cluster runs; 3.4.2 by default.

HADOOP_VERSION ?= 3.4.2
export HADOOP_VERSION
TEST_CLUSTER_DIR := $(CURDIR)/target/test-cluster-$(HADOOP_VERSION)
DEMO_CLUSTER_DIR := $(CURDIR)/target/demo-cluster

.PHONY: all build shim cluster-build demo demo-stop test test-unit lint bench dist

all: build

build:
	cargo build --release

cluster-build:
	scripts/cluster build

## The AM's Java shim (java-shim/target/skein-shim.jar), copied next to the release binary.
shim: build
	JAVA_HOME="$$(scripts/cluster java-home)" mvn -B -q -f java-shim/pom.xml package -DskipTests
	cp java-shim/target/skein-shim.jar target/release/skein-shim.jar

## make demo: start a local cluster on the well-known ports and run the example application,
## with the development build (the one `make test` uses: a newcomer's two commands compile
## once, and without the release profile's whole-program optimisation).
demo: cluster-build
	cargo build --bin skein
	JAVA_HOME="$$(scripts/cluster java-home)" mvn -B -q -f java-shim/pom.xml package -DskipTests
	SKEIN_CLUSTER_DIR=$(DEMO_CLUSTER_DIR) scripts/cluster up --fixed-ports >/dev/null
	SKEIN_CLUSTER_DIR=$(DEMO_CLUSTER_DIR) SKEIN_BIN=$(CURDIR)/target/debug/skein scripts/demo
	@echo "The cluster keeps running: 'make demo-stop' stops it."

demo-stop:
	SKEIN_CLUSTER_DIR=$(DEMO_CLUSTER_DIR) scripts/cluster down

## make test: unit tests, then integration tests against a real cluster started for the run.
test: cluster-build
	scripts/run-tests

test-unit:
	cargo test --lib --bins

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

## make dist: what a user installs (release profile), in target/dist/: a tarball (bin/skein,
## share/skein-rs/skein-shim.jar, completions, man pages) and a Python wheel (maturin).
dist:
	scripts/dist

## make bench: the table of BENCHMARKS.md (Java Skein 0.8.2 vs skein-rs, one local cluster).
bench:
	benches/compare/run.sh
