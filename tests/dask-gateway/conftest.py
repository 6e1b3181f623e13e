"""Fixtures for dask-gateway on skein-rs: a real dask-gateway server from PyPI with its YARN
backend, run by this session on loopback, using the skein-rs driver and ApplicationMaster
through the unchanged Python `skein` 0.8.2 client, on the cluster of HADOOP_CONF_DIR.

The gateway's YarnBackend starts its own driver with `skein.Client(principal=, keytab=,
security=...)`, i.e. Python's Java launch contract: the gateway runs with the `JAVA_HOME` shim
of `skein driver install-python-shim` (docs/python-interop.md, route 2), which makes that
launch start the skein-rs driver. The test process has a `skein.Client` of its own (one more
spawned driver) to read application reports, and talks to each cluster's ApplicationMaster with
the cluster's own TLS credentials, which the gateway gives its users.

Users: the gateway's SimpleAuthenticator with one password; `USER` (who runs the tests, as whom
the driver acts) and `OTHER_USER` (`alice`, whom the test cluster lets `USER` impersonate).

On a Kerberized cluster (`hadoop.security.authentication=kerberos` in HADOOP_CONF_DIR, e.g.
`scripts/cluster up --secure` with `eval "$(scripts/cluster env --secure)"` and `kinit`), the
gateway's backend gets `principal`/`keytab` (SKEIN_TEST_PRINCIPAL/SKEIN_TEST_KEYTAB, whose
short name is then `USER`), the test's own skein client logs in with them too, and YARN's REST
APIs are read with SPNEGO (`curl --negotiate`, from the ticket cache).
"""
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request

import cloudpickle
import pytest

import remote

# Shared with tests/jupyterhub; test_gateway.py imports some of these from here.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from yarn_testing import (KEYTAB, OTHER_USER, PRINCIPAL, SECURE, USER, Yarn,  # noqa: E402
                          child_pids, cmdline, free_port, needs_cluster, process_alive,
                          use_skein_rs, wait_for)

cloudpickle.register_pickle_by_value(remote)

VENV = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))

_ROOT = tempfile.mkdtemp(prefix="skein-rs-dask-gateway-")
# The gateway server inherits the JAVA_HOME shim; it gets a skein configuration of its own.
use_skein_rs(_ROOT)

import skein  # noqa: E402  (after SKEIN_CONFIG is set)

# dask-gateway's client: a `Gateway` (each GatewayCluster holds one) finalized on the event loop
# thread it shares with the others calls `close()` there, which waits on that same loop, and
# the process hangs (seen here as a hang in the middle of a test, with `Gateway.__del__` on the
# loop thread's stack). Garbage cycles are collected on whichever thread allocates, so the
# cyclic collector runs only between tests, on the main thread (`collect_garbage`).
gc.disable()

PASSWORD = "skein-rs-test-password"
# Dask resources the gateway gives clusters unless the user's options say otherwise.
DEFAULT_WORKER_MIB = 384
DEFAULT_WORKER_CORES = 1

# The gateway's configuration (dask_gateway_config.py). Everything skein-rs needs is here: the
# YARN backend, the commands today's distributed has, and the venv the containers run (the
# NodeManager is on this machine; on a real cluster, localize a packed environment instead).
GATEWAY_CONFIG = """\
from dask_gateway_server.options import Integer, Options

c.DaskGateway.address = "127.0.0.1:0"
c.Proxy.address = "127.0.0.1:{http_port}"
c.Proxy.tcp_address = "127.0.0.1:{tcp_port}"

c.DaskGateway.backend_class = "dask_gateway_server.backends.yarn.YarnBackend"
c.YarnBackend.principal = {principal!r}
c.YarnBackend.keytab = {keytab!r}
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.SimpleAuthenticator"
c.SimpleAuthenticator.password = {password!r}

c.YarnClusterConfig.queue = "default"
c.YarnClusterConfig.scheduler_setup = "source {venv}/bin/activate"
c.YarnClusterConfig.worker_setup = "source {venv}/bin/activate"
c.YarnClusterConfig.scheduler_cmd = ["dask", "scheduler"]
c.YarnClusterConfig.worker_cmd = ["dask", "worker"]
c.YarnClusterConfig.scheduler_memory = "384 M"
c.YarnClusterConfig.scheduler_cores = 1

# Quicker reactions than the defaults (15 s heartbeats, 30 s status checks), for the tests.
c.YarnBackend.cluster_heartbeat_period = 2
c.YarnBackend.worker_status_period = 5
c.YarnBackend.cluster_status_period = 5


def options_handler(options):
    return {{"worker_cores": options.worker_cores,
             "worker_memory": options.worker_memory_mib * 2**20}}


c.Backend.cluster_options = Options(
    Integer("worker_cores", default={cores}, min=1, max=2, label="Worker cores"),
    Integer("worker_memory_mib", default={mib}, min=256, max=1024, label="Worker MiB"),
    handler=options_handler,
)
"""


