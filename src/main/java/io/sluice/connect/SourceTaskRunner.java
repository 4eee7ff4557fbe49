package io.sluice.connect;

import io.smallrye.mutiny.Uni;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.connect.Plugins.Kind;
import io.sluice.connect.Plugins.Plugin;
import io.sluice.record.Header;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/**
 * Runs one source task: {@code poll()}, transformations, converters, then the task's own idempotent {@code acks=all}
 * producer. Polls are pipelined: the next poll runs while earlier polls' records await their acknowledgements, up to
 * {@code source.max.in.flight.records} and {@code source.max.in.flight.bytes}. A poll's source offsets count as done only once its records and those of
 * every earlier poll are acknowledged (in poll order), and offsets are committed to {@code __connect_offsets}
 * (acks=all) every {@code offset.flush.interval.ms} and when the task stops: so a crash loses nothing (at least once),
 * and with {@link ExactlyOnceLedger} writes nothing twice either.
 */
final class SourceTaskRunner extends UnitRunner {
  private static final Duration SEND_TIMEOUT = Duration.ofMinutes(3);
  /** How long a poll's acknowledgements are awaited before the topics written to are looked up again. */
  private static final long TOPIC_CHECK_MS = 1_000;
  private static final long TOPIC_CHECK_NANOS = TOPIC_CHECK_MS * 1_000_000;
  private long lastTopicCheckNanos;
  private final Map<String, String> taskConfig;
  private volatile SourceTask instance;
  private Producer producer;
  private ExactlyOnceLedger ledger;
  private final Map<JsonObject, JsonObject> uncommitted = new LinkedHashMap<>();
  private final Map<JsonObject, JsonObject> committedView = new LinkedHashMap<>();
  /** Polls sent and not yet counted as done, oldest first. */
  private final java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
  private int inFlightRecords;
  private int maxInFlight;
  private long inFlightBytes;
  private long maxInFlightBytes;
  private final java.util.Set<String> knownTopics = new java.util.HashSet<>();
  /** The topics this poll's records went to that the owner may write: checked once per poll, as ACLs change. */
  private final java.util.Set<String> writableThisPoll = new java.util.HashSet<>();
  private OwnerRights rights;
  /** The connector's {@code topic.creation.*} groups; null when it does not use them (or the worker disabled them). */
  private TopicCreation creation;
  /** Whether this execution failed on a topic deleted under it (its producer's close is not awaited then). */
  private boolean topicGone;

  SourceTaskRunner(WorkerContext worker, String connector, int task, Map<String, String> connectorConfig,
      Map<String, String> taskConfig) {
    super(worker, connector, task, connectorConfig);
    this.taskConfig = taskConfig;
  }

  @Override
  String[] meterNames() {
    return new String[] {"sluice.connect.source.records.polled", "sluice.connect.source.records.written"};
  }

  @Override
  void execute() throws Exception {
    Plugin plugin = worker.plugins().require(ConnectorConfigs.CONNECTOR_CLASS,
        connectorConfig.get(ConnectorConfigs.CONNECTOR_CLASS), Kind.SOURCE);
    rights = OwnerRights.of(worker, this.connector);
    creation = worker.topicCreationEnabled() ? TopicCreation.of(connectorConfig) : null;
    worker.requireAllowedFile(plugin.className(), taskConfig);
    SourceConnector connector = worker.plugins().newInstance(plugin, SourceConnector.class);
    topicGone = false;
    try (TaskCloser closer = new TaskCloser()) {
      Stages<SourceRecord> stages = stages(closer, rights);
      producer = worker.client().producer(ProducerOptions.defaults().acks("all").lingerMs(2));
      closer.add(this::closeProducer);
      worker.state().offsets.awaitCaughtUpToEnd(Duration.ofMinutes(2));
      OffsetReader reader = new OffsetReader(worker.state(), this.connector);
      ledger = exactlyOnce(plugin, connector) ? ExactlyOnceLedger.load(worker.client(), worker.state(),
          this.connector, task, reader) : null;
      SourceTask t = Plugins.withLoader(plugin.loader(), () -> (SourceTask) connector.taskClass()
          .getDeclaredConstructor().newInstance());
      instance = t;
      // Each execution checks its topics anew: a topic deleted since the last one is created again or refused at its
      // first record, where remembered it was sent to unchecked and the task sat RUNNING until the client gave up.
      knownTopics.clear();
      run(plugin, t, reader, stages);
    }
  }

