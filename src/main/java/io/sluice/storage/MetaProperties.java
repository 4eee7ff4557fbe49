package io.sluice.storage;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * The identity of a data directory, kept in {@code <data dir>/meta.properties} as Kafka keeps it: which cluster
 * and which broker the directory belongs to, so that a broker never serves a directory of another cluster or of
 * another broker id (whose logs would be taken for its own replicas).
 *
 * <p>Format: a Java properties file (ISO 8859-1, {@code key=value} lines):
 * <pre>
 *   version=1
 *   cluster.id=3f0c...      the id ZooKeeper holds at /sluice/cluster/id; absent until the broker first registered
 *   broker.id=1
 *   directory.id=9b2e...    random, made when the directory is first stamped; tells a broker's own earlier
 *                           registration (after a crash) from another broker's with the same id
 * </pre>
 *
 * <p>The file is replaced atomically (temporary file, fsync, rename, directory fsync): a crash leaves the old
 * identity or the new one. A file that cannot be parsed, or of an unknown version, is refused, never rewritten.
 *
 * <p>Immutable; {@link #read} and {@link #write} block on disk.
 */
public record MetaProperties(int version, Optional<String> clusterId, int brokerId, String directoryId) {
  public static final String FILE_NAME = "meta.properties";
  public static final int CURRENT_VERSION = 1;
  private static final String VERSION = "version";
  private static final String CLUSTER_ID = "cluster.id";
  private static final String BROKER_ID = "broker.id";
  private static final String DIRECTORY_ID = "directory.id";

  public MetaProperties {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(directoryId, "directoryId");
  }

  /** A new identity for a directory that has none yet: this broker id, a random directory id, no cluster yet. */
  public static MetaProperties fresh(int brokerId) {
    return new MetaProperties(CURRENT_VERSION, Optional.empty(), brokerId, UUID.randomUUID().toString());
  }

  /** This identity with {@code id} as its cluster id. */
  public MetaProperties withClusterId(String id) {
    return new MetaProperties(version, Optional.of(id), brokerId, directoryId);
  }

  /**
   * Reads {@code <dataDir>/meta.properties}; empty when the directory has none (new, or written by a Sluice that
   * kept no identity).
   *
   * @throws InvalidMetaPropertiesException if the file exists but is unreadable, malformed or of an unknown version
   */
  public static Optional<MetaProperties> read(Path dataDir) {
    Path file = dataDir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new InvalidMetaPropertiesException(file, "cannot be read: " + e);
    }
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      throw new InvalidMetaPropertiesException(file, "is not a properties file: " + e.getMessage());
    }
    int version = intValue(file, p, VERSION);
    if (version != CURRENT_VERSION) {
      throw new InvalidMetaPropertiesException(file, "has version " + version + "; this Sluice reads version "
          + CURRENT_VERSION);
    }
    String cluster = p.getProperty(CLUSTER_ID, "").trim();
    return Optional.of(new MetaProperties(version, cluster.isEmpty() ? Optional.empty() : Optional.of(cluster),
        intValue(file, p, BROKER_ID), required(file, p, DIRECTORY_ID)));
  }

  /** Writes this identity to {@code <dataDir>/meta.properties}, atomically and durably. */
  public void write(Path dataDir) {
    Properties p = new Properties();
    p.setProperty(VERSION, Integer.toString(version));
    clusterId.ifPresent(id -> p.setProperty(CLUSTER_ID, id));
    p.setProperty(BROKER_ID, Integer.toString(brokerId));
    p.setProperty(DIRECTORY_ID, directoryId);
    StringWriter out = new StringWriter();
    try {
      p.store(out, "Identity of this Sluice data directory: do not edit or copy to another broker");
      AtomicFile.replace(dataDir.resolve(FILE_NAME), dataDir.resolve(FILE_NAME + ".tmp"),
          out.toString().getBytes(StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + dataDir.resolve(FILE_NAME), e);
    }
  }

  private static int intValue(Path file, Properties p, String key) {
    String value = required(file, p, key);
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new InvalidMetaPropertiesException(file, "has " + key + "=" + value + ", not an integer");
    }
  }

  private static String required(Path file, Properties p, String key) {
    String value = p.getProperty(key, "").trim();
    if (value.isEmpty()) {
      throw new InvalidMetaPropertiesException(file, "has no " + key);
    }
    return value;
  }

  /** A {@code meta.properties} that exists but cannot be trusted: the broker refuses the directory. */
  public static final class InvalidMetaPropertiesException extends IllegalStateException {
    InvalidMetaPropertiesException(Path file, String problem) {
      super(file + " " + problem + "; fix or remove it only if this directory really belongs to this broker");
    }
  }
}
