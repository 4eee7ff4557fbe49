package io.sluice.broker.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One broker as a user starts it: its own JVM (256 MB heap) running {@code java -jar target/sluice.jar} when the
 * build packaged it (failsafe passes its path as {@code sluice.jar}), otherwise {@code io.sluice.cli.Main} from
 * the test class path. Loopback only; the caller chooses the ports, so tests can pick free ones and race them.
 */
public final class BrokerJvm implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("Sluice broker \\d+ listening on https?://([^:]+):(\\d+)");

  private final Process process;
  private final ProcessOutput output;
  private final CompletableFuture<Integer> listening = new CompletableFuture<>();

  private BrokerJvm(Process process) {
    this.process = process;
    this.output = ProcessOutput.follow(process, "broker-output-" + process.pid(), line -> {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        listening.complete(Integer.parseInt(m.group(2)));
      }
    });
    output.ended().thenRun(() -> listening.completeExceptionally(
        new IllegalStateException("Broker exited before listening:\n" + output.text())));
  }

  /**
   * Starts a broker with {@code args} after the defaults every test wants (loopback hosts, two I/O threads, a
   * 4 s ZooKeeper session); does not wait for it.
   */
  public static BrokerJvm start(String... args) throws IOException {
    List<String> command = javaCommand("-Xmx256m", "-XX:+UseSerialGC");
    command.addAll(List.of("--set", "http.host=127.0.0.1", "--set", "cluster.host=127.0.0.1",
        "--set", "num.io.threads=2", "--set", "zookeeper.session.timeout.ms=4000"));
    command.addAll(List.of(args));
    return new BrokerJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /**
   * {@code java} with {@code jvmOptions}, then the packaged jar when the build made one (failsafe passes its path as
   * {@code sluice.jar}), else {@code io.sluice.cli.Main} from the test class path; the broker's arguments go after.
   * Compiled by C1 alone (below). With the jar, the JVM maps the class data sharing archive the build made for it ({@code sluice.cds.archive},
   * bin/sluice-cds-archive in pre-integration-test), as bin/sluice does: about a third less CPU per start, over the
   * ITs' 80-odd broker starts on two cores. A missing or stale archive only makes a start slower
   * (-Xshare:auto: the JVM then loads the classes from the jar).
   */
  public static List<String> javaCommand(String... jvmOptions) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // C1 only: a test broker lives for seconds to a minute, too short for C2's compilations to repay their CPU
    // (half of a short run's CPU is the JIT, docs/benchmarks.md), which three brokers take from the test on two cores.
    List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1"));
    command.addAll(List.of(jvmOptions));
    String jar = System.getProperty("sluice.jar");
    if (jar != null && Files.exists(Path.of(jar))) {
      String archive = System.getProperty("sluice.cds.archive");
      if (archive != null && Files.exists(Path.of(archive))) {
        command.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto"));
      }
      command.addAll(List.of("-jar", jar));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.cli.Main"));
    }
    return command;
  }

  /** A port free on loopback now (another process may take it before it is used). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Waits until the broker announced its HTTP listener; returns the port. Fails if it exited first. */
  public int awaitListening(long timeoutSeconds) throws Exception {
    return listening.get(timeoutSeconds, TimeUnit.SECONDS);
  }

  /** Waits for the process to exit and its output to end; returns its exit value. */
  public int awaitExit(long timeoutSeconds) throws Exception {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      throw new IllegalStateException("Broker " + process.pid() + " still runs after " + timeoutSeconds + " s:\n"
          + output.text());
    }
    output.ended().get(10, TimeUnit.SECONDS);
    return process.exitValue();
  }

  /** SIGTERM: the clean shutdown a user's Ctrl-C starts. */
  public void terminate() {
    process.toHandle().destroy();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  public String text() {
    return output.text();
  }

  /** Kills the JVM if it still runs and keeps its output under {@code target/it-logs/<name>-<pid>.log}. */
  public void close(String name) throws IOException {
    process.destroyForcibly();
    Path logs = Files.createDirectories(Path.of("target", "it-logs"));
    Files.write(logs.resolve(name + "-" + process.pid() + ".log"), output.lines());
  }

  @Override
  public void close() throws IOException {
    close("broker");
  }
}
