package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.ProcessOutput;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A first start as the README gives it ({@code java -jar target/sluice.jar}, the shipped {@code conf/sluice.json},
 * only ports and the data directory changed so that tests never collide), a topic created, a record produced and
 * read, then SIGTERM: nothing in the output may be a warning or an error. Warnings a user cannot act on at a clean
 * start (ZooKeeper's unconfigured maxCnxns, Curator's session timeout below the connection timeout) teach users to
 * ignore warnings.
 */
class CleanStartIT {
  private static final Pattern LISTENING = Pattern.compile("Sluice broker 1 listening on http://([^:]+):(\\d+)");
  private static final Pattern ALARMING = Pattern.compile("\\b(WARN|WARNING|ERROR|SEVERE)\\b|Exception");

  @TempDir
  Path tmp;
  private Process process;
  private ProcessOutput output;

  @AfterEach
  void stopAndKeepOutput() throws Exception {
    if (process != null) {
      process.destroyForcibly();
      Path logs = Files.createDirectories(Path.of("target", "it-logs"));
      Files.write(logs.resolve("CleanStartIT-broker-" + process.pid() + ".log"), output.lines());
    }
  }

  @Test
  void aCleanStartUseAndStopLogNoWarning() throws Exception {
    String jar = System.getProperty("sluice.jar", "target/sluice.jar");
    assertThat(Path.of(jar)).as("the packaged jar (run mvn package first)").exists();
    assertThat(Path.of("conf", "sluice.json")).exists();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-jar", jar, "--http-port", "0",
        "--data-dir", tmp.resolve("data").toString(), "--set", "zookeeper.embedded.port=0",
        "--set", "http.host=127.0.0.1", "--set", "num.io.threads=2"));
    process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    output = ProcessOutput.follow(process, "clean-start-output", line -> {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        port.complete(Integer.parseInt(m.group(2)));
      }
    });
    output.ended().thenRun(() -> port.completeExceptionally(new IllegalStateException("exited:\n" + output.text())));
    String base = "http://127.0.0.1:" + port.get(120, TimeUnit.SECONDS);

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThat(send(http, HttpRequest.newBuilder(URI.create(base + "/topics")).header("Content-Type",
        "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"first\", \"partitions\": 2}"))))
        .isEqualTo(201);
    assertThat(send(http, HttpRequest.newBuilder(URI.create(base + "/topics/first/partitions/1")).header(
        "Content-Type", "application/vnd.kafka.json.v2+json").POST(HttpRequest.BodyPublishers.ofString(
        "{\"records\": [{\"value\": \"hello\"}]}")))).isEqualTo(200);
    assertThat(send(http, HttpRequest.newBuilder(URI.create(base + "/topics/first/partitions/1/records?offset=0"))
        .header("Accept", "application/vnd.kafka.json.v2+json").GET())).isEqualTo(200);

    process.toHandle().destroy(); // SIGTERM
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    output.ended().get(10, TimeUnit.SECONDS);
    assertThat(output.lines()).anyMatch(l -> l.contains("Sluice broker 1 stopped"));
    assertThat(output.linesBesidesStarvedLoops()).as(output.text()).noneMatch(l -> ALARMING.matcher(l).find());
  }

  private static int send(HttpClient http, HttpRequest.Builder request) throws Exception {
    HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    return r.statusCode();
  }
}
