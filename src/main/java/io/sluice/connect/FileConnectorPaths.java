package io.sluice.connect;

import io.sluice.config.BrokerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Confines Kafka's FileStream connectors to the directories of {@code connect.file.allowed.paths}: their {@code file}
 * is opened by the broker's process, so without a bound any HTTP client could read any file the broker can read
 * (FileStreamSource into a topic) or append to any file it can write (FileStreamSink). Kafka took them off Connect's
 * default class path for that (KAFKA-13748); Sluice ships them, so it confines them instead. Checked when a config is
 * validated and again when a task starts (a config written under an older setting, a symlink swapped in since).
 */
final class FileConnectorPaths {
  static final String FILE = "file";
  private static final Set<String> CLASSES = Set.of("org.apache.kafka.connect.file.FileStreamSourceConnector",
      "org.apache.kafka.connect.file.FileStreamSinkConnector");

  private final List<Path> allowed;

  FileConnectorPaths(List<Path> allowed) {
    this.allowed = List.copyOf(allowed);
  }

  /** The directories of the setting's comma-separated value (blank entries skipped). */
  static FileConnectorPaths parse(String setting) {
    return new FileConnectorPaths(ConnectorConfigs.parseList(setting).stream().map(Path::of).toList());
  }

  static boolean confines(String connectorClass) {
    return CLASSES.contains(connectorClass);
  }

  /**
   * Why {@code config}'s file may not be used by the connector class {@code connectorClass}, or null when it may (or
   * the class is not a FileStream connector). Reads the file system: call it off the event loop.
   */
  String refusal(String connectorClass, Map<String, String> config) {
    if (!confines(connectorClass)) {
      return null;
    }
    String setting = BrokerConfig.CONNECT_FILE_ALLOWED_PATHS;
    if (allowed.isEmpty()) {
      return "The FileStream connectors are refused on this broker: name the directories they may use in " + setting;
    }
    String file = config.get(FILE);
    if (file == null || file.isBlank()) {
      // Kafka's FileStreamSource reads the worker's standard input then, its sink writes the standard output
      return "A file must be named, inside " + setting + " " + allowed;
    }
    Path real;
    try {
      real = resolve(Path.of(file));
    } catch (IOException | RuntimeException e) {
      return "The file " + file + " cannot be resolved (" + e + "); it must be inside " + setting + " " + allowed;
    }
    for (Path dir : allowed) {
      Path realDir = realOrNull(dir);
      if (realDir != null && real.startsWith(realDir) && !real.equals(realDir)) {
        return null;
      }
    }
    return "The file " + file + " (" + real + ") is not inside " + setting + " " + allowed;
  }

  /**
   * The path the operating system would open: each existing component's real path (symlinks followed, so a link
   * inside an allowed directory pointing out is seen outside), {@code ..} taken after the links before it, as the
   * kernel does; components that do not exist yet (a sink's new file) appended as they are.
   */
  static Path resolve(Path file) throws IOException {
    Path abs = file.toAbsolutePath();
    Path current = abs.getRoot();
    for (Path part : abs) {
      String name = part.toString();
      if (name.equals("..")) {
        current = current.getParent() == null ? current : current.getParent();
      } else if (!name.equals(".")) {
        Path next = current.resolve(name);
        // a dangling link exists without its target: toRealPath throws, so it is refused, never created through
        current = Files.exists(next, LinkOption.NOFOLLOW_LINKS) ? next.toRealPath() : next;
      }
    }
    return current;
  }

  private static Path realOrNull(Path dir) {
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      return null; // a directory not made yet allows nothing
    }
  }
}
