package io.sluice.broker;

import io.vertx.core.file.FileSystemOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where Vert.x unpacks the files it serves from the jar (the dashboard, the OpenAPI document): a directory under the
 * broker's data directory instead of {@code java.io.tmpdir}. Vert.x names each start's cache afresh and deletes it only
 * at a clean close, so every killed broker left a copy in the temporary directory for good; under the data directory,
 * which {@link DataDirectoryLock} gives to one broker at a time, a start deletes what an earlier one left.
 */
final class VertxFileCache {
  static final String DIR_NAME = "cache";
  private static final String VERTX_PREFIX = "vertx-cache-";

  private VertxFileCache() {
  }

  /** Vert.x appends {@code -<random UUID>} to the directory it is given: {@code <data-dir>/cache/vertx-cache-<UUID>}. */
  static FileSystemOptions options(Path dataDir) {
    return new FileSystemOptions().setFileCacheDir(dataDir.resolve(DIR_NAME).resolve("vertx-cache").toString());
  }

  /** Deletes the caches of earlier starts. Blocks on disk; only while holding the data directory's lock. */
  static void clearLeftovers(Path dataDir) {
    Path root = dataDir.resolve(DIR_NAME);
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> children = Files.list(root)) {
      for (Path leftover : children.filter(p -> p.getFileName().toString().startsWith(VERTX_PREFIX)).toList()) {
        deleteTree(leftover);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot clear Vert.x's file cache in " + root, e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : paths) {
      Files.deleteIfExists(p);
    }
  }
}
