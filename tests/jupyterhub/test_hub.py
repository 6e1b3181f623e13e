"""JupyterHub with a YARN spawner on skein-rs, driven through the hub's REST API.

A user's server is a YARN application of that user (the hub's YARN user impersonates it),
whose master container runs the single-user server; the hub's proxy reaches it, the hub's poll
follows it, stopping it ends the application, and a dead container is a stopped server.
What YARN says is read from the ResourceManager's and NodeManager's own REST APIs, and the
server's process is found through the port the hub's proxy sends its requests to.
"""
import glob
import os
import signal
from urllib.parse import urlsplit

from conftest import OTHER_USER, SERVER_MIB, STRANGER, request
from yarn_testing import process_alive, wait_for

ENDED = ("FINISHED", "FAILED", "KILLED")


def start_server(hub, user):
    """Starts the user's server through the REST API and waits until the hub says it is ready."""
    status, body = hub.api("POST", "/users/%s/server" % user)
    assert status in (201, 202), "POST /users/%s/server: %s %s" % (user, status, body)

    def ready():
        server = hub.server(user)
        assert server, "%s's server failed to start:\n%s" % (user, hub.log()[-5000:])
        return server if server["ready"] else None

    return wait_for("%s's server to be ready:\n%s" % (user, hub.log()[-3000:]), ready,
                    timeout=180, interval=0.5)


def listening_pid(port):
    """The process listening on TCP `port` of this machine."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add("socket:[%s]" % fields[9])
    for fd in glob.glob("/proc/[0-9]*/fd/*"):
        try:
            if os.readlink(fd) in inodes:
                return int(fd.split("/")[2])
        except OSError:
            continue
    raise AssertionError("no process listens on port %d" % port)


def environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        pairs = (entry.partition(b"=") for entry in f.read().split(b"\0") if entry)
        return {k.decode(): v.decode(errors="replace") for k, _, v in pairs}


def container_pids(container_id):
    """Every process of a YARN container (they all have its CONTAINER_ID)."""
    pids = []
    for path in glob.glob("/proc/[0-9]*/environ"):
        try:
            with open(path, "rb") as f:
                if ("CONTAINER_ID=%s" % container_id).encode() in f.read().split(b"\0"):
                    pids.append(int(path.split("/")[2]))
        except OSError:
            continue
    return pids


def running_containers(yarn, app_id):
    return {cid: c for cid, c in yarn.nm_containers(app_id).items() if c["state"] == "RUNNING"}


def server_in_yarn(hub, yarn, user):
    """Checks that the user's running server is a RUNNING application of that user whose one
    container runs the process the hub's proxy sends /user/<user>/ to; returns
    (application id, container id, server pid)."""
    server = hub.server(user)
    assert server and server["ready"], "the hub reports %s's server %s:\n%s" % (
        user, "not ready" if server else "stopped", hub.log()[-3000:])
    app_id = server["state"]["app_id"]
    app = yarn.app(app_id)
    assert (app["state"], app["user"], app["name"], app["applicationType"]) == (
        "RUNNING", user, "jupyterhub", "skein"), app
    assert app["allocatedMB"] == SERVER_MIB and app["allocatedVCores"] == 1, app
    containers = running_containers(yarn, app_id)
    assert len(containers) == 1, containers
    (container_id,) = containers
    target = hub.route_target(user)
    assert target, "the hub's proxy has no route to %s's server" % user
    pid = listening_pid(urlsplit(target).port)
    env = environ(pid)
    assert env.get("CONTAINER_ID") == container_id, (
        "the server behind %s (pid %d) is not in container %s: CONTAINER_ID=%s"
        % (target, pid, container_id, env.get("CONTAINER_ID")))
    assert env.get("USER") == user, env.get("USER")
    return app_id, container_id, pid


def assert_answers_through_the_proxy(hub, user):
    status, body = request("GET", "%s/user/%s/api" % (hub.url, user))
    assert status == 200 and "version" in body, (status, body)
    # Authenticated: the single-user server accepts the hub's token (the hub's OAuth/API)...
    status, body = request("GET", "%s/user/%s/api/status" % (hub.url, user))
    assert status == 200 and "started" in body, (status, body)
    # ... and, holding the scopes the hub gave it, refuses another user's.
    status, body = hub.api("POST", "/users/%s/tokens" % STRANGER, {"note": "skein-rs tests"})
    assert status in (200, 201), (status, body)
    status, body = request("GET", "%s/user/%s/api/status" % (hub.url, user), token=body["token"])
    assert status == 403, (status, body)


def wait_ended(yarn, app_id):
    app = wait_for("application %s to end" % app_id,
                   lambda: (lambda a: a if a["state"] in ENDED else None)(yarn.app(app_id)))
    wait_for("no container of %s left running" % app_id,
             lambda: not running_containers(yarn, app_id))
    return app


def test_server_runs_in_a_yarn_container_of_the_user_and_stops(hub, yarn):
    start_server(hub, OTHER_USER)
    app_id, container_id, pid = server_in_yarn(hub, yarn, OTHER_USER)
    assert_answers_through_the_proxy(hub, OTHER_USER)

    # A restarted hub polls its servers (cleanup_servers = False): this one runs, so it stays.
    hub.restart()
    assert server_in_yarn(hub, yarn, OTHER_USER) == (app_id, container_id, pid)
    assert_answers_through_the_proxy(hub, OTHER_USER)

    status, body = hub.api("DELETE", "/users/%s/server" % OTHER_USER)
    assert status in (202, 204), (status, body)
    wait_for("the hub to report %s's server stopped" % OTHER_USER,
             lambda: hub.server(OTHER_USER) is None)
    app = wait_ended(yarn, app_id)
    assert (app["state"], app["finalStatus"]) == ("KILLED", "KILLED"), app
    wait_for("the server's process %d to exit" % pid, lambda: not process_alive(pid))
    status, body = request("GET", "%s/user/%s/api/status" % (hub.url, OTHER_USER))
    assert status != 200, (status, body)


def test_a_server_whose_container_dies_is_seen_as_stopped(hub, yarn):
    start_server(hub, OTHER_USER)
    app_id, container_id, pid = server_in_yarn(hub, yarn, OTHER_USER)
    pids = container_pids(container_id)
    assert pid in pids, (pid, pids)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_for("the hub's poll to see %s's server stopped" % OTHER_USER,
             lambda: hub.server(OTHER_USER) is None, timeout=120)
    app = wait_ended(yarn, app_id)
    assert (app["state"], app["finalStatus"]) == ("FAILED", "FAILED"), app
    assert not process_alive(pid)
