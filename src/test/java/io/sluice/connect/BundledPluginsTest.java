package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled connector plugins copied out of the broker's jar or class directory into the data directory. */
class BundledPluginsTest {
  @TempDir
  Path dir;

  private Path jar(String... namesAndContents) throws Exception {
    Path jar = dir.resolve("broker.jar");
    try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
      for (String dirName : new String[] {"sluice-plugins/", "sluice-plugins/pg/"}) {
        out.putNextEntry(new JarEntry(dirName));
        out.closeEntry();
      }
      for (int i = 0; i < namesAndContents.length; i += 2) {
        out.putNextEntry(new JarEntry(namesAndContents[i]));
        out.write(namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }

  private static Path extract(Path classPath, Path target) throws Exception {
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classPath.toUri().toURL()}, null)) {
      return BundledPlugins.extract(loader, target);
    }
  }

  @Test
  void theJarsPluginFilesAreCopiedWithTheirDirectoriesAndNothingElse() throws Exception {
    Path jar = jar("sluice-plugins/pg/connector-1.0.jar", "connector bytes", "sluice-plugins/pg/LICENSE.txt", "terms",
        "io/sluice/Broker.class", "not a plugin", "sluice-pluginsX/other.jar", "a sibling sharing the prefix");
    Path target = dir.resolve("data/connect-plugins");

    assertThat(extract(jar, target)).isEqualTo(target);

    assertThat(target.resolve("pg/connector-1.0.jar")).hasContent("connector bytes");
    assertThat(target.resolve("pg/LICENSE.txt")).hasContent("terms");
    try (var all = Files.walk(target)) {
      assertThat(all.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()))
          .containsExactlyInAnyOrder("pg/connector-1.0.jar", "pg/LICENSE.txt");
    }
  }

  @Test
  void aCopyOfTheSameSizeStaysAndAnotherSizeIsReplaced() throws Exception {
    Path jar = jar("sluice-plugins/pg/a.jar", "aaaa", "sluice-plugins/pg/b.jar", "bbbb");
    Path target = dir.resolve("connect-plugins");
    Files.createDirectories(target.resolve("pg"));
    Files.writeString(target.resolve("pg/a.jar"), "AAAA"); // same name and size: the release's jar, left as is
    Files.writeString(target.resolve("pg/b.jar"), "an older, longer b.jar");

    extract(jar, target);

    assertThat(target.resolve("pg/a.jar")).hasContent("AAAA");
    assertThat(target.resolve("pg/b.jar")).hasContent("bbbb");
    assertThat(target.resolve("pg/b.jar.tmp")).doesNotExist();
  }

  @Test
  void aClassDirectorysPluginsAreCopiedToo() throws Exception {
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes.resolve("sluice-plugins/pg"));
    Files.writeString(classes.resolve("sluice-plugins/pg/connector-1.0.jar"), "connector bytes");
    Path target = dir.resolve("connect-plugins");

    assertThat(extract(classes, target)).isEqualTo(target);

    assertThat(target.resolve("pg/connector-1.0.jar")).hasContent("connector bytes");
  }

  @Test
  void noneShipNothingIsMade() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThat(extract(empty, dir.resolve("none"))).isNull();
    assertThat(dir.resolve("none")).doesNotExist();
  }
}
