package io.sluice.cluster;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.ClusterDescription;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rack awareness on three brokers in one JVM, one per rack ("a", "b", "c"), with Kafka's RackAwareReplicaSelector:
 * the racks in the cluster's description, a topic's replicas over every rack, and a consumer giving its
 * {@code client.rack} read by its rack's in-sync follower, never past the high watermark, and by the leader once that
 * follower is moved away, without losing or repeating a record.
 */
@Tag("several-brokers")
class RackAwareClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final long WAIT_MS = 60_000;
  private static final Map<Integer, String> RACKS = Map.of(1, "a", 2, "b", 3, "c");

  @TempDir
  Path dir;
  private InProcessCluster cluster;

  @BeforeEach
  void startAll() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp()
        .set(BrokerConfig.REPLICA_SELECTOR_CLASS, BrokerConfig.RACK_AWARE_REPLICA_SELECTOR);
    RACKS.forEach((id, rack) -> cluster.set(id, BrokerConfig.BROKER_RACK, rack));
    cluster.start(3);
  }

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private Broker broker(int id) {
    return cluster.broker(id);
  }

  @Test
  void theClusterShowsEachBrokersRackAndATopicsReplicasSpanEveryRack() throws Exception {
    ClusterDescription described = await(broker(2).service().describeCluster(CALLER));
    assertThat(described.brokers()).extracting(ClusterDescription.BrokerInfo::id, ClusterDescription.BrokerInfo::rack)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(1, "a"), org.assertj.core.groups.Tuple.tuple(2,
            "b"), org.assertj.core.groups.Tuple.tuple(3, "c"));

    await(broker(1).service().createTopic(CALLER, new NewTopic("spread", 6, 2, Map.of())));

    MetadataSnapshot s = broker(3).metadata();
    Map<Integer, Integer> leaders = new HashMap<>();
    s.topic("spread").orElseThrow().assignment().forEach((p, replicas) -> {
      Set<String> racks = new HashSet<>();
      replicas.forEach(b -> racks.add(RACKS.get(b)));
      assertThat(racks).as("racks of partition %d %s", p, replicas).hasSize(2);
      leaders.merge(replicas.get(0), 1, Integer::sum);
    });
    assertThat(leaders).containsOnly(Map.entry(1, 2), Map.entry(2, 2), Map.entry(3, 2));
  }

  @Test
  void aConsumerReadsFromItsRacksFollowerUpToTheHighWatermarkAndFromTheLeaderOnceTheFollowerMoves()
      throws Exception {
    TopicPartition tp = new TopicPartition("near", 0);
    await(broker(1).service().createTopic(CALLER, new NewTopic("near", 1, 3, Map.of())));
    int leader = broker(1).metadata().topic("near").orElseThrow().states().get(0).leader();
    int near = leader == 2 ? 3 : 2; // a follower; the consumer sits in its rack and asks its broker
    String rack = RACKS.get(near);
    List<String> produced = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      produced.add("r" + i);
      await(broker(leader).service().produce(CALLER, tp, batch("r" + i), Acks.LEADER)); // the follower trails
    }

    List<String> consumed = new ArrayList<>();
    Set<Integer> servedBy = new HashSet<>();
    long offset = readTo(near, rack, tp, 0, 50, consumed, servedBy);

    assertThat(servedBy).as("the follower of the consumer's rack answered").containsOnly(near);
    await(broker(leader).awaitMetadata(m -> m.topic("near").orElseThrow().states().get(0).isr().size() == 3,
        WAIT_MS));
    List<Integer> without = new ArrayList<>(List.of(1, 2, 3));
    without.remove(Integer.valueOf(near));
    if (without.get(0) != leader) {
      java.util.Collections.reverse(without); // keep the leader: only the follower moves
    }
    await(broker(leader).service().alterPartitionReassignment(CALLER, tp, without));
    for (Broker b : cluster.brokers().values()) {
      await(b.awaitMetadata(m -> m.topic("near").map(t -> t.assignment().get(0).equals(without)
          && !t.reassignments().containsKey(0)).orElse(false), WAIT_MS));
    }
    for (int i = 50; i < 100; i++) {
      produced.add("r" + i);
      await(broker(leader).service().produce(CALLER, tp, batch("r" + i), Acks.ALL));
    }
    servedBy.clear();
    readTo(near, rack, tp, offset, 100, consumed, servedBy);

    assertThat(servedBy).as("the leader answered once the follower was moved away").containsOnly(-1);
    assertThat(consumed).as("each record once, in order").isEqualTo(produced);
  }

  @Test
  void overHttpTheFollowerThatAnsweredIsNamedAndTheJavaClientFallsBackToTheLeaderWhenItsRacksBrokerStops()
      throws Exception {
    TopicPartition tp = new TopicPartition("client", 0);
    await(broker(1).service().createTopic(CALLER, new NewTopic("client", 1, 3, Map.of())));
    await(broker(1).awaitMetadata(m -> m.topic("client").orElseThrow().states().get(0).isr().size() == 3, WAIT_MS));
    int leader = broker(1).metadata().topic("client").orElseThrow().states().get(0).leader();
    int near = leader == 2 ? 3 : 2;
    int other = 6 - leader - near;
    List<String> produced = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      produced.add("c" + i);
      await(broker(leader).service().produce(CALLER, tp, batch("c" + i), Acks.ALL));
    }
    io.vertx.ext.web.client.WebClient web = io.sluice.broker.testing.TestClients.web(broker(near).httpPort());
    io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> fromFollower = await(web.get(
        "/topics/client/partitions/0/records?offset=0&client_rack=" + RACKS.get(near)).send());
    io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> fromLeader = await(web.get(
        "/topics/client/partitions/0/records?offset=0").send());
    assertThat(fromFollower.statusCode()).isEqualTo(200);
    assertThat(fromFollower.getHeader("Sluice-Read-Replica")).isEqualTo(String.valueOf(near));
    assertThat(fromLeader.getHeader("Sluice-Read-Replica")).as("no client_rack: the leader answers").isNull();
    assertThat(fromFollower.bodyAsJsonArray().size()).as("up to the high watermark the follower knows, which may"
        + " trail the leader's by a fetch round").isEqualTo(Integer.parseInt(fromFollower.getHeader(
            "Sluice-High-Watermark"))).isLessThanOrEqualTo(20);

    List<String> consumed = java.util.Collections.synchronizedList(new ArrayList<>());
    io.sluice.client.SluiceClient client = io.sluice.client.SluiceClient.create(io.sluice.client.ClientOptions
        .bootstrap("http://127.0.0.1:" + broker(other).httpPort()).clientRack(RACKS.get(near))
        .requestTimeoutMs(5_000));
    io.smallrye.mutiny.subscription.Cancellable reading = client.partitionReader(io.sluice.client.ReaderOptions
            .of("client", 0)).records()
        .subscribe().with(r -> consumed.add(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)));
    try {
      Awaitility.await("the reader reads what was written").atMost(Duration.ofMinutes(1))
          .until(() -> consumed.size() >= 20);
      cluster.stop(near);
      for (int i = 20; i < 40; i++) {
        produced.add("c" + i);
        await(broker(leader).service().produce(CALLER, tp, batch("c" + i), Acks.LEADER));
      }
      Awaitility.await("the reader goes on from the leader").atMost(Duration.ofMinutes(1))
          .until(() -> consumed.size() >= 40);
      assertThat(consumed).as("each record once, in order").isEqualTo(produced);
    } finally {
      reading.cancel();
      client.close().await().atMost(java.time.Duration.ofSeconds(30));
      web.close();
    }
  }

  /**
   * Reads through broker {@code via} as a consumer of {@code rack} until {@code end}, checking that no answer goes
   * past the high watermark it carries nor past the leader's; the offset after the last record read.
   */
  private long readTo(int via, String rack, TopicPartition tp, long from, long end, List<String> consumed,
      Set<Integer> servedBy) throws Exception {
    long offset = from;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (offset < end) {
      assertThat(System.nanoTime()).as("read to %d by the deadline, at %d", end, offset).isLessThan(deadline);
      FetchResult r;
      try {
        r = await(broker(via).service().fetch(CALLER, new FetchRequest(tp, offset, 1 << 20, 1, 500, rack)));
      } catch (SluiceException e) {
        assertThat(e.errorCode().retriable()).as("%s", e).isTrue();
        continue;
      }
      assertThat(r.nextOffset()).as("never past the high watermark the answer carries").isLessThanOrEqualTo(
          r.highWatermark());
      if (r.batches().sizeInBytes() == 0) {
        continue;
      }
      servedBy.add(r.readReplica());
      TestBatches.records(r.batches().readBytes()).forEach(rec -> consumed.add(TestBatches.value(rec)));
      offset = r.nextOffset();
    }
    return offset;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(90, TimeUnit.SECONDS);
  }
}
