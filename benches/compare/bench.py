"""Java Skein 0.8.2 against skein-rs on one local Hadoop: the rows of BENCHMARKS.md.

Run through `benches/compare/run.sh`, which builds everything and starts the cluster.
Each row alternates the implementations sample by sample (java, rs, java, rs, ...) so that
load from other processes on a shared machine hits both alike. Results go to
target/bench/results.json and a markdown table on stdout (target/bench/results.md).

Environment: HADOOP_CONF_DIR (the cluster's), SKEIN_BIN (the release binary), BENCH_REPS
(samples per row and implementation, default 3), BENCH_ROWS (comma list, default all of
coldstart,cli,submit,containers,kv,memory,upload; `kvrs` selects row 5r alone, `kv` is rows 5
and 5r), SKEIN_KV_GRPC_BIN (the `kv_grpc` bench binary, benches/kv_grpc.rs: row 5r).
"""
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CONF_DIR = os.environ["HADOOP_CONF_DIR"]
CLUSTER = json.load(open(os.path.join(CONF_DIR, "cluster.json")))
HADOOP_VERSION = CLUSTER["hadoop_version"]
BUILD_DIR = os.path.join(REPO, "tests/cluster/target/hadoop-%s" % HADOOP_VERSION)
SKEIN_BIN = os.environ["SKEIN_BIN"]
PYTHON = sys.executable
PY_SKEIN_CLI = os.path.join(os.path.dirname(PYTHON), "skein")
WORK = os.path.join(REPO, "target/bench")
REPS = int(os.environ.get("BENCH_REPS", "3"))
ROWS = os.environ.get("BENCH_ROWS", "coldstart,cli,submit,containers,kv,memory,upload").split(",")
USER = os.environ.get("USER") or subprocess.check_output(["id", "-un"], text=True).strip()
TIMEOUT = float(os.environ.get("BENCH_APP_TIMEOUT", "60"))
IMPLS = tuple(os.environ.get("BENCH_IMPLS", "java,rs").split(","))
HDFS_LIB = "/bench/lib"  # jars Java Skein's AM needs beyond hadoop-client-api (see below)
KV_GRPC_BIN = os.environ.get("SKEIN_KV_GRPC_BIN")
# Row 5r: calls per Rust client and workload, by client count (a measured phase takes ~1-3 s);
# watched puts per sample.
KVRS_OPS = {1: 10000, 16: 1500}
KVRS_WARMUP = 300
KVRS_WATCH_SAMPLES = 200
KVRS_KEYS = ("put_per_s", "get_per_s", "txn_per_s", "txn_committed_pct",
             "watch_after_return_p50_ms", "watch_after_return_p99_ms", "watch_p50_ms",
             "watch_p99_ms")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ environments

def java_home():
    return subprocess.check_output([os.path.join(REPO, "scripts/cluster"), "java-home"],
                                   text=True).strip()


