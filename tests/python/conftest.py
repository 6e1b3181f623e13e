"""Fixtures for running the unchanged Python `skein` 0.8.2 client against skein-rs.

`skein.properties` reads SKEIN_CONFIG when `skein` is imported, so the configuration
directory is fixed here, before any test module imports `skein`.

Tests that need YARN use the cluster of HADOOP_CONF_DIR (`scripts/run-tests` starts one) and
share, to keep the suite quick, one spawned `skein.Client` (`client`) and two applications
run by the skein-rs driver and ApplicationMaster: `long_app`, running for the whole session,
and `finished_app`, shut down with a status and diagnostics of its own.
"""
import getpass
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

# Shared with tests/dask-gateway and tests/jupyterhub; the tests import some of these from here.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from yarn_testing import (REPO, SKEIN_RS, hadoop_conf, needs_cluster,  # noqa: E402
                          process_alive, wait_for)

VENV_BIN = os.path.dirname(os.path.abspath(os.sys.executable))
PYTHON_SKEIN_CLI = os.path.join(VENV_BIN, "skein")

_ROOT = tempfile.mkdtemp(prefix="skein-rs-python-")
CONFIG_DIR = os.path.join(_ROOT, "config")
JAVA_HOME = os.path.join(_ROOT, "java-home")

os.environ["SKEIN_CONFIG"] = CONFIG_DIR
for name in ("SKEIN_LOG_LEVEL", "SKEIN_DRIVER_JAVA_OPTIONS", "SKEIN_APPLICATION_ID"):
    os.environ.pop(name, None)

if not os.access(SKEIN_RS, os.X_OK):
    raise RuntimeError("skein-rs binary not found at %r: run `cargo build` or set SKEIN_BIN"
                       % SKEIN_RS)

# Route (b)+(c) of docs/python-interop.md: a JAVA_HOME whose bin/java runs skein-rs.
subprocess.run([SKEIN_RS, "driver", "install-python-shim", JAVA_HOME], check=True,
               stdout=subprocess.DEVNULL)
os.environ["JAVA_HOME"] = JAVA_HOME
os.environ["PATH"] = os.path.join(JAVA_HOME, "bin") + os.pathsep + os.environ["PATH"]

import skein  # noqa: E402  (after SKEIN_CONFIG is set)

HERE = os.path.dirname(os.path.abspath(__file__))
# Containers run this venv's Python: the NodeManager of the test cluster is on this machine.
PYTHON = sys.executable
IN_CONTAINER = os.path.join(HERE, "in_container.py")
USER = getpass.getuser()
# Names unique to this run, so that filters on them see this run's applications only.
LONG_APP_NAME = "pytest-long-%d" % os.getpid()
FINISHED_APP_NAME = "pytest-finished-%d" % os.getpid()
FINISHED_DIAGNOSTICS = "Shut down by the pytest suite, as KILLED"


def wait_for_containers(app, n, **filters):
    """Waits until `app.get_containers(**filters)` lists exactly `n` containers."""
    return wait_for("%d containers %r" % (n, filters),
                    lambda: (lambda cs: cs if len(cs) == n else None)(
                        app.get_containers(**filters)))


def wait_for_completion(client, app_id, timeout=60):
    """Waits until YARN reports the application finished; returns the report."""
    def report():
        r = client.application_report(app_id)
        return r if r.state in ("FINISHED", "FAILED", "KILLED") else None
    return wait_for("%s to complete" % app_id, report, timeout)


def run(*args, env=None):
    """Runs a command, returning (returncode, stdout, stderr) as stripped text."""
    proc = subprocess.run(list(args), capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)
    return proc.returncode, proc.stdout.strip(), proc.stderr.strip()



def wait_until_dead(pid, timeout=10):
    deadline = time.time() + timeout
    while process_alive(pid):
        assert time.time() < deadline, "process %d still alive" % pid
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def no_global_driver_left():
    """Every test starts and ends without a global driver."""
    run(SKEIN_RS, "driver", "stop", "--force")
    yield
    run(SKEIN_RS, "driver", "stop", "--force")


