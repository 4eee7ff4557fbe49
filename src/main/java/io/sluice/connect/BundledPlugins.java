package io.sluice.connect;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The connector plugins that ship inside the broker (Debezium's PostgreSQL connector): jars under
 * {@code sluice-plugins/<plugin>/} among the broker's resources, in {@code sluice.jar} or a class directory. A class
 * loader cannot load a jar inside a jar, so they are copied to a directory of the data directory at start and
 * loaded from there like any {@code plugin.path} entry, each plugin in its own class loader.
 */
final class BundledPlugins {
  static final String RESOURCE = "sluice-plugins";

  private BundledPlugins() {
  }

  /** Copies the bundled plugins to {@code target} (unless already there) and returns it; null when none ship. */
  static Path extract(Path target) throws IOException {
    URL url = BundledPlugins.class.getClassLoader().getResource(RESOURCE);
    if (url == null) {
      return null;
    }
    URI uri;
    try {
      uri = url.toURI();
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    if (uri.getScheme().equals("jar")) {
      synchronized (BundledPlugins.class) { // one open file system per jar: brokers of one JVM take turns
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
          copy(jar.getPath(RESOURCE), target);
        }
      }
    } else {
      copy(Path.of(uri), target);
    }
    return target;
  }

  private static void copy(Path from, Path to) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(from)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      Path dest = to.resolve(from.relativize(f).toString());
      if (Files.exists(dest) && Files.size(dest) == Files.size(f)) {
        continue; // a release's jars carry their version in their names: same name and size is the same jar
      }
      Files.createDirectories(dest.getParent());
      Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
      try (InputStream in = Files.newInputStream(f)) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot copy bundled plugin file " + f + " to " + dest, e);
      }
      Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
