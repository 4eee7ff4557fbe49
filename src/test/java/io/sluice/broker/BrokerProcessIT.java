package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BrokerJvm;
import io.sluice.broker.testing.ProcessOutput;
import io.sluice.broker.testing.TestBatches;
import io.sluice.record.Record;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker as its own JVM ({@code io.sluice.cli.Main}, 256 MB heap): killed with SIGKILL while a producer is
 * writing with acks=all, restarted on the same data directory, it still has every acknowledged record at the
 * offset it was acknowledged with, and the log has no gaps. Then SIGTERM stops it cleanly. Neither run may log a
 * blocked event loop.
 *
 * <p>The broker runs as a user runs it: {@code java -jar target/sluice.jar} when the build packaged it (failsafe
 * passes its path as {@code sluice.jar}), otherwise the test class path. It talks the binary batch path of the
 * HTTP API both ways.
 */
class BrokerProcessIT {
  private static final Pattern LISTENING = Pattern.compile("Sluice broker 1 listening on http://([^:]+):(\\d+)");
  private static final List<String> BLOCKED_MARKERS = List.of("has been blocked for", "Thread blocked");
  private static final int ACKED_BEFORE_KILL = 150;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

  @TempDir
  Path tmp;
  private final List<BrokerProcess> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** One broker JVM and everything it printed. */
  private static final class BrokerProcess {
    final Process process;
    final CompletableFuture<Integer> port = new CompletableFuture<>();
    final List<String> output;
    final CompletableFuture<Void> outputEnded;
    final ProcessOutput out;

