// Creates SCRAM-SHA-512 credentials in ZooKeeper for several users in ONE JVM (ConfigCommand takes one user per
// run, and a JVM start costs seconds). Passwords are read from files, so they never appear on a command line.
// Compiled once by local/cluster.ts; usage:
//   java -cp "<classes>:<kafka libs>/*" -Djava.security.auth.login.config=<JAAS with a Client section> \
//     ScramCredentials <zookeeper connect> <user>=<password file> ...
import java.nio.file.Files;
import java.nio.file.Path;

public class ScramCredentials {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: ScramCredentials <zookeeper connect> <user>=<password file> ...");
      System.exit(2);
    }
    for (int i = 1; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      String user = args[i].substring(0, eq);
      String password = Files.readString(Path.of(args[i].substring(eq + 1))).trim();
      kafka.admin.ConfigCommand.main(new String[] {
        "--zookeeper", args[0], "--alter", "--entity-type", "users", "--entity-name", user,
        "--add-config", "SCRAM-SHA-512=[password=" + password + "]",
      });
    }
  }
}
