"""Fixtures for JupyterHub on skein-rs: a real JupyterHub from PyPI with a YARN spawner, run by
this session on loopback, starting single-user servers in YARN applications through the
unchanged Python `skein` 0.8.2 client, the skein-rs driver and ApplicationMaster, on the
cluster of HADOOP_CONF_DIR.

The spawner under test is the one this venv has (tests/jupyterhub/run.sh runs the suite once
in each venv):
* `.venv-yarnspawner`: jupyterhub-yarnspawner 0.4.0, unchanged, with JupyterHub 2.3.1;
* `.venv`: this repository's skein-yarnspawner (python/skein-yarnspawner) with today's hub.

The hub's skein client starts its driver with `skein.Client(...)`, i.e. Python's Java launch
contract: the hub runs with the JAVA_HOME shim of `skein driver install-python-shim`. The
single-user servers run from this venv (the NodeManager is on this machine). The hub's users
log in through JupyterHub's DummyAuthenticator; the tests drive the hub with an admin
service's API token, and start servers for `OTHER_USER` (`alice`), whom the test cluster lets
the hub's YARN user impersonate.
"""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from yarn_testing import OTHER_USER, SECURE, Yarn, use_skein_rs, free_port, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
PROXY = os.path.join(HERE, "proxy", "node_modules", ".bin", "configurable-http-proxy")

if importlib.util.find_spec("yarnspawner"):
    SPAWNER_CLASS = "yarnspawner.YarnSpawner"
    # yarnspawner gives the server the hub's variables as the container's environment, which
    # YARN writes unquoted into the container's launch script: the JSON list of
    # JUPYTERHUB_OAUTH_SCOPES (JupyterHub >= 2) arrives as `[scope, scope]`, which the
    # single-user server cannot read. Its scopes have no commas or spaces: the prologue
    # rebuilds the JSON.
    PROLOGUE_EXTRA = """\
export JUPYTERHUB_OAUTH_SCOPES="$(python -c 'import json, os; print(json.dumps([s for s in \
os.environ["JUPYTERHUB_OAUTH_SCOPES"].strip("[]").split(", ") if s]))')"
"""
else:
    SPAWNER_CLASS = "skein_yarnspawner.YarnSpawner"
    PROLOGUE_EXTRA = ""

_ROOT = tempfile.mkdtemp(prefix="skein-rs-jupyterhub-")
use_skein_rs(_ROOT)

API_TOKEN = "skein-rs-test-admin-token"
PROXY_TOKEN = "skein-rs-test-proxy-token"
SERVER_MIB = 512
# A second user of the hub, who must not reach OTHER_USER's server.
STRANGER = "bob"

# The hub's configuration (jupyterhub_config.py). What the spawner needs is its own section;
# the rest puts the hub, its proxy and its database on loopback and in the test's directory.
HUB_CONFIG = """\
c.JupyterHub.spawner_class = {spawner_class!r}
c.YarnSpawner.prologue = {prologue!r}
c.YarnSpawner.mem_limit = "{mib} M"
c.YarnSpawner.cpu_limit = 1
# The test cluster's NodeManager runs containers as its own user, root (a cluster with the
# LinuxContainerExecutor runs them as the application's user): Jupyter Server refuses root
# unless told.
c.Spawner.args = ["--allow-root"]

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/jupyterhub_cookie_secret"
# Servers outlive a restart of the hub, which then polls them.
c.JupyterHub.cleanup_servers = False
# The hub polls running servers every 2 s (default 30 s), for the test of a dead container.
c.Spawner.poll_interval = 2

c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.Authenticator.allowed_users = {{{user!r}, {stranger!r}}}
c.JupyterHub.services = [{{"name": "skein-rs-tests", "api_token": {token!r}, "admin": True}}]
"""


