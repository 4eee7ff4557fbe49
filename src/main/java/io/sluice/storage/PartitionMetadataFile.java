package io.sluice.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The id of the topic a partition directory belongs to, in {@code <log dir>/partition.metadata} (Kafka's name and
 * layout, KIP-516): two lines of text, {@code version: 0} and {@code topic_id: <id>}.
 *
 * <p>Why: a directory is named after the topic's name, which a later topic may reuse. A delete that did not finish
 * (a broker down while its topic was deleted, a crash mid-delete, a failed rename) leaves a directory that a topic
 * created again under the same name would otherwise adopt, old records and all. With the id stamped, the new topic
 * sees another id and discards the directory instead. Written as Tape writes files: temp file, fsync, atomic
 * rename, fsync of the directory. Not thread-safe; the {@link LogManager} opening the log calls it.
 */
final class PartitionMetadataFile {
  static final String FILE = "partition.metadata";
  private static final String VERSION_LINE = "version: 0";
  private static final String ID_PREFIX = "topic_id: ";

  private PartitionMetadataFile() {
  }

  /** The topic id stamped in {@code logDir}, or empty if the directory carries none (made before ids existed). */
  static Optional<String> read(Path logDir) throws IOException {
    Files.deleteIfExists(logDir.resolve(FILE + ".tmp"));
    return peek(logDir);
  }

  /**
   * The same, leaving the directory as it is: for a look at directories a log may be opening meanwhile, whose
   * {@link #write} a removal of its temp file would break.
   */
  static Optional<String> peek(Path logDir) throws IOException {
    Path file = logDir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.startsWith(ID_PREFIX)) {
        return Optional.of(line.substring(ID_PREFIX.length()).trim());
      }
    }
    throw new IOException("Unreadable partition metadata " + file + ": no topic_id line");
  }

  static void write(Path logDir, String topicId) throws IOException {
    byte[] text = (VERSION_LINE + "\n" + ID_PREFIX + topicId + "\n").getBytes(StandardCharsets.UTF_8);
    AtomicFile.replace(logDir.resolve(FILE), logDir.resolve(FILE + ".tmp"), text);
  }
}
