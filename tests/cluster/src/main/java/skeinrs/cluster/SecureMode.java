package skeinrs.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.minikdc.MiniKdc;

/**
 * The secure (Kerberized) mode of the test cluster: a KDC (Hadoop's MiniKdc, Apache Kerby) on an
 * ephemeral TCP port, principals and keytabs for the daemons and two test users, a krb5.conf of
 * the cluster's own, and the Hadoop settings that turn on Kerberos RPC, service authorization,
 * block access tokens, SASL data transfer and SPNEGO on every web endpoint.
 *
 * <p>Principals (realm EXAMPLE.COM):
 *
 * <ul>
 *   <li>{@code hadoop/localhost}: the NameNode, the DataNode and the ResourceManager. They share
 *       one JVM, and Hadoop's login user is one per JVM (an RPC server announces the JVM's login
 *       user as its principal), so they share one principal; its short name is {@code hadoop},
 *       the HDFS superuser and the renewer of delegation tokens the ResourceManager renews.
 *   <li>{@code nm/localhost}: the NodeManager (a JVM of its own), short name {@code hadoop}
 *       too, as a real cluster's rm/ and nm/ principals both map to {@code yarn}.
 *   <li>{@code HTTP/localhost}: SPNEGO of the NameNode (WebHDFS), ResourceManager and NodeManager
 *       web endpoints. Web clients must use {@code localhost} in their URLs.
 *   <li>{@code skein} (the test user; may impersonate {@code alice}, not {@code bob}) and
 *       {@code alice} (a second user).
 * </ul>
 *
 * <p>Everything lives in the cluster's work directory: {@code krb5.conf}, {@code keytabs/*.keytab},
 * the credential cache {@code krb5cc} named in {@code krb5.conf} (default_ccache_name), and the
 * web authentication secret. Nothing is written to /etc or any global Kerberos file.
 */
final class SecureMode {
  static final String REALM = "EXAMPLE.COM";
  static final String SERVICE = "hadoop/localhost";
  static final String NODE_MANAGER = "nm/localhost";
  static final String HTTP = "HTTP/localhost";
  static final String USER = "skein";
  static final String USER2 = "alice";

  final MiniKdc kdc;
  final File krb5Conf;
  final File credentialCache;
  final File keytabDir;
  final long ticketLifetimeSeconds;

  private SecureMode(MiniKdc kdc, File krb5Conf, File credentialCache, File keytabDir,
      long ticketLifetimeSeconds) {
    this.kdc = kdc;
    this.krb5Conf = krb5Conf;
    this.credentialCache = credentialCache;
    this.keytabDir = keytabDir;
    this.ticketLifetimeSeconds = ticketLifetimeSeconds;
  }

  /**
   * Starts the KDC, creates every principal and keytab and writes krb5.conf; points this JVM's
   * Kerberos at that krb5.conf. Call before anything touches Hadoop's UserGroupInformation.
   */
  static SecureMode start(File work, long ticketLifetimeSeconds) throws Exception {
    File kdcDir = new File(work, "kdc");
    File keytabDir = new File(work, "keytabs");
    for (File d : new File[] {kdcDir, keytabDir}) {
      if (!d.mkdirs() && !d.isDirectory()) throw new IOException("cannot create " + d);
    }
    File[] old = keytabDir.listFiles();
    if (old != null) {
      for (File f : old) Files.deleteIfExists(f.toPath());
    }
    Properties kdcConf = MiniKdc.createConf();
    kdcConf.setProperty(MiniKdc.KDC_BIND_ADDRESS, "localhost");
    kdcConf.setProperty(MiniKdc.KDC_PORT, "0");
    kdcConf.setProperty(MiniKdc.TRANSPORT, "TCP");
    // Kerby reads these in seconds (MiniKdc's own defaults are written as if milliseconds).
    kdcConf.setProperty(MiniKdc.MAX_TICKET_LIFETIME, Long.toString(ticketLifetimeSeconds));
    // Kerby compares this with milliseconds: 1 lets a test ask for tickets of a few seconds.
    kdcConf.setProperty(MiniKdc.MIN_TICKET_LIFETIME, "1");
    MiniKdc kdc = new MiniKdc(kdcConf, kdcDir);
    kdc.start();

    kdc.createPrincipal(new File(keytabDir, "hadoop.keytab"), SERVICE);
    kdc.createPrincipal(new File(keytabDir, "nm.keytab"), NODE_MANAGER);
    kdc.createPrincipal(new File(keytabDir, "HTTP.keytab"), HTTP);
    kdc.createPrincipal(new File(keytabDir, USER + ".keytab"), USER);
    kdc.createPrincipal(new File(keytabDir, USER2 + ".keytab"), USER2);

    // A ticket of a previous run's KDC is useless with this one's keys: start with no cache.
    File credentialCache = new File(work, "krb5cc");
    Files.deleteIfExists(credentialCache.toPath());
    File krb5Conf = new File(work, "krb5.conf");
    writeKrb5Conf(krb5Conf, kdc.getPort(), ticketLifetimeSeconds, credentialCache);
    // This JVM's Kerberos (UserGroupInformation, SPNEGO) reads the cluster's krb5.conf.
    System.setProperty("java.security.krb5.conf", krb5Conf.getPath());

    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    StringBuilder hex = new StringBuilder();
    for (byte b : secret) hex.append(String.format("%02x", b));
    File secretFile = new File(work, "http-auth-secret");
    Files.write(secretFile.toPath(), hex.toString().getBytes(StandardCharsets.US_ASCII));
    return new SecureMode(kdc, krb5Conf, credentialCache, keytabDir, ticketLifetimeSeconds);
  }