@pytest.fixture(autouse=True)
def collect_garbage():
    yield
    gc.collect()


@pytest.fixture(scope="session")
def yarn():
    if not os.environ.get("HADOOP_CONF_DIR"):
        pytest.skip("needs the test cluster (HADOOP_CONF_DIR)")
    return Yarn()


class GatewayServer:
    def __init__(self, http_port, tcp_port, log_path, proc):
        self.address = "http://127.0.0.1:%d" % http_port
        self.proxy_address = "gateway://127.0.0.1:%d" % tcp_port
        self.log_path = log_path
        self.proc = proc

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def gateway(self, user):
        from dask_gateway import BasicAuth, Gateway
        return Gateway(self.address, proxy_address=self.proxy_address,
                       auth=BasicAuth(user, PASSWORD))


@pytest.fixture(scope="session")
def gateway_server():
    """`dask-gateway-server` with the YARN backend, for the session, on loopback.

    At the end it is stopped with SIGTERM, as a service manager would: it stops its clusters
    (killing their applications) and closes its skein client, whose driver then exits.
    """
    if not os.environ.get("HADOOP_CONF_DIR"):
        pytest.skip("needs the test cluster (HADOOP_CONF_DIR)")
    http_port, tcp_port = free_port(), free_port()
    workdir = os.path.join(_ROOT, "gateway")
    os.makedirs(workdir)
    config = os.path.join(workdir, "dask_gateway_config.py")
    with open(config, "w") as f:
        f.write(GATEWAY_CONFIG.format(http_port=http_port, tcp_port=tcp_port, venv=VENV,
                                      password=PASSWORD, principal=PRINCIPAL, keytab=KEYTAB,
                                      cores=DEFAULT_WORKER_CORES,
                                      mib=DEFAULT_WORKER_MIB))
    env = dict(os.environ, SKEIN_CONFIG=os.path.join(workdir, "skein"))
    log_path = os.path.join(workdir, "gateway.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([os.path.join(VENV, "bin", "dask-gateway-server"), "-f", config],
                                cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server = GatewayServer(http_port, tcp_port, log_path, proc)

    def healthy():
        assert proc.poll() is None, "the gateway exited:\n" + server.log()
        try:
            with urllib.request.urlopen(server.address + "/api/health", timeout=5) as resp:
                return json.loads(resp.read().decode())["status"] == "pass"
        except OSError:
            return False

    try:
        wait_for("the gateway's /api/health", healthy, timeout=60)
        if SECURE:
            # The backend's driver logged in with the gateway's principal and keytab.
            wanted = "Kerberos: logged in as %s from keytab %s" % (PRINCIPAL, KEYTAB)
            wait_for("the gateway's driver to log in", lambda: wanted in server.log(), 30)
        yield server
    finally:
        # The gateway's skein driver: a child of the gateway, spawned through the shim.
        drivers = [p for p in child_pids(proc.pid) if "driver" in cmdline(p)]
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError("the gateway did not stop on SIGTERM:\n" + server.log())
        for pid in drivers:
            wait_for("the gateway's skein driver %d to exit" % pid,
                     lambda: not process_alive(pid), timeout=30)


@pytest.fixture(scope="session")
def skein_client():
    """The test's own `skein.Client()` (a spawned skein-rs driver), for application reports."""
    if not os.environ.get("HADOOP_CONF_DIR"):
        pytest.skip("needs the test cluster (HADOOP_CONF_DIR)")
    with skein.Client(principal=PRINCIPAL, keytab=KEYTAB) as c:
        yield c


def close_gateway(gw):
    """Closes a `Gateway` for good. dask-gateway's `Gateway.__del__` calls `close()` again,
    which fails (RuntimeError: Accessing the loop property while the loop is not running)
    once the event loop the Gateways share has stopped; without the loop runner it does not."""
    gc.collect()  # the clusters' own Gateways first, while the event loop runs
    gw.close()
    del gw._loop_runner


@pytest.fixture(scope="session")
def gateway(gateway_server):
    """The gateway as `USER`."""
    gw = gateway_server.gateway(USER)
    yield gw
    close_gateway(gw)


@pytest.fixture(scope="session")
def other_gateway(gateway_server):
    """The gateway as `OTHER_USER` (alice)."""
    gw = gateway_server.gateway(OTHER_USER)
    yield gw
    close_gateway(gw)
