"""Prometheus metrics of the skein-rs driver (`--metrics-address`) and ApplicationMaster
(`/metrics` on its web UI, through the ResourceManager's proxy), parsed with the reference
parser of the Prometheus Python client."""
import getpass
import os
import socket
import subprocess
import tempfile
import urllib.request

import pytest
import skein
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import SKEIN_RS, needs_cluster, wait_for, wait_for_containers

pytestmark = needs_cluster


def scrape(url):
    """The metric families at `url`, by name, parsed by prometheus_client (which refuses
    anything that is not valid OpenMetrics text)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        text = response.read().decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families, family, sample, **labels):
    """The value of the sample `sample` of `family` with exactly these labels (None if absent)."""
    for s in families[family].samples if family in families else ():
        if s.name == sample and s.labels == labels:
            return s.value
    return None


def running_listed(port):
    """The driver's metrics once its applications gauge counts a RUNNING application."""
    families = scrape("http://127.0.0.1:%d/metrics" % port)
    if (value(families, "skein_driver_applications", "skein_driver_applications",
              state="RUNNING") or 0) >= 1:
        return families
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_driver_serves_its_grpc_calls_as_metrics():
    config = tempfile.mkdtemp(prefix="skein-metrics-")
    env = dict(os.environ, SKEIN_CONFIG=config)
    port = free_port()
    started = subprocess.run(
        [SKEIN_RS, "driver", "start", "--metrics-address", "127.0.0.1:%d" % port],
        env=env, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    try:
        address = started.stdout.strip()
        client = skein.Client(address=address,
                              security=skein.Security.from_directory(config))
        client.get_applications()
        client.get_applications()
        with pytest.raises(ValueError):
            client.application_report("application_1_0000_not_an_id")
        spec = skein.ApplicationSpec(
            name="metrics-%d" % os.getpid(),
            services={"sleeper": skein.Service(
                resources=skein.Resources(memory=32, vcores=1), script="sleep 600")})
        app_id = client.submit(spec)
        try:
            families = wait_for("the applications gauge to list %s" % app_id,
                                lambda: running_listed(port), timeout=60, interval=1)
        finally:
            client.kill_application(app_id)
        assert value(families, "skein_driver_submits", "skein_driver_submits_total",
                     result="ok") == 1
        phases = "skein_driver_submit_phase_duration_seconds"
        for phase in ("prepare", "stage", "rm_submit"):
            assert value(families, phases, phases + "_count",
                         phase=phase) == 1, phase
        rm = "skein_driver_rm_request_duration_seconds"
        assert value(families, rm, rm + "_count",
                     operation="POST /ws/v1/cluster/apps/new-application") == 1
        hdfs_ops = {s.labels["operation"] for s in
                    families["skein_driver_hdfs_request_duration_seconds"].samples}
        assert hdfs_ops, "HDFS calls are measured"
        method = "/skein.Driver/getApplications"
        assert value(families, "skein_driver_grpc_requests", "skein_driver_grpc_requests_total",
                     method=method, code="OK") == 2
        assert value(families, "skein_driver_grpc_requests", "skein_driver_grpc_requests_total",
                     method="/skein.Driver/getStatus", code="INVALID_ARGUMENT") == 1
        duration = "skein_driver_grpc_request_duration_seconds"
        assert value(families, duration, duration + "_count", method=method) == 2
        assert families[duration].type == "histogram"
        assert families[duration].unit == "seconds"
    finally:
        subprocess.run([SKEIN_RS, "driver", "stop"], env=env, capture_output=True)


def test_the_application_master_serves_metrics_through_the_proxy(app):
    wait_for_containers(app, 1, services=["sleeper"], states=["RUNNING"])
    app.kv["metrics"] = b"1"
    app.kv["metrics"] = b"2"
    url = "%smetrics?user.name=%s" % (app.ui.address, getpass.getuser())
    families = scrape(url)
    assert value(families, "skein_am_containers", "skein_am_containers",
                 service="sleeper", state="RUNNING") == 1
    assert value(families, "skein_am_grpc_requests", "skein_am_grpc_requests_total",
                 method="/skein.AppMaster/PutKey", code="OK") >= 2
    assert value(families, "skein_am_kv_watches", "skein_am_kv_watches") is not None
    allocation = "skein_am_allocation_duration_seconds"
    assert value(families, allocation, allocation + "_count") >= 1
    # The shim times every heartbeat (once a second here): at least the ones since RUNNING.
    heartbeat = "skein_am_shim_heartbeat_duration_seconds"
    assert value(families, heartbeat, heartbeat + "_count") >= 1
    assert value(families, heartbeat, heartbeat + "_sum") > 0
    assert value(families, "skein_am_restarts", "skein_am_restarts_total",
                 service="sleeper") is not None
    # `app` kills and scales its containers between tests: YARN reports them killed by the AM.
    app.kill_container(app.get_containers(services=["sleeper"])[0].id)
    wait_for("the kill in the metrics", lambda: (value(
        scrape(url), "skein_am_container_exits", "skein_am_container_exits_total",
        cause="killed_by_appmaster") or 0) >= 1, timeout=60, interval=1)