  /** Starts the task and runs it; its last offsets are committed and it is stopped however it ends. */
  private void run(Plugin plugin, SourceTask t, OffsetReader reader, Stages<SourceRecord> stages)
      throws Exception {
    try {
      Plugins.withLoader(plugin.loader(), () -> {
        t.initialize(context(reader));
        t.start(taskConfig);
        return null;
      });
      loop(plugin, t, stages.converters(), stages.chain(), stages.errors());
    } catch (TopicGoneException e) {
      topicGone = true;
      throw e;
    } finally {
      try {
        drainQuietly();
        commitOffsets();
      } finally {
        Plugins.withLoader(plugin.loader(), () -> {
          t.stop();
          return null;
        });
      }
    }
  }

  /**
   * Closes the producer once its sends are answered. Its sends to a topic gone are retried for the whole delivery
   * timeout: the close is not awaited then (a moment at most), or the task showed RUNNING 30 s more, and the close's
   * timeout took the place of the failure naming the topic. They are polled again from the committed offsets.
   */
  private void closeProducer() {
    try {
      producer.close().await().atMost(topicGone ? Duration.ofSeconds(1) : Duration.ofSeconds(30));
    } catch (io.smallrye.mutiny.TimeoutException e) {
      if (!topicGone) {
        throw e;
      }
    }
  }

  /** A topic the task writes to was deleted and is not created again. */
  private static final class TopicGoneException extends org.apache.kafka.connect.errors.ConnectException {
    TopicGoneException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Connectors known to replay the very same records, in the same order, from a committed offset: what sequence
   * deduplication needs. Kafka Connect's {@code SUPPORTED} promises less (offsets that can be committed atomically
   * with the records): Debezium declares it, yet after a restart it emits time-driven heartbeats and skips events it
   * had processed, so matching its records by sequence number would drop new changes.
   */
  private static final java.util.Set<String> REPLAYS_IDENTICALLY = java.util.Set.of(
      "org.apache.kafka.connect.file.FileStreamSourceConnector", "io.sluice.connect.builtin.LoadGeneratorConnector");

  private boolean exactlyOnce(Plugin plugin, SourceConnector connector) {
    String wanted = connectorConfig.getOrDefault(ConnectorConfigs.EXACTLY_ONCE_SUPPORT, "requested").trim();
    if (wanted.equals("required")) {
      return true;
    }
    if (!REPLAYS_IDENTICALLY.contains(plugin.className())) {
      return false;
    }
    ExactlyOnceSupport support = Plugins.withLoader(plugin.loader(), () -> connector.exactlyOnceSupport(
        connectorConfig));
    return support == ExactlyOnceSupport.SUPPORTED;
  }

  private void loop(Plugin plugin, SourceTask t, Converters converters, TransformationChain<SourceRecord> chain,
      RecordErrors errors) throws Exception {
    long interval = Long.parseLong(connectorConfig.getOrDefault(ConnectorConfigs.OFFSET_FLUSH_INTERVAL, "1000")
        .trim());
    maxInFlight = Integer.parseInt(connectorConfig.getOrDefault(ConnectorConfigs.SOURCE_MAX_IN_FLIGHT, "10000").trim());
    maxInFlightBytes = Long.parseLong(connectorConfig.getOrDefault(ConnectorConfigs.SOURCE_MAX_IN_FLIGHT_BYTES,
        Long.toString(32L << 20)).trim());
    long lastCommit = System.currentTimeMillis();
    Boolean reportedPaused = null;
    while (!stopping) {
      if (reportedPaused == null || reportedPaused != paused) {
        reportedPaused = paused;
        worker.writeStatus(connector, task, paused ? "PAUSED" : "RUNNING", null);
      }
      if (paused) {
        drain(true);
        commitOffsets();
        awaitUnpaused();
        continue;
      }
      List<SourceRecord> records = Plugins.withLoader(plugin.loader(), t::poll);
      if (records != null && !records.isEmpty()) {
        recordsIn.add(records.size());
        send(t, records, converters, chain, errors);
      }
      drain(false);
      checkTopicsIfLate();
      if (System.currentTimeMillis() - lastCommit >= interval) {
        commitOffsets();
        lastCommit = System.currentTimeMillis();
      }
    }
  }

