package io.sluice.connect;

import io.smallrye.mutiny.subscription.MultiSubscriber;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.RebalanceListener;
import io.sluice.connect.Plugins.Kind;
import io.sluice.connect.Plugins.Plugin;
import io.sluice.record.Header;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Flow;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * Runs one sink task as a member of the consumer group {@code connect-<connector>} (Kafka Connect's group name):
 * records are converted and transformed (Kafka's error handling and dead letter queue apply), handed to {@code
 * put()}, and the group's offsets are committed after {@code preCommit()} every {@code offset.flush.interval.ms},
 * on a revocation and at stop: ordinary committed group offsets, so a restart anywhere resumes after the last
 * record the task reported done. Partitions are paused client-side while the connector is paused (the member keeps
 * polling, which is its heartbeat).
 */
final class SinkTaskRunner extends UnitRunner {
  private static final System.Logger LOG = System.getLogger(SinkTaskRunner.class.getName());
  private static final int MAX_BATCH = 2_000;
  private final Map<String, String> taskConfig;
  private volatile SinkTask instance;
  private GroupConsumer consumer;
  /** This execution's inbox: each execution gets its own, so a restart never takes its predecessor's leftovers. */
  private SinkInbox inbox;
  private final Map<TopicPartition, Long> processed = new HashMap<>();
  /**
   * Partitions of topics deleted while the task read them, already closed in the task: the coordinator's revocation
   * of them comes later and must not close them again, and records of them still on their way are not put.
   */
  private final Set<TopicPartition> deleted = new HashSet<>();
  /** Whether records were put since the task's last preCommit: they may sit in its buffer until it flushes. */
  private boolean unflushed;
  private volatile Flow.Subscription subscription;
  private volatile boolean commitRequested;
  private long retryAfterMs;
  private OwnerRights rights;
  /** The topics the owner may still read, as of this loop's check (ACLs change while the task runs). */
  private final Set<String> readable = new HashSet<>();

  SinkTaskRunner(WorkerContext worker, String connector, int task, Map<String, String> connectorConfig,
      Map<String, String> taskConfig) {
    super(worker, connector, task, connectorConfig);
    this.taskConfig = taskConfig;
  }

  @Override
  String[] meterNames() {
    return new String[] {"sluice.connect.sink.records.read", "sluice.connect.sink.records.put"};
  }

  static String groupId(String connector) {
    return "connect-" + connector;
  }

  @Override
  void execute() throws Exception {
    Plugin plugin = worker.plugins().require(ConnectorConfigs.CONNECTOR_CLASS,
        connectorConfig.get(ConnectorConfigs.CONNECTOR_CLASS), Kind.SINK);
    rights = OwnerRights.of(worker, this.connector);
    worker.requireAllowedFile(plugin.className(), taskConfig);
    SinkConnector connector = worker.plugins().newInstance(plugin, SinkConnector.class);
    // A restart's state starts empty: the failed execution's inbox ends with its closed consumer's end of stream
    // (taking it failed every restart in turn) and holds records of a group generation that is gone.
    SinkInbox box = new SinkInbox();
    inbox = box;
    consumer = null;
    processed.clear();
    deleted.clear();
    unflushed = false;
    commitRequested = false;
    try (TaskCloser closer = new TaskCloser()) {
      Stages<SinkRecord> stages = stages(closer, rights);
      SinkTask t = Plugins.withLoader(plugin.loader(), () -> (SinkTask) connector.taskClass()
          .getDeclaredConstructor().newInstance());
      instance = t;
      run(plugin, t, box, closer, stages);
    }
  }

  /** Starts the task and its consumer and runs it; its offsets are committed and it is stopped however it ends. */
  private void run(Plugin plugin, SinkTask t, SinkInbox box, TaskCloser closer, Stages<SinkRecord> stages)
      throws Exception {
    try {
      Plugins.withLoader(plugin.loader(), () -> {
        t.initialize(context());
        t.start(taskConfig);
        return null;
      });
      consumer = worker.client().consumer(ConsumerOptions.of(groupId(this.connector), topics())
          .enableAutoCommit(false).fromEarliest(true).fetchMaxWaitMs(200).rebalanceListener(listener(box)));
      GroupConsumer opened = consumer;
      closer.add(() -> opened.close().await().atMost(Duration.ofSeconds(30)));
      consumer.records().subscribe().withSubscriber(pump(box));
      loop(t, stages.converters(), stages.chain(), stages.errors());
    } finally {
      try {
        if (consumer != null) {
          commit(t);
        }
      } finally {
        Plugins.withLoader(plugin.loader(), () -> {
          t.stop();
          return null;
        });
      }
    }
  }

  /**
   * What the task subscribes to: its {@code topics}, each of which its owner must still be allowed to Read (else the
   * task fails, as a Kafka consumer subscribed to a topic it may not read); or the topics its {@code topics.regex}
   * matches now that the owner may Read (a subscription grows with the topics created since the config was written:
   * before, the sink read one its owner was refused, as the broker).
   */
  private List<String> topics() {
    String regex = connectorConfig.getOrDefault(ConnectorConfigs.TOPICS_REGEX, "");
    if (regex.isBlank()) {
      List<String> topics = ConnectorConfigs.parseList(connectorConfig.get(ConnectorConfigs.TOPICS));
      topics.forEach(this::requireReadable);
      return topics;
    }
    return rights.readable(List.copyOf(ConnectAccess.matching(regex, worker.client().admin().listTopics()
        .await().atMost(Duration.ofSeconds(30)))));
  }

  /**
   * Fails the task unless the owner may still Read {@code topic}: a Kafka consumer's fetch is refused with
   * TOPIC_AUTHORIZATION_FAILED once its Read is taken, and Kafka Connect's task fails; this task's consumer reads as
   * the broker, so without it the sink went on copying the topic.
   */
  private void requireReadable(String topic) {
    if (!readable.contains(topic)) {
      rights.requireForTask(topic, io.sluice.api.acl.AclOperation.READ, connector + "-" + task);
      readable.add(topic);
    }
  }

  /** Checks the assigned topics anew at each turn of the loop (a lookup per topic), so a taken Read fails it idle. */
  private void checkReadable() {
    readable.clear();
    consumer.assignment().forEach(p -> requireReadable(p.topic()));
  }

  private MultiSubscriber<ConsumerRecord> pump(SinkInbox inbox) {
    return new MultiSubscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(MAX_BATCH);
      }

      @Override
      public void onItem(ConsumerRecord item) {
        inbox.record(item);
      }

      @Override
      public void onFailure(Throwable failure) {
        inbox.failed(failure);
      }

      @Override
      public void onCompletion() {
        inbox.ended();
      }
    };
  }

  private RebalanceListener listener(SinkInbox inbox) {
    return new RebalanceListener() {
      @Override
      public void onPartitionsAssigned(Set<io.sluice.client.TopicPartition> partitions) {
        inbox.rebalance(false, partitions);
      }

      @Override
      public void onPartitionsRevoked(Set<io.sluice.client.TopicPartition> partitions) {
        int removed = inbox.rebalance(true, partitions);
        Flow.Subscription s = subscription;
        if (removed > 0 && s != null) {
          s.request(removed);
        }
      }
    };
  }

  private static Collection<TopicPartition> kafka(Set<io.sluice.client.TopicPartition> partitions) {
    List<TopicPartition> out = new ArrayList<>();
    partitions.forEach(p -> out.add(new TopicPartition(p.topic(), p.partition())));
    return out;
  }

  /**
   * Applies a rebalance in its place among the records. A revoked partition's offsets are forgotten (its next owner
   * starts at the group's commit) and the task closes it, which drops what it buffered of it (as the JDBC sink
   * does); whatever it wrote of it stays written (at least once).
   */
  private void apply(SinkTask t, SinkInbox.Rebalance r) {
    Collection<TopicPartition> partitions = kafka(r.partitions());
    if (r.revoked()) {
      List<TopicPartition> open = partitions.stream().filter(tp -> !deleted.remove(tp)).toList();
      if (!open.isEmpty()) {
        t.close(open);
      }
      partitions.forEach(processed::remove);
    } else {
      deleted.removeAll(partitions); // a topic of the name created again: read from its start
      t.open(partitions);
    }
  }

  private void loop(SinkTask t, Converters converters, TransformationChain<SinkRecord> chain, RecordErrors errors)
      throws Exception {
    long interval = Long.parseLong(connectorConfig.getOrDefault(ConnectorConfigs.OFFSET_FLUSH_INTERVAL, "1000")
        .trim());
    long lastCommit = System.currentTimeMillis();
    Boolean reportedPaused = null;
    List<ConsumerRecord> batch = new ArrayList<>();
    while (!stopping) {
      if (reportedPaused == null || reportedPaused != paused) {
        reportedPaused = paused;
        applyPause();
        worker.writeStatus(connector, task, paused ? "PAUSED" : "RUNNING", null);
      }
      batch.clear();
      checkReadable();
      List<Object> taken = inbox.take(MAX_BATCH, 200);
      if (!taken.isEmpty() && taken.get(0) instanceof SinkInbox.Rebalance r) {
        apply(t, r);
      } else if (!taken.isEmpty()) {
        taken.forEach(o -> batch.add((ConsumerRecord) o));
        subscription.request(batch.size());
        deliver(t, batch, converters, chain, errors);
      }
      if (commitRequested || System.currentTimeMillis() - lastCommit >= interval) {
        commitRequested = false;
        commit(t);
        lastCommit = System.currentTimeMillis();
      }
    }
  }

  private void applyPause() {
    if (paused) {
      consumer.pause(consumer.assignment());
    } else {
      consumer.resume(consumer.paused()).await().atMost(Duration.ofSeconds(30));
    }
  }

  private void deliver(SinkTask t, List<ConsumerRecord> batch, Converters converters,
      TransformationChain<SinkRecord> chain, RecordErrors errors) throws Exception {
    List<SinkRecord> records = new ArrayList<>();
    recordsIn.add(batch.size());
    for (ConsumerRecord r : batch) {
      if (!deleted.isEmpty() && deleted.contains(new TopicPartition(r.topic(), r.partition()))) {
        continue; // fetched before its topic was deleted, and the task has closed the partition
      }
      requireReadable(r.topic());
      activeTopic(r.topic());
      RecordErrors.Original original = new RecordErrors.Original(r, null);
      SinkRecord converted = errors.execute("VALUE_CONVERTER", converters.value().getClass(), original,
          () -> convert(r, converters));
      SinkRecord out = converted == null || chain.isEmpty() ? converted
          : errors.execute("TRANSFORMATION", TransformationChain.class, original, () -> chain.apply(converted));
      if (out != null) {
        records.add(out);
      }
    }
    if (!putWithRetries(t, records)) {
      return; // stopped before the sink took them: their offsets must not be committed
    }
    for (ConsumerRecord r : batch) {
      if (!deleted.isEmpty() && deleted.contains(new TopicPartition(r.topic(), r.partition()))) {
        continue;
      }
      processed.put(new TopicPartition(r.topic(), r.partition()), r.offset());
    }
  }

  /** Whether the sink took the records (false: the task was stopped while put() kept asking for a retry). */
  private boolean putWithRetries(SinkTask t, List<SinkRecord> records) throws InterruptedException {
    while (!stopping) {
      try {
        t.put(records);
        unflushed = true;
        recordsOut.add(records.size());
        return true;
      } catch (RetriableException e) {
        long wait = retryAfterMs > 0 ? retryAfterMs : 1_000;
        if (!pause(wait)) {
          return false;
        }
      }
    }
    return false;
  }

  private SinkRecord convert(ConsumerRecord r, Converters c) {
    org.apache.kafka.common.header.internals.RecordHeaders kafkaHeaders =
        new org.apache.kafka.common.header.internals.RecordHeaders();
    ConnectHeaders headers = new ConnectHeaders();
    for (Header h : r.headers()) {
      kafkaHeaders.add(h.key(), h.value());
      SchemaAndValue hv = c.header().toConnectHeader(r.topic(), h.key(), h.value());
      headers.add(h.key(), hv);
    }
    SchemaAndValue key = c.key().toConnectData(r.topic(), kafkaHeaders, r.key());
    SchemaAndValue value = c.value().toConnectData(r.topic(), kafkaHeaders, r.value());
    return new SinkRecord(r.topic(), r.partition(), key.schema(), key.value(), value.schema(), value.value(),
        r.offset(), r.timestamp(), TimestampType.CREATE_TIME, headers);
  }

  /**
   * preCommit with the next offsets to read, then commits what it returns (as last processed offsets). preCommit is
   * called whenever records were put since the last one, even with no offset to commit: it is the task's flush, and a
   * buffering sink (the JDBC sink) writes nothing until it comes.
   */
  private void commit(SinkTask t) {
    if (processed.isEmpty() && !unflushed) {
      return;
    }
    dropDeletedTopics(t);
    Map<TopicPartition, OffsetAndMetadata> current = new HashMap<>();
    processed.forEach((tp, last) -> current.put(tp, new OffsetAndMetadata(last + 1)));
    Map<TopicPartition, OffsetAndMetadata> toCommit = t.preCommit(current);
    unflushed = false;
    if (toCommit == null || toCommit.isEmpty()) {
      return;
    }
    Set<io.sluice.client.TopicPartition> owned = new HashSet<>(consumer.assignment());
    Map<io.sluice.client.TopicPartition, Long> last = new HashMap<>();
    toCommit.forEach((tp, om) -> {
      io.sluice.client.TopicPartition p = new io.sluice.client.TopicPartition(tp.topic(), tp.partition());
      if (owned.contains(p) && om.offset() > 0) {
        last.put(p, om.offset() - 1);
      }
    });
    if (!last.isEmpty()) {
      commitLast(t, last);
    }
  }

  /**
   * Commits; neither of two refusals fails the task, as neither fails one of Kafka Connect's. A commit from a
   * generation the group has left (a rebalance, a topic deleted or grown, came in between) is skipped: the offsets
   * stay, and the next commit, after the task has applied the rebalance, sends those of the partitions it still owns.
   * A commit naming a topic deleted since the check is refused by the coordinator (after the client's retries): it is
   * sent again without it.
   */
  private void commitLast(SinkTask t, Map<io.sluice.client.TopicPartition, Long> last) {
    try {
      consumer.commit(last).await().atMost(Duration.ofSeconds(60));
    } catch (SluiceException e) {
      if (e.errorCode() == ErrorCode.ILLEGAL_GENERATION || e.errorCode() == ErrorCode.REBALANCE_IN_PROGRESS) {
        LOG.log(Level.DEBUG, "Task " + connector + "-" + task + ": commit skipped, the group rebalanced: " + e);
        return;
      }
      if (e.errorCode() != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || !dropDeletedTopics(t)) {
        throw e;
      }
      last.keySet().removeIf(p -> deleted.contains(new TopicPartition(p.topic(), p.partition())));
      if (!last.isEmpty()) {
        consumer.commit(last).await().atMost(Duration.ofSeconds(60));
      }
    }
  }

  /**
   * Gives up the partitions of topics deleted since the task read them, as Kafka Connect does (KAFKA-14750: their
   * offsets are not committed, the task goes on): the task closes them, their offsets are forgotten, their queued
   * records dropped. Committed, the whole commit was refused (the coordinator no longer has the topic): retried for
   * 30 s, then the task failed, the sink's other topics with it, and restarted. The group's commits of the topic go
   * with it, and the coordinator revokes its partitions, so a topic of that name created again is assigned anew and
   * read from its start. True if any was dropped.
   */
  private boolean dropDeletedTopics(SinkTask t) {
    if (!deleted.isEmpty()) {
      reopenCreatedAgain(t);
    }
    Set<String> gone = new HashSet<>();
    Set<String> checked = new HashSet<>();
    for (TopicPartition tp : processed.keySet()) {
      if (checked.add(tp.topic()) && !worker.topicExists(tp.topic())) {
        gone.add(tp.topic());
      }
    }
    if (gone.isEmpty()) {
      return false;
    }
    Set<io.sluice.client.TopicPartition> dropped = new HashSet<>();
    processed.keySet().stream().filter(tp -> gone.contains(tp.topic()))
        .forEach(tp -> dropped.add(new io.sluice.client.TopicPartition(tp.topic(), tp.partition())));
    consumer.assignment().stream().filter(p -> gone.contains(p.topic())).forEach(dropped::add);
    int removed = inbox.drop(dropped);
    Flow.Subscription s = subscription;
    if (removed > 0 && s != null) {
      s.request(removed);
    }
    Collection<TopicPartition> closing = kafka(dropped);
    closing.removeIf(deleted::contains);
    t.close(closing);
    deleted.addAll(closing);
    processed.keySet().removeIf(tp -> gone.contains(tp.topic()));
    LOG.log(Level.INFO, "Task " + connector + "-" + task + ": topic(s) " + gone + " deleted; their partitions are"
        + " closed and their offsets not committed");
    return true;
  }

  /**
   * A partition given up whose topic exists again while the consumer still holds it: the coordinator did not see the
   * deletion (a deletion and a re-creation both between two of its sweeps), so no new assignment will open it.
   */
  private void reopenCreatedAgain(SinkTask t) {
    Set<io.sluice.client.TopicPartition> held = new HashSet<>(consumer.assignment());
    List<TopicPartition> back = deleted.stream().filter(tp -> held.contains(new io.sluice.client.TopicPartition(
        tp.topic(), tp.partition())) && worker.topicExists(tp.topic())).toList();
    if (!back.isEmpty()) {
      back.forEach(deleted::remove);
      t.open(back);
    }
  }

  @Override
  void requestStop() {
    wake();
  }

  private SinkTaskContext context() {
    return new SinkTaskContext() {
      @Override
      public Map<String, String> configs() {
        return taskConfig;
      }

      @Override
      public void offset(Map<TopicPartition, Long> offsets) {
        offsets.forEach(this::offset);
      }

      @Override
      public void offset(TopicPartition tp, long offset) {
        consumer.seek(new io.sluice.client.TopicPartition(tp.topic(), tp.partition()),
            io.sluice.client.StartPosition.offset(offset)).await().atMost(Duration.ofSeconds(30));
      }

      @Override
      public void timeout(long timeoutMs) {
        retryAfterMs = timeoutMs;
      }

      @Override
      public Set<TopicPartition> assignment() {
        return new HashSet<>(kafka(consumer.assignment()));
      }

      @Override
      public void pause(TopicPartition... partitions) {
        Set<io.sluice.client.TopicPartition> ps = new HashSet<>();
        for (TopicPartition p : partitions) {
          ps.add(new io.sluice.client.TopicPartition(p.topic(), p.partition()));
        }
        consumer.pause(ps);
      }

      @Override
      public void resume(TopicPartition... partitions) {
        Set<io.sluice.client.TopicPartition> ps = new HashSet<>();
        for (TopicPartition p : partitions) {
          ps.add(new io.sluice.client.TopicPartition(p.topic(), p.partition()));
        }
        consumer.resume(ps).await().atMost(Duration.ofSeconds(30));
      }

      @Override
      public void requestCommit() {
        commitRequested = true;
      }

      @Override
      public PluginMetrics pluginMetrics() {
        return taskMetrics;
      }
    };
  }
}
