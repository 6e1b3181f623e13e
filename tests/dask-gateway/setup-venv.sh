#!/usr/bin/env bash
# Creates tests/dask-gateway/.venv from requirements.txt: dask-gateway's server (YARN backend)
# and client with today's dask/distributed, on the unchanged Python `skein` 0.8.2, and pytest
# (tests/setup-venv.sh: left alone when already complete).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../setup-venv.sh" "$here/.venv" "$here/requirements.txt" \
    "skein, dask_gateway, dask_gateway_server.backends.yarn, dask.array, distributed, pytest, pytest_timeout"