  private void send(SourceTask t, List<SourceRecord> records, Converters converters,
      TransformationChain<SourceRecord> chain, RecordErrors errors) throws Exception {
    List<Uni<RecordMetadata>> sends = new ArrayList<>();
    List<SourceRecord> sent = new ArrayList<>();
    long bytes = 0;
    Map<JsonObject, JsonObject> offsets = new LinkedHashMap<>();
    boolean[] skip = new boolean[1];
    writableThisPoll.clear();
    for (SourceRecord r : records) {
      RecordErrors.Original original = new RecordErrors.Original(null, r);
      SourceRecord out = chain.isEmpty() ? r : errors.execute("TRANSFORMATION", TransformationChain.class, original,
          () -> chain.apply(r));
      ProducerRecord converted = out == null ? null : errors.execute("VALUE_CONVERTER",
          converters.value().getClass(), original, () -> convert(out, converters));
      ProducerRecord pr = converted == null || writableThisPoll.contains(converted.topic()) ? converted
          : errors.execute("KAFKA_PRODUCE", Producer.class, original, () -> writable(converted));
      if (pr != null) {
        if (!knownTopics.contains(pr.topic())) {
          // Remembered only once it exists: a topic refused here (an illegal name, no auto-creation) was remembered
          // anyway, and every restart then sent to it unchecked, RUNNING for the producer's 3 min timeout each time.
          ensureTopic(pr.topic());
          knownTopics.add(pr.topic());
        }
        activeTopic(pr.topic());
        if (ledger != null) {
          if (!ledger.knows(pr.topic())) {
            ledger.addTopic(pr.topic());
            commitOffsets();
          }
          long seq = ledger.next(skip);
          List<Header> headers = new ArrayList<>(pr.headers());
          ledger.headers(headers, seq);
          pr = new ProducerRecord(pr.topic(), pr.partition(), pr.timestamp(), pr.key(), pr.value(), headers);
          if (skip[0]) {
            pr = null;
          }
        }
      }
      if (pr != null) {
        bytes += heapBytes(pr);
        sends.add(producer.send(pr));
        sent.add(r);
      }
      if (r.sourcePartition() != null && r.sourceOffset() != null) {
        offsets.put(OffsetReader.toJson(r.sourcePartition()), OffsetReader.toJson(r.sourceOffset()));
      }
    }
    CompletableFuture<List<RecordMetadata>> acks = sends.isEmpty() ? CompletableFuture.completedFuture(List.of())
        : Uni.join().all(sends).andFailFast().subscribeAsCompletionStage();
    inFlight.add(new InFlight(t, acks, sent, bytes, offsets, ledger == null ? -1 : ledger.sequence(),
        System.nanoTime()));
    inFlightRecords += sent.size();
    inFlightBytes += bytes;
    while (inFlightRecords > maxInFlight || inFlightBytes > maxInFlightBytes) {
      done(inFlight.peek());
    }
  }

  /**
   * The record, if its connector's owner may write its topic: the topic is the one the record has after the
   * transformations (a router's, or one a source took from its data), so it may be one the connector's config never
   * named. Refused, it fails as a Kafka producer's send fails on TOPIC_AUTHORIZATION_FAILED: the task fails, or under
   * {@code errors.tolerance=all} the record is skipped and logged (KIP-779), never sent as the broker.
   */
  private ProducerRecord writable(ProducerRecord pr) {
    rights.requireForTask(pr.topic(), io.sluice.api.acl.AclOperation.WRITE, connector + "-" + task);
    writableThisPoll.add(pr.topic());
    return pr;
  }