def setup_envs():
    """Two plain users: one of Java Skein (real java, `yarn classpath` answered with the
    cluster's client classpath) and one of skein-rs (its python shim)."""
    envs = {}
    base = dict(os.environ)
    for name in ("SKEIN_LOG_LEVEL", "SKEIN_DRIVER_JAVA_OPTIONS", "SKEIN_APPLICATION_ID"):
        base.pop(name, None)
    # Java Skein: `yarn classpath --glob` prints HADOOP_CONF_DIR and the Hadoop client jars the
    # containers also use (hadoop-client-api/runtime, slf4j, reload4j).
    jbin = os.path.join(WORK, "java/bin")
    os.makedirs(jbin, exist_ok=True)
    jars = sorted(glob.glob(os.path.join(CLUSTER["container_lib"], "*.jar")))
    with open(os.path.join(jbin, "yarn"), "w") as f:
        f.write("#!/bin/sh\n# bench: Java Skein's `yarn classpath --glob`: the test cluster's "
                "client classpath.\nif [ \"$1\" = classpath ]; then\n  echo '%s'\n  exit 0\nfi\n"
                "echo 'bench yarn stub: only yarn classpath' >&2\nexit 1\n"
                % ":".join([CONF_DIR] + jars))
    os.chmod(os.path.join(jbin, "yarn"), 0o755)
    env = dict(base, JAVA_HOME=java_home(), SKEIN_CONFIG=os.path.join(WORK, "java/config"),
               PATH=jbin + os.pathsep + base["PATH"])
    envs["java"] = env
    if "rs" in IMPLS:
        # skein-rs: the shim Python users install (`bin/java` runs `skein driver jvm-compat`).
        rs_home = os.path.join(WORK, "rs/java-home")
        subprocess.run([SKEIN_BIN, "driver", "install-python-shim", rs_home,
                        "--java", os.path.join(java_home(), "bin/java")],
                       check=True, stdout=subprocess.DEVNULL, env=base)
        envs["rs"] = dict(base, JAVA_HOME=rs_home, SKEIN_CONFIG=os.path.join(WORK, "rs/config"),
                          PATH=os.path.join(rs_home, "bin") + os.pathsep + base["PATH"])
    for impl in envs:
        os.makedirs(envs[impl]["SKEIN_CONFIG"], exist_ok=True)
        # Both get their own key pair, written the same way (Python's gencerts).
        if not os.path.exists(os.path.join(envs[impl]["SKEIN_CONFIG"], "skein.crt")):
            run([PY_SKEIN_CLI, "config", "gencerts"], envs[impl])
    return envs


def run(argv, env, timeout=300):
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), proc.returncode,
                                                   (proc.stderr or proc.stdout)[-500:]))
    return proc.stdout


