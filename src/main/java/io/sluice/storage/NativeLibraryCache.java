package io.sluice.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.JarEntry;
import java.util.stream.Stream;

/**
 * A native library kept extracted from its jar under a directory of its own, so that a start reuses it instead of
 * inflating and writing it again (RocksDB's is 14 MB). Layout: {@code <root>/<prefix>-<crc32 hex>-<size>/<file>},
 * named by the jar entry's CRC-32 and size, which the jar's directory gives without reading the entry: a jar of
 * another version names another directory, is extracted there, and the directories of other versions are deleted.
 * A file is written to a temporary name and renamed, so a crash mid-write leaves no file under the final name; a
 * file of the wrong size (truncated by other means) is written again. Not thread-safe across processes beyond that:
 * two that extract at once both rename a whole file into place.
 */
final class NativeLibraryCache {
  private NativeLibraryCache() {
  }

  /**
   * The directory under {@code root} that holds {@code library} (a {@code jar:} URL) as {@code fileName},
   * extracted if it was not already there.
   *
   * @throws IOException when the library is not in a jar, or the directory cannot be read or written
   */
  static Path ensure(Path root, URL library, String prefix, String fileName) throws IOException {
    URLConnection connection = library.openConnection();
    if (!(connection instanceof JarURLConnection jar)) {
      throw new IOException(library + " is not in a jar");
    }
    jar.setUseCaches(false); // the JarFile is closed with the stream, not kept open for the life of the JVM
    JarEntry entry = jar.getJarEntry();
    if (entry.getSize() < 0 || entry.getCrc() < 0) {
      throw new IOException(library + " has no size or CRC in its jar's directory");
    }
    Path dir = root.resolve(String.format("%s-%08x-%d", prefix, entry.getCrc(), entry.getSize()));
    Path file = dir.resolve(fileName);
    if (Files.isRegularFile(file) && Files.size(file) == entry.getSize()) {
      jar.getJarFile().close();
      return dir;
    }
    Files.createDirectories(dir);
    Path partial = Files.createTempFile(dir, fileName, ".partial");
    try (InputStream in = jar.getInputStream()) {
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(partial);
    }
    deleteOtherVersions(root, prefix, dir);
    return dir;
  }

  private static void deleteOtherVersions(Path root, String prefix, Path keep) throws IOException {
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path other : dirs.filter(p -> !p.equals(keep) && p.getFileName().toString().startsWith(prefix + "-"))
          .toList()) {
        IndexStore.deleteRecursively(other);
      }
    }
  }
}