  private static void writeKrb5Conf(File file, int port, long lifetime, File ccache)
      throws IOException {
    String text = "# The skein-rs secure test cluster's Kerberos client configuration:\n"
        + "# KRB5_CONFIG=" + file.getPath() + " (MIT), -Djava.security.krb5.conf=... (Java).\n"
        + "[libdefaults]\n"
        + "  default_realm = " + REALM + "\n"
        + "  dns_lookup_kdc = false\n"
        + "  dns_lookup_realm = false\n"
        + "  dns_canonicalize_hostname = false\n"
        + "  rdns = false\n"
        + "  udp_preference_limit = 1\n"
        + "  ticket_lifetime = " + lifetime + "\n"
        + "  renew_lifetime = " + Math.max(lifetime, 2 * 24 * 3600L) + "\n"
        + "  forwardable = true\n"
        + "  default_ccache_name = FILE:" + ccache.getPath() + "\n"
        + "\n"
        + "[realms]\n"
        + "  " + REALM + " = {\n"
        + "    kdc = 127.0.0.1:" + port + "\n"
        + "  }\n"
        + "\n"
        + "[domain_realm]\n"
        + "  localhost = " + REALM + "\n"
        + "  .localhost = " + REALM + "\n";
    Files.write(file.toPath(), text.getBytes(StandardCharsets.UTF_8));
  }

  static String principal(String name) {
    return name + "@" + REALM;
  }

  File keytab(String name) {
    return new File(keytabDir, name + ".keytab");
  }

  String kdcAddress() {
    return "127.0.0.1:" + kdc.getPort();
  }

  /**
   * auth_to_local: the NodeManager's principal maps to the ResourceManager's short name (as
   * Hadoop's secure-mode guide maps rm/ and nm/ to yarn: the NodeManager checks tokens whose
   * renewer is the ResourceManager); every other principal of the realm to its first component.
   */
  static String authToLocal() {
    String realm = REALM.replace(".", "\\.");
    return "RULE:[2:$1/$2@$0](nm/.*@" + realm + ")s/.*/hadoop/\n"
        + "RULE:[1:$1@$0](.*@" + realm + ")s/@.*//\n"
        + "RULE:[2:$1@$0](.*@" + realm + ")s/@.*//\n"
        + "DEFAULT";
  }

