package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.ProcessOutput;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice}, the launcher the README and the Docker image run, with the packaged jar: a first broker run
 * without an archive writes one as it stops, the next start maps the broker's classes from it, an archive that is
 * there but unusable (corrupt) never stops a start, and one made for another jar or JDK is replaced.
 */
class LauncherCdsIT {
  private static final Pattern LISTENING = Pattern.compile("Sluice broker 1 listening on http://([^:]+):(\\d+)");
  /** What {@code -Xlog:class+load} prints for a class mapped from the dynamic archive. */
  private static final String FROM_ARCHIVE = "io.sluice.broker.Broker source: shared objects file (top)";
  /** The runs after the archive's first making need no Connect worker (its plugin scan is the heaviest extension). */
  private static final List<String> LEAN = List.of("--set", "connect.enabled=false");
  /** As in CleanStartIT: the archive's making and use must not teach users to ignore warnings. */
  private static final Pattern ALARMING = Pattern.compile("(?i)\\b(WARN|WARNING|ERROR|SEVERE)\\b|Exception");

  @TempDir
  Path tmp;
  private Process process;
  private ProcessOutput output;
  private int runs;

  @AfterEach
  void stopAndKeepOutput() throws Exception {
    stopIfRunning();
  }

  @Test
  void firstRunWritesTheArchiveNextStartMapsItACorruptOneIsIgnoredAStaleOneReplaced() throws Exception {
    Path archive = tmp.resolve("sluice.jsa");

    startAndAwaitReady(List.of(), List.of());
    assertThat(archive).as("no archive before the first run ends").doesNotExist();
    stop();
    assertThat(archive).as("written as the first run's JVM exited:\n" + output.text()).isNotEmptyFile();
    assertThat(tmp.resolve("sluice.jsa.key")).isNotEmptyFile();
    assertThat(tmp).isDirectoryNotContaining("glob:**.tmp");
    assertNoWarning();

    Path classLog = tmp.resolve("classes.log");
    startAndAwaitReady(List.of("-Xlog:class+load:file=" + classLog), List.of());
    stop();
    assertThat(Files.readString(classLog)).as("the second start maps the broker's classes").contains(FROM_ARCHIVE);
    assertNoWarning();

    byte[] garbage = new byte[64 * 1024];
    Files.write(archive, garbage); // corrupt, while its key still matches the jar and the JDK
    startAndAwaitReady(List.of(), LEAN);
    stop();
    assertThat(output.lines()).anyMatch(l -> l.contains("Sluice broker 1 stopped"));
    assertThat(Files.readAllBytes(archive)).as("a matching key: the launcher leaves the archive alone")
        .isEqualTo(garbage);

    Files.writeString(tmp.resolve("sluice.jsa.key"), "made for another jar");
    startAndAwaitReady(List.of(), LEAN);
    stop();
    assertThat(Files.size(archive)).as("a stale archive is replaced at the run's exit:\n" + output.text())
        .isGreaterThan(garbage.length);
    assertNoWarning();
  }