class Hub:
    """A JupyterHub process (with the proxy it starts) on loopback; `restart` keeps its
    database, so its servers."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proxy_api = "http://127.0.0.1:%d" % free_port()
        self.config = os.path.join(workdir, "jupyterhub_config.py")
        with open(self.config, "w") as f:
            f.write(HUB_CONFIG.format(
                spawner_class=SPAWNER_CLASS, mib=SERVER_MIB, port=self.port,
                prologue="source %s/bin/activate\n%s" % (VENV, PROLOGUE_EXTRA),
                hub_port=free_port(), proxy=PROXY, proxy_api_port=self.proxy_api.rsplit(":")[-1],
                proxy_token=PROXY_TOKEN, workdir=workdir, user=OTHER_USER, stranger=STRANGER,
                token=API_TOKEN))
        self.log_path = os.path.join(workdir, "jupyterhub.log")
        # The hub's own skein configuration; its driver is spawned through the JAVA_HOME shim.
        self.env = dict(os.environ, SKEIN_CONFIG=os.path.join(workdir, "skein"))
        self.proc = None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def start(self):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [os.path.join(VENV, "bin", "jupyterhub"), "-f", self.config],
                cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            assert self.proc.poll() is None, "the hub exited:\n" + self.log()
            try:
                return self.api("GET", "/")[0] == 200
            except OSError:
                return False

        wait_for("the hub's REST API", up, timeout=60)

    def stop(self):
        """SIGTERM, as a service manager would; the hub stops its proxy."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("the hub did not stop on SIGTERM:\n" + self.log())

    def restart(self):
        self.stop()
        self.start()

    def api(self, method, path, body=None):
        """A request to the hub's REST API as the admin service: (status, JSON or None)."""
        return request(method, self.url + "/hub/api" + path, body)

    def server(self, user):
        """The user's default server as the hub's REST API reports it (None: not running)."""
        status, model = self.api("GET", "/users/" + user)
        assert status == 200, "GET /users/%s: %s %s" % (user, status, model)
        return model["servers"].get("")

    def route_target(self, user):
        """Where the hub's proxy sends /user/<user>/ (its REST API), or None."""
        status, routes = request("GET", self.proxy_api + "/api/routes", token=PROXY_TOKEN)
        assert status == 200, "the proxy's routes: %s %s" % (status, routes)
        route = routes.get("/user/%s/" % user) or routes.get("/user/%s" % user)
        return route and route["target"]


def request(method, url, body=None, token=API_TOKEN):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Authorization": "token " + token})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode(errors="replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


@pytest.fixture(scope="session")
def yarn():
    if not os.environ.get("HADOOP_CONF_DIR"):
        pytest.skip("needs the test cluster (HADOOP_CONF_DIR)")
    if SECURE:
        pytest.skip("the JupyterHub tests run on the simple test cluster only")
    return Yarn()


@pytest.fixture(scope="session")
def hub(yarn):
    """The hub for the session. At the end it is stopped with SIGTERM; it leaves running
    servers running (cleanup_servers = False), so each test stops its own."""
    workdir = os.path.join(_ROOT, "hub")
    os.makedirs(workdir)
    hub = Hub(workdir)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()
        kill_applications_left(hub)


def kill_applications_left(hub):
    """Kills the servers' applications a failed test left running (their hub could not stop
    them), so that they do not outlive the suite; fails if there were any."""
    import skein

    with skein.Client() as client:
        left = [report.id for report in client.get_applications(
            states=["SUBMITTED", "ACCEPTED", "RUNNING"], name="jupyterhub", user=OTHER_USER)
            if report.id in hub.log()]
        for app_id in left:
            client.kill_application(app_id, user=OTHER_USER)
    assert not left, "applications left running by the hub (killed now): %s" % left


@pytest.fixture(autouse=True)
def stop_servers_left(hub):
    """After each test, stops the user's server if the test left one (it failed midway), so
    that its YARN application does not outlive the test."""
    yield
    if hub.server(OTHER_USER) is not None:
        hub.api("DELETE", "/users/%s/server" % OTHER_USER)
        wait_for("the server left by the test to stop", lambda: hub.server(OTHER_USER) is None)
