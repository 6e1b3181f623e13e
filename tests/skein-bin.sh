# Sourced by the Python suites' run.sh, from the repository's root: the skein-rs binary under
# test is SKEIN_BIN when set, else target/debug/skein, built now.
if [ -z "${SKEIN_BIN:-}" ]; then
    cargo build --quiet --bin skein
    export SKEIN_BIN="$PWD/target/debug/skein"
fi