    BrokerProcess(Process process) {
      this.process = process;
      out = ProcessOutput.follow(process, "broker-output-" + process.pid(), line -> {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(2)));
        }
      });
      this.output = out.lines();
      this.outputEnded = out.ended();
      outputEnded.thenRun(() -> port.completeExceptionally(
          new IllegalStateException("Broker exited before listening:\n" + out.text())));
    }

    List<String> blockedLoopReports() {
      return out.linesBesidesStarvedLoops().stream().filter(l -> BLOCKED_MARKERS.stream().anyMatch(l::contains))
          .toList();
    }
  }

  @AfterEach
  void killLeftoversAndKeepTheirOutput() throws IOException {
    processes.forEach(p -> p.process.destroyForcibly());
    Path logs = Files.createDirectories(Path.of("target", "it-logs"));
    for (BrokerProcess p : processes) {
      Files.write(logs.resolve("BrokerProcessIT-broker-" + p.process.pid() + ".log"), p.output);
    }
  }

  private BrokerProcess startBroker(Path dataDir) throws Exception {
    Path config = tmp.resolve("sluice.json");
    Files.writeString(config, "{\"http.host\": \"127.0.0.1\", \"cluster.host\": \"127.0.0.1\","
        + " \"zookeeper.embedded.port\": 0,"
        + " \"zookeeper.session.timeout.ms\": 4000, \"num.io.threads\": 2}");
    List<String> command = BrokerJvm.javaCommand("-Xmx256m");
    command.addAll(List.of("--config", config.toString(), "--http-port", "0", "--data-dir", dataDir.toString(),
        "--broker-id", "1"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    BrokerProcess bp = new BrokerProcess(pb.start());
    processes.add(bp);
    bp.port.get(120, TimeUnit.SECONDS);
    return bp;
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static URI uri(BrokerProcess bp, String path) throws Exception {
    return URI.create("http://127.0.0.1:" + bp.port.get() + path);
  }

  @Test
  void everyAcknowledgedRecordSurvivesKillNineAndRestart() throws Exception {
    Path dataDir = tmp.resolve("data");
    BrokerProcess first = startBroker(dataDir);
    HttpResponse<byte[]> created = send(HttpRequest.newBuilder(uri(first, "/topics"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"crash\", \"partitions\": 1}")));
    assertThat(created.statusCode()).as(new String(created.body(), StandardCharsets.UTF_8)).isEqualTo(201);

    Map<Long, String> acked = new ConcurrentSkipListMap<>();
    CompletableFuture<Void> enoughAcked = new CompletableFuture<>();
    Thread producer = new Thread(() -> produceUntilRefused(first, acked, enoughAcked), "producer");
    producer.start();
    enoughAcked.get(120, TimeUnit.SECONDS);
    first.process.destroyForcibly();
    assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    producer.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(first.process.exitValue()).isEqualTo(137);

    BrokerProcess second = startBroker(dataDir);
    Map<Long, String> log = readAll(second);

    assertThat(acked).hasSizeGreaterThanOrEqualTo(ACKED_BEFORE_KILL);
    assertThat(log.keySet()).as("offsets without gaps").containsExactlyElementsOf(
        java.util.stream.LongStream.range(0, log.size()).boxed().toList());
    acked.forEach((offset, value) -> assertThat(log.get(offset)).as("record at offset " + offset).isEqualTo(value));
    HttpResponse<byte[]> offsets = send(HttpRequest.newBuilder(uri(second, "/topics/crash/partitions/0/offsets")).GET());
    long endOffset = new io.vertx.core.json.JsonObject(new String(offsets.body(), StandardCharsets.UTF_8))
        .getLong("end_offset");
    assertThat(endOffset).as("the high watermark after the restart covers every acknowledged record")
        .isGreaterThan(((java.util.NavigableMap<Long, String>) acked).lastKey());

    // SIGTERM through the handle: Process.destroy() would also close our end of its output.
    second.process.toHandle().destroy();
    assertThat(second.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    second.outputEnded.get(10, TimeUnit.SECONDS);
    first.outputEnded.get(10, TimeUnit.SECONDS);
    assertThat(second.output).as("exit value %d", second.process.exitValue())
        .anyMatch(l -> l.contains("Sluice broker 1 stopped"));

    // SIGTERM flushed the log and wrote the clean-shutdown marker: the next start trusts it and scans nothing.
    Map<Long, String> beforeTerm = readAllAfterCleanStop(second, dataDir);
    assertThat(beforeTerm).isEqualTo(log);
    assertThat(first.blockedLoopReports()).isEmpty();
    assertThat(second.blockedLoopReports()).isEmpty();
  }

  /** Starts a third broker on {@code dataDir}, checks it opened the partition as cleanly shut down, reads it. */
  private Map<Long, String> readAllAfterCleanStop(BrokerProcess stopped, Path dataDir) throws Exception {
    BrokerProcess third = startBroker(dataDir);
    Map<Long, String> log = readAll(third);
    // LogLoader reports every unclean start (and a clean one only if it had to scan): the partition was opened,
    // and not as after a crash.
    third.out.lineContaining("Partition crash-0: broker 1 leads").get(20, TimeUnit.SECONDS);
    assertThat(List.copyOf(third.output)).as("the log left by %s opened as cleanly shut down", stopped.process.pid())
        .noneMatch(l -> l.contains("Partition crash-0: unclean start"))
        .noneMatch(l -> l.contains("Partition crash-0: clean start"));
    return log;
  }

  /** Produces one record per request, acks=all, until the broker stops answering. */
  private void produceUntilRefused(BrokerProcess bp, Map<Long, String> acked, CompletableFuture<Void> enough) {
    for (int i = 0; ; i++) {
      String value = "value-" + i;
      ByteBuffer batch = TestBatches.batch(value);
      byte[] body = new byte[batch.remaining()];
      batch.get(body);
      try {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(uri(bp, "/topics/crash/partitions/0/batches?acks=all"))
            .header("Content-Type", "application/vnd.sluice.batch").POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        if (r.statusCode() != 200) {
          enough.completeExceptionally(new AssertionError("produce answered " + r.statusCode() + ": "
              + new String(r.body(), StandardCharsets.UTF_8)));
          return;
        }
        long offset = new io.vertx.core.json.JsonObject(new String(r.body(), StandardCharsets.UTF_8))
            .getJsonArray("offsets").getJsonObject(0).getLong("offset");
        acked.put(offset, value);
        if (acked.size() >= ACKED_BEFORE_KILL) {
          enough.complete(null);
        }
      } catch (Exception e) {
        return; // the broker is gone: this last request is indeterminate
      }
    }
  }

  private Map<Long, String> readAll(BrokerProcess bp) throws Exception {
    Map<Long, String> log = new TreeMap<>();
    long offset = 0;
    while (true) {
      HttpResponse<byte[]> r = send(HttpRequest.newBuilder(uri(bp, "/topics/crash/partitions/0/records?offset="
          + offset + "&max_bytes=65536")).header("Accept", "application/vnd.sluice.batch").GET());
      assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      long highWatermark = Long.parseLong(r.headers().firstValue("Sluice-High-Watermark").orElseThrow());
      for (Record rec : TestBatches.records(ByteBuffer.wrap(r.body()))) {
        if (rec.offset() >= offset) {
          assertThat(log.put(rec.offset(), TestBatches.value(rec))).as("offset read twice").isNull();
        }
        offset = Math.max(offset, rec.offset() + 1);
      }
      if (offset >= highWatermark) {
        return log;
      }
    }
  }
}
