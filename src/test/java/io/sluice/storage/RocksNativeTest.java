package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** A broker killed after loading RocksDB leaves nothing in the temporary directory (each start used to leave 14 MB). */
class RocksNativeTest {

  @Test
  void aProcessKilledAfterLoadingLeavesNoLibraryBehind(@TempDir Path tmp) throws Exception {
    killAfterLoading(Child.class, tmp);

    assertThat(filesUnder(tmp)).isEmpty();
  }

  /** The control: RocksDB's own loader, killed the same way, leaves its extracted library, so the test can see one. */
  @Test
  void rocksDbsOwnLoaderKilledTheSameWayLeavesItsCopy(@TempDir Path tmp) throws Exception {
    killAfterLoading(RocksDbsOwnLoader.class, tmp);

    assertThat(filesUnder(tmp)).anySatisfy(p -> assertThat(p.getFileName().toString()).startsWith("librocksdbjni"));
  }

  private static void killAfterLoading(Class<?> main, Path tmp) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child = new ProcessBuilder(java, "-Xmx64m", "-Djava.io.tmpdir=" + tmp,
        "-cp", System.getProperty("java.class.path"), main.getName())
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("used")) {
        // the JVM may print warnings first
      }
      assertThat(line).as("the child's output ended before it used RocksDB").isEqualTo("used");
      child.destroyForcibly(); // SIGKILL: no shutdown hooks, no deleteOnExit
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static List<Path> filesUnder(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  /** Loads as a broker does and makes a RocksDB object, so the library is really in use when it is killed. */
  public static final class Child {
    public static void main(String[] args) throws InterruptedException {
      RocksNative.load();
      useAndWait();
    }
  }

  public static final class RocksDbsOwnLoader {
    public static void main(String[] args) throws InterruptedException {
      RocksDB.loadLibrary();
      useAndWait();
    }
  }

  private static void useAndWait() throws InterruptedException {
    try (Options options = new Options().setCreateIfMissing(true)) {
      System.out.println(options.createIfMissing() ? "used" : "not used");
      System.out.flush();
      Thread.currentThread().join();
    }
  }
}
