// Creates or replaces SCRAM-SHA-512 credentials in ZooKeeper for several users in ONE JVM (ConfigCommand takes one
// user per run, and a JVM start costs seconds). Passwords are read from files, so they never appear on a command line.
// Compiled once by local/cluster.ts; usage:
//   java -cp "<classes>:<kafka libs>/*" -Djava.security.auth.login.config=<JAAS with a Client section> \
//     ScramCredentials <zookeeper connect> <user>=<password file>[=<new password file>] ...
// A new password file (a rotation) is moved over the password file, atomically, only once ConfigCommand has run once
// (its classes loaded, a ZooKeeper session made), so clients reading the password file get the new password only
// moments before ZooKeeper has it.
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

public class ScramCredentials {
  private static final String WARM_UP_USER = "scram-credentials-warm-up";

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: ScramCredentials <zookeeper connect> <user>=<password file>[=<new password file>] ...");
      System.exit(2);
    }
    for (int i = 1; i < args.length; i++) {
      String[] parts = args[i].split("=", 3);
      Path passwordFile = Path.of(parts[1]);
      if (parts.length == 3) {
        // A user without credentials: describing a real one would print its salted keys.
        kafka.admin.ConfigCommand.main(new String[] {
          "--zookeeper", args[0], "--describe", "--entity-type", "users", "--entity-name", WARM_UP_USER,
        });
        Files.move(Path.of(parts[2]), passwordFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      String password = Files.readString(passwordFile).trim();
      kafka.admin.ConfigCommand.main(new String[] {
        "--zookeeper", args[0], "--alter", "--entity-type", "users", "--entity-name", parts[0],
        "--add-config", "SCRAM-SHA-512=[password=" + password + "]",
      });
    }
  }
}