def worker(env, *args, timeout=300):
    out = run([PYTHON, os.path.join(HERE, "worker.py")] + [str(a) for a in args], env,
              timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def timed(argv, env):
    t0 = time.perf_counter()
    run(argv, env)
    return time.perf_counter() - t0


def driver_start(impl, env):
    if impl == "java":
        return run([PY_SKEIN_CLI, "driver", "start"], env).strip()
    return run([SKEIN_BIN, "driver", "start"], env).strip()


def driver_stop(impl, env):
    cli = PY_SKEIN_CLI if impl == "java" else SKEIN_BIN
    subprocess.run([cli, "driver", "stop"], env=env, capture_output=True, stdin=subprocess.DEVNULL)


def driver_pid(env):
    with open(os.path.join(env["SKEIN_CONFIG"], "driver")) as f:
        return json.load(f)["pid"]


# ------------------------------------------------------------------ cluster helpers

def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = resp.read()
    return json.loads(data) if data else None


def webhdfs(method, path, op, **params):
    params.update(op=op, **{"user.name": USER})
    url = "%s/webhdfs/v1%s?%s" % (CLUSTER["nn_http"], path, urllib.parse.urlencode(params))
    return http(method, url)


def hdfs_put(path, data):
    params = {"op": "CREATE", "overwrite": "true", "user.name": USER}
    url = "%s/webhdfs/v1%s?%s" % (CLUSTER["nn_http"], path, urllib.parse.urlencode(params))
    req = urllib.request.Request(url, method="PUT")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(req, timeout=60)
        location = None
    except urllib.error.HTTPError as e:  # 307 to the DataNode
        location = e.headers["Location"]
    http("PUT", location, body=data, headers={"Content-Type": "application/octet-stream"})
    return webhdfs("GET", path, "GETFILESTATUS")["FileStatus"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def hdfs_size(path):
    """Bytes under an HDFS path (0 if absent)."""
    try:
        return webhdfs("GET", path, "GETCONTENTSUMMARY")["ContentSummary"]["length"]
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return 0
        raise


def rm(method, path, body=None):
    url = "%s/ws/v1/cluster/%s%suser.name=%s" % (CLUSTER["rm_webapp"], path,
                                                 "&" if "?" in path else "?", USER)
    data = json.dumps(body).encode() if body is not None else None
    return http(method, url, data, {"Content-Type": "application/json",
                                    "Accept": "application/json"})


def kill_app(app_id):
    try:
        rm("PUT", "apps/%s/state" % app_id, {"state": "KILLED"})
    except Exception as exc:
        log("  kill %s: %s" % (app_id, exc))


def wait_final(app_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = rm("GET", "apps/%s" % app_id)["app"]["state"]
        if state in ("FINISHED", "FAILED", "KILLED"):
            return
        time.sleep(0.2)


def process_tree_rss(root_pids):
    """Sum of VmRSS (bytes) of the given processes and all their descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except OSError:
            pass
    total, todo, seen = 0, list(root_pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, []))
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def am_container_pids(app_id):
    """The NodeManager's launch shell of the AM container (container ..._01_000001)."""
    cid = "container_%s_01_000001" % app_id[len("application_"):]
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if cid.encode() in cmd and b"default_container_executor" in cmd:
            pids.append(int(d))
    return pids


# ------------------------------------------------------------------ specs

def spec(impl, instances, name):
    service = {"resources": {"memory": 32, "vcores": 1}, "script": "sleep 3600",
               "instances": instances}
    master = {"resources": {"memory": 512, "vcores": 1}}
    if impl == "java":
        # Java Skein's AM loads org.apache.hadoop.yarn.server.webproxy.amfilter.AmIpFilter,
        # which a full Hadoop install has on yarn.application.classpath (share/hadoop/yarn/*)
        # but the test cluster's hadoop-client-api does not. It is referenced in place on HDFS
        # (uploaded once by setup), so it adds nothing to the bytes uploaded per submit.
        master["files"] = {"hadoop-yarn-server-web-proxy.jar": {
            "source": "%s%s/hadoop-yarn-server-web-proxy.jar" % (CLUSTER["default_fs"], HDFS_LIB),
            "type": "file"}}
    return {"name": name, "queue": "default", "max_attempts": 1, "master": master,
            "services": {"sleeper": service}}


def setup_hdfs_lib():
    jar = [p for p in open(os.path.join(BUILD_DIR, "classpath.txt")).read().strip().split(":")
           if "hadoop-yarn-server-web-proxy" in p][0]
    with open(jar, "rb") as f:
        hdfs_put(HDFS_LIB + "/hadoop-yarn-server-web-proxy.jar", f.read())


# ------------------------------------------------------------------ rows

RESULTS = {}


def record(row, impl, value, note=None):
    if note:
        # One note per distinct cause: no application ids, no RM boilerplate.
        note = re.sub(r"application_\d+_\d+", "<app>", " ".join(note.split()))
        note = note.split(" Error file: prelaunch.err")[0][:140]
    entry = RESULTS.setdefault(row, {}).setdefault(impl, {"samples": [], "notes": []})
    if value is not None:
        entry["samples"].append(value)
    if note and note not in entry["notes"]:
        entry["notes"].append(note)


def alternate(reps):
    for i in range(reps):
        for impl in (IMPLS if i % 2 == 0 else IMPLS[::-1]):
            yield i, impl


def row_coldstart(envs):
    for i, impl in alternate(max(REPS, 5)):
        r = worker(envs[impl], "coldstart")
        record("coldstart_client", impl, r["seconds"])
        log("  coldstart %s: %.3f s" % (impl, r["seconds"]))
    # Global driver start from each project's own CLI (`skein driver start` returns after ping).
    for i, impl in alternate(max(REPS, 5)):
        driver_stop(impl, envs[impl])
        cli = PY_SKEIN_CLI if impl == "java" else SKEIN_BIN
        t = timed([cli, "driver", "start"], envs[impl])
        driver_stop(impl, envs[impl])
        record("coldstart_cli_driver_start", impl, t)
        log("  driver start %s: %.3f s" % (impl, t))


def row_cli(envs):
    for impl in IMPLS:
        driver_start(impl, envs[impl])
    for impl in IMPLS:  # warm both once
        run([PY_SKEIN_CLI if impl == "java" else SKEIN_BIN, "application", "ls"], envs[impl])
    for i, impl in alternate(max(REPS, 5)):
        cli = PY_SKEIN_CLI if impl == "java" else SKEIN_BIN
        t = timed([cli, "application", "ls"], envs[impl])
        record("cli_ls", impl, t)
        # The Python CLI against the skein-rs global driver, for the split of the cost.
        if impl == "rs":
            record("cli_ls_python_cli", impl, timed([PY_SKEIN_CLI, "application", "ls"],
                                                     envs[impl]))
        log("  ls %s: %.3f s" % (impl, t))


def ensure_drivers(envs):
    for impl in IMPLS:
        driver_start(impl, envs[impl])


def submit_once(impl, env, instances, name):
    return worker(env, "submit", json.dumps(spec(impl, instances, name)), TIMEOUT,
                  timeout=TIMEOUT + 60)


def row_submit(envs, rows):
    ensure_drivers(envs)
    sizes = [1, 10, 50] if "containers" in rows else [1]
    broken = set()  # implementations whose N=1 application never ran: not retried with more
    for n in sizes:
        reps = REPS if n < 50 else max(2, REPS - 1)
        for i, impl in alternate(reps):
            if impl in broken:
                record("containers_%d" % n, impl, None, "skipped: N=1 did not run")
                if n == 10 and "memory" in rows:
                    record("am_rss_10", impl, None, "needs 10 RUNNING containers")
                continue
            r = submit_once(impl, envs[impl], n, "bench-%s-n%d" % (impl, n))
            app_id = r.get("app_id")
            note = r.get("error")
            if n == 1:
                record("submit_call", impl, r.get("submit_returned"))
                if "running" in r:
                    record("am_start", impl, r["running"] - r["submit_returned"])
                record("submit_running", impl, r.get("running"), note and "failed: " + note)
            record("containers_%d" % n, impl, r.get("containers_running"),
                   note and "failed: " + note)
            log("  submit %s n=%d: %s" % (impl, n, {k: v for k, v in r.items() if k != "wanted"}))
            if n == 10 and "memory" in rows:
                if app_id and "containers_running" in r:
                    time.sleep(2)
                    record("am_rss_10", impl, process_tree_rss(am_container_pids(app_id)))
                else:
                    record("am_rss_10", impl, None, "needs 10 RUNNING containers")
            if app_id:
                kill_app(app_id)
                wait_final(app_id)
        if n == 1:
            broken = {impl for impl in IMPLS
                      if not RESULTS.get("containers_1", {}).get(impl, {}).get("samples")}
            log("  floor: %s" % row_floor(envs))


def row_floor(envs):
    """Minimal Java AM (tests/cluster's ShellAppMaster) by REST: submit to RUNNING."""
    jar = os.path.join(BUILD_DIR, "skein-test-cluster-0.1.0.jar")
    with open(jar, "rb") as f:
        status = hdfs_put(HDFS_LIB + "/shell-am.jar", f.read())
    yarn_cp = None
    for prop in open(os.path.join(CONF_DIR, "yarn-site.xml")).read().split("<property>"):
        if "<name>yarn.application.classpath</name>" in prop:
            yarn_cp = prop.split("<value>")[1].split("</value>")[0].split(",")
    classpath = "<CPS>".join(["{{CLASSPATH}}", "./*"] + [c.strip() for c in yarn_cp])
    for i in range(REPS):
        t0 = time.perf_counter()
        app_id = rm("POST", "apps/new-application")["application-id"]
        context = {
            "application-id": app_id, "application-name": "bench-floor",
            "queue": "default", "max-app-attempts": 1, "application-type": "bench",
            "resource": {"memory": 256, "vCores": 1},
            "am-container-spec": {
                "local-resources": {"entry": [{"key": "shell-am.jar", "value": {
                    "resource": CLUSTER["default_fs"] + HDFS_LIB + "/shell-am.jar",
                    "type": "FILE", "visibility": "APPLICATION",
                    "size": status["length"], "timestamp": status["modificationTime"]}}]},
                "environment": {"entry": [{"key": "CLASSPATH", "value": classpath}]},
                "commands": {"command": "{{JAVA_HOME}}/bin/java -Xmx96m "
                             "skeinrs.cluster.ShellAppMaster 'sleep 30' "
                             "1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"}},
        }
        rm("POST", "apps", context)
        while True:
            state = rm("GET", "apps/%s" % app_id)["app"]["state"]
            if state == "RUNNING":
                t = time.perf_counter() - t0
                record("submit_running", "floor", t)
                break
            if state in ("FAILED", "KILLED", "FINISHED") or time.perf_counter() - t0 > TIMEOUT:
                record("submit_running", "floor", None, "floor app %s" % state)
                break
            time.sleep(0.05)
        kill_app(app_id)
        wait_final(app_id)
    return RESULTS["submit_running"].get("floor")


def row_kv(envs, rows):
    """Row 5 (Python clients, when `kv` is selected) and row 5r (Rust clients, `kv` or `kvrs`),
    against one application per implementation."""
    ensure_drivers(envs)
    apps, addresses = {}, {}
    for impl in IMPLS:
        r = submit_once(impl, envs[impl], 0, "bench-kv-%s" % impl)
        if "running" in r and "error" not in r:
            apps[impl] = r["app_id"]
            addresses[impl] = r["address"]
        else:
            for c in (1, 16):
                for key in ("put_per_s", "get_per_s", "watch_median_ms"):
                    if "kv" in rows:
                        record("kv_%s_%d" % (key, c), impl, None, "failed: %s" % r.get("error"))
                for key in KVRS_KEYS:
                    record("kvrs_%s_%d" % (key, c), impl, None, "failed: %s" % r.get("error"))
            if r.get("app_id"):
                kill_app(r["app_id"])
    try:
        if "kv" in rows:
            row_kv_python(envs, apps)
        row_kv_rust(envs, addresses)
    finally:
        for app_id in apps.values():
            kill_app(app_id)


def row_kv_python(envs, apps):
    # One unrecorded round per AM first: the Java AM's JIT warms up over the first
    # thousands of calls, and a long-lived AM is what users talk to.
    for impl in apps:
        try:
            worker(envs[impl], "kv", apps[impl], 4, 500)
        except Exception as exc:
            log("  kv warm-up %s: %s" % (impl, str(exc).strip().splitlines()[-1]))
    for clients, ops in ((1, 1000), (16, 100)):
        for i, impl in alternate(REPS):
            if impl not in apps:
                continue
            try:
                r = worker(envs[impl], "kv", apps[impl], clients, ops)
            except Exception as exc:
                r = {"error": str(exc).strip().splitlines()[-1][-300:]}
            log("  kv %s c=%d: %s" % (impl, clients, r))
            for key in ("put_per_s", "get_per_s", "watch_median_ms"):
                record("kv_%s_%d" % (key, clients), impl, r.get(key),
                       r.get("error") and "failed: " + r["error"])


def row_kv_rust(envs, addresses):
    """Row 5r: `benches/kv_grpc.rs`, N Rust clients with a connection each, against the AM."""
    if not KV_GRPC_BIN:
        for impl in IMPLS:
            for c in (1, 16):
                for key in KVRS_KEYS:
                    record("kvrs_%s_%d" % (key, c), impl, None, "SKEIN_KV_GRPC_BIN not set")
        return
    for clients in (1, 16):
        for i, impl in alternate(max(REPS, 5)):  # cheap: ~10 s a sample
            if impl not in addresses:
                continue
            config = envs[impl]["SKEIN_CONFIG"]  # the key pair the application was submitted with
            argv = [KV_GRPC_BIN, "--address", addresses[impl],
                    "--cert", os.path.join(config, "skein.crt"),
                    "--key", os.path.join(config, "skein.pem"),
                    "--clients", clients, "--ops", KVRS_OPS[clients], "--warmup", KVRS_WARMUP,
                    "--watch-samples", KVRS_WATCH_SAMPLES, "--json"]
            try:
                out = run([str(a) for a in argv], envs[impl])
                r = json.loads(out.strip().splitlines()[-1])["results"][0]
                r["txn_committed_pct"] = 100.0 * r["txn_committed"] / r["txn_attempts"]
            except Exception as exc:
                lines = str(exc).strip().splitlines()
                r = {"error": next((l for l in lines if "error" in l), lines[-1])[-300:]}
            log("  kv-grpc %s c=%d: %s" % (impl, clients, {k: (round(v, 3) if isinstance(v, float)
                                                                else v) for k, v in r.items()}))
            for key in KVRS_KEYS:
                record("kvrs_%s_%d" % (key, clients), impl, r.get(key),
                       r.get("error") and "failed: " + r["error"])


def row_memory(envs):
    ensure_drivers(envs)
    for impl in IMPLS:
        run([SKEIN_BIN if impl == "rs" else PY_SKEIN_CLI, "application", "ls"], envs[impl])
    time.sleep(3)
    for i, impl in alternate(REPS):
        record("driver_rss", impl, process_tree_rss([driver_pid(envs[impl])]))
        time.sleep(0.5)


def row_upload(envs):
    """Bytes on HDFS under .skein/ per submit: the staging folder plus what the cache grew."""
    ensure_drivers(envs)
    cache = "/user/%s/.skein/cache" % USER
    for impl in IMPLS:
        if impl == "rs":
            try:
                webhdfs("DELETE", cache, "DELETE", recursive="true")
            except Exception as exc:
                log("  delete cache: %s" % exc)
        for attempt in ("first", "repeated"):
            before = hdfs_size(cache)
            env = envs[impl]
            # Submit through the driver and measure while the app lives (the AM deletes its
            # staging folder when it exits).
            r = submit_once(impl, env, 0, "bench-upload-%s" % impl)
            app_id = r.get("app_id")
            if not app_id:
                record("upload_" + attempt, impl, None, "failed: %s" % r.get("error"))
                continue
            staged = hdfs_size("/user/%s/.skein/%s" % (USER, app_id))
            grown = hdfs_size(cache) - before
            record("upload_" + attempt, impl, staged + grown,
                   None if "error" not in r else "app did not run: " + r["error"][:120])
            log("  upload %s %s: staging %d + cache %d" % (impl, attempt, staged, grown))
            kill_app(app_id)
            wait_final(app_id)


# ------------------------------------------------------------------ report

ROW_TITLES = [
    ("coldstart_client", "1. driver cold start to first ping: `skein.Client()`", "s"),
    ("coldstart_cli_driver_start", "1b. `skein driver start` (Java: Python CLI; rs: native CLI)", "s"),
    ("cli_ls", "2. CLI `application ls`, warm global driver (Java: Python CLI; rs: native CLI)", "s"),
    ("cli_ls_python_cli", "2b. Python CLI `application ls` against the skein-rs global driver", "s"),
    ("submit_call", "3a. `client.submit()` returns (staging + RM submit), N=1", "s"),
    ("submit_running", "3. submit to application RUNNING (RM state, AM registered)", "s"),
    ("am_start", "3b. = 3 − 3a: `submit()` returned to RUNNING (YARN + AM start)", "s"),
    ("containers_1", "4. submit to all service containers RUNNING, N=1", "s"),
    ("containers_10", "4. ... N=10", "s"),
    ("containers_50", "4. ... N=50", "s"),
    ("kv_put_per_s_1", "5. kv put, 1 client", "ops/s"),
    ("kv_get_per_s_1", "5. kv get, 1 client", "ops/s"),
    ("kv_watch_median_ms_1", "5. watch latency (put -> PUT event), 1 watching client", "ms"),
    ("kv_put_per_s_16", "5. kv put, 16 clients", "ops/s"),
    ("kv_get_per_s_16", "5. kv get, 16 clients", "ops/s"),
    ("kv_watch_median_ms_16", "5. watch latency (put -> PUT event at all 16 watching clients)", "ms"),
] + [
    (key % c, title % {"c": c, "s": "" if c == 1 else "s",
                       "at": "the watching client" if c == 1 else "all %d watching clients" % c},
     unit)
    for c in (1, 16)
    for key, title, unit in (
        ("kvrs_put_per_s_%d", "5r. kv PutKey, %(c)d Rust gRPC client%(s)s", "ops/s"),
        ("kvrs_get_per_s_%d", "5r. kv GetRange (one key), %(c)d client%(s)s", "ops/s"),
        ("kvrs_txn_per_s_%d", "5r. kv Transaction (CAS on one shared counter), %(c)d client%(s)s",
         "ops/s"),
        ("kvrs_txn_committed_pct_%d", "5r. ... of which committed, %(c)d client%(s)s", "%"),
        ("kvrs_watch_after_return_p50_ms_%d",
         "5r. watch latency, put returned -> PUT event at %(at)s, median",
         "ms "),
        ("kvrs_watch_after_return_p99_ms_%d", "5r. ... p99", "ms "),
        ("kvrs_watch_p50_ms_%d",
         "5r. watch latency, put issued -> PUT event at %(at)s, median",
         "ms "),
        ("kvrs_watch_p99_ms_%d", "5r. ... p99", "ms "),
    )
    if not (c == 1 and key.startswith("kvrs_txn_committed"))
] + [
    ("driver_rss", "6. idle global driver RSS", "MiB"),
    ("am_rss_10", "6. AM container process tree RSS, 10 containers", "MiB"),
    ("upload_first", "7. bytes written to HDFS, first submit", "KiB"),
    ("upload_repeated", "7. bytes written to HDFS, repeated submit", "KiB"),
]


def fmt(samples, unit):
    if not samples:
        return None
    scale = {"MiB": 1 / 2**20, "KiB": 1 / 1024}.get(unit, 1)
    xs = sorted(x * scale for x in samples)
    med = statistics.median(xs)
    # "ms " (row 5r): sub-millisecond latencies, three decimals.
    digits = {"s": 3, "ms ": 3, "ms": 1, "MiB": 1, "KiB": 1, "%": 1}.get(unit, 0)
    f = "%%.%df" % digits
    return med, "%s (%s–%s, n=%d)" % (f % med, f % xs[0], f % xs[-1], len(xs))


def table():
    lines = ["| row | unit | Java Skein 0.8.2 median (min–max) | skein-rs median (min–max) "
             "| skein-rs / Skein |", "|---|---|---|---|---|"]
    for key, title, unit in ROW_TITLES:
        if key not in RESULTS:
            continue
        cells, meds = [], {}
        for impl in ("java", "rs"):
            e = RESULTS[key].get(impl, {"samples": [], "notes": []})
            r = fmt(e["samples"], unit)
            text = r[1] if r else ("n/a" if key == "cli_ls_python_cli" and impl == "java"
                                   else "not measured")
            if r:
                meds[impl] = r[0]
            if e["notes"]:
                text += " — " + "; ".join(n.replace("|", "/")[:160] for n in e["notes"])
            cells.append(text)
        ratio = "–"
        if len(meds) == 2 and meds["java"]:
            q = meds["rs"] / meds["java"]
            ratio = "%.2f" % q if q >= 0.1 else "%.2g" % q
        lines.append("| %s | %s | %s | %s | %s |" % (title, unit.strip(), cells[0], cells[1],
                                                      ratio))
        if key == "submit_running" and "floor" in RESULTS[key]:
            r = fmt(RESULTS[key]["floor"]["samples"], unit)
            lines.append("| 3f. YARN floor: minimal Java AM by REST, submit to RUNNING | s | %s | | |"
                         % (r[1] if r else "; ".join(RESULTS[key]["floor"]["notes"])))
    return "\n".join(lines)


def main():
    os.makedirs(WORK, exist_ok=True)
    envs = setup_envs()
    setup_hdfs_lib()
    started = time.time()
    try:
        for row, fn in (("coldstart", row_coldstart), ("cli", row_cli),
                        ("submit", lambda e: row_submit(e, ROWS)),
                        ("kv", lambda e: row_kv(e, ROWS)),
                        ("memory", row_memory), ("upload", row_upload)):
            if (row in ROWS or (row == "submit" and "containers" in ROWS)
                    or (row == "kv" and "kvrs" in ROWS)):
                log("== %s (%.0f s so far)" % (row, time.time() - started))
                try:
                    fn(envs)
                except Exception as exc:
                    log("  row %s failed: %s" % (row, exc))
                    RESULTS.setdefault("errors", []).append("%s: %s" % (row, str(exc)[-400:]))
    finally:
        for impl in IMPLS:
            driver_stop(impl, envs[impl])
        with open(os.path.join(WORK, "results.json"), "w") as f:
            json.dump(RESULTS, f, indent=1)
        text = table()
        with open(os.path.join(WORK, "results.md"), "w") as f:
            f.write(text + "\n")
        print(text)
        log("total %.0f s" % (time.time() - started))


if __name__ == "__main__":
    main()
