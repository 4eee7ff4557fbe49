package io.sluice.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URL;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's native library without leaving a copy behind. {@link RocksDB#loadLibrary()} extracts the 14 MB
 * library from its jar to a new file in {@code java.io.tmpdir} on every start and deletes it only at a normal exit:
 * every broker killed or crashed left one (620 of them, 8.7 GB, on a test machine). Here it is extracted into a
 * directory of its own, loaded, and deleted at once: a loaded library stays mapped after its file is gone.
 * Call {@link #load()} before any RocksDB object is made.
 *
 * <p>With a cache directory ({@link #cacheIn}, the broker's {@code rocksdb.native.dir}) the library is extracted
 * there once and loaded from there on every later start ({@link NativeLibraryCache}): inflating and writing 14 MB
 * took a noticeable part of a start. Any failure of the cache (not in a jar, a read-only directory, a library that
 * will not load from there) falls back to the extraction above.
 */
public final class RocksNative {
  private static final Logger LOG = Logger.getLogger(RocksNative.class.getName());
  private static boolean loaded;
  private static Path cacheDir;

  private RocksNative() {
  }

  /** Where {@link #load()} keeps the library extracted across starts; no effect once it is loaded. */
  public static synchronized void cacheIn(Path dir) {
    cacheDir = dir;
  }

  public static synchronized void load() {
    if (loaded) {
      return;
    }
    if (cacheDir != null && loadCached(cacheDir)) {
      loaded = true;
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

  private static boolean loadCached(Path root) {
    String resource = Environment.getJniLibraryFileName("rocksdb");
    URL library = RocksDB.class.getClassLoader().getResource(resource);
    try {
      if (library == null) {
        throw new IOException(resource + " is not on the class path");
      }
      // Named as RocksDB.loadLibrary(paths) looks for it in each path (its own name for the file, not the jar's).
      Path dir = NativeLibraryCache.ensure(root, library, "rocksdbjni", Environment.getJniLibraryFileName("rocksdbjni"));
      RocksDB.loadLibrary(List.of(dir.toString()));
      return true;
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      LOG.log(Level.WARNING, "RocksDB's native library cannot be kept in " + root + " (" + e
          + "); extracting it for this start only");
      return false;
    }
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
