package io.sluice.cli;

import java.io.PrintStream;
import java.util.Map;

/**
 * The front every {@code sluice NAME ...} command of {@code --name value} options shares (users, cluster,
 * zookeeper-security-migration), so that they answer a bad command line alike: {@code --help} prints the usage
 * (exit 0), no argument at all prints it too for a command of verbs (exit 2); a malformed or missing option, or an
 * unknown verb, is one line naming it followed by the usage on stderr (exit 2); a failure of the command itself is
 * one line (exit 1).
 *
 * @param name how messages begin, e.g. {@code "sluice users"}
 * @param usage the command's usage text
 * @param verbs whether the first argument is a verb ({@code set}, {@code unregister}, ...) before the options
 */
record Subcommand(String name, String usage, boolean verbs) {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  /** What a command does once its options are parsed; throws {@link UsageException} for a bad command line. */
  interface Action {
    int run(String verb, Map<String, String> options) throws Exception;
  }

  /** Parses {@code args}, runs {@code action} with them and returns the exit code. */
  int run(String[] args, PrintStream out, PrintStream err, Action action) {
    boolean help = args.length > 0 && args[0].equals("--help");
    if (help || verbs && args.length == 0) {
      out.print(usage);
      return help ? EXIT_OK : EXIT_USAGE;
    }
    try {
      Map<String, String> options = NameValueOptions.parse(args, verbs ? 1 : 0);
      return action.run(verbs ? args[0] : null, options);
    } catch (UsageException e) {
      err.println(name + ": " + e.getMessage() + "\n" + usage);
      return EXIT_USAGE;
    } catch (Exception e) {
      err.println(name + ": " + e.getMessage());
      return EXIT_FAILED;
    }
  }
}
