package io.sluice.client.impl;

import io.sluice.client.ProducerOptions;
import io.sluice.client.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A transactional producer's side of Kafka's transactions, over the broker's HTTP API: the identity from
 * {@code POST /producers {"transactional_id"}}, each partition added ({@code POST /transactions/{id}/partitions})
 * before its first batch of a transaction, and the end ({@code .../commit}, {@code .../abort}). Retriable refusals
 * (the coordinator moving, CONCURRENT_TRANSACTIONS while the last end is written) are retried with the producer's
 * backoff up to its delivery timeout. A fencing (PRODUCER_FENCED, or a partition refusing the epoch) or a refusal of
 * TransactionalId Write once the producer was initialized (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) is fatal: every
 * later call fails with it.
 *
 * <p>Threads: the client's context only.
 */
final class TransactionManager {
  /**
   * Failures after which the producer can do nothing more, as in Kafka: fenced by a newer producer of the id, or no
   * longer allowed to write as the id (TransactionalId Write was taken away while a transaction was open: not even its
   * abort would be allowed).
   */
  private static final Set<ErrorCode> FATAL = Set.of(ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH,
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  private final MetadataCache metadata;
  private final Vertx vertx;
  private final ProducerOptions options;
  private final String path;
  /** Runs after appends that waited for their partition's add: sends what they sealed. */
  private final Runnable appended;
  private volatile Sender.Identity identity;
  /** Set by {@link #begin} on the application's thread; its sends reach the context after it (the inbox orders them). */
  private volatile boolean open;
  /** The first failure of a record of the open transaction: it cannot be committed. */
  private volatile Throwable recordFailure;
  private volatile Throwable fatal;
  private final Set<TopicPartition> added = new HashSet<>();
  /** Whether the open transaction sent offsets (it must be ended even if it wrote no partition). */
  private boolean offsetsSent;
  /** Partitions being added, with the appends waiting for it, in send order. */
  private final Map<TopicPartition, List<Runnable>> adding = new HashMap<>();
  private final List<Promise<Void>> addsDone = new ArrayList<>();

  TransactionManager(MetadataCache metadata, Vertx vertx, ProducerOptions options, Runnable appended) {
    if (!options.idempotence() || !options.acks().equals("all") && !options.acks().equals("-1")) {
      throw new IllegalArgumentException("A transactional producer needs idempotence and acks=all (transactionalId "
          + options.transactionalId() + ")");
    }
    this.appended = appended;
    this.metadata = metadata;
    this.vertx = vertx;
    this.options = options;
    this.path = "/transactions/" + URLEncoder.encode(options.transactionalId(), StandardCharsets.UTF_8)
        .replace("+", "%20");
  }

  /** Kafka's initTransactions: the identity, with a new epoch. */
  Future<Sender.Identity> init() {
    JsonObject body = new JsonObject().put("transactional_id", options.transactionalId())
        .put("transaction_timeout_ms", options.transactionTimeoutMs());
    return retried(() -> metadata.anyBroker(HttpMethod.POST, "/producers", body)).map(r -> {
      identity = new Sender.Identity(r.json().getLong("producer_id"), r.json().getInteger("producer_epoch")
          .shortValue());
      return identity;
    });
  }

  void begin() {
    if (fatal != null) {
      throw new IllegalStateException("The producer was fenced or failed for good: " + fatal.getMessage(), fatal);
    }
    if (identity == null) {
      throw new IllegalStateException("initTransactions() first");
    }
    if (open) {
      throw new IllegalStateException("A transaction is open already");
    }
    recordFailure = null;
    open = true;
  }

  /** Why a record cannot join a transaction now, or null. */
  Throwable refusal() {
    if (fatal != null) {
      return fatal;
    }
    return open ? null : new IllegalStateException("No open transaction: beginTransaction() first");
  }

  /** Notes a record's failure: the transaction can only be aborted then. */
  void recordFailed(Throwable t) {
    if (open && recordFailure == null) {
      recordFailure = t;
    }
    if (FATAL.contains(ErrorCodes.codeOf(t))) {
      fatal = t;
    }
  }

  /**
   * Runs {@code append} now if the partition is part of the transaction, or once it is added (in order with the other
   * appends to it that wait); a failed add fails the records through {@code fail}.
   */
  void whenAdded(String topic, int partition, Runnable append, java.util.function.Consumer<Throwable> fail) {
    TopicPartition tp = new TopicPartition(topic, partition);
    if (added.contains(tp)) {
      append.run();
      return;
    }
    List<Runnable> waiting = adding.get(tp);
    if (waiting != null) {
      waiting.add(append);
      return;
    }
    List<Runnable> queue = new ArrayList<>();
    queue.add(append);
    adding.put(tp, queue);
    Promise<Void> done = Promise.promise();
    addsDone.add(done);
    JsonObject body = producerJson().put("partitions", new JsonArray().add(new JsonObject().put("topic", topic)
        .put("partition", partition)));
    retried(() -> metadata.anyBroker(HttpMethod.POST, path + "/partitions", body)).onComplete(ar -> {
      List<Runnable> appends = adding.remove(tp);
      addsDone.remove(done);
      if (ar.succeeded()) {
        added.add(tp);
        appends.forEach(Runnable::run);
        appended.run();
      } else {
        recordFailed(ar.cause());
        appends.forEach(a -> fail.accept(ar.cause()));
      }
      done.complete();
    });
  }

  /** Completes once no partition is being added. */
  Future<Void> addsSettled() {
    if (addsDone.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.join(addsDone.stream().map(Promise::future).toList()).transform(ar -> addsSettled());
  }

  /** Kafka's sendOffsetsToTransaction: the broker adds the group to the transaction and writes the offsets pending. */
  Future<Void> sendOffsets(java.util.Map<io.sluice.client.TopicPartition, Long> offsets,
      io.sluice.client.GroupMetadata group) {
    if (fatal != null) {
      return Future.failedFuture(fatal);
    }
    if (!open) {
      return Future.failedFuture(new IllegalStateException("No open transaction: beginTransaction() first"));
    }
    JsonArray list = new JsonArray();
    offsets.forEach((tp, next) -> list.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())
        .put("offset", next)));
    JsonObject body = producerJson().put("group_id", group.groupId()).put("offsets", list);
    if (group.memberId() != null) {
      body.put("member_id", group.memberId());
    }
    if (group.generationId() >= 0) {
      body.put("generation_id", group.generationId());
    }
    if (offsets.isEmpty()) {
      return Future.succeededFuture();
    }
    return retried(() -> metadata.anyBroker(HttpMethod.POST, path + "/offsets", body)).<Void>mapEmpty()
        .onSuccess(v -> offsetsSent = true).onFailure(this::recordFailed);
  }