  /**
   * {@code bin/sluice-cds-archive} with broker arguments: the archive's start is a TLS one, seen ready over https (the
   * script looked only for an http:// listener before), and the archive holds the TLS engine's classes, which a plain
   * start's archive lacks.
   */
  @Test
  void theArchiveScriptStartsABrokerWithTheArgumentsGivenATlsOneIncluded() throws Exception {
    String jar = System.getProperty("sluice.jar", "target/sluice.jar");
    Path keyStore = tmp.resolve("broker.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-dname", "CN=localhost", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", "secret").inheritIO().start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0).as("a key store made").isTrue();
    Path archive = tmp.resolve("tls.jsa");
    ProcessBuilder pb = new ProcessBuilder(Path.of("bin", "sluice-cds-archive").toAbsolutePath().toString(), "120",
        "--set", "http.ssl.enable=true", "--set", "ssl.keystore.location=" + keyStore,
        "--set", "ssl.keystore.password=secret", "--set", "connect.enabled=false").redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.remove("SLUICE_CDS");
    env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    env.put("SLUICE_JAR", jar);
    env.put("SLUICE_CDS_ARCHIVE", archive.toString());
    env.put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC");
    process = pb.start();
    output = ProcessOutput.follow(process, "cds-archive-script", line -> { });
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as(output.text()).isTrue();
    output.ended().get(10, TimeUnit.SECONDS);
    assertThat(process.exitValue()).as(output.text()).isZero();
    process = null;
    assertThat(archive).isNotEmptyFile();

    Process dictionary = new ProcessBuilder(env.get("JAVA"), "-XX:SharedArchiveFile=" + archive,
        "-XX:+PrintSharedArchiveAndExit", "-XX:+PrintSharedDictionary", "-jar", jar).redirectErrorStream(true).start();
    ProcessOutput classes = ProcessOutput.follow(dictionary, "cds-dictionary", line -> { });
    assertThat(dictionary.waitFor(60, TimeUnit.SECONDS)).isTrue();
    classes.ended().get(10, TimeUnit.SECONDS);
    assertThat(classes.lines()).as("the archive's classes")
        .anyMatch(l -> l.endsWith(" io.netty.handler.ssl.SslHandler app_loader"));
  }

  private void assertNoWarning() {
    assertThat(output.linesBesidesStarvedLoops()).as(output.text()).noneMatch(l -> ALARMING.matcher(l).find());
  }

  private void startAndAwaitReady(List<String> javaOpts, List<String> brokerArgs) throws Exception {
    String jar = System.getProperty("sluice.jar", "target/sluice.jar");
    assertThat(Path.of(jar)).as("the packaged jar (run mvn package first)").exists();
    ProcessBuilder pb = new ProcessBuilder(Path.of("bin", "sluice").toAbsolutePath().toString(), "--http-port", "0",
        "--data-dir", tmp.resolve("data-" + ++runs).toString(), "--set", "zookeeper.embedded.port=0",
        "--set", "http.host=127.0.0.1", "--set", "num.io.threads=2").redirectErrorStream(true);
    pb.command().addAll(brokerArgs);
    Map<String, String> env = pb.environment();
    env.remove("SLUICE_CDS"); // a developer's own setting must not turn the archive off under the test
    env.remove("SLUICE_FORCE_CDS_DUMP");
    env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    env.put("SLUICE_JAR", jar);
    env.put("SLUICE_CDS_ARCHIVE", tmp.resolve("sluice.jsa").toString());
    env.put("JAVA_OPTS", String.join(" ", "-Xmx256m", "-XX:+UseSerialGC", String.join(" ", javaOpts)));
    process = pb.start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    output = ProcessOutput.follow(process, "launcher-output-" + runs, line -> {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        port.complete(Integer.parseInt(m.group(2)));
      }
    });
    output.ended().thenRun(() -> port.completeExceptionally(new IllegalStateException("exited:\n" + output.text())));
    awaitReady(URI.create("http://127.0.0.1:" + port.get(120, TimeUnit.SECONDS) + "/ready"));
  }

  private void awaitReady(URI ready) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    org.awaitility.Awaitility.await("GET /ready answers 200").atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    });
  }

  /** SIGTERM to the launcher, which passes it on to the JVM and renames the archive after the JVM exited. */
  private void stop() throws Exception {
    process.toHandle().destroy();
    assertThat(process.waitFor(90, TimeUnit.SECONDS)).as(output.text()).isTrue();
    output.ended().get(10, TimeUnit.SECONDS);
    keepOutput();
    process = null;
  }

  private void stopIfRunning() throws Exception {
    if (process != null) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      keepOutput();
      process = null;
    }
  }

  private void keepOutput() throws Exception {
    Path logs = Files.createDirectories(Path.of("target", "it-logs"));
    Files.write(logs.resolve("LauncherCdsIT-" + runs + "-" + process.pid() + ".log"), output.lines());
  }
}
