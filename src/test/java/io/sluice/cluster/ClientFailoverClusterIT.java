package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.impl.ClientImpl;
import io.sluice.cluster.BrokerCluster.Node;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client against three broker processes: an idempotent acks=all producer that learned the brokers from
 * {@code GET /cluster} keeps producing while its partition's leader is killed with SIGKILL, follows the leader to
 * its new broker, and every record it was told was written is in the log once, at the offset it was told.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientFailoverClusterIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
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

  @AfterAll
  void stopCluster() throws Exception {
    if (client != null) {
      client.close().await().atMost(WAIT);
    }
  }

  @Test
  void anIdempotentProducerFollowsAKilledLeaderAndEveryAcknowledgedRecordIsInTheLogOnceAtItsOffset()
      throws Exception {
    String topic = "moving";
    HttpResponse<byte[]> created = cluster.createTopic(cluster.node(1), topic, 1, 3,
        Map.of("min.insync.replicas", "2"));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    await("a leader for " + topic, () -> cluster.leader(cluster.node(1), topic, 0) > 0);
    client = SluiceClient.create(ClientOptions.bootstrap(cluster.nodes.values().stream()
        .map(n -> "http://127.0.0.1:" + n.port).toArray(String[]::new)).requestTimeoutMs(10_000));
    Producer producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(2));
    ProducerLoad load = new ProducerLoad(producer, topic, 1).start();

    await("200 records acknowledged before the kill", () -> load.acked.size() >= 200);
    int oldLeader = cluster.leader(cluster.node(1), topic, 0);
    int leaderPort = cluster.node(oldLeader).port;
    await("the client sends to leader " + oldLeader + " itself", () -> requestUrl(topic).getPort() == leaderPort,
        10_000);
    cluster.signal(cluster.node(oldLeader), "KILL");
    long killNanos = System.nanoTime();
    int ackedAtKill = load.acked.size();
    Node survivor = cluster.nodes.values().stream().filter(n -> n.id != oldLeader).findFirst().orElseThrow();

    await("500 more records acknowledged after the kill", () -> load.acked.size() >= ackedAtKill + 500, 90_000);
    long resumedMs = (System.nanoTime() - killNanos) / 1_000_000;
    load.finish();
    producer.flush().await().atMost(WAIT);
    assertThat(load.failures).as("no send failed: retries ride out the failover").isEmpty();

    int newLeader = cluster.leader(survivor, topic, 0);
    assertThat(newLeader).isNotIn(oldLeader, -1);

    long lastAcked = load.acked.values().stream().mapToLong(md -> md.offset()).max().orElseThrow();
    Node leaderNode = cluster.node(newLeader);
    await("the client sends to new leader " + newLeader, () -> requestUrl(topic).getPort()
        == cluster.node(newLeader).port, 10_000);
    await("the new leader's high watermark passes every acknowledged offset",
        () -> highWatermark(leaderNode, topic) > lastAcked);
    Map<Long, String> log = cluster.readAll(leaderNode, topic, 0);
    List<String> misplaced = new ArrayList<>();
    load.acked.forEach((value, md) -> {
      if (!value.equals(log.get(md.offset()))) {
        misplaced.add(value + "@" + md.offset() + " but the log has " + log.get(md.offset()));
      }
    });
    assertThat(misplaced).as("acknowledged records at their acknowledged offsets").isEmpty();
    Set<String> distinct = new HashSet<>(log.values());
    assertThat(distinct).as("no record written twice").hasSize(log.size());
    System.out.println("ClientFailoverClusterIT: " + load.acked.size() + " records acknowledged (" + ackedAtKill
        + " before kill -9 of leader " + oldLeader + "); 500 more acknowledged " + resumedMs
        + " ms after the kill, through new leader " + newLeader + "; log holds " + log.size() + " records");
  }

  private URI requestUrl(String topic) {
    return ((ClientImpl) client).partitionRequestUrl(topic, 0).await().atMost(WAIT);
  }

  private long highWatermark(Node node, String topic) {
    try {
      HttpResponse<byte[]> r = cluster.send(java.net.http.HttpRequest.newBuilder(node.uri("/topics/" + topic
          + "/partitions/0/offsets")).GET());
      return r.statusCode() == 200 ? new io.vertx.core.json.JsonObject(body(r)).getLong("end_offset", -1L) : -1;
    } catch (Exception e) {
      return -1;
    }
  }
}