  /**
   * The settings of a secure cluster, for core-site, hdfs-site and yarn-site alike.
   *
   * @param tokenRenewIntervalMs delegation token renew interval (HDFS and YARN), or null for
   *     Hadoop's default (1 day)
   * @param tokenMaxLifetimeMs delegation token maximum lifetime, or null for Hadoop's (7 days)
   */
  Map<String, String> hadoopSettings(File work, Long tokenRenewIntervalMs,
      Long tokenMaxLifetimeMs) {
    Map<String, String> c = new LinkedHashMap<>();
    String service = principal(SERVICE);
    String serviceKeytab = keytab("hadoop").getPath();
    String http = principal(HTTP);
    String httpKeytab = keytab("HTTP").getPath();

    c.put("hadoop.security.authentication", "kerberos");
    c.put("hadoop.security.authorization", "true");
    c.put("hadoop.security.auth_to_local", authToLocal());
    c.put("hadoop.rpc.protection", "authentication");
    // The daemons log in again from their keytabs before their tickets end (short tickets).
    c.put("hadoop.kerberos.keytab.login.autorenewal.enabled", "true");
    // Web endpoints: SPNEGO everywhere. The ResourceManager swaps this initializer for
    // RMAuthenticationFilterInitializer (kerberos + its delegation tokens + doAs), because
    // yarn.resourcemanager.webapp.delegation-token-auth-filter.enabled is true.
    c.put("hadoop.http.filter.initializers",
        "org.apache.hadoop.security.AuthenticationFilterInitializer");
    c.put("hadoop.http.authentication.type", "kerberos");
    c.put("hadoop.http.authentication.simple.anonymous.allowed", "false");
    c.put("hadoop.http.authentication.kerberos.principal", http);
    c.put("hadoop.http.authentication.kerberos.keytab", httpKeytab);
    c.put("hadoop.http.authentication.kerberos.name.rules", authToLocal());
    // One signing secret for every web server: a hadoop.auth cookie of one is valid at another
    // (they all live on localhost, and cookies ignore ports).
    c.put("hadoop.http.authentication.signature.secret.file",
        new File(work, "http-auth-secret").getPath());
    // As on the simple cluster: the test user may act as `alice`, not as `bob`.
    c.put("hadoop.proxyuser." + USER + ".hosts", "*");
    c.put("hadoop.proxyuser." + USER + ".users", USER2);

    // HDFS
    c.put("dfs.block.access.token.enable", "true");
    c.put("dfs.namenode.kerberos.principal", service);
    c.put("dfs.namenode.keytab.file", serviceKeytab);
    c.put("dfs.namenode.kerberos.internal.spnego.principal", http);
    c.put("dfs.datanode.kerberos.principal", service);
    c.put("dfs.datanode.keytab.file", serviceKeytab);
    c.put("dfs.web.authentication.kerberos.principal", http);
    c.put("dfs.web.authentication.kerberos.keytab", httpKeytab);
    // SASL on the DataNode's data transfer; its ports are not privileged, and HTTP stays plain.
    c.put("dfs.data.transfer.protection", "authentication");
    c.put("dfs.http.policy", "HTTP_ONLY");
    c.put("ignore.secure.ports.for.testing", "true");

    // YARN
    c.put("yarn.resourcemanager.principal", service);
    c.put("yarn.resourcemanager.keytab", serviceKeytab);
    c.put("yarn.resourcemanager.webapp.spnego-principal", http);
    c.put("yarn.resourcemanager.webapp.spnego-keytab-file", httpKeytab);
    c.put("yarn.resourcemanager.webapp.delegation-token-auth-filter.enabled", "true");
    c.put("yarn.nodemanager.principal", principal(NODE_MANAGER));
    c.put("yarn.nodemanager.keytab", keytab("nm").getPath());
    c.put("yarn.nodemanager.webapp.spnego-principal", http);
    c.put("yarn.nodemanager.webapp.spnego-keytab-file", httpKeytab);
    // Containers run as the NodeManager's OS user (DefaultContainerExecutor) on a machine with
    // no cluster-wide /etc/krb5.conf of this realm: give them the cluster's, for MIT libraries
    // (KRB5_CONFIG) and for Java (UserGroupInformation needs the default realm). And, as on a
    // real cluster, no ticket: an empty in-memory credential cache (MIT; Java finds no file by
    // that name), never the submitter's cache that krb5.conf's default_ccache_name names.
    c.put("yarn.nodemanager.admin-env",
        "MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX,KRB5_CONFIG=" + krb5Conf.getPath()
            + ",KRB5CCNAME=MEMORY:container"
            + ",JAVA_TOOL_OPTIONS=-Djava.security.krb5.conf=" + krb5Conf.getPath());

    if (tokenRenewIntervalMs != null) {
      c.put("dfs.namenode.delegation.token.renew-interval", tokenRenewIntervalMs.toString());
      c.put("yarn.resourcemanager.delegation.token.renew-interval",
          tokenRenewIntervalMs.toString());
    }
    if (tokenMaxLifetimeMs != null) {
      c.put("dfs.namenode.delegation.token.max-lifetime", tokenMaxLifetimeMs.toString());
      c.put("yarn.resourcemanager.delegation.token.max-lifetime", tokenMaxLifetimeMs.toString());
    }
    return c;
  }

  void apply(Configuration conf, Map<String, String> settings) {
    for (Map.Entry<String, String> e : settings.entrySet()) conf.set(e.getKey(), e.getValue());
  }

  void stop() {
    try {
      kdc.stop();
    } catch (Throwable t) {
      t.printStackTrace();
    }
  }
}
