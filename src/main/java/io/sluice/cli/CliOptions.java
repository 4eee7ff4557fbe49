package io.sluice.cli;

import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed command line: a command and the config overrides its flags give.
 *
 * <p>Precedence, lowest first: the built-in defaults, the config file ({@code --config}, else
 * {@code conf/sluice.json} when it exists), the dedicated flags ({@code --http-port} ...), then {@code --set}
 * (repeatable, applied in order).
 *
 * @param command the subcommand ({@code broker} when none is given)
 * @param configFile the file named by {@code --config}, if any
 * @param flagOverrides keys set by the dedicated flags
 * @param setOverrides keys set by {@code --set key=value}
 * @param help whether {@code --help} was given
 */
public record CliOptions(String command, Optional<Path> configFile, Map<String, String> flagOverrides,
    Map<String, String> setOverrides, boolean help) {

  public static final Path DEFAULT_CONFIG = Path.of("conf", "sluice.json");
  public static final List<String> COMMANDS = List.of("broker");
  private static final List<String> VALUE_OPTIONS = List.of("--config", "--http-port", "--broker-id", "--data-dir",
      "--zookeeper", "--set");

  /** Parses {@code args}; throws {@link UsageException} naming the bad argument. */
  public static CliOptions parse(String... args) {
    String command = null;
    Path config = null;
    Map<String, String> flags = new LinkedHashMap<>();
    Map<String, String> sets = new LinkedHashMap<>();
    boolean help = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("-")) {
        if (command != null) {
          throw new UsageException("Unexpected argument '" + arg + "'");
        }
        if (!COMMANDS.contains(arg)) {
          throw new UsageException("Unknown command '" + arg + "'; commands: " + COMMANDS);
        }
        command = arg;
        continue;
      }
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (name.equals("--help") || name.equals("-h")) {
        help = true;
        continue;
      }
      if (!VALUE_OPTIONS.contains(name)) {
        throw new UsageException("Unknown option '" + name + "'");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new UsageException("Option " + name + " needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "--config" -> config = Path.of(value);
        case "--http-port" -> flags.put(BrokerConfig.HTTP_PORT, number(name, value));
        case "--broker-id" -> flags.put(BrokerConfig.BROKER_ID, number(name, value));
        case "--data-dir" -> flags.put(BrokerConfig.LOG_DIRS, nonEmpty(name, value));
        case "--zookeeper" -> flags.put(BrokerConfig.ZOOKEEPER_CONNECT, nonEmpty(name, value));
        case "--set" -> {
          int kv = value.indexOf('=');
          if (kv <= 0) {
            throw new UsageException("--set needs key=value, got '" + value + "'");
          }
          sets.put(value.substring(0, kv).trim(), value.substring(kv + 1));
        }
        default -> throw new UsageException("Unknown option '" + name + "'");
      }
    }
    return new CliOptions(command == null ? "broker" : command, Optional.ofNullable(config), flags, sets, help);
  }

  /** The broker config these options describe: defaults &lt; file &lt; flags &lt; --set. */
  public BrokerConfig brokerConfig() {
    BrokerConfig base;
    if (configFile.isPresent()) {
      if (!Files.isRegularFile(configFile.get())) {
        throw new ConfigException(null, "Config file " + configFile.get() + " does not exist");
      }
      base = BrokerConfig.load(configFile.get());
    } else if (Files.isRegularFile(DEFAULT_CONFIG)) {
      base = BrokerConfig.load(DEFAULT_CONFIG);
    } else {
      base = BrokerConfig.defaults();
    }
    return base.with(flagOverrides).with(setOverrides);
  }

  private static String number(String flag, String value) {
    try {
      Integer.parseInt(value.trim());
      return value.trim();
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " needs a number, got '" + value + "'");
    }
  }

  private static String nonEmpty(String flag, String value) {
    if (value.isBlank()) {
      throw new UsageException(flag + " needs a value");
    }
    return value;
  }
}
