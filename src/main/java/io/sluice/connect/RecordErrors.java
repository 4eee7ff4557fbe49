package io.sluice.connect;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;

/**
 * Kafka Connect's error handling for one task's record stages (conversion, transformation): a
 * {@link RetriableException} is retried with doubling backoff until {@code errors.retry.timeout} (capped per wait by
 * {@code errors.retry.delay.max.ms}); a failure that remains fails the task under {@code errors.tolerance=none}, and
 * under {@code all} skips the record, logging it ({@code errors.log.enable}, {@code errors.log.include.messages}) and,
 * for sinks, sending the original record to {@code errors.deadletterqueue.topic.name} with Kafka's
 * {@code __connect.errors.*} context headers when {@code errors.deadletterqueue.context.headers.enable}, as the
 * connector's owner may ({@link OwnerRights}).
 * Used by one task thread.
 */
final class RecordErrors {
  private static final System.Logger LOG = System.getLogger(RecordErrors.class.getName());
  static final String HEADER_PREFIX = "__connect.errors.";

  private final String connector;
  private final int task;
  private final boolean tolerateAll;
  private final long retryTimeoutMs;
  private final long retryDelayMaxMs;
  private final boolean log;
  private final boolean logMessages;
  private final String dlqTopic;
  /** The replication factor asked for, or null when the key is unset (Kafka's default 3, as far as brokers allow). */
  private final Short dlqReplicationFactor;
  private final boolean contextHeaders;
  private final SluiceClient client;
  private final Producer producer;
  private final OwnerRights rights;
  private boolean dlqChecked;
  private long skipped;

  /**
   * @param rights whose the dead letter queue's records are: the worker's producer writes them, after the check that
   *     the connector's owner may (Write, and Create when the topic must be created)
   */
  RecordErrors(Map<String, String> config, String connector, int task, SluiceClient client, Producer producer,
      OwnerRights rights) {
    this.connector = connector;
    this.task = task;
    this.tolerateAll = "all".equals(config.getOrDefault(ConnectorConfigs.ERRORS_TOLERANCE, "none").trim());
    this.retryTimeoutMs = Long.parseLong(config.getOrDefault(ConnectorConfigs.ERRORS_RETRY_TIMEOUT, "0").trim());
    this.retryDelayMaxMs = Long.parseLong(config.getOrDefault(ConnectorConfigs.ERRORS_RETRY_DELAY_MAX, "60000")
        .trim());
    this.log = Boolean.parseBoolean(config.getOrDefault(ConnectorConfigs.ERRORS_LOG_ENABLE, "false").trim());
    this.logMessages = Boolean.parseBoolean(config.getOrDefault(ConnectorConfigs.ERRORS_LOG_INCLUDE_MESSAGES,
        "false").trim());
    this.dlqTopic = config.getOrDefault(ConnectorConfigs.DLQ_TOPIC, "").trim();
    String factor = config.get(ConnectorConfigs.DLQ_RF);
    this.dlqReplicationFactor = factor == null || factor.isBlank() ? null : Short.parseShort(factor.trim());
    this.contextHeaders = Boolean.parseBoolean(config.getOrDefault(ConnectorConfigs.DLQ_CONTEXT_HEADERS, "false")
        .trim());
    this.client = client;
    this.producer = producer;
    this.rights = rights;
  }

  /** The original record a failure is about, for the log and the dead letter queue; null for a source record. */
  record Original(ConsumerRecord consumed, Object sourceRecord) {
  }

  /** Runs {@code op} with retries; null when it failed and the record is to be skipped. */
  <T> T execute(String stage, Class<?> executing, Original original, Callable<T> op) throws InterruptedException {
    long deadline = retryTimeoutMs < 0 ? Long.MAX_VALUE : System.currentTimeMillis() + retryTimeoutMs;
    long delay = 300;
    while (true) {
      try {
        return op.call();
      } catch (RetriableException e) {
        long now = System.currentTimeMillis();
        if (now + delay > deadline && retryTimeoutMs >= 0) {
          return failed(stage, executing, original, e);
        }
        Thread.sleep(Math.min(delay, retryDelayMaxMs)); // retry backoff on the task's own thread
        delay = Math.min(delay * 2, retryDelayMaxMs);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        return failed(stage, executing, original, e);
      }
    }
  }

