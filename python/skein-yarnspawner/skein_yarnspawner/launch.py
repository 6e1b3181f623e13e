"""The container side: starts the single-user server in the YARN container and tells the hub
where it listens.

`python -m skein_yarnspawner.launch COMMAND [ARGS...]` picks a free port on the container's
node, puts the server's address into the application's key-value store (`ADDRESS_KEY`, JSON
`{"host": ..., "port": ...}`), where the spawner reads it, and then becomes COMMAND (usually
`jupyterhub-singleuser`), listening on that port. The hub chooses no port itself: it cannot
know which ports are free on the node YARN picks.
"""
import json
import os
import socket
import sys
from urllib.parse import urlsplit, urlunsplit

ADDRESS_KEY = "skein_yarnspawner.address"


def free_port():
    """A port nothing listens on right now on this node (the OS's choice)."""
    with socket.socket() as sock:
        sock.bind(("", 0))
        return sock.getsockname()[1]


def service_url_with_port(url, port):
    """JUPYTERHUB_SERVICE_URL (where today's single-user server binds) on another port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = "[%s]" % host
    return urlunsplit(parts._replace(netloc="%s:%d" % (host, port)))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.exit("usage: python -m skein_yarnspawner.launch COMMAND [ARGS...]")
    import skein  # here: `free_port` and the URL helper need no skein

    port = free_port()
    # YARN gives every container NM_HOST: the node's name, which the hub can reach.
    host = os.environ.get("NM_HOST") or socket.getfqdn()
    os.environ["JUPYTERHUB_SERVICE_URL"] = service_url_with_port(
        os.environ.get("JUPYTERHUB_SERVICE_URL", "http://0.0.0.0/"), port)
    # The application's user may have no home directory on the node: Jupyter's runtime and data
    # files go to the container's working directory unless the environment says otherwise.
    for name, sub in (("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_DATA_DIR", "data")):
        if not os.environ.get(name):
            os.environ[name] = os.path.abspath(os.path.join(".jupyter", sub))
            os.makedirs(os.environ[name], exist_ok=True)
    app = skein.ApplicationClient.from_current()
    app.kv[ADDRESS_KEY] = json.dumps({"host": host, "port": port}).encode()
    sys.stdout.flush()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
