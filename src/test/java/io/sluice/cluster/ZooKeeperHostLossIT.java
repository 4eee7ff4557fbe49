package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BrokerJvm;
import io.sluice.broker.testing.ProcessOutput;
import io.sluice.broker.testing.TestBatches;
import io.sluice.record.Record;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three broker processes from the packaged jar, the first hosting the embedded ZooKeeper (on a free port, given to it
 * as {@code zookeeper.embedded.port} and to the others as {@code --zookeeper}). {@code kill -9} of the first takes
 * ZooKeeper away from the others: their {@code /ready} turns 503 and a call that needs ZooKeeper (creating a topic)
 * fails fast with a retriable 503. Restarting the first heals the cluster without touching the others: a controller,
 * every broker alive and ready, acks=all produce and fetch through every broker, no acknowledged record lost. SIGTERM
 * then stops each broker within its grace, also the one whose ZooKeeper never comes back.
 */
class ZooKeeperHostLossIT {
  private static final Pattern LISTENING = Pattern.compile("Sluice broker (\\d+) listening on http://[^:]+:(\\d+)");
  private static final int SESSION_TIMEOUT_MS = 4_000;
  private static final int SHUTDOWN_TIMEOUT_MS = 15_000;
  /** A JVM's own start and exit around the broker's bounded close. */
  private static final long EXIT_MARGIN_MS = 5_000;
  private static final long FAIL_FAST_MS = 2_000;
  private static final String TOPIC = "survivor";
  private static final int PARTITIONS = 3;

  @TempDir
  Path tmp;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Broker> everStarted = new ArrayList<>();
  private int zookeeperPort;

  /** One broker process and what it printed. */
  private static final class Broker {
    final int id;
    final Process process;
    final List<String> output;
    final ProcessOutput out;
    final CompletableFuture<Integer> port = new CompletableFuture<>();

