package io.sluice.consumer;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.group.Assignor;
import io.sluice.group.GroupConfig;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * A consumer instance's settings, from the body of {@code POST /consumers/{group}} (Kafka REST v2 names; values
 * may be JSON strings, as REST proxy clients send them). Immutable.
 *
 * @param format "json" or "binary": how keys and values are carried in responses
 * @param autoOffsetReset where a partition without a commit starts: "earliest" or "latest"
 * @param autoCommitEnable whether positions are committed on each poll after the interval, before a rebalance
 *     takes partitions away, and when the instance is deleted
 * @param fetchMinBytes bytes a partition must have before a parked poll answers with it (at least 1)
 * @param requestTimeoutMs how long a poll waits for records when the request names no {@code timeout}
 * @param groupInstanceId Kafka's {@code group.instance.id} (KIP-345): the instance is a static member; null dynamic
 * @param clientRack Kafka's {@code client.rack} (KIP-392): with the broker's RackAwareReplicaSelector, the polls of an
 *     instance whose broker is in that rack read from its in-sync followers there; null without one
 * @param readCommitted Kafka's {@code isolation.level} read_committed: every poll format reads to the last stable
 *     offset and leaves out aborted transactions' records; false (read_uncommitted, the default) to the high watermark
 */
public record ConsumerConfig(String name, String format, String autoOffsetReset, boolean autoCommitEnable,
    long autoCommitIntervalMs, int fetchMinBytes, long requestTimeoutMs, long sessionTimeoutMs, String assignor,
    String groupInstanceId, String clientRack, boolean readCommitted) {

  /** Settings of a read_uncommitted instance. */
  public ConsumerConfig(String name, String format, String autoOffsetReset, boolean autoCommitEnable,
      long autoCommitIntervalMs, int fetchMinBytes, long requestTimeoutMs, long sessionTimeoutMs, String assignor,
      String groupInstanceId, String clientRack) {
    this(name, format, autoOffsetReset, autoCommitEnable, autoCommitIntervalMs, fetchMinBytes, requestTimeoutMs,
        sessionTimeoutMs, assignor, groupInstanceId, clientRack, false);
  }

  /** Settings of a dynamic member without a {@code client.rack}. */
  public ConsumerConfig(String name, String format, String autoOffsetReset, boolean autoCommitEnable,
      long autoCommitIntervalMs, int fetchMinBytes, long requestTimeoutMs, long sessionTimeoutMs, String assignor) {
    this(name, format, autoOffsetReset, autoCommitEnable, autoCommitIntervalMs, fetchMinBytes, requestTimeoutMs,
        sessionTimeoutMs, assignor, null, null);
  }

  static final Set<String> FIELDS = Set.of("name", "format", "auto.offset.reset", "auto.commit.enable",
      "auto.commit.interval.ms", "fetch.min.bytes", "consumer.request.timeout.ms", "session.timeout.ms",
      "partition.assignment.strategy", "group.instance.id", "client.rack", "isolation.level");
  private static final long DEFAULT_REQUEST_TIMEOUT_MS = 1_000;
  private static final long DEFAULT_AUTO_COMMIT_INTERVAL_MS = 5_000;

  /** Parses a creation body; unknown fields and bad values are INVALID_REQUEST naming the field. */
  public static ConsumerConfig parse(JsonObject body, GroupConfig groups) {
    for (String f : body.fieldNames()) {
      if (!FIELDS.contains(f)) {
        throw invalid("Unknown field '" + f + "'; known fields: " + new java.util.TreeSet<>(FIELDS));
      }
    }
    String name = text(body, "name", "rest-consumer-" + UUID.randomUUID());
    if (name.isEmpty() || name.length() > 200 || !name.matches("[a-zA-Z0-9._-]+")) {
      throw invalid("'name' must be 1 to 200 characters of [a-zA-Z0-9._-], got " + Echo.quoted(name));
    }
    String format = oneOf(body, "format", "binary", "json", "binary");
    String reset = oneOf(body, "auto.offset.reset", "latest", "earliest", "latest");
    boolean autoCommit = bool(body, "auto.commit.enable", true);
    long interval = number(body, "auto.commit.interval.ms", DEFAULT_AUTO_COMMIT_INTERVAL_MS, 0, Long.MAX_VALUE);
    long minBytes = number(body, "fetch.min.bytes", 1, -1, Integer.MAX_VALUE);
    long timeout = number(body, "consumer.request.timeout.ms", DEFAULT_REQUEST_TIMEOUT_MS, 0, Long.MAX_VALUE);
    long session = number(body, "session.timeout.ms", groups.defaultSessionTimeoutMs(), 0, Long.MAX_VALUE);
    if (session < groups.minSessionTimeoutMs() || session > groups.maxSessionTimeoutMs()) {
      throw new SluiceException(ErrorCode.INVALID_SESSION_TIMEOUT, "session.timeout.ms " + session
          + " is outside the broker's bounds [" + groups.minSessionTimeoutMs() + ", "
          + groups.maxSessionTimeoutMs() + "]");
    }
    String assignor = Assignor.named(text(body, "partition.assignment.strategy", "range")).name();
    String rack = text(body, "client.rack", "");
    if (rack.length() > 255) {
      throw invalid("'client.rack' is at most 255 characters, got " + rack.length());
    }
    boolean readCommitted = "read_committed".equals(oneOf(body, "isolation.level", "read_uncommitted",
        "read_uncommitted", "read_committed"));
    return new ConsumerConfig(name, format, reset, autoCommit, interval, (int) Math.max(1, minBytes), timeout,
        session, assignor, groupInstanceId(text(body, "group.instance.id", null)), rack.isEmpty() ? null : rack,
        readCommitted);
  }

  /** Kafka's rule for {@code group.instance.id} (as for topic names): 1 to 249 characters of [a-zA-Z0-9._-]. */
  private static String groupInstanceId(String id) {
    if (id != null && (id.isEmpty() || id.length() > 249 || !id.matches("[a-zA-Z0-9._-]+"))) {
      throw invalid("'group.instance.id' must be 1 to 249 characters of [a-zA-Z0-9._-], got " + Echo.quoted(id));
    }
    return id;
  }

  /** The persisted form; {@link #fromJson} reads it back. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("name", name).put("format", format).put("auto.offset.reset", autoOffsetReset)
        .put("auto.commit.enable", autoCommitEnable).put("auto.commit.interval.ms", autoCommitIntervalMs)
        .put("fetch.min.bytes", fetchMinBytes).put("consumer.request.timeout.ms", requestTimeoutMs)
        .put("session.timeout.ms", sessionTimeoutMs).put("partition.assignment.strategy", assignor);
    if (groupInstanceId != null) {
      json.put("group.instance.id", groupInstanceId);
    }
    if (readCommitted) {
      json.put("isolation.level", "read_committed");
    }
    return clientRack == null ? json : json.put("client.rack", clientRack);
  }

  public static ConsumerConfig fromJson(JsonObject j) {
    return new ConsumerConfig(j.getString("name"), j.getString("format"), j.getString("auto.offset.reset"),
        j.getBoolean("auto.commit.enable"), j.getLong("auto.commit.interval.ms"), j.getInteger("fetch.min.bytes"),
        j.getLong("consumer.request.timeout.ms"), j.getLong("session.timeout.ms"),
        j.getString("partition.assignment.strategy"), j.getString("group.instance.id"), j.getString("client.rack"),
        "read_committed".equals(j.getString("isolation.level")));
  }

  private static String text(JsonObject body, String field, String dflt) {
    Object v = body.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof String s)) {
      throw invalid("'" + field + "' must be a string, got " + Echo.quoted(v));
    }
    return s;
  }

  private static String oneOf(JsonObject body, String field, String dflt, String... allowed) {
    String v = text(body, field, dflt).toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw invalid("'" + field + "' must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
  }

  private static boolean bool(JsonObject body, String field, boolean dflt) {
    Object v = body.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw invalid("'" + field + "' must be true or false, got " + v);
  }

  private static long number(JsonObject body, String field, long dflt, long min, long max) {
    Object v = body.getValue(field);
    if (v == null) {
      return dflt;
    }
    long n;
    try {
      n = v instanceof Number num && !(v instanceof Double || v instanceof Float) ? num.longValue()
          : Long.parseLong(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw invalid("'" + field + "' must be an integer, got " + v);
    }
    if (n < min || n > max) {
      throw invalid("'" + field + "' must be in [" + min + ", " + max + "], got " + n);
    }
    return n;
  }

  static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_REQUEST, message);
  }
}
