package io.sluice.cli;

import java.util.HashMap;
import java.util.Map;

/** The {@code --name value} pairs of a subcommand's arguments (users, cluster, zookeeper-security-migration). */
final class NameValueOptions {
  private NameValueOptions() {
  }

  /**
   * {@code args} from {@code from} on as name to value (the name without its dashes).
   *
   * @throws UsageException naming the first argument that is not a {@code --name} followed by a value
   */
  static Map<String, String> parse(String[] args, int from) {
    Map<String, String> options = new HashMap<>();
    for (int i = from; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new UsageException("expected --name value, got '" + args[i] + "'");
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }
}