    Broker(int id, Process process) {
      this.id = id;
      this.process = process;
      out = ProcessOutput.follow(process, "broker-" + id + "-output", line -> {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(2)));
        }
      });
      this.output = out.lines();
      out.ended().thenRun(() -> port.completeExceptionally(new IllegalStateException("Broker " + id + " exited:\n"
          + out.text())));
    }

    URI uri(String path) {
      return URI.create("http://127.0.0.1:" + port.join() + path);
    }
  }

  @AfterEach
  void killLeftoversAndKeepTheirOutput() throws IOException {
    everStarted.forEach(b -> b.process.destroyForcibly());
    Path logs = Files.createDirectories(Path.of("target", "it-logs"));
    for (Broker b : everStarted) {
      Files.write(logs.resolve("ZooKeeperHostLossIT-broker-" + b.id + "-" + b.process.pid() + ".log"), b.output);
    }
  }

  @Test
  void brokersRejoinWhenTheZooKeeperHostReturnsAndStopInTimeWhenItDoesNot() throws Exception {
    zookeeperPort = freePort();
    Broker first = start(1, true);
    Broker second = start(2, false);
    Broker third = start(3, false);
    List<Broker> all = List.of(first, second, third);
    awaitHealthy(all);
    HttpResponse<byte[]> created = createTopic(second, TOPIC, PARTITIONS);
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    await("every replica in sync", () -> inSync(second) == PARTITIONS * 3, 60_000);
    Map<String, Long> acked = new TreeMap<>();
    produceThroughEach(all, "before", acked);

    first.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    for (Broker b : List.of(second, third)) {
      await("broker " + b.id + " reports not ready without ZooKeeper", () -> status(b, "/ready") == 503, 30_000);
      HttpResponse<byte[]> ready = get(b, "/ready");
      assertThat(new JsonObject(body(ready)).getInteger("error_code")).as(body(ready)).isEqualTo(10007);
      long startNs = System.nanoTime();
      HttpResponse<byte[]> refused = createTopic(b, "needs-zookeeper-" + b.id, 1);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
      assertThat(refused.statusCode()).as(body(refused)).isEqualTo(503);
      assertThat(new JsonObject(body(refused)).getInteger("error_code")).as(body(refused)).isEqualTo(8);
      assertThat(tookMs).as("a call that needs ZooKeeper fails fast").isLessThan(FAIL_FAST_MS);
    }
    await("broker 2 fences itself after a session timeout without ZooKeeper",
        () -> second.output.stream().anyMatch(l -> l.contains("lost its ZooKeeper session")), 30_000);

    Broker restarted = start(1, true);
    List<Broker> healed = List.of(restarted, second, third);
    awaitHealthy(healed);
    await("every replica back in sync", () -> inSync(second) == PARTITIONS * 3, 90_000);
    produceThroughEach(healed, "after", acked);
    for (Broker reader : healed) {
      Map<String, Long> log = readAll(reader);
      acked.forEach((value, offset) -> assertThat(log.get(value)).as(value + " read through broker " + reader.id)
          .isEqualTo(offset));
    }

    stopWithinGrace(third);
    stopWithinGrace(restarted);
    await("broker 2 has no ZooKeeper", () -> status(second, "/ready") == 503, 30_000);
    stopWithinGrace(second);
    assertThat(everStarted.stream().flatMap(b -> b.out.linesBesidesStarvedLoops().stream())
        .filter(l -> l.contains("has been blocked for") || l.contains("Thread blocked"))).isEmpty();
  }

  private Broker start(int id, boolean hostsZooKeeper) throws Exception {
    Path config = tmp.resolve("broker-" + id + ".json");
    Files.writeString(config, new JsonObject().put("http.host", "127.0.0.1").put("cluster.host", "127.0.0.1")
        .put("zookeeper.embedded.port", zookeeperPort).put("zookeeper.session.timeout.ms", SESSION_TIMEOUT_MS)
        .put("replica.lag.time.max.ms", 4_000).put("num.io.threads", 2).put("http.instances", 1)
        .put("shutdown.timeout.ms", SHUTDOWN_TIMEOUT_MS).put("min.insync.replicas", 2)
        .put("default.replication.factor", 3).encode());
    List<String> command = BrokerJvm.javaCommand("-Xmx256m", "-XX:+UseSerialGC");
    command.addAll(List.of("--config", config.toString(), "--broker-id", Integer.toString(id), "--http-port", "0",
        "--data-dir", tmp.resolve("data-" + id).toString()));
    if (!hostsZooKeeper) {
      command.addAll(List.of("--zookeeper", "127.0.0.1:" + zookeeperPort));
    }
    Broker b = new Broker(id, new ProcessBuilder(command).redirectErrorStream(true).start());
    everStarted.add(b);
    b.port.get(120, TimeUnit.SECONDS);
    return b;
  }

  /** Every broker ready, and each sees a controller and every broker alive. */
  private void awaitHealthy(List<Broker> brokers) {
    for (Broker b : brokers) {
      await("broker " + b.id + " ready, with a controller and every broker alive", () -> {
        JsonObject cluster = json(b, "/cluster");
        return status(b, "/ready") == 200 && cluster != null && cluster.getInteger("controller") > 0
            && cluster.getJsonArray("brokers").stream().filter(x -> ((JsonObject) x).getBoolean("alive"))
                .count() == brokers.size();
      }, 120_000);
    }
  }

  /** One acks=all record to every partition through every broker; retriable refusals are retried. */
  private void produceThroughEach(List<Broker> brokers, String prefix, Map<String, Long> acked) {
    for (Broker b : brokers) {
      for (int p = 0; p < PARTITIONS; p++) {
        String value = prefix + "-via-" + b.id + "-p" + p;
        int partition = p;
        await("acks=all produce of " + value, () -> {
          HttpResponse<byte[]> r = produce(b, partition, value);
          if (r != null && r.statusCode() == 200) {
            acked.put(value, new JsonObject(body(r)).getJsonArray("offsets").getJsonObject(0).getLong("offset"));
            return true;
          }
          return false;
        }, 60_000);
      }
    }
  }

  /** Value to offset of every record below the high watermark of every partition, read through {@code b}. */
  private Map<String, Long> readAll(Broker b) throws Exception {
    Map<String, Long> log = new TreeMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      long offset = 0;
      while (true) {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(b.uri("/topics/" + TOPIC + "/partitions/" + p
            + "/records?offset=" + offset)).header("Accept", "application/vnd.sluice.batch").GET());
        assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
        long highWatermark = Long.parseLong(r.headers().firstValue("Sluice-High-Watermark").orElseThrow());
        for (Record rec : TestBatches.records(ByteBuffer.wrap(r.body()))) {
          log.put(TestBatches.value(rec) + "@p" + p, rec.offset());
          offset = Math.max(offset, rec.offset() + 1);
        }
        if (offset >= highWatermark) {
          break;
        }
      }
    }
    Map<String, Long> byValue = new TreeMap<>();
    log.forEach((k, v) -> byValue.put(k.substring(0, k.lastIndexOf("@p")), v));
    return byValue;
  }

  private void stopWithinGrace(Broker b) throws Exception {
    long startNs = System.nanoTime();
    b.process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
    assertThat(b.process.waitFor(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS, TimeUnit.MILLISECONDS))
        .as("broker " + b.id + " stops within its grace").isTrue();
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    assertThat(b.process.exitValue()).as("the exit status of a JVM ended by SIGTERM").isEqualTo(143);
    await("broker " + b.id + "'s last words", () -> b.output.stream().anyMatch(l -> l.contains("Sluice broker "
        + b.id + " stopped")), 5_000);
    assertThat(b.output).noneMatch(l -> l.contains("clean shutdown did not finish"));
    // the broker's own log of its shutdown survives the JDK's logging shutdown hook (ShutdownLogManager)
    assertThat(b.output).anyMatch(l -> l.contains("io.sluice.broker.Broker - Broker " + b.id + " stopped"));
    System.out.println("Broker " + b.id + " stopped " + tookMs + " ms after SIGTERM");
  }

  private long inSync(Broker b) {
    JsonObject t = json(b, "/topics/" + TOPIC);
    return t == null ? 0 : t.getJsonArray("partitions").stream()
        .flatMap(p -> ((JsonObject) p).getJsonArray("replicas").stream())
        .filter(r -> ((JsonObject) r).getBoolean("in_sync")).count();
  }

  private HttpResponse<byte[]> createTopic(Broker b, String name, int partitions) throws Exception {
    JsonObject body = new JsonObject().put("name", name).put("partitions", partitions).put("replication_factor", 3);
    return send(HttpRequest.newBuilder(b.uri("/topics")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  private HttpResponse<byte[]> produce(Broker b, int p, String value) {
    ByteBuffer batch = TestBatches.batch(value);
    byte[] bytes = new byte[batch.remaining()];
    batch.get(bytes);
    try {
      return send(HttpRequest.newBuilder(b.uri("/topics/" + TOPIC + "/partitions/" + p + "/batches?acks=all"))
          .header("Content-Type", "application/vnd.sluice.batch").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
    } catch (Exception e) {
      return null;
    }
  }

  private int status(Broker b, String path) {
    try {
      return get(b, path).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private JsonObject json(Broker b, String path) {
    try {
      HttpResponse<byte[]> r = get(b, path);
      return r.statusCode() == 200 ? new JsonObject(body(r)) : null;
    } catch (Exception e) {
      return null;
    }
  }

  private HttpResponse<byte[]> get(Broker b, String path) throws Exception {
    return send(HttpRequest.newBuilder(b.uri(path)).GET());
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return http.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void await(String what, BooleanSupplier condition, long timeoutMs) {
    BrokerCluster.await(what, condition, timeoutMs);
  }
}
