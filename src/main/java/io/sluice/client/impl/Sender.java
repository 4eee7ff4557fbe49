package io.sluice.client.impl;

import io.sluice.client.ProducerOptions;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.RecordBatch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.sluice.record.PartitionSections;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * Sends a producer's sealed batches, per partition, in order, with a bound on batches in flight, and retries them.
 *
 * <pre>
 * POST {leader}/batches?acks=A[&transactional_id=T]   Content-Type: application/vnd.sluice.partition-batches (a section per partition)
 *   200 {"partitions": [{"topic", "partition", "offsets": [{"offset", "record_count"}], "log_append_time_ms"?}
 *        | {..., "error_code"}]}
 * </pre>
 *
 * <p><b>One request per broker.</b> Each partition decides what to send as if alone (its bound on requests in
 * flight, its recovery); the requests the partitions hand over within one turn of the context are then sent
 * together, one {@code POST /batches} per leader, as a Kafka producer sends one produce request per broker. Each
 * partition's entry of the answer is handled as that partition's own answer, so a refusal of one partition retries
 * or fails that partition only.
 *
 * <p><b>Order under retries.</b> Each partition's batches are numbered in seal order (with idempotence the number
 * is also their sequence rank) and the ready queue is kept in that order. After a retriable failure the partition
 * "recovers": nothing new is sent until every batch in flight has answered, then one batch at a time, oldest first,
 * until a batch succeeds with no earlier batch still waiting for a retry. Batches in flight together use several
 * HTTP connections, so the broker may receive them out of order: a batch refused as out of sequence that was sent
 * while an earlier batch was unanswered (or is refused while one is) is retried at once, in recovery, behind that
 * batch; refused otherwise, it is fatal. With idempotence a retried batch the broker already has is
 * answered with its original offsets, so it is never written twice; without idempotence and with retries on, the
 * producer keeps one batch in flight per partition, which keeps order but may write a batch twice if its answer was
 * lost.
 *
 * <p><b>Refused batches.</b> A batch refused for its own bytes (too large, invalid) fails alone; the partition goes on
 * in the next epoch ({@link RefusedBatches}). A refused section of several batches names none of them: each is
 * sent again alone. A lone batch of several records refused as too large is split and its pieces sent in its place
 * ({@link SplitBatches}); a whole request refused by the broker's body limit lowers the bound on request size and its
 * batches go again alone. Both bounds grow back as traffic near them is accepted ({@link GrowingCap}).
 *
 * <p><b>Threading:</b> confined to the producer's context.
 */
final class Sender {
  private static final System.Logger LOG = System.getLogger(Sender.class.getName());
  private static final String PARTITION_BATCHES = "application/vnd.sluice.partition-batches";
  /** A section header's bytes besides the topic name; the bound on request size counts topics as short. */
  private static final int SECTION_HEADER_BYTES = 2 + 64 + 8;

  /** One partition's request: its batches, sent together as that partition's section of a {@code POST /batches}. */
  private record Part(PartitionQueue q, List<ProducerBatch> batches, int bytes) {
  }

  /** Who the producer is to the brokers: id and epoch, or -1 without idempotence. */
  record Identity(long producerId, short epoch) {
    static final Identity NONE = new Identity(RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);

    boolean idempotent() {
      return producerId >= 0;
    }
  }

  private final Vertx vertx;
  private final Transport transport;
  private final MetadataCache metadata;
  private final ProducerOptions options;
  private final int maxInFlight;
  /** The most batches of a partition sent and unanswered: the broker's duplicate window with idempotence. */
  private final int maxBatchesInFlight;
  private final Map<String, Map<Integer, PartitionQueue>> queues = new HashMap<>();
  /** Partitions' requests waiting for the next {@link #sendOutgoing()}, by the broker they go to. */
  private final Map<URI, List<Part>> outgoing = new LinkedHashMap<>();
  /** Partitions whose batch was opened since the last {@link #lingeredAll} (linger 0 only). */
  private final List<PartitionQueue> opened = new ArrayList<>();
  private long lingerChecks;
  private boolean flushScheduled;
  private Identity identity = Identity.NONE;
  /**
   * Bytes a request's body holds at most: {@link ProducerOptions#maxRequestSizeBytes()}, lowered to half a body a
   * broker refused as too large (413 REQUEST_TOO_LARGE, its {@code http.max.body.bytes}), so later requests fit,
   * and grown back as requests near it are accepted ({@link GrowingCap}).
   */
  private final GrowingCap requestCap;
  /** The produce path and query, the same for every request: acks and the transactional id (KIP-890's check). */
  private final String producePath;

