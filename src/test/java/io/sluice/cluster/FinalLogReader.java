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

/**
 * Reads a healed partition for the checker: the committed log through the cluster's fetch API, and each replica's
 * copy from its segment files (brokers keep running; a replica's files only grow past the high watermark once the
 * producers stopped). Unlike {@link BrokerCluster#readAll} it asserts nothing: what it sees is the checker's input.
 */
final class FinalLogReader {
  private final BrokerCluster cluster;
  private final String topic;

  FinalLogReader(BrokerCluster cluster, String topic) {
    this.cluster = cluster;
    this.topic = topic;
  }

  /** The committed log and its high watermark, as read through any live broker. */
  FinalLog read(int partition, List<Integer> replicas) throws Exception {
    SortedMap<Long, String> committed = new TreeMap<>();
    long offset = 0;
    long highWatermark;
    do {
      HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(cluster.anyLive().uri("/topics/" + topic
          + "/partitions/" + partition + "/records?offset=" + offset + "&max_bytes=1048576&timeout=0"))
          .header("Accept", "application/vnd.sluice.batch").GET());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("final read of " + topic + "-" + partition + " at " + offset + ": "
            + BrokerCluster.body(r));
      }
      highWatermark = Long.parseLong(r.headers().firstValue("Sluice-High-Watermark").orElseThrow());
      for (Record rec : TestBatches.records(ByteBuffer.wrap(r.body()))) {
        if (rec.offset() >= offset) {
          committed.put(rec.offset(), TestBatches.value(rec));
          offset = rec.offset() + 1;
        }
      }
    } while (offset < highWatermark);
    Map<Integer, SortedMap<Long, String>> records = new TreeMap<>();
    Map<Integer, byte[]> bytes = new TreeMap<>();
    for (int broker : replicas) {
      byte[] all = cluster.replicaBytes(broker, topic, partition);
      int end = endOfBatchesBelow(all, highWatermark);
      bytes.put(broker, Arrays.copyOf(all, end));
      SortedMap<Long, String> below = new TreeMap<>();
      for (Record rec : TestBatches.records(ByteBuffer.wrap(all, 0, end).slice())) {
        below.put(rec.offset(), TestBatches.value(rec));
      }
      records.put(broker, below);
    }
    return new FinalLog(committed, highWatermark, records, bytes);
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
