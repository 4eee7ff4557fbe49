package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.DataDirectoryLock.DataDirectoryInUseException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One broker per data directory, in this process or another; a killed holder does not keep it. */
class DataDirectoryLockTest {
  @TempDir
  Path dir;

  @Test
  void aSecondHolderInThisProcessIsRefusedUntilTheFirstCloses() {
    DataDirectoryLock first = DataDirectoryLock.acquire(dir);

    assertThatThrownBy(() -> DataDirectoryLock.acquire(dir)).isInstanceOf(DataDirectoryInUseException.class)
        .hasMessageContaining("Data directory " + dir + " is in use by another broker");

    first.close();
    DataDirectoryLock.acquire(dir).close();
  }

  @Test
  void aHolderInAnotherProcessIsRefusedAndItsDeathReleasesIt() throws Exception {
    Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx32m",
        "-cp", System.getProperty("java.class.path"), Holder.class.getName(), dir.toString())
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("locked")) {
        // the JVM may print warnings first
      }
      assertThat(line).as("the holder ended before it locked").isEqualTo("locked");

      assertThatThrownBy(() -> DataDirectoryLock.acquire(dir)).isInstanceOf(DataDirectoryInUseException.class);
    } finally {
      holder.destroyForcibly(); // SIGKILL: the holder never releases it itself
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    DataDirectoryLock.acquire(dir).close();
  }

  /** Holds the lock of the directory it is given until it is killed. */
  public static final class Holder {
    public static void main(String[] args) throws InterruptedException {
      DataDirectoryLock.acquire(Path.of(args[0]));
      System.out.println("locked");
      System.out.flush();
      Thread.currentThread().join();
    }
  }
}