  Sender(Vertx vertx, Transport transport, MetadataCache metadata, ProducerOptions options) {
    this.vertx = vertx;
    this.transport = transport;
    this.metadata = metadata;
    this.options = options;
    boolean idempotent = options.idempotence() && !options.acks().equals("0");
    this.maxInFlight = !idempotent && options.retries() > 0 ? 1 : options.maxInFlightPerPartition();
    this.maxBatchesInFlight = idempotent ? RecordBatch.IDEMPOTENT_WINDOW_BATCHES : Integer.MAX_VALUE;
    this.requestCap = new GrowingCap(options.maxRequestSizeBytes());
    this.producePath = "/batches?acks=" + options.acks() + (options.transactionalId() == null ? ""
        : "&transactional_id=" + URLEncoder.encode(options.transactionalId(), StandardCharsets.UTF_8));
  }

  void identity(Identity identity) {
    this.identity = identity;
  }

  /**
   * The transactional producer's identity for its next transaction, answered by the end of the last one (KIP-890
   * part 2: the end bumped the epoch, or moved to a new producer id). Every partition starts again at sequence 0 in
   * it, and one a failed batch of the ended transaction had stopped (a hole in its sequence) is written to again.
   * Called between transactions: the end follows a flush, so nothing is in flight.
   */
  void nextTransaction(Identity next) {
    if (next.equals(identity)) {
      return;
    }
    identity = next;
    for (Map<Integer, PartitionQueue> partitions : queues.values()) {
      for (PartitionQueue q : partitions.values()) {
        q.epoch = -1;
        q.nextSequence = 0;
        q.refusedOrder = -1;
        q.fatal = null;
      }
    }
  }

  PartitionQueue queue(String topic, int partition) {
    // Looked up without computeIfAbsent, whose lambda capturing the topic would be an allocation per record.
    Map<Integer, PartitionQueue> partitions = queues.get(topic);
    if (partitions == null) {
      partitions = new HashMap<>();
      queues.put(topic, partitions);
    }
    PartitionQueue q = partitions.get(partition);
    if (q == null) {
      q = new PartitionQueue(topic, partition, options.batchSizeBytes());
      partitions.put(partition, q);
    }
    return q;
  }

  /** Moves the partition's open batch to the ready queue, numbered and stamped, and sends what may be sent. */
  void seal(PartitionQueue q) {
    ProducerBatch b = q.open;
    if (b == null) {
      return;
    }
    q.open = null;
    q.lingerDue = false;
    q.lastBatchBytes = b.estimatedSizeInBytes();
    if (q.lingerTimer >= 0) {
      vertx.cancelTimer(q.lingerTimer);
      q.lingerTimer = -1;
    }
    int baseSequence = RecordBatch.NO_SEQUENCE;
    if (identity.idempotent()) {
      baseSequence = q.nextSequence;
      q.nextSequence += b.recordCount();
    }
    b.seal(q.sealed++, identity.producerId(), epoch(q), baseSequence);
    q.ready.addLast(b);
    drain(q);
  }

  void sealAll() {
    queues.values().forEach(m -> m.values().forEach(this::seal));
  }

  /**
   * The partition's open batch has lingered enough: sealed now if the partition may send it at once, otherwise left
   * open to fill up (as Kafka's accumulator does) and sealed when the partition may send again. Sealing it while
   * the partition waits would only queue many small batches, of which few may be in flight at a time.
   */
  void lingered(PartitionQueue q) {
    if (q.open == null) {
      return;
    }
    q.lingerDue = true;
    if (q.ready.isEmpty() && maySend(q)) {
      seal(q);
    }
  }

  /**
   * Every batch opened since the last call has lingered enough (linger 0). Only those: a partition's batch that
   * lingered once is sealed by {@link #drain} as soon as the partition may send, so walking every partition the
   * producer ever wrote to, per drain of one record, was work that grew with the partition count for nothing.
   */
  void lingeredAll() {
    for (int i = 0; i < opened.size(); i++) {
      lingered(opened.get(i));
    }
    lingerChecks += opened.size();
    opened.clear();
  }

  /** The partition's new open batch lingers only until the next {@link #lingeredAll} (the producer's linger 0). */
  void openedForNoLinger(PartitionQueue q) {
    opened.add(q);
  }

  /** Open batches asked whether they lingered enough so far; for tests. */
  long lingerChecks() {
    return lingerChecks;
  }

  private short epoch(PartitionQueue q) {
    return q.epoch >= 0 ? (short) q.epoch : identity.epoch();
  }

