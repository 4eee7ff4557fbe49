package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.EmbeddedZooKeeper;
import io.sluice.broker.testing.BrokerJvm;
import io.sluice.broker.testing.ProcessOutput;
import io.sluice.broker.testing.TestBatches;
import io.sluice.record.Record;
import io.vertx.core.json.JsonObject;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * Three broker JVMs started as a user starts them ({@code java -jar target/sluice.jar --zookeeper ... --broker-id N
 * --http-port 0 --data-dir DIR}) against a ZooKeeper this test process runs, with HTTP helpers for the cluster ITs.
 * Each broker gets 256 MB of heap, two storage threads and one HTTP verticle.
 */
final class BrokerCluster implements AutoCloseable {
  static final int SESSION_TIMEOUT_MS = 4_000;
  private static final Pattern LISTENING = Pattern.compile("Sluice broker (\\d+) listening on https?://[^:]+:(\\d+)");
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(40);

  final Path dir;
  final EmbeddedZooKeeper zookeeper;
  /** Concurrent: the fault ITs' nemesis replaces nodes while producers and consumers pick from them. */
  final Map<Integer, Node> nodes = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final List<Node> everStarted = new CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Broker settings added to every broker's config file (set before starting brokers). */
  final Map<String, Object> extraConfig = new java.util.LinkedHashMap<>();
  /** Where broker processes run (null: this JVM's working directory); set before starting brokers. */
  Path workingDirectory;

  /** One broker process and what it printed. */
  static final class Node {
    final int id;
    final Path dataDir;
    final Process process;
    final List<String> output;
    /** Its output less the blocked-loop warnings its loops' waits for a CPU explain (ChildLoopStarvation). */
    final java.util.function.Supplier<List<String>> outputBesidesStarvedLoops;
    volatile int port = -1;
    final java.util.concurrent.atomic.AtomicInteger starts = new java.util.concurrent.atomic.AtomicInteger();
    final CompletableFuture<Void> listening = new CompletableFuture<>();
    final BlockedLoopReports blocked = new BlockedLoopReports();

    Node(int id, Path dataDir, Process process) {
      this.id = id;
      this.dataDir = dataDir;
      this.process = process;
      ProcessOutput out = ProcessOutput.follow(process, "broker-" + id + "-output", line -> {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port = Integer.parseInt(m.group(2));
          starts.incrementAndGet();
          listening.complete(null);
        }
      });
      this.output = out.lines();
      this.outputBesidesStarvedLoops = out::linesBesidesStarvedLoops;
      out.ended().thenRun(() -> listening.completeExceptionally(
          new IllegalStateException("Broker " + id + " exited:\n" + out.text())));
    }

    URI uri(String path) {
      return URI.create("http://127.0.0.1:" + port + path);
    }

    /** How often this broker rejoined the cluster in place after a lost ZooKeeper session (SessionKeeper). */
    long rejoins() {
      return output.stream().filter(l -> l.contains("Broker " + id + " rejoined the cluster")).count();
    }

