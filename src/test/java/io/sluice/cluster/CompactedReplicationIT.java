package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static io.sluice.cluster.BrokerCluster.offsetOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.record.CompressionType;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication of a compacted partition across broker processes: a follower that was down while its leader compacted
 * catches up from the compacted log (fetching across the offsets compaction removed) and ends up with every key's
 * latest record at the offset the leader acknowledged it with.
 */
class CompactedReplicationIT {
  private static final String TOPIC = "compacted";
  private static final int KEYS = 5;

  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  Path tmp;
  private BrokerCluster cluster;

  @Test
  void aFollowerCatchesUpFromACompactedLeaderAcrossItsGaps() throws Exception {
    cluster = CLUSTERS.create(tmp);
    cluster.extraConfig.put("log.retention.check.interval.ms", 200); // the cleaner runs on this timer
    cluster.startAll(3);
    HttpResponse<byte[]> created = cluster.createTopic(cluster.node(1), TOPIC, 1, 3,
        Map.of("cleanup.policy", "compact", "segment.bytes", "1024"));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    await("every replica in sync", () -> cluster.inSyncCount(cluster.node(1), TOPIC, 0) == 3);
    Node leader = cluster.node(cluster.leader(cluster.node(1), TOPIC, 0));
    Node follower = cluster.nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
    Map<String, Long> latestOffset = new HashMap<>();
    Map<String, String> latestValue = new HashMap<>();
    produce(leader, 0, 20, latestOffset, latestValue);
    await("the follower has the first updates", () -> replicaLatest(follower).keySet().size() == KEYS);

    cluster.signal(follower, "KILL");
    follower.process.waitFor();
    long sentBytes = produce(leader, 20, 120, latestOffset, latestValue);
    await("the leader compacted its closed segments", () -> replicaSize(leader) < sentBytes / 3, 30_000);

    cluster.start(follower.id).listening.get(120, java.util.concurrent.TimeUnit.SECONDS);
    await("the restarted follower holds every key's latest record", () -> {
      Map<String, String[]> replica = replicaLatest(cluster.node(follower.id));
      return latestValue.keySet().stream().allMatch(k -> replica.containsKey(k)
          && replica.get(k)[1].equals(latestValue.get(k))
          && Long.parseLong(replica.get(k)[0]) == latestOffset.get(k));
    }, 60_000);
    await("the follower back in the ISR", () -> cluster.inSyncCount(leader, TOPIC, 0) == 3, 30_000);
    assertThat(cluster.blockedLoopReports()).isEmpty();
  }

  /** Produces updates {@code from..to-1} (key {@code i % KEYS}) with acks=1; returns the bytes sent. */
  private long produce(Node leader, int from, int to, Map<String, Long> latestOffset, Map<String, String> latestValue)
      throws Exception {
    long bytes = 0;
    for (int i = from; i < to; i++) {
      String key = "key-" + (i % KEYS);
      String value = "value-" + i;
      ByteBuffer batch = new RecordBatchBuilder(CompressionType.NONE).append(System.currentTimeMillis(),
          key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), null).build();
      byte[] body = new byte[batch.remaining()];
      batch.get(body);
      bytes += body.length;
      HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(leader.uri("/topics/" + TOPIC
          + "/partitions/0/batches?acks=1")).header("Content-Type", "application/vnd.sluice.batch")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
      assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
      latestOffset.put(key, offsetOf(r));
      latestValue.put(key, value);
    }
    return bytes;
  }

  private long replicaSize(Node node) {
    try {
      return cluster.replicaBytes(node.id, TOPIC, 0).length;
    } catch (IOException e) {
      return Long.MAX_VALUE; // a segment swapped away while listing: try again
    }
  }

  /** Key -> {offset, value} of the last record per key in a replica's segment files, read from disk. */
  private Map<String, String[]> replicaLatest(Node node) {
    Map<String, String[]> latest = new HashMap<>();
    byte[] bytes;
    try {
      bytes = cluster.replicaBytes(node.id, TOPIC, 0);
    } catch (IOException e) {
      return latest; // a segment swapped away while listing: try again
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long lastOffset = -1;
    while (buf.remaining() >= RecordBatch.HEADER_SIZE) {
      RecordBatch batch = RecordBatch.wrap(buf.slice());
      if (batch.sizeInBytes() > buf.remaining()) {
        break; // a batch being written
      }
      for (Record r : batch.records()) {
        assertThat(r.offset()).as("offsets only grow in a replica").isGreaterThan(lastOffset);
        lastOffset = r.offset();
        latest.put(new String(r.key(), StandardCharsets.UTF_8),
            new String[] {Long.toString(r.offset()), new String(r.value(), StandardCharsets.UTF_8)});
      }
      buf.position(buf.position() + batch.sizeInBytes());
    }
    return latest;
  }
}
