package io.sluice.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;

/**
 * Loads RocksDB's native library without leaving a copy behind. {@link RocksDB#loadLibrary()} extracts the 14 MB
 * library from its jar to a new file in {@code java.io.tmpdir} on every start and deletes it only at a normal exit:
 * every broker killed or crashed left one (620 of them, 8.7 GB, on a test machine). Here it is extracted into a
 * directory of its own, loaded, and deleted at once: a loaded library stays mapped after its file is gone.
 * Call {@link #load()} before any RocksDB object is made.
 */
public final class RocksNative {
  private static boolean loaded;

  private RocksNative() {
  }

  public static synchronized void load() {
    if (loaded) {
      return;
    }
    Path dir = null;
    try {
      dir = Files.createTempDirectory("sluice-rocksdb-");
      NativeLibraryLoader.getInstance().loadLibrary(dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot extract RocksDB's native library", e);
    } finally {
      deleteQuietly(dir);
    }
    RocksDB.loadLibrary(); // marks it loaded for RocksDB's own checks; the library is in, nothing is extracted again
    loaded = true;
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a file left in a temporary directory is the old behaviour, not a reason to fail the start
    }
  }
}