  /** Whether the partition's bound on requests and batches in flight and its recovery let one more request go. */
  private boolean maySend(PartitionQueue q) {
    if (q.recovering || q.refusedOrder >= 0) {
      return q.requestsInFlight == 0;
    }
    return q.requestsInFlight < maxInFlight && q.inFlight.size() < maxBatchesInFlight;
  }

  /** Futures of every batch not yet completed, open ones included. */
  List<Future<Void>> outstanding() {
    List<Future<Void>> all = new ArrayList<>();
    for (Map<Integer, PartitionQueue> m : queues.values()) {
      for (PartitionQueue q : m.values()) {
        if (q.open != null) {
          all.add(q.open.done());
        }
        q.ready.forEach(b -> all.add(b.done()));
        q.inFlight.forEach(b -> all.add(b.done()));
      }
    }
    return all;
  }

  /**
   * Sends ready batches while the partition's bounds on requests and batches in flight and its recovery allow.
   * Outside recovery, consecutive never-tried batches share a request up to
   * {@link ProducerOptions#maxRequestSizeBytes()} and the bound on batches in flight; in recovery each batch goes
   * alone, so a retried request is always exactly one earlier request's batch (the broker answers an all-duplicate
   * request with the original offsets but refuses a request mixing written and new batches). With idempotence at
   * most {@link RecordBatch#IDEMPOTENT_WINDOW_BATCHES} batches are unanswered, so any of them the broker wrote is
   * still in the window it recognises resends in. Once the queue is empty, an open batch that has lingered enough
   * is sealed and sent.
   */
  void drain(PartitionQueue q) {
    long now = System.currentTimeMillis();
    if (q.refusedOrder >= 0 && q.requestsInFlight == 0 && q.noneBefore(q.refusedOrder)
        && !RefusedBatches.moveToNextEpoch(q, identity.epoch())) {
      failPartition(q, new SluiceException(ErrorCode.INVALID_PRODUCER_EPOCH, "A batch to " + q.topic + "-"
          + q.partition + " was refused and the partition's producer epoch cannot grow past " + Short.MAX_VALUE
          + ": create a new producer"));
    }
    while (!q.ready.isEmpty()) {
      ProducerBatch b = q.ready.peekFirst();
      if (!maySend(q)) {
        return;
      }
      if (b.nextAttemptMs > now) {
        armRetry(q, b.nextAttemptMs - now);
        return;
      }
      List<ProducerBatch> request = new ArrayList<>(4);
      request.add(q.ready.pollFirst());
      int bytes = b.sizeInBytes();
      while (!q.recovering && b.attempts == 0 && !q.ready.isEmpty() && q.ready.peekFirst().attempts == 0
          && q.inFlight.size() + request.size() < maxBatchesInFlight
          && bytes + q.ready.peekFirst().sizeInBytes() <= requestCap.bytes()) {
        ProducerBatch next = q.ready.pollFirst();
        bytes += next.sizeInBytes();
        request.add(next);
      }
      q.inFlight.addAll(request);
      send(q, request, bytes);
    }
    if (q.lingerDue && q.open != null && maySend(q)) {
      seal(q);
    }
  }