    long pid() {
      return process.pid();
    }
  }

  /** Broker id → the proxy on its ZooKeeper link, when {@link #proxyZooKeeperLinks} was called. */
  final Map<Integer, TcpProxy> zookeeperLinks = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean proxyZooKeeper;

  BrokerCluster(Path dir) {
    this.dir = dir;
    this.zookeeper = EmbeddedZooKeeper.start(dir.resolve("zookeeper"));
  }

  /** Starts brokers 1..n and waits until each listens and all see each other alive. */
  void startAll(int n) throws Exception {
    for (int id = 1; id <= n; id++) {
      start(id);
    }
    for (Node node : nodes.values()) {
      node.listening.get(120, java.util.concurrent.TimeUnit.SECONDS);
    }
    awaitAlive(n);
    for (Node node : nodes.values()) {
      awaitServicesUp(node);
    }
  }

  /**
   * Waits until the services a broker starts after it is ready (the connect worker) are up, as {@code GET /health}
   * lists them: tests that use them right after the start would otherwise meet their 503 while they start.
   */
  void awaitServicesUp(Node node) {
    await("broker " + node.id + "'s background services to be up", () -> {
      JsonObject health = getJson(node, "/health");
      return health != null && health.getJsonObject("services", new JsonObject()).stream()
          .allMatch(e -> "UP".equals(e.getValue()));
    }, 120_000);
  }

  /** Brokers started from now on reach ZooKeeper through a {@link TcpProxy} of their own, which tests can cut. */
  void proxyZooKeeperLinks() {
    proxyZooKeeper = true;
  }

  private String zookeeperAddress(int id) throws IOException {
    if (!proxyZooKeeper) {
      return zookeeper.connectString();
    }
    TcpProxy link = zookeeperLinks.get(id);
    if (link == null) {
      link = TcpProxy.to(zookeeper.connectString());
      zookeeperLinks.put(id, link);
    }
    return link.address();
  }

  Node start(int id) throws IOException {
    Path config = dir.resolve("broker.json");
    JsonObject settings = new JsonObject("{\"http.host\": \"127.0.0.1\", \"cluster.host\": \"127.0.0.1\","
        + " \"zookeeper.session.timeout.ms\": " + SESSION_TIMEOUT_MS + ", \"replica.lag.time.max.ms\": 4000,"
        + " \"num.io.threads\": 2, \"http.instances\": 1}");
    extraConfig.forEach(settings::put);
    // Written aside and moved in: a broker started a moment ago may be reading the file while the next one starts.
    Path written = Files.writeString(dir.resolve("broker.json." + id + ".tmp"), settings.encode());
    Files.move(written, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    List<String> command = BrokerJvm.javaCommand("-Xmx256m", "-XX:+UseSerialGC");
    Path dataDir = dir.resolve("data-" + id);
    command.addAll(List.of("--config", config.toString(), "--zookeeper", zookeeperAddress(id),
        "--broker-id", Integer.toString(id), "--http-port", "0", "--data-dir", dataDir.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (workingDirectory != null) {
      builder.directory(workingDirectory.toFile());
    }
    Node node = new Node(id, dataDir, builder.start());
    nodes.put(id, node);
    everStarted.add(node);
    return node;
  }

  Node node(int id) {
    return nodes.get(id);
  }

  void awaitAlive(int n) {
    await("all " + n + " brokers alive", () -> {
      JsonObject c = getJson(anyLive(), "/cluster");
      return c != null && c.getJsonArray("brokers").stream().filter(b -> ((JsonObject) b).getBoolean("alive"))
          .count() == n;
    });
  }

  Node anyLive() {
    return nodes.values().stream().filter(n -> n.process.isAlive() && n.port > 0).findFirst().orElseThrow();
  }

  /** The {@code Authorization} header every request of the cluster's tests carries (brokers with authentication). */
  volatile String authorization;

  HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    String auth = authorization;
    if (auth != null) {
      request.setHeader("Authorization", auth);
    }
    HttpRequest built = request.timeout(REQUEST_TIMEOUT).build();
    try {
      return http.send(built, HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.net.http.HttpTimeoutException e) {
      dumpThreads(built.method() + " " + built.uri());
      throw e;
    }
  }

  /**
   * A request that no broker answered within {@link #REQUEST_TIMEOUT} is a hang somewhere in a broker: keep every live
   * broker's threads (jcmd) in target/it-logs, so the failure names where it waited.
   */
  private void dumpThreads(String request) {
    for (Node n : nodes.values()) {
      if (!n.process.isAlive()) {
        continue;
      }
      try {
        Path out = Files.createDirectories(Path.of("target", "it-logs"))
            .resolve("ClusterIT-broker-" + n.id + "-" + n.pid() + "-threads-" + System.currentTimeMillis() + ".txt");
        new ProcessBuilder("jcmd", String.valueOf(n.pid()), "Thread.print").redirectErrorStream(true)
            .redirectOutput(out.toFile()).start().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        Files.writeString(out, "request that timed out: " + request + "\n", java.nio.file.StandardOpenOption.APPEND);
      } catch (IOException | InterruptedException | RuntimeException e) {
        System.err.println("No thread dump of broker " + n.id + ": " + e);
      }
    }
  }

  /** {@code method path} to {@code node} with {@code body} (none when null) as {@code type}. */
  HttpResponse<byte[]> send(Node node, String method, String path, Object body, String type)
      throws IOException, InterruptedException {
    HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString());
    return send(HttpRequest.newBuilder(node.uri(path)).header("Content-Type", type).method(method, p));
  }

  JsonObject getJson(Node node, String path) {
    try {
      HttpResponse<byte[]> r = send(HttpRequest.newBuilder(node.uri(path)).GET());
      return r.statusCode() == 200 ? new JsonObject(new String(r.body(), StandardCharsets.UTF_8)) : null;
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }

  HttpResponse<byte[]> createTopic(Node node, String name, int partitions, int rf, Map<String, String> configs)
      throws Exception {
    JsonObject body = new JsonObject().put("name", name).put("partitions", partitions).put("replication_factor", rf)
        .put("configs", new JsonObject(new java.util.HashMap<>(configs)));
    return send(HttpRequest.newBuilder(node.uri("/topics")).POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .header("Content-Type", "application/json"));
  }

  /** The partition's description as {@code node} sees it. */
  JsonObject partition(Node node, String topic, int p) {
    JsonObject t = getJson(node, "/topics/" + topic);
    return t == null ? null : t.getJsonArray("partitions").getJsonObject(p);
  }

  int leader(Node node, String topic, int p) {
    JsonObject part = partition(node, topic, p);
    return part == null ? -1 : part.getInteger("leader");
  }

  long inSyncCount(Node node, String topic, int p) {
    JsonObject part = partition(node, topic, p);
    return part == null ? 0 : part.getJsonArray("replicas").stream()
        .filter(r -> ((JsonObject) r).getBoolean("in_sync")).count();
  }

  /** Produces one record with acks=all; returns its offset, or the response for a refusal. */
  HttpResponse<byte[]> produce(Node node, String topic, int p, String value, String acks)
      throws IOException, InterruptedException {
    ByteBuffer batch = TestBatches.batch(value);
    byte[] body = new byte[batch.remaining()];
    batch.get(body);
    return send(HttpRequest.newBuilder(node.uri("/topics/" + topic + "/partitions/" + p + "/batches?acks=" + acks))
        .header("Content-Type", "application/vnd.sluice.batch").POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  static long offsetOf(HttpResponse<byte[]> r) {
    return new JsonObject(new String(r.body(), StandardCharsets.UTF_8)).getJsonArray("offsets").getJsonObject(0)
        .getLong("offset");
  }

  static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  /** Every record below the high watermark, read through {@code node}; fails on an offset read twice. */
  Map<Long, String> readAll(Node node, String topic, int p) throws Exception {
    Map<Long, String> log = readAllOrNotLeader(node, topic, p);
    assertThat(log).as("broker " + node.id + " leads " + topic + "-" + p).isNotNull();
    return log;
  }

  /**
   * Every record below the high watermark, read through the partition's leader, whichever broker that is by the time
   * of the read: leadership can move between looking it up and reading (a restarted broker taking back its preferred
   * partitions), so a read refused with 421 (or 503 while a new leader catches up) looks the leader up again.
   */
  Map<Long, String> readAllFromLeader(String topic, int p) {
    AtomicReference<Map<Long, String>> read = new AtomicReference<>();
    await("a read of " + topic + "-" + p + " through its leader", () -> {
      Node n = nodes.get(leader(anyLive(), topic, p));
      if (n == null || !n.process.isAlive() || n.port <= 0) {
        return false;
      }
      try {
        read.set(readAllOrNotLeader(n, topic, p));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return read.get() != null;
    });
    return read.get();
  }

  /**
   * {@link #readAll}, or null when {@code node} answers 421 (it does not lead the partition) or 503 (a new leader whose
   * high watermark has not reached its epoch's start yet refuses reads until it has: the API's "retry").
   */
  private Map<Long, String> readAllOrNotLeader(Node node, String topic, int p) throws Exception {
    Map<Long, String> log = new TreeMap<>();
    long offset = 0;
    while (true) {
      HttpResponse<byte[]> r = send(HttpRequest.newBuilder(node.uri("/topics/" + topic + "/partitions/" + p
          + "/records?offset=" + offset + "&max_bytes=65536")).header("Accept", "application/vnd.sluice.batch").GET());
      if (r.statusCode() == 421 || r.statusCode() == 503) {
        return null;
      }
      assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
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

  /** The concatenated segment files of a partition's replica on broker {@code id}. */
  byte[] replicaBytes(int id, String topic, int p) throws IOException {
    Path partitionDir = nodes.get(id).dataDir.resolve(topic + "-" + p);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    if (!Files.exists(partitionDir)) {
      return out.toByteArray();
    }
    try (Stream<Path> files = Files.list(partitionDir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        out.write(Files.readAllBytes(f));
      }
    }
    return out.toByteArray();
  }

  /** The controller as {@code node} sees it, or -1. */
  int controller(Node node) {
    JsonObject c = getJson(node, "/cluster");
    return c == null ? -1 : c.getInteger("controller", -1);
  }

  /**
   * Cuts {@code bytes} off the end of the last segment of each of the topic's partitions on broker {@code id} (a torn
   * write after a crash); call it only while that broker is down. Returns what was cut, per segment file.
   */
  List<String> tearTails(int id, String topic, int bytes) throws IOException {
    List<String> torn = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(nodes.get(id).dataDir)) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(topic + "-")).sorted().toList()) {
        try (Stream<Path> files = Files.list(dir)) {
          Path last = files.filter(f -> f.toString().endsWith(".log")).max(Path::compareTo).orElse(null);
          if (last != null && Files.size(last) > bytes) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(last,
                java.nio.file.StandardOpenOption.WRITE)) {
              ch.truncate(ch.size() - bytes);
            }
            torn.add(dir.getFileName() + "/" + last.getFileName() + " -" + bytes + " bytes");
          }
        }
      }
    }
    return torn;
  }

  void signal(Node node, String signal) throws Exception {
    if (signal.equals("STOP")) {
      node.blocked.stopping(System.currentTimeMillis());
    }
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid())).start();
    assertThat(kill.waitFor()).isZero();
    if (signal.equals("CONT")) {
      node.blocked.continued(System.currentTimeMillis());
    }
  }

  static void await(String what, BooleanSupplier condition) {
    await(what, condition, 60_000);
  }

  static void await(String what, BooleanSupplier condition, long timeoutMs) {
    Awaitility.await(what).atMost(Duration.ofMillis(timeoutMs)).until(condition::getAsBoolean);
  }

  /** Each blocked-loop warning of any broker ever started that its stops do not explain, with its stack lines. */
  List<String> blockedLoopReports() {
    return everStarted.stream().flatMap(n -> n.blocked.reports("broker " + n.id, n.outputBesidesStarvedLoops.get()).stream())
        .toList();
  }

  @Override
  public void close() throws IOException {
    for (Node n : everStarted) {
      n.process.destroyForcibly();
    }
    Path logs = Files.createDirectories(Path.of("target", "it-logs"));
    for (Node n : everStarted) {
      Files.write(logs.resolve("ClusterIT-broker-" + n.id + "-" + n.pid() + ".log"), n.output);
    }
    for (TcpProxy link : zookeeperLinks.values()) {
      link.close();
    }
    zookeeper.close();
  }
}