  /**
   * Kafka's EndTxn of transaction version 2 (KIP-890 part 2), once every record of the transaction is answered (the
   * caller flushed): the end bumps the epoch, and the answer is the identity of the next transaction.
   */
  Future<Sender.Identity> end(boolean commit) {
    if (fatal != null) {
      return Future.failedFuture(fatal);
    }
    if (!open) {
      return Future.failedFuture(new IllegalStateException("No open transaction"));
    }
    if (commit && recordFailure != null) {
      return Future.failedFuture(new SluiceException(ErrorCodes.codeOf(recordFailure), "A record of the transaction"
          + " failed, so it cannot be committed; abort it: " + recordFailure.getMessage()));
    }
    JsonObject body = producerJson().put("transaction_version", 2);
    Future<Sender.Identity> ended = added.isEmpty() && !offsetsSent ? Future.succeededFuture(identity) // nothing to end
        : retried(() -> metadata.anyBroker(HttpMethod.POST, path + (commit ? "/commit" : "/abort"), body))
            .map(r -> nextIdentity(r.json()));
    return ended.andThen(ar -> {
      if (ar.succeeded()) {
        identity = ar.result();
        open = false;
        added.clear();
        offsetsSent = false;
      } else {
        recordFailed(ar.cause());
      }
    });
  }

  /** The identity an end answered; a broker that did not bump the epoch answers none (204): the same one. */
  private Sender.Identity nextIdentity(JsonObject answer) {
    return !answer.containsKey("producer_epoch") ? identity : new Sender.Identity(answer.getLong("producer_id"),
        answer.getInteger("producer_epoch").shortValue());
  }

  private JsonObject producerJson() {
    return new JsonObject().put("producer_id", identity.producerId()).put("producer_epoch", identity.epoch());
  }

  private <T> Future<T> retried(Supplier<Future<T>> call) {
    long deadline = System.currentTimeMillis() + options.deliveryTimeoutMs();
    Promise<T> result = Promise.promise();
    attempt(call, deadline, result);
    return result.future();
  }

  private <T> void attempt(Supplier<Future<T>> call, long deadline, Promise<T> result) {
    call.get().onComplete(ar -> {
      if (ar.failed() && ErrorCodes.retriable(ar.cause()) && System.currentTimeMillis() < deadline) {
        vertx.setTimer(options.retryBackoffMs(), t -> attempt(call, deadline, result));
      } else {
        result.handle(ar);
      }
    });
  }
}
