package io.sluice.connect;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.PartitionOffsets;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicDescription;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Exactly-once delivery into the topics for a source whose records replay identically from a committed offset
 * (a file's byte position, a database's log position), without transactions: sequence-based deduplication.
 *
 * <p>Every record the task sends carries two headers: {@code sluice.connect.task} ({@code <connector>/<task>}) and
 * {@code sluice.connect.seq}, a number that grows by one per record sent. With each offset commit the task writes
 * its ledger record ({@code ["<connector>", {"sluice.task": id}]} in {@code __connect_offsets}, before the Kafka-style
 * per-partition offsets, so it is never older than them): the sequence number of the last record acknowledged with
 * every record before it (polls are pipelined: later ones may still be in flight), the source offsets it covers,
 * and for every topic partition the task writes to, the log position after its last acknowledged record. Before the
 * first record to a topic not yet in the ledger, the ledger is committed with that topic's current end offsets.
 *
 * <p>After a crash the task resumes from the ledger's offsets with the ledger's sequence number, and first reads
 * each of its topic partitions from the ledger's position to the end, collecting the sequence numbers of its own
 * records written after the commit. Replayed records get the same numbers as before, so those already in a topic are
 * not sent again. Used by one task thread.
 */
final class ExactlyOnceLedger {
  static final String TASK_HEADER = "sluice.connect.task";
  static final String SEQ_HEADER = "sluice.connect.seq";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final SluiceClient client;
  private final String taskId;
  private final byte[] taskIdBytes;
  private long seq;
  /** The sequence number of the last record whose poll, and every poll before it, is acknowledged. */
  private long coveredSeq;
  /** topic -> partition -> the position to scan from (the log position after our last acknowledged record). */
  private final Map<String, Map<Integer, Long>> positions = new HashMap<>();
  private final Set<Long> alreadyWritten = new HashSet<>();
  private long highestWritten = -1;

  private ExactlyOnceLedger(SluiceClient client, String connector, int task) {
    this.client = client;
    this.taskId = connector + "/" + task;
    this.taskIdBytes = taskId.getBytes(StandardCharsets.UTF_8);
  }

  /** Loads the ledger (applying its offsets to {@code reader}) and scans the topics for records after it. */
  static ExactlyOnceLedger load(SluiceClient client, ConnectState state, String connector, int task,
      OffsetReader reader) {
    ExactlyOnceLedger ledger = new ExactlyOnceLedger(client, connector, task);
    String json = state.offsets.get(ConnectState.exactlyOnceKey(connector, task));
    if (json != null) {
      JsonObject record = new JsonObject(json);
      ledger.seq = record.getLong("seq");
      ledger.coveredSeq = ledger.seq;
      JsonObject pos = record.getJsonObject("positions");
      for (String topic : pos.fieldNames()) {
        Map<Integer, Long> parts = new HashMap<>();
        pos.getJsonObject(topic).forEach(e -> parts.put(Integer.parseInt(e.getKey()), ((Number) e.getValue())
            .longValue()));
        ledger.positions.put(topic, parts);
      }
      for (Object o : record.getJsonArray("offsets")) {
        JsonArray pair = (JsonArray) o;
        reader.override(OffsetReader.toConnect(pair.getJsonObject(0)), OffsetReader.toConnect(pair.getJsonObject(1)));
      }
      ledger.scan();
    }
    return ledger;
  }

  private void scan() {
    for (Map.Entry<String, Map<Integer, Long>> t : positions.entrySet()) {
      TopicDescription d;
      try {
        d = client.refreshMetadata(t.getKey()).await().atMost(WAIT);
      } catch (SluiceException e) {
        if (e.errorCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          continue;
        }
        throw e;
      }
      for (int p = 0; p < d.partitions().size(); p++) {
        scanPartition(t.getKey(), p, t.getValue().getOrDefault(p, 0L));
      }
    }
  }

  private void scanPartition(String topic, int partition, long from) {
    PartitionOffsets offsets = client.admin().offsets(topic, partition).await().atMost(WAIT);
    long end = offsets.endOffset();
    long start = Math.max(from, offsets.beginningOffset());
    if (start >= end) {
      return;
    }
    client.partitionReader(ReaderOptions.of(topic, partition).start(StartPosition.offset(start)).fetchMaxWaitMs(100))
        .records().onItem().invoke(this::collect)
        // take-while: ends after the record at end - 1, which invoke() above has already collected
        .select().first(r -> r.offset() < end - 1)
        .collect().last().await().atMost(Duration.ofMinutes(5));
  }

  private void collect(ConsumerRecord r) {
    byte[] task = null;
    byte[] seqBytes = null;
    for (Header h : r.headers()) {
      if (h.key().equals(TASK_HEADER)) {
        task = h.value();
      } else if (h.key().equals(SEQ_HEADER)) {
        seqBytes = h.value();
      }
    }
    if (task != null && seqBytes != null && java.util.Arrays.equals(task, taskIdBytes)) {
      long s = Long.parseLong(new String(seqBytes, StandardCharsets.UTF_8));
      if (s > seq) {
        alreadyWritten.add(s);
        highestWritten = Math.max(highestWritten, s);
      }
    }
  }

  /** Whether the ledger has a scan position for the topic (else {@link #addTopic} before sending to it). */
  boolean knows(String topic) {
    return positions.containsKey(topic);
  }

  /** Adds a topic at its current end offsets (empty: scanned from its start). */
  void addTopic(String topic) {
    Map<Integer, Long> parts = new HashMap<>();
    try {
      TopicDescription d = client.refreshMetadata(topic).await().atMost(WAIT);
      for (int p = 0; p < d.partitions().size(); p++) {
        parts.put(p, client.admin().offsets(topic, p).await().atMost(WAIT).endOffset());
      }
    } catch (SluiceException e) {
      if (e.errorCode() != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        throw e;
      }
    }
    positions.put(topic, parts);
  }

  /** The next record's sequence number; true in {@code [0]} if it is already in its topic (do not send). */
  long next(boolean[] skip) {
    seq++;
    skip[0] = alreadyWritten.remove(seq);
    return seq;
  }

  /** The sequence number of the last record numbered so far. */
  long sequence() {
    return seq;
  }

  /** Records up to {@code recordSeq} are acknowledged, with every one before them: the next commit covers them. */
  void covered(long recordSeq) {
    coveredSeq = Math.max(coveredSeq, recordSeq);
  }

  void headers(java.util.List<Header> headers, long recordSeq) {
    headers.add(new Header(TASK_HEADER, taskIdBytes));
    headers.add(Header.of(SEQ_HEADER, Long.toString(recordSeq)));
  }

  void acknowledged(String topic, int partition, long offset) {
    positions.computeIfAbsent(topic, t -> new HashMap<>()).merge(partition, offset + 1, Math::max);
  }

  /** The ledger record for the current state, covering {@code offsets} (source partition -> offset JSON). */
  String record(Map<JsonObject, JsonObject> offsets) {
    JsonObject pos = new JsonObject();
    positions.forEach((t, parts) -> {
      JsonObject p = new JsonObject();
      parts.forEach((k, v) -> p.put(Integer.toString(k), v));
      pos.put(t, p);
    });
    JsonArray offs = new JsonArray();
    offsets.forEach((k, v) -> offs.add(new JsonArray().add(k).add(v)));
    return new JsonObject().put("seq", coveredSeq).put("positions", pos).put("offsets", offs).encode();
  }

  String taskId() {
    return taskId;
  }
}
