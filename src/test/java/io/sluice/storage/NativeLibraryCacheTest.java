package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A native library extracted once per version and reused by later starts; another version replaces it. */
class NativeLibraryCacheTest {
  @TempDir
  Path temp;

  private URL jarWith(String jarName, String content) throws IOException {
    Path jar = temp.resolve(jarName);
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry("libnative.so"));
      j.write(content.getBytes(StandardCharsets.UTF_8));
      j.closeEntry();
    }
    return new URL("jar:" + jar.toUri() + "!/libnative.so");
  }

  private static Path ensure(Path root, URL library) throws IOException {
    return NativeLibraryCache.ensure(root, library, "native", "loaded-name.so");
  }

  private static String[] entries(Path root) throws IOException {
    try (Stream<Path> list = Files.list(root)) {
      return list.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }

  @Test
  void theLibraryIsExtractedOnceAndReusedByTheNextStart() throws Exception {
    Path root = temp.resolve("cache");
    URL library = jarWith("v1.jar", "version one");
    Path first = ensure(root, library);
    Path file = first.resolve("loaded-name.so");
    assertThat(file).hasContent("version one");
    FileTime marked = FileTime.fromMillis(1_000_000L);
    Files.setLastModifiedTime(file, marked); // written again would move it to now

    Path second = ensure(root, library);
    assertThat(second).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(file)).isEqualTo(marked);
    assertThat(Files.list(first).count()).as("no partial file left").isEqualTo(1);
  }

  @Test
  void anotherVersionOfTheJarIsExtractedAfreshAndTheOldOneDeleted() throws Exception {
    Path root = temp.resolve("cache");
    Path old = ensure(root, jarWith("v1.jar", "version one"));
    Path upgraded = ensure(root, jarWith("v2.jar", "version two!"));
    assertThat(upgraded).isNotEqualTo(old);
    assertThat(upgraded.resolve("loaded-name.so")).hasContent("version two!");
    assertThat(old).doesNotExist();
    assertThat(entries(root)).containsExactly(upgraded.getFileName().toString());
  }

  @Test
  void aCachedFileOfTheWrongSizeIsWrittenAgain() throws Exception {
    Path root = temp.resolve("cache");
    URL library = jarWith("v1.jar", "version one");
    Path dir = ensure(root, library);
    Files.writeString(dir.resolve("loaded-name.so"), "vers"); // cut short by something other than this class
    assertThat(ensure(root, library).resolve("loaded-name.so")).hasContent("version one");
  }

  @Test
  void aLibraryOutsideAJarIsRefusedSoTheCallerFallsBack() throws Exception {
    Path loose = Files.writeString(temp.resolve("libnative.so"), "loose");
    assertThatThrownBy(() -> ensure(temp.resolve("cache"), loose.toUri().toURL())).isInstanceOf(IOException.class)
        .hasMessageContaining("not in a jar");
  }
}
