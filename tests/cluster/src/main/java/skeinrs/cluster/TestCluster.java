package skeinrs.cluster;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.util.VersionInfo;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real HDFS (NameNode + DataNode) and YARN (ResourceManager + NodeManager) in one JVM.
 *
 * <p>It writes a complete HADOOP_CONF_DIR, prints one line {@code READY {json}} on stdout and
 * runs until SIGTERM or, unless {@code --daemon}, until its stdin reaches EOF. Stopping stops the
 * NodeManager first, which kills every container; anything a container left running in the
 * cluster's work directory is killed after that, so no process outlives the cluster.
 *
 * <p>Options: --work-dir DIR --conf-dir DIR --container-lib DIR [--fixed-ports] [--daemon]
 * [--nm-memory-mb 16384] [--nm-vcores 64]
 *
 * <p>Secure mode ({@link SecureMode}): --secure [--ticket-lifetime SECONDS (86400)]
 * [--token-renew-interval SECONDS] [--token-max-lifetime SECONDS] (delegation tokens of HDFS and
 * YARN; Hadoop's defaults, 1 and 7 days, unless given).
 */
public final class TestCluster {
  private TestCluster() {}

  public static void main(String[] args) {
    try {
      start(parse(args));
    } catch (Throwable t) {
      // Hadoop's non-daemon threads would keep a half-started JVM alive: exit for real.
      System.err.println("skein-test-cluster: failed to start");
      t.printStackTrace();
      System.exit(1);
    }
  }

  private static void start(Map<String, String> opts) throws Exception {
    File work = new File(require(opts, "work-dir")).getAbsoluteFile();
    File confDir = new File(require(opts, "conf-dir")).getAbsoluteFile();
    String containerLib = new File(require(opts, "container-lib")).getAbsolutePath();
    boolean fixedPorts = opts.containsKey("fixed-ports");
    int nmMemoryMb = Integer.parseInt(opts.getOrDefault("nm-memory-mb", "16384"));
    int nmVcores = Integer.parseInt(opts.getOrDefault("nm-vcores", "64"));
    boolean secure = opts.containsKey("secure");
    long ticketLifetime = Long.parseLong(opts.getOrDefault("ticket-lifetime", "86400"));
    Long tokenRenewMs = seconds(opts.get("token-renew-interval"));
    Long tokenMaxMs = seconds(opts.get("token-max-lifetime"));
    if (!work.mkdirs() && !work.isDirectory()) throw new IOException("cannot create " + work);
    if (!confDir.mkdirs() && !confDir.isDirectory()) throw new IOException("cannot create " + confDir);
    // Never leave a previous run's ports behind for a client to find.
    for (String f : new String[] {"core-site.xml", "hdfs-site.xml", "yarn-site.xml",
        "capacity-scheduler.xml", "cluster.json"}) {
      Files.deleteIfExists(new File(confDir, f).toPath());
    }
    long started = System.nanoTime();
    String user = System.getProperty("user.name");

    // Secure mode: the KDC first, then Kerberos settings, then the daemons' login.
    final SecureMode kerberos = secure ? SecureMode.start(work, ticketLifetime) : null;
    Map<String, String> secureSettings = null;

    Configuration base = new Configuration();
    if (secure) {
      secureSettings = kerberos.hadoopSettings(work, tokenRenewMs, tokenMaxMs);
      kerberos.apply(base, secureSettings);
      // NameNode, DataNode and ResourceManager share this JVM and its login user.
      UserGroupInformation.setConfiguration(base);
      UserGroupInformation.loginUserFromKeytab(SecureMode.principal(SecureMode.SERVICE),
          kerberos.keytab("hadoop").getPath());
      user = SecureMode.USER;
    } else {
      base.set("hadoop.security.authentication", "simple");
      // Web endpoints authenticate with ?user.name= (simple auth), as on a real insecure cluster:
      // reads may be anonymous, writes (submit, kill, move) run as the named user.
      // The proxy-user variant also honours `doAs=<user>` for users this one may impersonate
      // (Hadoop 3.3+), as RMAuthenticationFilter does on a Kerberos cluster.
      base.set("hadoop.http.filter.initializers",
          "org.apache.hadoop.security.authentication.server.ProxyUserAuthenticationFilterInitializer");
      base.set("hadoop.http.authentication.type", "simple");
      base.setBoolean("hadoop.http.authentication.simple.anonymous.allowed", true);
      base.set("hadoop.http.staticuser.user", user);
      // As on Skein's test cluster: the submitting user may act as `alice`, not as `bob`.
      base.set("hadoop.proxyuser." + user + ".hosts", "*");
      base.set("hadoop.proxyuser." + user + ".users", "alice");
    }

    // ------------------------------------------------------------------ HDFS
    HdfsConfiguration hdfsConf = new HdfsConfiguration(base);
    hdfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(work, "dfs").getPath());
    hdfsConf.setBoolean("dfs.permissions.enabled", true);
    hdfsConf.setLong("dfs.blocksize", 16L * 1024 * 1024);
    hdfsConf.setInt("dfs.replication", 1);
    hdfsConf.setInt("dfs.namenode.metrics.logger.period.seconds", 0);
    hdfsConf.setInt("dfs.datanode.metrics.logger.period.seconds", 0);
    hdfsConf.setBoolean("dfs.webhdfs.enabled", true);
    MiniDFSCluster dfs = new MiniDFSCluster.Builder(hdfsConf)
        .nameNodePort(fixedPorts ? 9000 : 0)
        .nameNodeHttpPort(fixedPorts ? 9870 : 0)
        .numDataNodes(1)
        .format(true)
        .build();
    dfs.waitActive();
    String defaultFs = "hdfs://127.0.0.1:" + dfs.getNameNodePort();
    InetSocketAddress nnHttp = dfs.getNameNode().getHttpAddress();
    base.set("fs.defaultFS", defaultFs);
    base.set("dfs.namenode.http-address", "127.0.0.1:" + nnHttp.getPort());
    base.set("dfs.namenode.rpc-address", "127.0.0.1:" + dfs.getNameNodePort());
    base.setInt("dfs.replication", 1);
    FileSystem fs = dfs.getFileSystem();
    for (String dir : new String[] {"/tmp", "/tmp/logs", "/user"}) {
      fs.mkdirs(new org.apache.hadoop.fs.Path(dir));
      fs.setPermission(new org.apache.hadoop.fs.Path(dir), new FsPermission((short) 01777));
    }
    org.apache.hadoop.fs.Path home = new org.apache.hadoop.fs.Path("/user/" + user);
    fs.mkdirs(home);
    fs.setOwner(home, user, "supergroup");
    if (secure) {
      org.apache.hadoop.fs.Path home2 = new org.apache.hadoop.fs.Path("/user/" + SecureMode.USER2);
      fs.mkdirs(home2);
      fs.setOwner(home2, SecureMode.USER2, "supergroup");
    }

    // ------------------------------------------------------------------ YARN
    YarnConfiguration yarnConf = new YarnConfiguration(base);
    // MiniYARNCluster overwrites yarn.nodemanager.resource.memory-mb with this key.
    yarnConf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, nmMemoryMb);
    yarnConf.setInt("yarn.nodemanager.resource.cpu-vcores", nmVcores);
    yarnConf.setInt("yarn.scheduler.minimum-allocation-mb", 32);
    yarnConf.setInt("yarn.scheduler.maximum-allocation-mb", nmMemoryMb);
    yarnConf.setInt("yarn.scheduler.minimum-allocation-vcores", 1);
    yarnConf.setInt("yarn.scheduler.maximum-allocation-vcores", nmVcores);
    yarnConf.setInt("yarn.resourcemanager.am.max-attempts", 2);
    // Application priorities above 0 are capped to this (default 0: every priority becomes 0).
    yarnConf.setInt("yarn.cluster.max-application-priority", 10);
    for (Map.Entry<String, String> e : capacityScheduler().entrySet()) {
      yarnConf.set(e.getKey(), e.getValue());
    }
    // A small, nearly full disk must not make the NodeManager unhealthy.
    yarnConf.setBoolean("yarn.nodemanager.disk-health-checker.enable", false);
    yarnConf.setFloat(
        "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 100.0f);
    yarnConf.setLong("yarn.nodemanager.disk-health-checker.min-free-space-per-disk-mb", 0);
    yarnConf.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
    yarnConf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    // Logs of finished applications stay readable: aggregated to HDFS.
    yarnConf.setBoolean("yarn.log-aggregation-enable", true);
    yarnConf.set("yarn.nodemanager.remote-app-log-dir", "/tmp/logs");
    yarnConf.set("yarn.nodemanager.remote-app-log-dir-suffix", "logs");
    yarnConf.setInt("yarn.nodemanager.delete.debug-delay-sec", 0);
    // Rolled aggregation (for applications that ask for it with rolled-log patterns) every
    // 10 s; the NodeManager takes intervals under an hour only with debug-enabled.
    yarnConf.setLong("yarn.nodemanager.log-aggregation.roll-monitoring-interval-seconds", 10);
    yarnConf.setBoolean("yarn.nodemanager.log-aggregation.debug-enabled", true);
    yarnConf.setLong("yarn.resourcemanager.nodemanagers.heartbeat-interval-ms", 250);
    yarnConf.setLong("yarn.am.liveness-monitor.expiry-interval-ms", 20000);
    yarnConf.setLong("yarn.nm.liveness-monitor.expiry-interval-ms", 60000);
    yarnConf.setLong("yarn.nodemanager.process-kill-wait.ms", 1000);
    yarnConf.setLong("yarn.nodemanager.sleep-delay-before-sigkill.ms", 250);
    yarnConf.setBoolean("yarn.timeline-service.enabled", false);
    // What containers see: JAVA_HOME and HADOOP_CONF_DIR come from this JVM's environment.
    yarnConf.set("yarn.nodemanager.env-whitelist",
        "JAVA_HOME,HADOOP_CONF_DIR,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_YARN_HOME,"
            + "HADOOP_HOME,CLASSPATH_PREPEND_DISTCACHE,PATH,LANG,TZ");
    yarnConf.set("yarn.application.classpath", "$HADOOP_CONF_DIR," + containerLib + "/*");
    if (fixedPorts) {
      yarnConf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_FIXED_PORTS, true);
      yarnConf.set("yarn.resourcemanager.hostname", "localhost");
    }

    // The NodeManager runs in a JVM of its own, as on a real cluster: two YARN web apps in one
    // JVM share Guice's static filter pipeline, and the ResourceManager's REST API would then be
    // answered by the NodeManager's web app. Its settings travel in the yarn-site.xml written
    // below; its addresses are ephemeral.
    File nmDir = new File(work, "nodemanager");
    yarnConf.set("yarn.nodemanager.hostname", "localhost");
    yarnConf.set("yarn.nodemanager.address", "localhost:0");
    yarnConf.set("yarn.nodemanager.webapp.address", "localhost:0");
    yarnConf.set("yarn.nodemanager.localizer.address", "localhost:0");
    yarnConf.set("yarn.nodemanager.local-dirs", new File(nmDir, "local").getPath());
    yarnConf.set("yarn.nodemanager.log-dirs", new File(nmDir, "logs").getPath());
    yarnConf.setInt("yarn.nodemanager.resource.memory-mb", nmMemoryMb);
    yarnConf.setBoolean("yarn.nodemanager.recovery.enabled", false);
    yarnConf.setLong("yarn.nodemanager.health-checker.interval-ms", 600000);

    // MiniYARNCluster works under target/<name> relative to the current directory (the launcher
    // cd's into the work directory) and deletes it first.
    MiniYARNCluster yarn = new MiniYARNCluster("skein-test-cluster", 1, 0, 1, 1);
    yarn.init(yarnConf);
    yarn.start();
    Configuration live = yarn.getConfig();
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (live.get(YarnConfiguration.RM_ADDRESS).endsWith(":0")
        || live.get(YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS).endsWith(":0")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("ResourceManager did not come up in 120 s");
      }
      Thread.sleep(100);
    }

    Configuration written = live;
    if (secure) {
      // The ResourceManager rewrote the web filter list of its own configuration (to its
      // RMAuthenticationFilterInitializer); the files keep the standard one, which the
      // ResourceManager's rewrite expects and the NodeManager's web server needs.
      written = new Configuration(live);
      kerberos.apply(written, secureSettings);
    }
    for (String f : new String[] {"core-site.xml", "hdfs-site.xml", "yarn-site.xml"}) {
      try (OutputStream os = new FileOutputStream(new File(confDir, f))) {
        written.writeXml(os);
      }
    }
    writeCapacitySchedulerXml(new File(confDir, "capacity-scheduler.xml"));

    Process nodeManager = startNodeManager(confDir, nmDir, kerberos);
    final MiniDFSCluster dfsToStop = dfs;
    final Path workPath = work.toPath();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("skein-test-cluster: stopping");
      stopNodeManager(nodeManager);
      killLeftovers(workPath);
      try {
        yarn.stop();
      } catch (Throwable t) {
        t.printStackTrace();
      }
      try {
        dfsToStop.shutdown();
      } catch (Throwable t) {
        t.printStackTrace();
      }
      if (kerberos != null) kerberos.stop();
      System.err.println("skein-test-cluster: stopped");
    }, "skein-test-cluster-stop"));
    while (yarn.getResourceManager().getResourceScheduler().getNumClusterNodes() < 1) {
      if (!nodeManager.isAlive()) {
        throw new IllegalStateException("the NodeManager exited with " + nodeManager.exitValue());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the NodeManager did not register in 120 s");
      }
      Thread.sleep(100);
    }

    String rmWebapp = live.get(YarnConfiguration.RM_WEBAPP_ADDRESS);
    String json = "{"
        + field("hadoop_version", VersionInfo.getVersion()) + ","
        + field("rm_address", live.get(YarnConfiguration.RM_ADDRESS)) + ","
        + field("rm_scheduler_address", live.get(YarnConfiguration.RM_SCHEDULER_ADDRESS)) + ","
        + field("rm_webapp", "http://" + rmWebapp) + ","
        + field("default_fs", defaultFs) + ","
        + field("nn_http", "http://" + (secure ? "localhost" : "127.0.0.1") + ":"
            + nnHttp.getPort()) + ","
        + field("conf_dir", confDir.getPath()) + ","
        + field("container_lib", containerLib) + ","
        + field("work_dir", work.getPath()) + ","
        + (secure ? secureFields(kerberos, tokenRenewMs, tokenMaxMs) : "")
        + "\"pid\":" + ProcessHandle.current().pid() + ","
        + "\"startup_ms\":" + (System.nanoTime() - started) / 1_000_000
        + "}";
    try (Writer w = new OutputStreamWriter(
        new FileOutputStream(new File(confDir, "cluster.json")), StandardCharsets.UTF_8)) {
      w.write(json);
    }
    System.out.println("READY " + json);
    System.out.flush();

    if (opts.containsKey("daemon")) {
      Thread.currentThread().join(); // until SIGTERM runs the shutdown hook
    }
    while (System.in.read() != -1) {
      // the parent closing our stdin is the signal to stop
    }
    System.exit(0);
  }

  /**
   * Starts the NodeManager JVM. It reads its configuration from confDir (first on its class path)
   * and exits when its stdin closes, so it never outlives this JVM.
   */
  private static Process startNodeManager(File confDir, File nmDir, SecureMode kerberos)
      throws IOException {
    if (!nmDir.mkdirs() && !nmDir.isDirectory()) throw new IOException("cannot create " + nmDir);
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Djava.net.preferIPv4Stack=true");
    for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens") || arg.startsWith("-XX:+IgnoreUnrecognized")) cmd.add(arg);
    }
    cmd.add("-Dhadoop.home.dir=" + nmDir.getPath());
    if (kerberos != null) {
      cmd.add("-Djava.security.krb5.conf=" + kerberos.krb5Conf.getPath());
    }
    String classPath = confDir.getPath() + File.pathSeparator + System.getProperty("java.class.path");
    if (kerberos != null) {
      // The NodeManager-only SecureIOUtils (see it), ahead of Hadoop's.
      classPath = nodeManagerClasses().getPath() + File.pathSeparator + classPath;
    }
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(NodeManagerMain.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.directory(nmDir);
    pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    return pb.start();
  }

  /** target/hadoop-V/nodemanager-classes, beside this class's target/hadoop-V/classes. */
  private static File nodeManagerClasses() throws IOException {
    try {
      File classes = new File(
          TestCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      File dir = new File(classes.getParentFile(), "nodemanager-classes");
      if (!new File(dir, "org/apache/hadoop/io/SecureIOUtils.class").isFile()) {
        throw new IOException(dir + " lacks SecureIOUtils: build with scripts/cluster build");
      }
      return dir;
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
  }

  /** Closes the NodeManager's stdin; it then stops every container and exits. */
  private static void stopNodeManager(Process nm) {
    try {
      nm.getOutputStream().close();
      if (!nm.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        System.err.println("skein-test-cluster: NodeManager still running after 60 s, killing it");
        nm.destroyForcibly();
        nm.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (IOException | InterruptedException e) {
      nm.destroyForcibly();
    }
  }

  /** Queues: root.default and root.fruit.{apples,bananas}, like Skein's own test cluster. */
  static Map<String, String> capacityScheduler() {
    Map<String, String> q = new LinkedHashMap<>();
    String p = "yarn.scheduler.capacity.";
    q.put(p + "maximum-am-resource-percent", "0.8");
    // Count vcores as well as memory, so containers get the vcores they ask for (the default
    // calculator grants 1 whatever the request, the mismatch behind dask-yarn#48).
    q.put(p + "resource-calculator",
        "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator");
    q.put(p + "node-locality-delay", "-1");
    q.put(p + "root.queues", "default,fruit");
    q.put(p + "root.default.capacity", "70");
    q.put(p + "root.fruit.capacity", "30");
    q.put(p + "root.fruit.queues", "apples,bananas");
    q.put(p + "root.fruit.apples.capacity", "50");
    q.put(p + "root.fruit.bananas.capacity", "50");
    for (String queue : new String[] {"root.default", "root.fruit", "root.fruit.apples",
        "root.fruit.bananas"}) {
      q.put(p + queue + ".maximum-capacity", "100");
      q.put(p + queue + ".user-limit-factor", "10");
      q.put(p + queue + ".state", "RUNNING");
      q.put(p + queue + ".acl_submit_applications", "*");
      q.put(p + queue + ".acl_administer_queue", "*");
    }
    return q;
  }

  private static void writeCapacitySchedulerXml(File file) throws IOException {
    Configuration c = new Configuration(false);
    for (Map.Entry<String, String> e : capacityScheduler().entrySet()) {
      c.set(e.getKey(), e.getValue());
    }
    try (OutputStream os = new FileOutputStream(file)) {
      c.writeXml(os);
    }
  }

  /**
   * Containers run as session leaders (setsid), so they do not die with this JVM. The NodeManager
   * kills them when it stops; anything still running with its working directory inside the
   * cluster's work directory after that is killed here.
   */
  private static void killLeftovers(Path work) {
    List<ProcessHandle> leftovers = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    ProcessHandle.allProcesses().forEach(ph -> {
      if (ph.pid() == self) return;
      try {
        Path cwd = Files.readSymbolicLink(Paths.get("/proc", Long.toString(ph.pid()), "cwd"));
        if (cwd.startsWith(work)) leftovers.add(ph);
      } catch (IOException | SecurityException | UnsupportedOperationException ignored) {
        // not ours, or already gone
      }
    });
    for (ProcessHandle ph : leftovers) {
      System.err.println("skein-test-cluster: killing leftover container process " + ph.pid()
          + " " + ph.info().commandLine().orElse(""));
      ph.destroyForcibly();
    }
  }

  /** cluster.json's fields of a secure cluster (each followed by a comma). */
  private static String secureFields(SecureMode k, Long tokenRenewMs, Long tokenMaxMs) {
    StringBuilder b = new StringBuilder();
    b.append("\"secure\":true,");
    b.append(field("realm", SecureMode.REALM)).append(',');
    b.append(field("kdc", k.kdcAddress())).append(',');
    b.append(field("krb5_conf", k.krb5Conf.getPath())).append(',');
    b.append(field("krb5ccname", "FILE:" + k.credentialCache.getPath())).append(',');
    b.append(field("test_user", SecureMode.USER)).append(',');
    b.append(field("test_principal", SecureMode.principal(SecureMode.USER))).append(',');
    b.append(field("test_keytab", k.keytab(SecureMode.USER).getPath())).append(',');
    b.append(field("test_user2", SecureMode.USER2)).append(',');
    b.append(field("test_principal2", SecureMode.principal(SecureMode.USER2))).append(',');
    b.append(field("test_keytab2", k.keytab(SecureMode.USER2).getPath())).append(',');
    b.append(field("rm_principal", SecureMode.principal(SecureMode.SERVICE))).append(',');
    b.append(field("nn_principal", SecureMode.principal(SecureMode.SERVICE))).append(',');
    b.append(field("nm_principal", SecureMode.principal(SecureMode.NODE_MANAGER))).append(',');
    b.append(field("http_principal", SecureMode.principal(SecureMode.HTTP))).append(',');
    b.append(field("service_keytab", k.keytab("hadoop").getPath())).append(',');
    b.append(field("http_keytab", k.keytab("HTTP").getPath())).append(',');
    b.append("\"ticket_lifetime_s\":").append(k.ticketLifetimeSeconds).append(',');
    b.append("\"token_renew_interval_ms\":")
        .append(tokenRenewMs == null ? 86_400_000L : tokenRenewMs).append(',');
    b.append("\"token_max_lifetime_ms\":")
        .append(tokenMaxMs == null ? 604_800_000L : tokenMaxMs).append(',');
    return b.toString();
  }

  private static Long seconds(String value) {
    return value == null ? null : Long.parseLong(value) * 1000L;
  }

  private static String field(String name, String value) {
    return "\"" + name + "\":\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String require(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null) throw new IllegalArgumentException("missing --" + key);
    return v;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String k = args[i].replaceFirst("^--", "");
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        m.put(k, args[++i]);
      } else {
        m.put(k, "true");
      }
    }
    return m;
  }
}
