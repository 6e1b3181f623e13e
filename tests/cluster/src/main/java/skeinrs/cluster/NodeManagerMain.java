package skeinrs.cluster;

import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;

/**
 * The test cluster's NodeManager, in a JVM of its own. It stops (killing every container) when
 * its stdin reaches EOF, that is when the cluster JVM that started it goes away, however it went.
 */
public final class NodeManagerMain {
  private NodeManagerMain() {}

  public static void main(String[] args) throws Exception {
    NodeManager nm = new NodeManager();
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // keep reading until the parent closes the pipe
        }
      } catch (java.io.IOException ignored) {
        // a broken pipe means the parent is gone, too
      }
      System.err.println("skein-test-cluster: stopping the NodeManager");
      try {
        nm.stop();
      } finally {
        System.exit(0);
      }
    }, "parent-watcher");
    watcher.setDaemon(true);
    YarnConfiguration conf = new YarnConfiguration();
    nm.init(conf);
    nm.start();
    watcher.start();
  }
}
