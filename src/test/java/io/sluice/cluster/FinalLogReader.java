package io.sluice.cluster;

import io.sluice.broker.testing.TestBatches;
import io.sluice.cluster.faults.FinalLog;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads a healed partition for the checker: the committed log through the cluster's fetch API, and each replica's
 * copy from its segment files (brokers keep running; a replica's files only grow past the high watermark once the
 * producers stopped). Unlike {@link BrokerCluster#readAll} it asserts nothing: what it sees is the checker's input.
 */
final class FinalLogReader {
  private static final long STABLE_MS = 30_000;
  private final BrokerCluster cluster;
  private final String topic;

  FinalLogReader(BrokerCluster cluster, String topic) {
    this.cluster = cluster;
    this.topic = topic;
  }

  /**
   * The committed log and its high watermark, as read through any live broker (retrying refusals such as a leader
   * change for up to {@code STABLE_MS}), and each replica's copy below that high watermark, read again until it
   * holds every offset below it or {@code STABLE_MS} passed (a follower may still be copying the last batches).
   */
  FinalLog read(int partition, List<Integer> replicas) throws Exception {
    SortedMap<Long, String> committed = new TreeMap<>();
    long offset = 0;
    long highWatermark = Long.MAX_VALUE;
    while (offset < highWatermark) {
      long from = offset;
      AtomicReference<HttpResponse<byte[]>> answer = new AtomicReference<>();
      BrokerCluster.await("the final read of " + topic + "-" + partition + " at " + offset,
          () -> {
            answer.set(fetch(partition, from));
            return answer.get() != null;
          }, STABLE_MS);
      HttpResponse<byte[]> r = answer.get();
      highWatermark = Long.parseLong(r.headers().firstValue("Sluice-High-Watermark").orElseThrow());
      for (Record rec : TestBatches.records(ByteBuffer.wrap(r.body()))) {
        if (rec.offset() >= offset) {
          committed.put(rec.offset(), TestBatches.value(rec));
          offset = rec.offset() + 1;
        }
      }
    }
    Map<Integer, SortedMap<Long, String>> records = new TreeMap<>();
    Map<Integer, byte[]> bytes = new TreeMap<>();
    for (int broker : replicas) {
      long hw = highWatermark;
      try {
        BrokerCluster.await("broker " + broker + "'s replica of " + topic + "-" + partition + " up to " + hw,
            () -> replica(broker, partition, hw).size() >= hw, STABLE_MS);
      } catch (AssertionError notThere) {
        // what it holds is the checker's input: a replica short of the high watermark is a divergence
      }
      byte[] all = cluster.replicaBytes(broker, topic, partition);
      bytes.put(broker, Arrays.copyOf(all, endOfBatchesBelow(all, hw)));
      records.put(broker, replica(broker, partition, hw));
    }
    return new FinalLog(committed, highWatermark, records, bytes);
  }

  /** One fetch from {@code offset}, or null after a refusal or an I/O error. */
  private HttpResponse<byte[]> fetch(int partition, long offset) {
    try {
      HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(cluster.anyLive().uri("/topics/" + topic
          + "/partitions/" + partition + "/records?offset=" + offset + "&max_bytes=1048576&timeout=0"))
          .header("Accept", "application/vnd.sluice.batch").GET());
      return r.statusCode() == 200 ? r : null;
    } catch (java.io.IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Broker {@code broker}'s records below {@code highWatermark}, decoded from its segment files. */
  private SortedMap<Long, String> replica(int broker, int partition, long highWatermark) {
    try {
      byte[] all = cluster.replicaBytes(broker, topic, partition);
      SortedMap<Long, String> below = new TreeMap<>();
      for (Record rec : TestBatches.records(ByteBuffer.wrap(all, 0, endOfBatchesBelow(all, highWatermark)).slice())) {
        below.put(rec.offset(), TestBatches.value(rec));
      }
      return below;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The byte position after the last whole batch that starts below {@code highWatermark}. */
  static int endOfBatchesBelow(byte[] log, long highWatermark) {
    ByteBuffer buf = ByteBuffer.wrap(log);
    while (buf.remaining() >= RecordBatch.HEADER_SIZE) {
      RecordBatch batch = RecordBatch.wrap(buf.slice());
      int size = batch.sizeInBytes();
      if (size > buf.remaining() || batch.baseOffset() >= highWatermark) {
        break;
      }
      buf.position(buf.position() + size);
    }
    return buf.position();
  }
}
