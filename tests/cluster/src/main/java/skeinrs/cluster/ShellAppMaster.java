package skeinrs.cluster;

import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.AMRMClient;
import org.apache.hadoop.yarn.client.api.AMRMClient.ContainerRequest;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * The smallest real ApplicationMaster: registers with the ResourceManager, runs one shell
 * command in its own container, and unregisters SUCCEEDED or FAILED by the command's exit code.
 * The tests submit it through the REST API to prove that containers run Java with Hadoop's
 * client classes from yarn.application.classpath, which is what skein's AM shim needs.
 *
 * <p>Usage: java skeinrs.cluster.ShellAppMaster 'shell command'
 */
public final class ShellAppMaster {
  private ShellAppMaster() {}

  public static void main(String[] args) throws Exception {
    String command = String.join(" ", args);
    AMRMClient<ContainerRequest> rm = AMRMClient.createAMRMClient();
    rm.init(new YarnConfiguration());
    rm.start();
    String host = System.getenv().getOrDefault("NM_HOST", "localhost");
    rm.registerApplicationMaster(host, 0, "");
    Process process = new ProcessBuilder("bash", "-c", command).inheritIO().start();
    int exit = process.waitFor();
    FinalApplicationStatus status =
        exit == 0 ? FinalApplicationStatus.SUCCEEDED : FinalApplicationStatus.FAILED;
    rm.unregisterApplicationMaster(status, "shell command exited with " + exit, null);
    rm.stop();
    System.exit(exit);
  }
}