  private void armRetry(PartitionQueue q, long delayMs) {
    if (q.retryTimer < 0) {
      q.retryTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
        q.retryTimer = -1;
        drain(q);
        sendOutgoing();
      });
    }
  }

  /**
   * Hands a partition's request to the next flush, which puts every partition's request bound for the same broker
   * into one {@code POST /batches}. The partition counts it as one request in flight, as if sent alone.
   */
  private void send(PartitionQueue q, List<ProducerBatch> request, int bytes) {
    for (ProducerBatch b : request) {
      b.attempts++;
      // Requests travel on several connections, so the broker may see this batch before an earlier one still on
      // its way; if it then refuses this one as out of sequence, that is a reordering to retry, not a gap.
      b.sentBehindEarlier = q.earlierUnfinished(b);
    }
    q.requestsInFlight++;
    URI url = metadata.leaderUrl(q.topic, q.partition);
    outgoing.computeIfAbsent(url, u -> new ArrayList<>()).add(new Part(q, request, bytes));
    if (!flushScheduled) {
      // A backstop: whoever handed requests over calls sendOutgoing() at the end of its turn, before this runs.
      flushScheduled = true;
      vertx.runOnContext(v -> sendOutgoing());
    }
  }

  /**
   * Sends what the partitions handed over since the last call: per broker, as few requests as the size bound
   * allows, each naming a partition at most once (a partition's second request waits for the next one). Called at
   * the end of every turn that may have handed requests over (the inbox's drain, an answer, a linger or retry
   * timer), so what one turn decided leaves in that turn, together, without waiting for another task of the
   * context (one record at a time, that wait was part of every send's latency).
   */
  void sendOutgoing() {
    flushScheduled = false;
    if (outgoing.isEmpty()) {
      return;
    }
    Map<URI, List<Part>> now = new LinkedHashMap<>(outgoing);
    outgoing.clear();
    now.forEach((url, parts) -> {
      List<Part> request = new ArrayList<>();
      Set<PartitionQueue> named = new HashSet<>();
      int bytes = 0;
      for (Part part : parts) {
        if (!request.isEmpty() && (named.contains(part.q()) || bytes + part.bytes() > requestCap.bytes())) {
          sendRequest(url, request, bytes);
          request = new ArrayList<>();
          named.clear();
          bytes = 0;
        }
        request.add(part);
        named.add(part.q());
        bytes += part.bytes() + SECTION_HEADER_BYTES;
      }
      sendRequest(url, request, bytes);
    });
  }

  private void sendRequest(URI url, List<Part> parts, int bytes) {
    // One copy of the batches into the body: a composite over them instead was copied whole into a heap buffer by
    // the socket write (CompositeByteBuf.nioBuffer), the same bytes allocated one step later.
    Buffer body = Buffer.buffer(bytes + 256);
    for (Part part : parts) {
      body.appendBytes(PartitionSections.produceHeader(part.q().topic, part.q().partition, part.bytes()));
      part.batches().forEach(b -> b.writeTo(body));
    }
    transport.send(HttpMethod.POST, url, producePath, PARTITION_BATCHES, "application/json",
            body)
        .onComplete(ar -> {
          List<ProduceAnswer.Entry> entries = ar.succeeded()
              ? ProduceAnswer.parse(ar.result().content(), ar.result().length()) : null;
          boolean bodyTooLarge = ar.failed() && ErrorCodes.codeOf(ar.cause()) == ErrorCode.REQUEST_TOO_LARGE;
          if (bodyTooLarge) {
            // The broker refused the body unread (its http.max.body.bytes): nothing of it was written. Later
            // requests stay under half of it; its batches go again, each alone, and one that is too large alone splits.
            requestCap.refused(body.length());
          } else if (ar.succeeded()) {
            requestCap.accepted(body.length());
          }
          for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            part.q().requestsInFlight--;
            part.q().inFlight.removeAll(part.batches());
            Throwable failure = ar.failed() ? ar.cause() : entryFailure(part.q(), entries, i);
            if (failure == null) {
              onAnswered(part.q(), part.batches(), entries.get(i));
            } else {
              // A refusal of a section of several batches names none of them: sent alone, each gets its own. (In
              // recovery a partition sends one batch at a time, so a batch is sent alone at most once for this.)
              boolean alone = part.batches().size() == 1 && (!bodyTooLarge || parts.size() == 1);
              part.batches().forEach(b -> onFailed(part.q(), b, failure, url, alone));
            }
          }
          parts.forEach(part -> drain(part.q()));
          sendOutgoing();
        });
  }

  /** The refusal in the answer's entry {@code i}, or null if the partition's batches were appended. */
  private static Throwable entryFailure(PartitionQueue q, List<ProduceAnswer.Entry> entries, int i) {
    ProduceAnswer.Entry entry = entries == null || i >= entries.size() ? null : entries.get(i);
    if (entry == null) {
      return new SluiceException(ErrorCode.UNKNOWN_SERVER_ERROR, what(q) + ": the answer has no entry for it");
    }
    if (entry.errorCode() != null) {
      return new SluiceException(ErrorCodes.byCode(entry.errorCode()), what(q) + ": "
          + (entry.message() == null ? "(no message)" : entry.message()));
    }
    return null;
  }

  /** Built only for a refusal: a one-at-a-time producer's every answer would build it. */
  private static String what(PartitionQueue q) {
    return "POST /batches for " + q.topic + "-" + q.partition;
  }

  private void onAnswered(PartitionQueue q, List<ProducerBatch> request, ProduceAnswer.Entry entry) {
    for (int i = 0; i < request.size(); i++) {
      // Read before complete(), which gives the batch's buffer back.
      q.batchCap.accepted(request.get(i).estimatedSizeInBytes());
      request.get(i).complete(entry.offset(i), entry.logAppendTimeMs());
    }
    if (q.recovering && q.inFlight.isEmpty() && q.ready.stream().noneMatch(x -> x.attempts > 0)) {
      q.recovering = false;
    }
  }

  private void onFailed(PartitionQueue q, ProducerBatch b, Throwable failure, URI url, boolean alone) {
    ErrorCode code = ErrorCodes.codeOf(failure);
    if (code == ErrorCode.NETWORK_EXCEPTION) {
      metadata.unreachable(url);
    }
    boolean refused = RefusedBatches.refusal(code);
    boolean unwritten = refused || RefusedBatches.refusedUnwritten(code);
    boolean sequenceRefused = code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code == ErrorCode.UNKNOWN_PRODUCER_ID;
    if (!unwritten && !sequenceRefused) {
      b.maybeWritten = true;
    }
    if (refused && alone && SplitBatches.splits(code, b) && q.fatal == null) {
      SplitBatches.split(q, b);
      return;
    }
    if (refused && !alone && q.fatal == null) {
      // Nothing of the section was written (the broker validates every batch before writing any): each batch goes
      // again alone, in recovery, so the refusal falls on the batch it is about and the others are written.
      b.nextAttemptMs = System.currentTimeMillis();
      q.recovering = true;
      q.insertInOrder(b);
      return;
    }
    boolean reordered = sequenceRefused && (b.sentBehindEarlier || q.earlierUnfinished(b));
    boolean retriable = ErrorCodes.retriable(failure) || reordered;
    long now = System.currentTimeMillis();
    boolean mayRetry = q.fatal == null && b.attempts <= options.retries()
        && now - b.createdMs < options.deliveryTimeoutMs();
    if (mayRetry && code == ErrorCode.UNKNOWN_PRODUCER_ID && !reordered && !b.maybeWritten) {
      // The partition forgot this producer and nothing earlier is unfinished: this batch and the later ones go
      // again in the partition's next epoch from sequence 0 (drain moves them once nothing is in flight), KIP-360.
      q.refusedOrder = q.refusedOrder < 0 ? b.order : Math.min(q.refusedOrder, b.order);
      b.nextAttemptMs = now;
      q.recovering = true;
      q.insertInOrder(b);
      return;
    }
    if (mayRetry && retriable) {
      if (ErrorCodes.staleMetadata(failure)) {
        metadata.refresh(q.topic).onFailure(t -> LOG.log(Level.DEBUG, "Metadata refresh of " + q.topic
            + " failed: " + t));
      }
      b.nextAttemptMs = code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER ? now : now + backoffMs(b.attempts);
      q.recovering = true;
      q.insertInOrder(b);
      return;
    }
    LOG.log(Level.DEBUG, "Batch of " + b.recordCount() + " record(s) to " + q.topic + "-" + q.partition
        + " failed after " + b.attempts + " attempt(s): " + failure);
    b.fail(failure);
    if (identity.idempotent() && ((unwritten && !b.maybeWritten) || code == ErrorCode.UNKNOWN_PRODUCER_ID)
        && q.fatal == null && options.transactionalId() == null) {
      // As Kafka's idempotent producer: only this batch fails; the later ones move to a new epoch (drain). A
      // partition that forgot the producer has no hole to keep them behind, whatever became of this batch.
      q.refusedOrder = q.refusedOrder < 0 ? b.order : Math.min(q.refusedOrder, b.order);
      q.recovering = true;
    } else if (identity.idempotent()) {
      // The partition's sequence now has a hole the broker will never fill: nothing later can be written (in a
      // transaction: until its end's new epoch, as Kafka's transactional producer, which never moves a partition
      // to an epoch of its own: the coordinator's markers would carry an older one).
      failPartition(q, new SluiceException(ErrorCodes.codeOf(failure), "An earlier batch to " + q.topic + "-"
          + q.partition + " failed for good (" + failure.getMessage() + "); this producer can no longer write"
          + " to the partition in order: create a new producer"));
    }
  }

  /** Fails every waiting and future record of the partition. */
  void failPartition(PartitionQueue q, Throwable failure) {
    if (q.fatal == null) {
      q.fatal = failure;
    }
    ProducerBatch open = q.open;
    q.open = null;
    if (open != null) {
      open.fail(failure);
    }
    while (!q.ready.isEmpty()) {
      q.ready.pollFirst().fail(failure);
    }
  }

  private long backoffMs(int attempts) {
    long backoff = options.retryBackoffMs() << Math.min(attempts - 1, 20);
    return Math.min(backoff, options.retryBackoffMaxMs());
  }

  /** Cancels every timer; called at close once nothing is outstanding. */
  void stop() {
    queues.values().forEach(m -> m.values().forEach(q -> {
      if (q.lingerTimer >= 0) {
        vertx.cancelTimer(q.lingerTimer);
      }
      if (q.retryTimer >= 0) {
        vertx.cancelTimer(q.retryTimer);
      }
    }));
  }
}
