package io.sluice.client.impl;

import io.smallrye.mutiny.Uni;
import io.sluice.client.AcknowledgeType;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ShareConsumer;
import io.sluice.client.ShareConsumerOptions;
import io.sluice.client.ShareConsumerRecord;
import io.sluice.client.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link ShareConsumer} over {@code /share-groups} (any broker routes a share group's calls to the broker keeping
 * it). State on the client's context: the member id, the last poll's records and the acknowledgements not sent yet.
 * A heartbeat every third of the session (5 s when the broker's default applies) keeps the member between polls.
 */
final class ShareConsumerImpl implements ShareConsumer {
  private static final System.Logger LOG = System.getLogger(ShareConsumerImpl.class.getName());
  private static final long DEFAULT_HEARTBEAT_MS = 5_000;

  private record Key(String topic, int partition, long offset) {
  }

  private final ClientImpl client;
  private final Context context;
  private final ShareConsumerOptions options;
  private final String groupPath;
  private List<String> topics = List.of();
  private String member;
  private long heartbeatTimer = -1;
  /** The last poll's records not acknowledged explicitly yet, and whether any of that poll's were. */
  private final Map<Key, ShareConsumerRecord> unacknowledged = new LinkedHashMap<>();
  private boolean explicit;
  private final Map<Key, AcknowledgeType> pending = new LinkedHashMap<>();

  ShareConsumerImpl(ClientImpl client, ShareConsumerOptions options) {
    this.client = client;
    this.context = client.context();
    this.options = options;
    this.groupPath = "/share-groups/" + MetadataCache.encode(options.group());
  }

  private String memberPath() {
    if (member == null) {
      throw new IllegalStateException("The share consumer of group '" + options.group() + "' is not subscribed");
    }
    return groupPath + "/members/" + MetadataCache.encode(member);
  }

  @Override
  public Uni<Void> subscribe(Collection<String> topics) {
    List<String> list = List.copyOf(topics);
    if (list.isEmpty()) {
      return Uni.createFrom().failure(new IllegalArgumentException("subscribe needs at least one topic"));
    }
    return Unis.onContext(context, () -> leave().compose(v -> join(list)));
  }

  private Future<Void> join(List<String> list) {
    JsonObject body = new JsonObject().put("topics", new JsonArray(new ArrayList<>(list)));
    if (options.sessionTimeoutMs() > 0) {
      body.put("session.timeout.ms", options.sessionTimeoutMs());
    }
    if (options.fromEarliest() != null) {
      body.put("share.auto.offset.reset", options.fromEarliest() ? "earliest" : "latest");
    }
    return client.metadata().anyBroker(HttpMethod.POST, groupPath + "/members", body).map(r -> {
      member = r.json().getString("member_id");
      topics = list;
      unacknowledged.clear();
      pending.clear();
      explicit = false;
      long every = options.sessionTimeoutMs() > 0 ? options.sessionTimeoutMs() / 3 : DEFAULT_HEARTBEAT_MS;
      client.vertx().cancelTimer(heartbeatTimer);
      heartbeatTimer = client.vertx().setPeriodic(Math.max(1, every), id -> context.runOnContext(x -> heartbeat()));
      return null;
    });
  }

  private void heartbeat() {
    if (member != null) {
      String was = member;
      client.metadata().anyBroker(HttpMethod.POST, memberPath() + "/heartbeat", null).onFailure(t -> {
        LOG.log(Level.DEBUG, "Share group '" + options.group() + "' heartbeat failed: " + t);
        if (ErrorCodes.codeOf(t) == ErrorCode.UNKNOWN_MEMBER_ID && was.equals(member)) {
          rejoin();
        }
      });
    }
  }

  /**
   * The group no longer knows this member (its session expired, or it was removed): joins again with the same
   * topics. What it held went back to the group with the member; its unsent acknowledgements are dropped.
   */
  private Future<Void> rejoin() {
    LOG.log(Level.INFO, "Share group '" + options.group() + "' no longer knows member '" + member + "': joining"
        + " again");
    return join(topics);
  }

  @Override
  public Uni<List<ShareConsumerRecord>> poll(Duration timeout) {
    return Unis.onContext(context, () -> {
      memberPath();
      if (explicit && !unacknowledged.isEmpty()) {
        throw new IllegalStateException(unacknowledged.size() + " record(s) of the last poll are not acknowledged"
            + " (the first " + unacknowledged.keySet().iterator().next() + "): with explicit acknowledgement, every"
            + " record must be before the next poll");
      }
      long waitMs = Math.min(timeout.toMillis(), client.requestTimeoutMs() / 2);
      return sendAcks().compose(outcomes -> fetch(waitMs)).recover(t -> {
        if (ErrorCodes.codeOf(t) != ErrorCode.UNKNOWN_MEMBER_ID) {
          return Future.failedFuture(t);
        }
        // Transparent to the caller: this poll fetches as the new member.
        return rejoin().compose(v -> fetch(waitMs));
      });
    });
  }

  private Future<List<ShareConsumerRecord>> fetch(long waitMs) {
    String path = memberPath() + "/records?max_records=" + options.maxPollRecords() + "&timeout=" + waitMs;
    return client.metadata().anyBroker(HttpMethod.GET, path, null, "application/json", null).map(r -> {
      List<ShareConsumerRecord> out = new ArrayList<>();
      r.body().toJsonArray().forEach(o -> out.add(decode((JsonObject) o)));
      out.forEach(rec -> unacknowledged.put(key(rec), rec));
      return out;
    });
  }

  private static Key key(ShareConsumerRecord r) {
    return new Key(r.topic(), r.partition(), r.offset());
  }

  private static ShareConsumerRecord decode(JsonObject o) {
    List<Header> headers = new ArrayList<>();
    JsonArray hs = o.getJsonArray("headers", new JsonArray());
    hs.forEach(h -> headers.add(new Header(((JsonObject) h).getString("key"),
        bytes(((JsonObject) h).getString("value")))));
    return new ShareConsumerRecord(new ConsumerRecord(o.getString("topic"), o.getInteger("partition"),
        o.getLong("offset"), o.getLong("timestamp", -1L), bytes(o.getString("key")), bytes(o.getString("value")),
        headers), o.getInteger("delivery_count"));
  }

  private static byte[] bytes(String base64) {
    return base64 == null ? null : Base64.getDecoder().decode(base64);
  }

  @Override
  public void acknowledge(ShareConsumerRecord record, AcknowledgeType type) {
    Unis.run(context, () -> {
      Key key = key(record);
      if (unacknowledged.remove(key) == null) {
        LOG.log(Level.WARNING, "Acknowledgement of " + key + " ignored: not a record of the last poll, or"
            + " acknowledged already");
        return;
      }
      explicit = true;
      pending.put(key, type);
    });
  }

  /**
   * Sends the pending acknowledgements, the last poll's records accepted first when none was acknowledged
   * explicitly; emits each partition's outcome.
   */
  private Future<Map<TopicPartition, Optional<SluiceException>>> sendAcks() {
    if (!explicit) {
      unacknowledged.keySet().forEach(k -> pending.put(k, AcknowledgeType.ACCEPT));
      unacknowledged.clear();
    }
    explicit = false;
    if (pending.isEmpty() || member == null) {
      return Future.succeededFuture(Map.of());
    }
    Map<TopicPartition, JsonArray> byPartition = new LinkedHashMap<>();
    pending.forEach((k, type) -> byPartition.computeIfAbsent(new TopicPartition(k.topic(), k.partition()),
        tp -> new JsonArray()).add(new JsonObject().put("topic", k.topic()).put("partition", k.partition())
            .put("offset", k.offset()).put("type", type.name())));
    pending.clear();
    String path = memberPath() + "/acknowledgements";
    Map<TopicPartition, Future<Optional<SluiceException>>> sent = new LinkedHashMap<>();
    // One request per partition, so that each partition's outcome is its own: a refused acknowledgement (its lock
    // expired: the record went to another member) fails its request, the others of it having been applied.
    byPartition.forEach((tp, acks) -> sent.put(tp, client.metadata().anyBroker(HttpMethod.POST, path,
        new JsonObject().put("acknowledgements", acks)).transform(ar -> ar.succeeded()
            ? Future.succeededFuture(Optional.<SluiceException>empty())
            : ErrorCodes.codeOf(ar.cause()) == ErrorCode.INVALID_RECORD_STATE
                ? Future.succeededFuture(Optional.of((SluiceException) ar.cause()))
                : Future.failedFuture(ar.cause()))));
    return Future.all(new ArrayList<>(sent.values())).map(all -> {
      Map<TopicPartition, Optional<SluiceException>> out = new LinkedHashMap<>();
      sent.forEach((tp, f) -> out.put(tp, f.result()));
      return out;
    });
  }

  @Override
  public Uni<Map<TopicPartition, Optional<SluiceException>>> commitSync() {
    return Unis.onContext(context, this::sendAcks);
  }

  @Override
  public void commitAsync() {
    commitSync().subscribe().with(outcomes -> { }, t -> LOG.log(Level.WARNING, "Share group '" + options.group()
        + "': acknowledgements not committed: " + t));
  }

  @Override
  public Uni<Void> close() {
    return Unis.onContext(context, () -> sendAcks().<Void>mapEmpty()
        .transform(ar -> leave().compose(v -> ar.succeeded() ? Future.succeededFuture()
            : Future.failedFuture(ar.cause()))));
  }

  private Future<Void> leave() {
    client.vertx().cancelTimer(heartbeatTimer);
    heartbeatTimer = -1;
    if (member == null) {
      return Future.succeededFuture();
    }
    String path = memberPath();
    member = null;
    unacknowledged.clear();
    pending.clear();
    return client.metadata().anyBroker(HttpMethod.DELETE, path, null).<Void>mapEmpty()
        .recover(t -> ErrorCodes.codeOf(t) == ErrorCode.UNKNOWN_MEMBER_ID ? Future.succeededFuture()
            : Future.failedFuture(t));
  }
}
