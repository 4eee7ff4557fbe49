package io.sluice.cluster;

import io.sluice.broker.testing.TestBatches;
import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.cluster.faults.History;
import io.sluice.cluster.faults.History.Outcome;
import io.sluice.cluster.faults.History.Produce;
import io.sluice.record.Record;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clients of a fault run, each on its own thread, recording into a {@link History}. A producer sends one record
 * per request (value {@code producer-seq}, never resent: a retry is a new sequence number) to a random broker,
 * partition by partition in turn, and waits for the answer before the next. A consumer reads each partition from
 * offset 0 through the long-poll fetch of a random broker, moving its position only past what it read.
 *
 * <p>Outcomes: 200 is acknowledged at its offset; NOT_ENOUGH_REPLICAS (checked before appending) is failed; every
 * other answer, a timeout or a broken connection is indeterminate, because the batch may have been appended
 * (a deposed leader answers NOT_LEADER_OR_FOLLOWER for a batch its followers already copied).
 */
final class Workload implements AutoCloseable {
  private static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
  private static final long FETCH_WAIT_MS = 1_000;
  private static final long RETRY_PAUSE_MS = 100;
  private static final int NOT_ENOUGH_REPLICAS = 19;

  private final BrokerCluster cluster;
  private final History history;
  private final String topic;
  private final int partitions;
  private final long seed;
  private final AtomicBoolean stopProducers = new AtomicBoolean();
  private final AtomicBoolean stopConsumers = new AtomicBoolean();
  private final List<Thread> producers = new ArrayList<>();
  private final List<Thread> consumers = new ArrayList<>();
  private final Map<String, AtomicLong> positions = new ConcurrentHashMap<>();
  /** Brokers the clients do not send to (the negative control keeps them off the replicas it breaks). */
  volatile Set<Integer> avoid = Set.of();

  Workload(BrokerCluster cluster, History history, String topic, int partitions, long seed) {
    this.cluster = cluster;
    this.history = history;
    this.topic = topic;
    this.partitions = partitions;
    this.seed = seed;
  }

  void startProducers(int count, String acks) {
    for (int i = 0; i < count; i++) {
      String name = "p" + i;
      Random random = new Random(seed * 31 + i);
      int first = i;
      producers.add(start("producer-" + name, () -> produceLoop(name, first, random, acks)));
    }
  }

  void startConsumers(int count) {
    for (int i = 0; i < count; i++) {
      for (int p = 0; p < partitions; p++) {
        String name = "c" + i;
        int partition = p;
        Random random = new Random(seed * 131 + i * 7L + p);
        AtomicLong position = new AtomicLong();
        positions.put(name + "/p" + p, position);
        consumers.add(start("consumer-" + name + "-p" + p, () -> consumeLoop(name, partition, position, random)));
      }
    }
  }

  private static Thread start(String name, Runnable loop) {
    Thread t = new Thread(loop, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Acknowledged produces so far on {@code partition}. */
  long acked(int partition) {
    return history.produces().stream().filter(p -> p.partition() == partition && p.outcome() == Outcome.OK).count();
  }

  /** True once every consumer has read every partition up to {@code highWatermarks}. */
  boolean consumersReached(Map<Integer, Long> highWatermarks) {
    return positions.entrySet().stream().allMatch(e -> e.getValue().get() >= highWatermarks.get(
        Integer.parseInt(e.getKey().substring(e.getKey().indexOf("/p") + 2))));
  }

  void stopProducers() throws InterruptedException {
    stopProducers.set(true);
    for (Thread t : producers) {
      t.join(PRODUCE_TIMEOUT.toMillis() * 3);
    }
  }

  void stopConsumers() throws InterruptedException {
    stopConsumers.set(true);
    for (Thread t : consumers) {
      t.join(FETCH_TIMEOUT.toMillis() * 3);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopProducers();
    stopConsumers();
  }

  private void produceLoop(String producer, int first, Random random, String acks) {
    for (long seq = 0; !stopProducers.get(); seq++) {
      int partition = (int) ((first + seq) % partitions);
      String value = History.value(producer, seq);
      long start = history.nanos();
      Produce p;
      try {
        HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(uri(random,
            "/topics/" + topic + "/partitions/" + partition + "/batches?acks=" + acks))
            .timeout(PRODUCE_TIMEOUT).header("Content-Type", "application/vnd.sluice.batch")
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(TestBatches.batch(value)))));
        p = produced(producer, seq, partition, value, start, r);
      } catch (Exception e) {
        p = new Produce(producer, seq, partition, value, Outcome.INDETERMINATE, -1, start, history.nanos(),
            e.getClass().getSimpleName());
      }
      history.produced(p);
      if (p.outcome() != Outcome.OK) {
        pause(); // pace retries against a broker that is down; not a synchronisation
      }
    }
  }

  private Produce produced(String producer, long seq, int partition, String value, long start,
      HttpResponse<byte[]> r) {
    long end = history.nanos();
    String body = new String(r.body(), StandardCharsets.UTF_8);
    if (r.statusCode() == 200) {
      return new Produce(producer, seq, partition, value, Outcome.OK, BrokerCluster.offsetOf(r), start, end, "");
    }
    int code = errorCode(body);
    Outcome outcome = code == NOT_ENOUGH_REPLICAS ? Outcome.FAILED : Outcome.INDETERMINATE;
    return new Produce(producer, seq, partition, value, outcome, -1, start, end, r.statusCode() + "/" + code);
  }

  private static int errorCode(String body) {
    try {
      return new JsonObject(body).getInteger("error_code", 0);
    } catch (RuntimeException notJson) {
      return 0;
    }
  }

  private void consumeLoop(String consumer, int partition, AtomicLong position, Random random) {
    while (!stopConsumers.get()) {
      try {
        Node entry = entry(random);
        HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(entry.uri("/topics/" + topic + "/partitions/"
            + partition + "/records?offset=" + position.get() + "&timeout=" + FETCH_WAIT_MS + "&max_bytes=65536"))
            .timeout(FETCH_TIMEOUT).header("Accept", "application/vnd.sluice.batch").GET());
        if (r.statusCode() != 200) {
          pause();
          continue;
        }
        history.watermark(consumer, partition,
            Long.parseLong(r.headers().firstValue("Sluice-High-Watermark").orElseThrow()), entry.id);
        for (Record rec : TestBatches.records(ByteBuffer.wrap(r.body()))) {
          if (rec.offset() >= position.get()) { // a batch may start before the position asked for
            history.read(consumer, partition, rec.offset(), TestBatches.value(rec));
            position.set(rec.offset() + 1);
          }
        }
      } catch (Exception e) {
        pause();
      }
    }
  }

  private URI uri(Random random, String path) {
    return entry(random).uri(path);
  }

  private Node entry(Random random) {
    List<Node> live = cluster.nodes.values().stream()
        .filter(n -> n.process.isAlive() && n.port > 0 && !avoid.contains(n.id)).toList();
    if (live.isEmpty()) {
      throw new IllegalStateException("no broker to send to");
    }
    return live.get(random.nextInt(live.size()));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static void pause() {
    try {
      Thread.sleep(RETRY_PAUSE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
