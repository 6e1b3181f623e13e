"""The hub side: one YARN application per single-user server, submitted through `skein`.

The application is master-only: its master script (the prologue, the server, the epilogue)
runs in the application master's container, as the hub user's name on YARN (the spec's `user`:
the hub's own YARN user impersonates it, so it must be a Hadoop proxy user). The server's
address comes back through the application's key-value store (see `launch`).
"""
import asyncio
import json
import math
import shlex

import skein
from jupyterhub.spawner import Spawner
from jupyterhub.traitlets import ByteSpecification, Command
from traitlets import Dict, Float, Integer, Unicode

from .launch import ADDRESS_KEY

# YARN application states after which nothing of the application runs.
ENDED_STATES = {"FINISHED", "FAILED", "KILLED"}


class YarnSpawner(Spawner):
    """Runs each single-user server in the master container of a YARN application of the user.

    The options are jupyterhub-yarnspawner 0.4.0's, with the same names and defaults, except
    `cmd`, which defaults to today's `jupyterhub-singleuser`, and `startup_poll_interval`,
    which is new.
    """

    start_timeout = Integer(
        300, config=True,
        help="Seconds to wait for the server to start: YARN may queue the application first.")

    ip = Unicode(
        "0.0.0.0", config=True,
        help="The address the single-user server binds in its container.")

    principal = Unicode(
        None, allow_none=True, config=True,
        help="Kerberos principal the hub's skein driver logs in as (Kerberized clusters).")

    keytab = Unicode(
        None, allow_none=True, config=True,
        help="Keytab of `principal`, readable by the hub.")

    queue = Unicode("default", config=True, help="The YARN queue of the applications.")

    localize_files = Dict(
        config=True,
        help="""Files for the server's container: a mapping from the name in the container to
        a path (local, or `hdfs://...`), a `skein.File` or a dict of its fields. Archives
        (.tar.gz, .zip) are unpacked, e.g. a packed environment::

            c.YarnSpawner.localize_files = {
                "environment": {"source": "hdfs:///envs/jupyter.tar.gz",
                                "visibility": "public"}}
            c.YarnSpawner.prologue = "source environment/bin/activate"
        """)

    prologue = Unicode("", config=True, help="Shell script run before the server starts.")

    cmd = Command(
        ["jupyterhub-singleuser"], config=True,
        help="""The single-user server's command (shell words; a string is one word that the
        shell splits). The container environment needs this package too: the command runs
        under `python -m skein_yarnspawner.launch`.""")

    mem_limit = ByteSpecification(
        "2 G", config=True,
        help="Memory of the server's container (suffixes K, M, G, T: powers of 1024).")

    cpu_limit = Integer(1, min=1, config=True, help="Virtual cores of the server's container.")

    epilogue = Unicode("", config=True, help="Shell script run after the server exits.")

    script_template = Unicode(
        "{prologue}\n{singleuser_command}\n{epilogue}", config=True,
        help="""The master script: `str.format`ted with `prologue`, `singleuser_command` and
        `epilogue`.""")

    startup_poll_interval = Float(
        0.5, config=True,
        help="Seconds between two looks at the application while the server starts or stops.")

    app_id = Unicode("", help="The YARN application of the current server, if any.")

    # One skein client (one driver) per Kerberos identity, shared by the hub's spawners.
    _clients = {}
    _clients_lock = asyncio.Lock()

    async def _client(self):
        key = (self.principal, self.keytab)
        async with self._clients_lock:
            if key not in YarnSpawner._clients:
                YarnSpawner._clients[key] = await asyncio.to_thread(
                    skein.Client, principal=self.principal, keytab=self.keytab,
                    security=skein.Security.new_credentials())
        return YarnSpawner._clients[key]

    @property
    def singleuser_command(self):
        """The master script's line starting the server: `cmd` is shell text, the hub's
        arguments are quoted."""
        return " ".join(["python -m skein_yarnspawner.launch", *self.cmd,
                         shlex.join(self.get_args())]).rstrip()

    def application_spec(self, security):
        """The YARN application of this user's server."""
        # The hub's variables for the server are exported by the script, shell-quoted, rather
        # than given as the container's environment: YARN writes that into the container's
        # launch script unquoted (JSON values such as JUPYTERHUB_OAUTH_SCOPES lose their
        # quotes) and keeps a copy of it with the application's logs (the API token with it).
        exports = "".join("export %s=%s\n" % (name, shlex.quote(value))
                          for name, value in sorted(self.get_env().items()))
        script = exports + self.script_template.format(
            prologue=self.prologue, singleuser_command=self.singleuser_command,
            epilogue=self.epilogue)
        files = {name: skein.File.from_dict(f) if isinstance(f, dict) else f
                 for name, f in self.localize_files.items()}
        master = skein.Master(
            resources=skein.Resources(memory=math.ceil(self.mem_limit / 2**20),
                                      vcores=self.cpu_limit),
            files=files, script=script, security=security)
        return skein.ApplicationSpec(name="jupyterhub", queue=self.queue, user=self.user.name,
                                     master=master)

    def load_state(self, state):
        super().load_state(state)
        self.app_id = state.get("app_id", "")

    def get_state(self):
        state = super().get_state()
        if self.app_id:
            state["app_id"] = self.app_id
        return state

    def clear_state(self):
        super().clear_state()
        self.app_id = ""

    async def _report(self, client):
        return await asyncio.to_thread(client.application_report, self.app_id)

    async def start(self):
        client = await self._client()
        security = skein.Security.new_credentials()
        self.app_id = await asyncio.to_thread(client.submit, self.application_spec(security))
        self.log.info("Submitted YARN application %s for %s's server", self.app_id,
                      self.user.name)
        app = None
        while True:
            report = await self._report(client)
            state = str(report.state)
            if state in ENDED_STATES:
                raise RuntimeError(
                    "YARN application %s of %s ended %s (%s) before its server started: %s. "
                    "Its logs: yarn logs -applicationId %s"
                    % (self.app_id, self.user.name, state, report.final_status,
                       report.diagnostics or "no diagnostics", self.app_id))
            if state == "RUNNING":
                if app is None:
                    app = await asyncio.to_thread(client.connect, self.app_id, wait=False,
                                                  security=security)
                published = await asyncio.to_thread(app.kv.get, ADDRESS_KEY)
                if published is not None:
                    address = json.loads(published)
                    self.log.info("%s's server (YARN application %s) listens on %s:%s",
                                  self.user.name, self.app_id, address["host"],
                                  address["port"])
                    return address["host"], address["port"]
            await asyncio.sleep(self.startup_poll_interval)

    async def poll(self):
        if not self.app_id:
            return 0
        report = await self._report(await self._client())
        state = str(report.state)
        if state not in ENDED_STATES:
            return None
        self.log.info("%s's YARN application %s ended %s (%s): %s", self.user.name,
                      self.app_id, state, report.final_status, report.diagnostics)
        return 1 if "FAILED" in (state, str(report.final_status)) else 0

    async def stop(self, now=False):
        if not self.app_id:
            return
        client = await self._client()
        if str((await self._report(client)).state) in ENDED_STATES:
            return
        await asyncio.to_thread(client.kill_application, self.app_id, user=self.user.name)
        # The ResourceManager ends the application asynchronously: a server started right after
        # must not race with the containers of this one.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout
        while str((await self._report(client)).state) not in ENDED_STATES:
            if loop.time() > deadline:
                self.log.warning("YARN application %s of %s still not ended %ss after it was "
                                 "killed", self.app_id, self.user.name, self.start_timeout)
                return
            await asyncio.sleep(self.startup_poll_interval)
