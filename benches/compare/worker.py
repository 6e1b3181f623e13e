"""One measurement, run in a fresh interpreter with one implementation's environment.

`bench.py` starts this script per sample with SKEIN_CONFIG, JAVA_HOME and PATH pointing at
either Java Skein 0.8.2 or skein-rs, so `skein.properties` (read at import) and the driver
launch are those of a plain user of that implementation. It prints one JSON object on stdout.

    worker.py coldstart
    worker.py submit SPEC_JSON TIMEOUT          (global driver must run)
    worker.py kv APP_ID CLIENTS OPS
"""
import json
import sys
import threading
import time

import skein


def coldstart():
    t0 = time.perf_counter()
    client = skein.Client(log=False)  # spawns the driver, waits for its callback, pings it
    elapsed = time.perf_counter() - t0
    client.close()
    return {"seconds": elapsed}


def submit(spec_json, timeout):
    """Submit, then poll every 50 ms: RM state RUNNING, then all service containers RUNNING."""
    spec = skein.ApplicationSpec.from_dict(json.loads(spec_json))
    wanted = sum(s.instances for s in spec.services.values())
    client = skein.Client.from_global_driver()
    out = {"wanted": wanted}
    t0 = time.perf_counter()
    app_id = client.submit(spec)
    out["app_id"] = app_id
    out["submit_returned"] = time.perf_counter() - t0
    deadline = t0 + timeout
    while True:
        report = client.application_report(app_id)
        if report.state == "RUNNING" and report.port > 0:
            out["running"] = time.perf_counter() - t0
            out["address"] = "%s:%d" % (report.host, report.port)
            break
        if str(report.state) in ("FAILED", "KILLED", "FINISHED"):
            out["error"] = "application %s: %s" % (report.state, report.diagnostics[-300:])
            return out
        if time.perf_counter() > deadline:
            out["error"] = "not RUNNING after %ds (state %s)" % (timeout, report.state)
            return out
        time.sleep(0.05)
    try:
        app = skein.ApplicationClient("%s:%d" % (report.host, report.port), app_id,
                                      security=client.security)
        while True:
            running = app.get_containers(states=["RUNNING"])
            if len(running) >= wanted:
                out["containers_running"] = time.perf_counter() - t0
                break
            if time.perf_counter() > deadline:
                out["error"] = "%d/%d containers RUNNING after %ds" % (len(running), wanted,
                                                                        timeout)
                break
            time.sleep(0.05)
    except Exception as exc:  # the AM answered badly: keep the RUNNING time
        out["error"] = "AM: %s: %s" % (type(exc).__name__, str(exc)[:300])
    return out


def kv(app_id, clients, ops):
    """put and get throughput with `clients` threads (one gRPC channel each), and the latency
    from a put's start to its PUT event on the watches of all `clients`."""
    driver = skein.Client.from_global_driver()
    report = driver.application_report(app_id)
    address = "%s:%d" % (report.host, report.port)
    apps = [skein.ApplicationClient(address, app_id, security=driver.security)
            for _ in range(clients)]
    value = b"x" * 100
    out = {}
    for op in ("put", "get"):
        barrier = threading.Barrier(clients + 1)
        errors = []

        def work(i):
            kv = apps[i].kv
            barrier.wait()
            try:
                for j in range(ops):
                    key = "bench/%d/%d" % (i, j % 100)
                    if op == "put":
                        kv.put(key, value)
                    else:
                        kv.get(key)
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        if errors:
            out["error"] = errors[0][:300]
            return out
        out[op + "_per_s"] = clients * ops / elapsed
    # Watch latency: every client watches the prefix; a put's start to its PUT event having
    # reached all of them. 30 samples.
    latencies = []
    watches = [app.kv.events(prefix="watched/", event_type="put") for app in apps]
    for j in range(30):
        t0 = time.perf_counter()
        apps[0].kv.put("watched/%d" % j, value)
        for watch in watches:
            watch.get(timeout=10)
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    out["watch_median_ms"] = 1000 * latencies[len(latencies) // 2]
    return out


def main():
    task = sys.argv[1]
    if task == "coldstart":
        result = coldstart()
    elif task == "submit":
        result = submit(sys.argv[2], float(sys.argv[3]))
    elif task == "kv":
        result = kv(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit("unknown task %r" % task)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