@pytest.fixture(scope="session")
def client():
    """One `skein.Client()` for the session: Python spawns the skein-rs driver through the
    `JAVA_HOME` shim, as dask-yarn does."""
    if not os.environ.get("HADOOP_CONF_DIR"):
        pytest.skip("needs the test cluster (HADOOP_CONF_DIR)")
    with skein.Client() as c:
        yield c


def in_container_files():
    return {"in_container.py": IN_CONTAINER}


@pytest.fixture(scope="session")
def published():
    """What the containers of `long_app` published at start (filled by `long_app`)."""
    return {}


@pytest.fixture(scope="session")
def long_app(client, published):
    """An application for the whole session, run by the skein-rs AM: a master script and
    a service `py` that report from inside their containers (in_container.py), a service
    `sleeper` for the key-value and container tests.

    As in Skein's own kv tests, `sleeper_0` exists but has completed (killed) and
    `sleeper_1` runs, so that owners of every kind can be named.
    """
    script = "%s in_container.py" % PYTHON
    spec = skein.ApplicationSpec(
        name=LONG_APP_NAME,
        queue="default",
        tags={"pytest", "long"},
        master=skein.Master(script=script + "\nsleep infinity", files=in_container_files(),
                            env={"FROM_SPEC": "master"}),
        services={
            "sleeper": skein.Service(resources=skein.Resources("32 MiB", 1),
                                     script="sleep infinity"),
            "py": skein.Service(resources=skein.Resources("64 MiB", 1),
                                files=in_container_files(), env={"FROM_SPEC": "py"},
                                max_restarts=0, script=script),
        })
    app_id = client.submit(spec)
    try:
        app = client.connect(app_id)
        for who in ("master", "py_0"):
            published[who] = json.loads(app.kv.wait(who + ".info").decode())
        # py_0 owned `py_0.owned` until it exited: the AM drops the keys of completed owners.
        published["py_0 container"] = wait_for_containers(
            app, 1, services=["py"], states=["SUCCEEDED"])[0]
        published["py_0.owned after exit"] = app.kv.get("py_0.owned")
        app.scale("sleeper", 2)
        app.kill_container("sleeper_0")
        app.kv.clear()
    except BaseException:
        client.kill_application(app_id)
        raise
    yield app
    try:
        app.shutdown()
    except skein.exceptions.ConnectionError:
        client.kill_application(app_id)


@pytest.fixture
def app(long_app):
    """`long_app` for one test: leaves the key-value store empty and one `sleeper` running."""
    long_app.kv.clear()
    yield long_app
    long_app.kv.clear()
    long_app.scale("sleeper", 1)
    for route in long_app.ui.get_pages():
        long_app.ui.remove_page(route)


class FinishedApp:
    """`finished_app`: its id, its (now stale) ApplicationClient, an event queue opened on it
    before the shutdown, and its final report."""

    def __init__(self, app, queue, report):
        self.id = app.id
        self.app = app
        self.queue = queue
        self.report = report


@pytest.fixture(scope="session")
def finished_app(client):
    """An application shut down through `ApplicationClient.shutdown('KILLED', ...)` after its
    service printed a line, with an event queue that saw three puts before the shutdown."""
    spec = skein.ApplicationSpec(
        name=FINISHED_APP_NAME,
        queue="default",
        services={"echo": skein.Service(
            resources=skein.Resources("32 MiB", 1),
            script='echo "hello from $SKEIN_CONTAINER_ID"\n'
                   '%s -c "import skein; skein.ApplicationClient.from_current().kv[\'echoed\'] '
                   '= b\'yes\'"\nsleep infinity' % PYTHON)})
    app = client.submit_and_connect(spec)
    try:
        queue = app.kv.events(prefix="a")
        for i in (1, 2, 3):
            app.kv.put("a%d" % i, b"%d" % i)
        assert app.kv.wait("echoed") == b"yes"
        app.shutdown("KILLED", FINISHED_DIAGNOSTICS)
    except BaseException:
        client.kill_application(app.id)
        raise
    report = wait_for_completion(client, app.id)
    return FinishedApp(app, queue, report)