  private <T> T failed(String stage, Class<?> executing, Original original, Exception e) {
    if (!tolerateAll) {
      throw new ConnectException("Tolerance exceeded in error handler", e);
    }
    skipped++;
    if (log) {
      LOG.log(Level.ERROR, "Error in stage " + stage + " (" + executing.getName() + ") of connector " + connector
          + " task " + task + describe(original), e);
    }
    if (!dlqTopic.isEmpty() && original != null && original.consumed() != null) {
      sendToDeadLetterQueue(stage, executing, original.consumed(), e);
    }
    return null;
  }

  private String describe(Original original) {
    if (!logMessages || original == null) {
      return "";
    }
    if (original.consumed() != null) {
      ConsumerRecord r = original.consumed();
      return ", record: topic " + r.topic() + " partition " + r.partition() + " offset " + r.offset();
    }
    return ", record: " + original.sourceRecord();
  }

  /**
   * Sends the record to the dead letter queue if the owner may write it, checked at each record as ACLs change.
   * Refused, the task fails, whatever the tolerance: skipped without it, the record would be lost unseen.
   */
  private void sendToDeadLetterQueue(String stage, Class<?> executing, ConsumerRecord r, Exception e) {
    rights.requireForTask(dlqTopic, io.sluice.api.acl.AclOperation.WRITE, connector + "-" + task);
    ensureDeadLetterTopic();
    List<Header> headers = new ArrayList<>(r.headers());
    if (contextHeaders) {
      headers.add(Header.of(HEADER_PREFIX + "topic", r.topic()));
      headers.add(Header.of(HEADER_PREFIX + "partition", Integer.toString(r.partition())));
      headers.add(Header.of(HEADER_PREFIX + "offset", Long.toString(r.offset())));
      headers.add(Header.of(HEADER_PREFIX + "connector.name", connector));
      headers.add(Header.of(HEADER_PREFIX + "task.id", Integer.toString(task)));
      headers.add(Header.of(HEADER_PREFIX + "stage", stage));
      headers.add(Header.of(HEADER_PREFIX + "class.name", executing.getName()));
      Throwable cause = e;
      headers.add(Header.of(HEADER_PREFIX + "exception.class.name", cause.getClass().getName()));
      if (cause.getMessage() != null) {
        headers.add(Header.of(HEADER_PREFIX + "exception.message", cause.getMessage()));
      }
      headers.add(Header.of(HEADER_PREFIX + "exception.stacktrace", stackTrace(cause)));
    }
    producer.send(new ProducerRecord(dlqTopic, null, r.timestamp(), r.key(), r.value(), headers))
        .await().atMost(Duration.ofMinutes(2));
  }

  /**
   * Creates the dead letter queue topic if missing, with one partition and {@code
   * errors.deadletterqueue.topic.replication.factor} replicas: a factor set is kept, and refused (the task fails
   * naming it) when the cluster has fewer live brokers, as Kafka's worker is refused; -1 takes the broker's {@code
   * default.replication.factor}; unset, Kafka's default 3 is capped by the live brokers (Kafka refuses it on a smaller
   * cluster: a single-broker cluster's dead letter queue worked without the key before, and still does).
   */
  private void ensureDeadLetterTopic() {
    if (dlqChecked) {
      return;
    }
    rights.requireCreateIfMissing(dlqTopic);
    int factor = dlqReplicationFactor != null ? dlqReplicationFactor
        : Math.max(1, Math.min(3, client.admin().describeCluster().await().atMost(Duration.ofSeconds(30)).brokers()
            .size()));
    try {
      client.admin().createTopic(dlqTopic, 1, factor, Map.of()).await().atMost(Duration.ofSeconds(30));
    } catch (SluiceException e) {
      if (e.errorCode() != ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw new ConnectException("Could not initialize dead letter queue with topic=" + dlqTopic + " and "
            + ConnectorConfigs.DLQ_RF + "=" + factor + ": " + e.getMessage(), e);
      }
    }
    dlqChecked = true;
  }

  long skipped() {
    return skipped;
  }

  static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
