package io.sluice.connect;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The connector plugins that ship inside the broker (Debezium's PostgreSQL connector): jars under
 * {@code sluice-plugins/<plugin>/} among the broker's resources, in {@code sluice.jar} or a class directory. A class
 * loader cannot load a jar inside a jar, so they are copied to a directory of the data directory at start and
 * loaded from there like any {@code plugin.path} entry, each plugin in its own class loader.
 *
 * <p>In a jar they are read through {@link JarFile}, whose central directory the JVM already parsed to load the
 * broker's classes and shares between every open of the same file: a zip file system over {@code sluice.jar}
 * parsed its 26,000 entries again at every start (about 0.1 s of CPU beside the first requests; docs/benchmarks.md,
 * issue 16, twenty-seventh session).
 */
final class BundledPlugins {
  static final String RESOURCE = "sluice-plugins";

  private BundledPlugins() {
  }

  /** Copies the bundled plugins to {@code target} (unless already there) and returns it; null when none ship. */
  static Path extract(Path target) throws IOException {
    return extract(BundledPlugins.class.getClassLoader(), target);
  }

  /** As {@link #extract(Path)}, with the plugins among {@code loader}'s resources. */
  static Path extract(ClassLoader loader, Path target) throws IOException {
    URL url = loader.getResource(RESOURCE);
    if (url == null) {
      return null;
    }
    URLConnection connection = url.openConnection();
    if (connection instanceof JarURLConnection jarConnection) {
      jarConnection.setUseCaches(false); // a JarFile of our own to close, not the URL cache's shared one
      try (JarFile jar = jarConnection.getJarFile()) {
        copy(jar, target);
      }
    } else {
      try {
        copy(Path.of(url.toURI()), target);
      } catch (URISyntaxException e) {
        throw new IOException(e);
      }
    }
    return target;
  }

  private static void copy(JarFile jar, Path to) throws IOException {
    String prefix = RESOURCE + "/";
    Enumeration<JarEntry> entries = jar.entries();
    while (entries.hasMoreElements()) {
      JarEntry e = entries.nextElement();
      if (!e.isDirectory() && e.getName().startsWith(prefix)) {
        copy(() -> jar.getInputStream(e), e.getName(), e.getSize(), to.resolve(e.getName().substring(prefix.length())));
      }
    }
  }

  private static void copy(Path from, Path to) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(from)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      copy(() -> Files.newInputStream(f), f.toString(), Files.size(f), to.resolve(from.relativize(f).toString()));
    }
  }

  private interface Source {
    InputStream open() throws IOException;
  }

  private static void copy(Source from, String name, long size, Path dest) throws IOException {
    if (Files.exists(dest) && Files.size(dest) == size) {
      return; // a release's jars carry their version in their names: same name and size is the same jar
    }
    Files.createDirectories(dest.getParent());
    Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
    try (InputStream in = from.open()) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot copy bundled plugin file " + name + " to " + dest, e);
    }
    Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