  /** What a record waiting for its acknowledgement holds: its key, value and headers (a header may be the bulk). */
  static long heapBytes(ProducerRecord pr) {
    long bytes = (pr.key() == null ? 0 : pr.key().length) + (pr.value() == null ? 0 : pr.value().length);
    for (Header h : pr.headers()) {
      bytes += h.key().length() + (h.value() == null ? 0 : h.value().length);
    }
    return bytes;
  }

  private void clearInFlight() {
    inFlight.clear();
    inFlightRecords = 0;
    inFlightBytes = 0;
  }

  /** One poll's sends; its offsets count once its records and every earlier poll's are acknowledged. */
  private record InFlight(SourceTask task, CompletableFuture<List<RecordMetadata>> acks, List<SourceRecord> sent,
      long bytes, Map<JsonObject, JsonObject> offsets, long lastSeq, long sentNanos) {
  }

  /** Counts the acknowledged polls at the head as done; with {@code all}, waits for every poll in flight. */
  private void drain(boolean all) throws Exception {
    while (!inFlight.isEmpty() && (all || inFlight.peek().acks().isDone())) {
      done(inFlight.peek());
    }
  }

  /**
   * Waits for the oldest poll's acknowledgements, then makes its offsets committable and tells
   * the task. A failed send fails the task: nothing after it counts, so its records are polled again.
   */
  private void done(InFlight poll) throws Exception {
    List<RecordMetadata> acks;
    try {
      acks = awaitAcks(poll);
    } catch (ExecutionException e) {
      clearInFlight();
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    inFlight.poll();
    inFlightRecords -= poll.sent().size();
    inFlightBytes -= poll.bytes();
    recordsOut.add(acks.size());
    for (int i = 0; i < acks.size(); i++) {
      RecordMetadata md = acks.get(i);
      if (ledger != null) {
        ledger.acknowledged(md.topic(), md.partition(), md.offset());
      }
      poll.task().commitRecord(poll.sent().get(i), null);
    }
    if (ledger != null) {
      ledger.covered(poll.lastSeq());
    }
    uncommitted.putAll(poll.offsets());
  }

  /**
   * A poll's acknowledgements, looking the task's topics up again each second they are late: a topic deleted while
   * the task writes to it is retried by the producer for its whole delivery timeout (2 min, then 1 min per restart),
   * the task shown RUNNING meanwhile. Looked up gone, it is created again if {@code auto.create.topics.enable} allows
   * (the records then go to the new topic), else the task fails naming it.
   */
  private List<RecordMetadata> awaitAcks(InFlight poll) throws Exception {
    long deadline = System.nanoTime() + SEND_TIMEOUT.toNanos();
    while (true) {
      try {
        return poll.acks().get(Math.min(TOPIC_CHECK_MS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)),
            TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        if (System.nanoTime() >= deadline) {
          throw e;
        }
        checkTopicsIfLate();
      }
    }
  }

  /**
   * While the oldest poll in flight has waited over a second for its acknowledgements, at most once a second: each
   * topic the task writes to is looked up in this broker's metadata (no request), and one gone is created again or
   * fails the task. A branch per loop otherwise.
   */
  private void checkTopicsIfLate() {
    InFlight oldest = inFlight.peek();
    long now = System.nanoTime();
    if (oldest == null || oldest.acks().isDone() || now - oldest.sentNanos() < TOPIC_CHECK_NANOS
        || now - lastTopicCheckNanos < TOPIC_CHECK_NANOS) {
      return;
    }
    lastTopicCheckNanos = now;
    knownTopics.stream().filter(topic -> !worker.topicExists(topic)).findFirst().ifPresent(this::recreate);
  }

  private void recreate(String topic) {
    try {
      ensureTopic(topic);
    } catch (RuntimeException e) {
      throw new TopicGoneException("Topic '" + topic + "', which task " + connector
          + "-" + task + " writes to, no longer exists (deleted while the task ran) and was not created again"
          + " (auto.create.topics.enable off, or the creation failed: see the cause): create the topic again; its"
          + " records not acknowledged are polled again from the last committed offsets", e);
    }
  }

  /**
   * Makes sure a topic the task writes to exists: with {@code topic.creation.*}, one missing is created with its
   * group's partitions, replication factor and configs (whatever auto.create.topics.enable says, as Kafka Connect's
   * admin creates it); then as the owner's producer would ask for it (Write, and auto-creation when allowed).
   */
  private void ensureTopic(String topic) {
    if (creation != null && !worker.topicExists(topic)) {
      io.sluice.api.NewTopic wanted = creation.newTopic(topic);
      try {
        rights.createTopic(wanted);
      } catch (RuntimeException e) {
        throw new org.apache.kafka.connect.errors.ConnectException("Task " + connector + "-" + task + " could not"
            + " create topic '" + topic + "' with the settings of its topic.creation group '"
            + creation.groupFor(topic).name() + "' (partitions " + wanted.partitions() + ", replication factor "
            + wanted.replicationFactor() + ", configs " + wanted.configs() + "): " + e.getMessage(), e);
      }
    }
    rights.ensureTopic(topic);
  }

  private ProducerRecord convert(SourceRecord r, Converters converters) {
    String topic = r.topic();
    org.apache.kafka.common.header.internals.RecordHeaders kafkaHeaders =
        new org.apache.kafka.common.header.internals.RecordHeaders();
    List<Header> headers = new ArrayList<>();
    for (org.apache.kafka.connect.header.Header h : r.headers()) {
      byte[] v = converters.header().fromConnectHeader(topic, h.key(), h.schema(), h.value());
      headers.add(new Header(h.key(), v));
    }
    byte[] key = converters.key().fromConnectData(topic, kafkaHeaders, r.keySchema(), r.key());
    byte[] value = converters.value().fromConnectData(topic, kafkaHeaders, r.valueSchema(), r.value());
    kafkaHeaders.forEach(h -> headers.add(new Header(h.key(), h.value())));
    return new ProducerRecord(topic, r.kafkaPartition(), r.timestamp(), key, value, headers);
  }

  /** Before the last commit of a stopping or failing task: every poll in flight that is acknowledged counts. */
  private void drainQuietly() {
    try {
      drain(true);
    } catch (Exception e) {
      clearInFlight(); // a failed send: the polls from it on were not all written, and are polled again
    }
  }

  /** Writes the offsets of acknowledged records (the exactly-once ledger first), then tells the task. */
  private void commitOffsets() {
    if (uncommitted.isEmpty() && ledger == null) {
      return;
    }
    committedView.putAll(uncommitted);
    List<Uni<Long>> writes = new ArrayList<>();
    if (ledger != null) {
      worker.state().offsets.write(ConnectState.exactlyOnceKey(connector, task), ledger.record(committedView))
          .await().atMost(SEND_TIMEOUT);
    }
    uncommitted.forEach((p, o) -> writes.add(worker.state().offsets.write(
        new io.vertx.core.json.JsonArray().add(connector).add(p).encode(), o.encode())));
    if (!writes.isEmpty()) {
      Uni.join().all(writes).andFailFast().await().atMost(SEND_TIMEOUT);
    }
    uncommitted.clear();
    SourceTask t = instance;
    if (t != null) {
      try {
        t.commit();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  void requestStop() {
    SourceTask t = instance;
    if (t != null) {
      t.stop();
    }
  }

  private SourceTaskContext context(OffsetStorageReader reader) {
    return new SourceTaskContext() {
      @Override
      public Map<String, String> configs() {
        return taskConfig;
      }

      @Override
      public OffsetStorageReader offsetStorageReader() {
        return reader;
      }

      @Override
      public PluginMetrics pluginMetrics() {
        return taskMetrics;
      }
    };
  }
}
