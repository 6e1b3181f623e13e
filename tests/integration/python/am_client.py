"""The unchanged Python `skein` 0.8.2 ApplicationClient against the Rust ApplicationMaster.

Usage: am_client.py ADDRESS APP_ID CERT_FILE KEY_FILE (an app with a service `svc` of one
instance, whose service `py_0` and master script publish keys `from-service`/`from-driver`). Prints OK when every check passed; any failure raises.
"""
import sys
import urllib.request

import skein

address, app_id, cert_file, key_file = sys.argv[1:5]
security = skein.Security(cert_file=cert_file, key_file=key_file)
app = skein.ApplicationClient(address, app_id, security=security)

spec = app.get_specification()
assert "svc" in spec.services, spec

# Published from inside containers with ApplicationClient.from_current().
assert app.kv.wait("from-service") == b"py_0"
assert app.kv.wait("from-driver") == b"ok"

# Key-value store: mapping, events, wait, compare-and-swap, owner errors.
app.kv["py"] = b"1"
assert app.kv["py"] == b"1"
assert app.kv.wait("py") == b"1"
queue = app.kv.events(key="ev")
app.kv["ev"] = b"x"
event = queue.get(timeout=30)
assert (event.key, event.result.value, event.event_type) == ("ev", b"x", skein.kv.EventType.PUT), event
result = app.kv.transaction(conditions=[skein.kv.value("py") == b"1"],
                            on_success=[skein.kv.put("py", b"2")])
assert result.succeeded, result
assert app.kv["py"] == b"2"
try:
    app.kv.put("owned", b"v", owner="nope_0")
    raise AssertionError("an unknown owner was accepted")
except ValueError as exc:
    assert str(exc) == "Unknown service 'nope'", exc
try:
    app.kv["missing"]
    raise AssertionError("a missing key was found")
except KeyError:
    pass

# Containers.
containers = app.get_containers(services=["svc"])
assert [c.id for c in containers] == ["svc_0"], containers
app.scale("svc", count=2)
assert len(app.get_containers(services=["svc"])) == 2
try:
    app.get_containers(services=["nope"])
    raise AssertionError("an unknown service was accepted")
except ValueError as exc:
    assert str(exc) == "Unknown service 'nope'", exc
app.kill_container("svc_1")
killed = app.get_containers(services=["svc"], states=["KILLED"])
assert [c.id for c in killed] == ["svc_1"], killed
app.set_progress(0.5)

# Proxied pages.
page = app.ui.add_page("dash", "http://localhost:8787/status", link_name="Dash")
assert page.address.endswith("/pages/dash"), page.address
assert list(app.ui.get_pages()) == ["dash"]
try:
    app.ui.add_page("a/b", "http://localhost:1")
    raise AssertionError("a route with '/' was accepted")
except ValueError as exc:
    assert str(exc) == "Page page routes must not contain '/'", exc
# The web UI, at the address the client reports (the ResourceManager's proxy).
with urllib.request.urlopen(app.ui.address + "overview", timeout=30) as response:
    overview = response.read().decode()
assert "Progress:</b> 50.0%" in overview, overview
assert 'href="./pages/dash"' in overview, overview
app.ui.remove_page("dash")
assert app.ui.get_pages() == {}

# Shutdown: buffered events first, then ConnectionError on the queue.
last = app.kv.events(prefix="zz")
app.kv["zz1"] = b"last"
app.shutdown("KILLED", "from python")
assert last.get(timeout=30).key == "zz1"
try:
    last.get(timeout=30)
    raise AssertionError("the queue outlived the application master")
except skein.exceptions.ConnectionError:
    pass
print("OK")
