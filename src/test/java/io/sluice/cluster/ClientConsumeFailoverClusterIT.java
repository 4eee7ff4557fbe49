package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.PartitionLag;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.RebalanceListener;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import io.sluice.client.impl.ClientImpl;
import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.group.OffsetsTopic;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client's group consumer and idempotent acks=all producer against three broker processes while a broker is
 * killed with SIGKILL: (1) the broker named in the consumer instance's {@code base_uri}, which also coordinates the
 * group, so the instance's positions die with it; (2) the leader of the partitions in use, then restarted.
 *
 * <p>What is checked, per partition: the application is handed every offset of the final log exactly once, in offset
 * order, with the log's value (so nothing skipped, nothing twice: the client's hand-out filter and repositioning make
 * the broker's at-least-once re-reads invisible while the consumer keeps its partitions, which a single member
 * does); every acknowledged record is in the log at the offset its acknowledgement named and no value is there twice;
 * and after close the group's commits equal the log end; and all along, kill included, no commit of the group passes
 * a record the application was not handed yet ({@link CommitWatch}: a consumer that fetched ahead of the application
 * and committed what it fetched would lose those records at the next failover).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientConsumeFailoverClusterIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int PARTITIONS = 2;
  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  static Path tmp;
  private BrokerCluster cluster;
  private SluiceClient client;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = CLUSTERS.startAll(tmp, 3);
  }

  /** Each test starts with three live brokers (a test that killed one restarts it) and its own client. */
  @BeforeEach
  void allBrokersRunning() throws Exception {
    for (Node n : List.copyOf(cluster.nodes.values())) {
      if (!n.process.isAlive()) {
        cluster.start(n.id).listening.get(120, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
    cluster.awaitAlive(3);
  }

  @AfterEach
  void closeClient() {
    if (client != null) {
      client.close().await().atMost(WAIT);
      client = null;
    }
  }

  /** The records a consumer hands out, in hand-out order, and what its rebalance listener was told meanwhile. */
  private static final class Received implements RebalanceListener {
    final List<ConsumerRecord> records = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    final List<String> events = new CopyOnWriteArrayList<>();
    Cancellable subscription;

    @Override
    public void onPartitionsRevoked(Set<TopicPartition> partitions) {
      events.add("revoked " + partitions + " after " + records.size() + " records");
    }

    @Override
    public void onPartitionsAssigned(Set<TopicPartition> partitions) {
      events.add("assigned " + partitions + " after " + records.size() + " records");
    }

    /** Each place where a partition's offsets do not go up by one, in hand-out order. */
    List<String> jumps() {
      Map<Integer, Long> last = new TreeMap<>();
      List<String> out = new ArrayList<>();
      for (int i = 0; i < records.size(); i++) {
        ConsumerRecord r = records.get(i);
        Long prev = last.put(r.partition(), r.offset());
        if (prev == null ? r.offset() != 0 : r.offset() != prev + 1) {
          out.add("#" + i + ": partition " + r.partition() + " " + prev + " -> " + r.offset());
        }
      }
      return out;
    }

    long count(int partition) {
      return records.stream().filter(r -> r.partition() == partition).count();
    }
  }

  @Test
  void aGroupConsumerWhoseBaseUriBrokerAndCoordinatorIsKilledGoesOnAndIsHandedEveryOffsetOnce() throws Exception {
    String topic = "consumed";
    createTopic(topic);
    int victim = offsetsPartitionLeader(0);
    String group = groupCoordinatedBy(victim);
    client = client(victim);
    Producer producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(2));
    ProducerLoad load = new ProducerLoad(producer, topic, PARTITIONS).start();
    // Auto-commit only at close: one explicit commit below leaves the group's commits well behind the records
    // handed out at the kill, so the new coordinator serves those records again and the client must not hand them out.
    Received received = new Received();
    GroupConsumer consumer = client.consumer(consumerOptions(group, topic).autoCommitIntervalMs(600_000)
        .rebalanceListener(received));
    consume(consumer, received);
    CommitWatch watch = new CommitWatch(group, received);

    await("150 records handed out", () -> received.records.size() >= 150, 60_000);
    consumer.commit().await().atMost(WAIT);
    long committed = committedSum(group);
    await("200 records handed out past the commit", () -> received.records.size() >= committed + 200, 60_000);
    assertThat(requestPort(consumer)).as("the instance is served through its base_uri, the victim")
        .isEqualTo(cluster.node(victim).port);
    long committedAtKill = committedSum(group);
    int handedOutAtKill = received.records.size();
    assertThat(committedAtKill).as("commits behind the hand-out at the kill").isBetween(150L, handedOutAtKill - 200L);
    cluster.signal(cluster.node(victim), "KILL");
    long killNanos = System.nanoTime();
    int ackedAtKill = load.acked.size();

    await("records handed out after the kill", () -> received.records.size() > handedOutAtKill + 300, 60_000);
    long resumedMs = (System.nanoTime() - killNanos) / 1_000_000;
    assertThat(requestPort(consumer)).isNotEqualTo(cluster.node(victim).port);
    await("300 more records acknowledged after the kill", () -> load.acked.size() >= ackedAtKill + 300, 60_000);
    Map<Integer, Map<Long, String>> logs = finishAndCheckLog(load, topic, victim);
    checkEveryOffsetHandedOutOnce(received, logs);
    consumer.close().await().atMost(WAIT);
    checkCommitsAtLogEnd(group, logs);
    watch.stopAndCheck();
    System.out.println("ClientConsumeFailoverClusterIT: consumer of group " + group + " (coordinator and base_uri: "
        + "broker " + victim + ") had " + handedOutAtKill + " records and commits summing " + committedAtKill
        + " at kill -9; handed out 300 more " + resumedMs + " ms after; " + received.records.size()
        + " records in all, " + load.acked.size() + " acknowledged (" + ackedAtKill + " before the kill); listener: "
        + received.events);
  }

  @Test
  void producedAndConsumedOnceAcrossKillAndRestartOfThePartitionsLeader() throws Exception {
    String topic = "restarted";
    createTopic(topic);
    int victim = cluster.leader(cluster.node(1), topic, 0);
    int otherLeader = cluster.leader(cluster.node(1), topic, 1);
    client = client(1);
    Producer producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(2));
    ProducerLoad load = new ProducerLoad(producer, topic, PARTITIONS).start();
    Received received = new Received();
    GroupConsumer consumer = client.consumer(consumerOptions("restart-group", topic).rebalanceListener(received));
    consume(consumer, received);
    CommitWatch watch = new CommitWatch("restart-group", received);

    await("300 records handed out", () -> received.records.size() >= 300, 60_000);
    cluster.signal(cluster.node(victim), "KILL");
    int ackedAtKill = load.acked.size();
    Node survivor = cluster.nodes.values().stream().filter(n -> n.id != victim).findFirst().orElseThrow();
    await("a new leader of partition 0", () -> cluster.leader(survivor, topic, 0) > 0
        && cluster.leader(survivor, topic, 0) != victim);
    await("200 records acknowledged with the leader dead", () -> load.acked.size() >= ackedAtKill + 200, 60_000);
    cluster.start(victim).listening.get(120, java.util.concurrent.TimeUnit.SECONDS);
    cluster.awaitAlive(3);
    int ackedAtRestart = load.acked.size();
    int handedOutAtRestart = received.records.size();
    await("300 more records acknowledged after the restart", () -> load.acked.size() >= ackedAtRestart + 300,
        60_000);
    await("records handed out after the restart", () -> received.records.size() > handedOutAtRestart, 60_000);
    Map<Integer, Map<Long, String>> logs = finishAndCheckLog(load, topic, -1);
    checkEveryOffsetHandedOutOnce(received, logs);
    consumer.close().await().atMost(WAIT);
    checkCommitsAtLogEnd("restart-group", logs);
    watch.stopAndCheck();
    System.out.println("ClientConsumeFailoverClusterIT: leader " + victim + " of partition 0 (partition 1: "
        + otherLeader + ") killed at " + ackedAtKill
        + " acknowledged, restarted at " + ackedAtRestart + "; " + load.acked.size() + " acknowledged, "
        + received.records.size() + " handed out once each; listener: " + received.events);
  }

  /**
   * Looks at the group's commits every 100 ms while a test runs: each commit must lie at or below the first offset of
   * its partition not yet handed to the application. Reads the commits first, then what was handed out, which only
   * grows: a commit that covered a record not handed out by then is a skip.
   */
  private final class CommitWatch {
    private final List<String> skips = new CopyOnWriteArrayList<>();
    private final AtomicInteger looks = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    CommitWatch(String group, Received received) {
      thread = new Thread(() -> {
        while (running.get()) {
          look(group, received);
          try {
            Thread.sleep(100); // the watch's pace, not synchronisation
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "commit-watch-" + group);
      thread.setDaemon(true);
      thread.start();
    }

    private void look(String group, Received received) {
      List<PartitionLag> lags;
      try {
        lags = client.admin().groupLags(group).await().atMost(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        return; // the broker asked died under the request: the next look asks again
      }
      Map<Integer, Set<Long>> handedOut = new TreeMap<>();
      for (ConsumerRecord r : received.records) {
        handedOut.computeIfAbsent(r.partition(), k -> new HashSet<>()).add(r.offset());
      }
      for (PartitionLag lag : lags) {
        Long committed = lag.committedOffset();
        Set<Long> handed = handedOut.getOrDefault(lag.partition().partition(), Set.of());
        long notHandedOut = committed == null ? 0 : LongStream.range(0, committed).filter(o -> !handed.contains(o))
            .count();
        if (notHandedOut > 0) {
          skips.add("partition " + lag.partition().partition() + " committed at " + committed + " with "
              + notHandedOut + " offsets below it not handed out (" + handed.size() + " handed out)");
        }
      }
      looks.incrementAndGet();
    }

    void stopAndCheck() throws InterruptedException {
      running.set(false);
      thread.join(WAIT.toMillis());
      assertThat(looks.get()).as("the commit watch looked").isPositive();
      assertThat(skips).as("commits that passed records not handed out").isEmpty();
    }
  }

  private void createTopic(String topic) throws Exception {
    HttpResponse<byte[]> created = cluster.createTopic(cluster.node(1), topic, PARTITIONS, 3,
        Map.of("min.insync.replicas", "2"));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    for (int p = 0; p < PARTITIONS; p++) {
      int partition = p;
      await("a leader for " + topic + "-" + p, () -> cluster.leader(cluster.node(1), topic, partition) > 0);
    }
  }

  /** A client whose first bootstrap broker, where group consumer instances are created, is {@code first}. */
  private SluiceClient client(int first) {
    String[] urls = Stream.concat(Stream.of(cluster.node(first)),
            cluster.nodes.values().stream().filter(n -> n.id != first))
        .map(n -> "http://127.0.0.1:" + n.port).toArray(String[]::new);
    return SluiceClient.create(ClientOptions.bootstrap(urls).requestTimeoutMs(20_000));
  }

  private static ConsumerOptions consumerOptions(String group, String topic) {
    return ConsumerOptions.of(group, List.of(topic)).fetchMaxWaitMs(200).fetchMaxBytes(16_384)
        .sessionTimeoutMs(6_000).enableAutoCommit(true).autoCommitIntervalMs(200);
  }

  private static void consume(GroupConsumer consumer, Received r) {
    r.subscription = consumer.records().subscribe().with(r.records::add, r.failures::add);
  }

  /** Creates the offsets topic (any group call does) and answers the leader of one of its partitions. */
  private int offsetsPartitionLeader(int partition) throws Exception {
    HttpResponse<byte[]> warm = cluster.send(HttpRequest.newBuilder(cluster.node(1).uri("/consumers/warm-up"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(warm.statusCode()).as(body(warm)).isEqualTo(200);
    await("leaders for every offsets topic partition", () -> {
      JsonObject t = cluster.getJson(cluster.node(1), "/topics/" + OffsetsTopic.NAME);
      return t != null && t.getJsonArray("partitions").stream().allMatch(p -> ((JsonObject) p).getInteger("leader")
          > 0);
    });
    return cluster.leader(cluster.node(1), OffsetsTopic.NAME, partition);
  }

  /** A group name whose offsets topic partition {@code broker} leads, so that broker coordinates it. */
  private String groupCoordinatedBy(int broker) {
    JsonArray partitions = cluster.getJson(cluster.node(1), "/topics/" + OffsetsTopic.NAME).getJsonArray("partitions");
    for (int i = 0; ; i++) {
      String group = "consumed-" + i;
      JsonObject p = partitions.getJsonObject(OffsetsTopic.partitionFor(group, partitions.size()));
      if (p.getInteger("leader") == broker) {
        return group;
      }
    }
  }

  private int requestPort(GroupConsumer consumer) {
    return ((ClientImpl) client).consumerRequestUrl(consumer).await().atMost(WAIT).getPort();
  }

  private long committedSum(String group) {
    return client.admin().groupLags(group).await().atMost(WAIT).stream()
        .mapToLong(l -> l.committedOffset() == null ? 0 : l.committedOffset()).sum();
  }

  /**
   * Stops the load and checks it: no send failed, and each acknowledged record is in its partition's log (read from
   * the partition's leader once its high watermark passes every acknowledged offset) at the acknowledged offset,
   * and no value is in the log twice. Answers the logs. {@code dead} is a broker not to ask, or -1.
   */
  private Map<Integer, Map<Long, String>> finishAndCheckLog(ProducerLoad load, String topic, int dead)
      throws Exception {
    load.finish();
    load.producer.flush().await().atMost(WAIT);
    assertThat(load.failures).as("no send failed: retries ride out the failover").isEmpty();
    Node asked = cluster.nodes.values().stream().filter(n -> n.id != dead).findFirst().orElseThrow();
    Map<Integer, Map<Long, String>> logs = new TreeMap<>();
    List<String> misplaced = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      int partition = p;
      long lastAcked = load.acked.values().stream().filter(md -> md.partition() == partition)
          .mapToLong(RecordMetadata::offset).max().orElseThrow();
      await("a live leader of " + topic + "-" + p + " with its high watermark past " + lastAcked, () -> {
        int leader = cluster.leader(asked, topic, partition);
        return leader > 0 && leader != dead && endOffset(cluster.node(leader), topic, partition) > lastAcked;
      });
      Map<Long, String> log = cluster.readAll(cluster.node(cluster.leader(asked, topic, p)), topic, p);
      assertThat(new HashSet<>(log.values())).as("no record written twice in partition " + p).hasSize(log.size());
      logs.put(p, log);
    }
    load.acked.forEach((value, md) -> {
      String inLog = logs.get(md.partition()).get(md.offset());
      if (!value.equals(inLog)) {
        misplaced.add(value + "@" + md.partition() + "/" + md.offset() + " but the log has " + inLog);
      }
    });
    assertThat(misplaced).as("acknowledged records at their acknowledged offsets").isEmpty();
    return logs;
  }

  /** Waits until the consumer has reached each log's end, then checks it was handed each offset once, in order. */
  private static void checkEveryOffsetHandedOutOnce(Received received, Map<Integer, Map<Long, String>> logs) {
    logs.forEach((p, log) -> await("the consumer reaches the end of partition " + p + " (" + log.size() + ")",
        () -> received.count(p) >= log.size() || !received.failures.isEmpty(), 60_000));
    assertThat(received.failures).as("the record stream did not fail").isEmpty();
    assertThat(received.jumps()).as("offsets going up by one per partition; rebalance calls: " + received.events)
        .isEmpty();
    logs.forEach((p, log) -> {
      List<ConsumerRecord> ofPartition = received.records.stream().filter(r -> r.partition() == p).toList();
      assertThat(ofPartition).extracting(ConsumerRecord::offset).as("partition %d: every offset once, in order", p)
          .containsExactlyElementsOf(log.keySet());
      for (ConsumerRecord r : ofPartition) {
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(log.get(r.offset()));
      }
    });
  }

  private void checkCommitsAtLogEnd(String group, Map<Integer, Map<Long, String>> logs) {
    List<PartitionLag> lags = client.admin().groupLags(group).await().atMost(WAIT);
    Map<Integer, Long> committed = new TreeMap<>();
    lags.forEach(l -> committed.put(l.partition().partition(), l.committedOffset()));
    Map<Integer, Long> ends = new TreeMap<>();
    logs.forEach((p, log) -> ends.put(p, (long) log.size()));
    assertThat(committed).as("the group's commits after close").isEqualTo(ends);
  }

  private long endOffset(Node node, String topic, int partition) {
    JsonObject o = cluster.getJson(node, "/topics/" + topic + "/partitions/" + partition + "/offsets");
    return o == null ? -1 : o.getLong("end_offset", -1L);
  }
}
