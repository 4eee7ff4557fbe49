package io.sluice.client.impl;

import io.sluice.client.CloseOptions;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ReaderOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.StartPosition;
import io.sluice.client.OffsetCommit;
import io.sluice.client.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import io.sluice.record.Record;
import io.sluice.record.PartitionSections;
import io.sluice.record.RecordFrames;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The REST v2 consumer instance requests of one {@link GroupConsumerImpl}, with their JSON shapes.
 *
 * <p><b>Failover.</b> Requests go first to the broker named in the {@code base_uri} that created the instance, but
 * any broker serves any instance's path (the work happens at the group's coordinator), so the instance does not die
 * with that broker. A request that gets no answer (NETWORK_EXCEPTION, REQUEST_TIMED_OUT) un-pins the broker: from
 * then on requests go to the bootstrap brokers in turn ({@link MetadataCache#anyBroker}), the path unchanged.
 * Requests other than polls are resent after a retriable error (no answer, NOT_COORDINATOR while the coordinator
 * moves, ...) with exponential backoff until {@code requestTimeoutMs} after the first attempt; each is safe to
 * repeat (subscribe, assignment reads, absolute seeks, commits of explicit offsets; a repeated create or delete is
 * recognised by its answer). REBALANCE_IN_PROGRESS is not resent: only the member's next poll ends the rebalance.
 * A poll is sent at most once, even to the next bootstrap broker: the broker may have moved the instance's positions
 * past records whose answer was lost, so the caller puts the positions back first ({@link #reposition}).
 *
 * <p><b>Threading:</b> confined to the client's context; futures complete there.
 */
final class ConsumerInstanceApi {
  private static final String JSON = "application/json";
  private static final String BINARY_RECORDS = "application/vnd.kafka.binary.v2+json";
  private static final String FRAMED_RECORDS = "application/vnd.sluice.records";
  private static final String RECORD_BATCHES = "application/vnd.sluice.record-batches";
  private static final String ASSIGNMENT = "Sluice-Assignment";
  private static final String MEMBER_ID = "Sluice-Member-Id";
  private static final String GENERATION_ID = "Sluice-Generation-Id";
  private static final long FIRST_BACKOFF_MS = 50;
  private static final long MAX_BACKOFF_MS = 1_000;

  private final Vertx vertx;
  private final Transport transport;
  private final MetadataCache metadata;
  private final long requestTimeoutMs;
  /** The broker requests go to; null after it failed to answer: then any bootstrap broker. */
  private URI broker;
  private String basePath;

  ConsumerInstanceApi(Vertx vertx, Transport transport, MetadataCache metadata, long requestTimeoutMs) {
    this.vertx = vertx;
    this.transport = transport;
    this.metadata = metadata;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /**
   * {@code POST /consumers/{g}} then {@code POST base/subscription}. Broker-side auto-commit is off. The instance
   * gets a random name of the client's choosing, so a create resent after a lost answer that finds it existing is
   * the same instance, not a second one.
   */
  Future<Void> create(ConsumerOptions o) {
    String name = "sluice-client-" + UUID.randomUUID();
    JsonObject settings = new JsonObject().put("name", name).put("format", "binary")
        .put("auto.offset.reset", o.fromEarliest() ? "earliest" : "latest")
        .put("auto.commit.enable", false)
        .put("session.timeout.ms", o.sessionTimeoutMs())
        .put("partition.assignment.strategy", o.assignor());
    if (!ReaderOptions.READ_UNCOMMITTED.equals(o.isolationLevel())) { // the default is sent as before
      settings.put("isolation.level", o.isolationLevel());
    }
    if (o.groupInstanceId() != null) {
      settings.put("group.instance.id", o.groupInstanceId());
    }
    if (metadata.clientRack() != null) {
      settings.put("client.rack", metadata.clientRack());
    }
    String group = MetadataCache.encode(o.group());
    Call call = new Call(HttpMethod.POST, "/consumers/" + group, JSON, JSON, settings.toBuffer());
    return retrying(call, deadline(), 0)
        .map(r -> {
          URI base = URI.create(r.json().getString("base_uri"));
          broker = URI.create(base.getScheme() + "://" + base.getRawAuthority());
          return base.getRawPath();
        })
        .recover(t -> ErrorCodes.codeOf(t) == ErrorCode.CONSUMER_ALREADY_EXISTS
            ? Future.succeededFuture("/consumers/" + group + "/instances/" + MetadataCache.encode(name))
            : Future.failedFuture(t))
        .compose(path -> {
          basePath = path;
          return send(HttpMethod.POST, "/subscription", new JsonObject().put("topics", new JsonArray(o.topics())));
        }).mapEmpty();
  }

  boolean created() {
    return basePath != null;
  }

  /** Forgets the instance (deleted); the next {@link #create} makes a new one. */
  void forget() {
    basePath = null;
  }

  /**
   * {@code POST base/heartbeat}: keeps the instance's member in its group without polling. Resent as the other
   * requests are, except after REBALANCE_IN_PROGRESS, which (as ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID) says the
   * member must rejoin.
   */
  Future<Void> heartbeat() {
    return basePath == null ? Future.succeededFuture() : send(HttpMethod.POST, "/heartbeat", null).mapEmpty();
  }

  /** The broker requests go to now: the pinned one, else the bootstrap broker the rotation is at. A diagnostic. */
  URI requestUrl() {
    return broker != null ? broker : metadata.bootstrapBroker();
  }

  /**
   * A poll's records, one {@link Section} per run of one partition's records in the answer, and, when the broker said
   * it, the instance's assignment right after the poll.
   */
  record Polled(List<Section> sections, Set<TopicPartition> assignment, Membership membership) {
  }

  /**
   * The member id (null outside the group protocol) and generation the instance's assignment belongs to, as the
   * broker answered them; a commit names them so that the group refuses it once it moved on.
   */
  record Membership(String memberId, int generationId) {
    static final Membership NONE = new Membership(null, -1);
  }

  /** The instance's assignment and the membership it belongs to. */
  record Assigned(Set<TopicPartition> partitions, Membership membership) {
  }

  /**
   * One partition's records of a poll, in offset order, and the offset of the first. The consumer's per-partition
   * checks are made once per section, not per record. A batch answer's records are decoded as they are iterated
   * ({@link FetchedRecords}), when the stream hands them out: decoded whole on arrival, the polls held ahead kept
   * about 85,000 small objects alive through every young collection (copied each time), and a G1 that saw those
   * copies slowed by a busy machine kept its young generation small, collecting more often (docs/benchmarks.md, h-g6).
   * Undecoded, a poll ahead is its answer's one array, which a young collection does not copy.
   */
  record Section(TopicPartition partition, Iterable<ConsumerRecord> records, long first) {
    /** Cuts a list of records into runs of one partition (the JSON and framed answers come as one list). */
    static List<Section> runs(List<ConsumerRecord> records) {
      List<Section> out = new ArrayList<>();
      int from = 0;
      for (int i = 1; i <= records.size(); i++) {
        if (i == records.size() || records.get(i).partition() != records.get(from).partition()
            || !records.get(i).topic().equals(records.get(from).topic())) {
          ConsumerRecord first = records.get(from);
          out.add(new Section(new TopicPartition(first.topic(), first.partition()), records.subList(from, i),
              first.offset()));
          from = i;
        }
      }
      return out;
    }
  }

  /**
   * One poll, sent once (see the class comment). Asks for the log's stored batches ({@link PartitionSections#parsePoll}:
   * the broker neither decodes nor encodes a record; this side drops the records before each partition's from offset
   * and control batches), else the framed binary records ({@link RecordFrames}) of a broker without it, and reads the
   * assignment from the answer's {@code Sluice-Assignment} header; an answer in the REST v2 JSON shape is read too.
   */
  Future<Polled> poll(long timeoutMs, int maxBytes) {
    Call call = new Call(HttpMethod.GET, basePath + "/records?timeout=" + timeoutMs + "&max_bytes=" + maxBytes,
        null, RECORD_BATCHES + ", " + FRAMED_RECORDS + ";q=0.9, " + BINARY_RECORDS + ";q=0.5", null);
    return attempt(call, true).map(r -> {
      String type = r.headers().get("Content-Type");
      if (type != null && type.startsWith(RECORD_BATCHES)) {
        return new Polled(decodeSections(r.bytes(), transport, r), assignmentHeader(r.headers().get(ASSIGNMENT)),
            membershipHeaders(r.headers()));
      }
      if (type == null || !type.startsWith(FRAMED_RECORDS)) {
        return new Polled(Section.runs(decode(r.body().toJsonArray())), null, null);
      }
      List<ConsumerRecord> records = new ArrayList<>();
      for (RecordFrames.Framed f : RecordFrames.decode(r.bytes())) {
        Record rec = f.record();
        records.add(new ConsumerRecord(f.topic(), f.partition(), rec.offset(), rec.timestamp(), rec.key(),
            rec.value(), rec.headers()));
      }
      return new Polled(Section.runs(records), assignmentHeader(r.headers().get(ASSIGNMENT)),
          membershipHeaders(r.headers()));
    });
  }

  /**
   * The answer's partition sections that hold records at or after their from offset (control batches skipped),
   * their records decoded as they are iterated. The framing of every batch is checked here and the first record of
   * each section decoded (the consumer's re-read check needs its offset), so a cut answer fails the poll before any
   * of its records is handed out; a broken record inside a batch fails the stream when it is reached, after the
   * records before it (as a partition reader's does).
   */
  static List<Section> decodeSections(ByteBuffer body) {
    return decodeSections(body, null, null);
  }

  /**
   * {@link #decodeSections(ByteBuffer)} of an answer whose array goes back to {@code transport}'s pool once every
   * section was walked to its end (each section's records are then walked once only), as a partition reader's fetch
   * answers do ({@link AnswerArrays}): a new array per poll was about 100 B a record of the group member's allocation,
   * zeroed and faulted in. A walk cut short (a cancelled stream) leaves the array to the collector.
   */
  static List<Section> decodeSections(ByteBuffer body, Transport transport, Transport.Response response) {
    if (!body.hasRemaining()) {
      return List.of();
    }
    List<PartitionSections.PollSection> sections = PartitionSections.parsePoll(body);
    Runnable read = transport == null ? null : new Fetcher.AnswerRead(transport, response, sections.size());
    List<Section> out = new ArrayList<>();
    for (PartitionSections.PollSection s : sections) {
      if (!s.batches().hasRemaining()) {
        done(read);
        continue;
      }
      // One instance per topic name: the consumer's per-record partition lookups then compare topics by identity.
      String topic = s.topic().intern();
      FetchedRecords records = new FetchedRecords(topic, s.partition(), s.batches(), s.fromOffset(), read);
      ConsumerRecord first = records.first();
      if (first != null) {
        out.add(new Section(new TopicPartition(topic, s.partition()), records, first.offset()));
      } else {
        done(read); // nothing of this section is handed out, so nothing walks it
      }
    }
    return out;
  }

  private static void done(Runnable read) {
    if (read != null) {
      read.run();
    }
  }

  private static Set<TopicPartition> assignmentHeader(String header) {
    if (header == null) {
      return null;
    }
    Set<TopicPartition> owned = new HashSet<>();
    for (String pair : header.split(",")) {
      int slash = pair.lastIndexOf('/');
      if (slash > 0) {
        owned.add(new TopicPartition(pair.substring(0, slash).intern(), Integer.parseInt(pair.substring(slash + 1))));
      }
    }
    return owned;
  }

  /** The membership headers of a poll answer; null from a broker that sends none (then the client fences nothing). */
  private static Membership membershipHeaders(io.vertx.core.MultiMap headers) {
    String generation = headers.get(GENERATION_ID);
    return generation == null ? null : new Membership(headers.get(MEMBER_ID), Integer.parseInt(generation));
  }

  Future<Set<TopicPartition>> assignment() {
    return assigned().map(Assigned::partitions);
  }

  /** The assignment with its member id and generation (GET assignments). */
  Future<Assigned> assigned() {
    return send(HttpMethod.GET, "/assignments", null).map(r -> {
      JsonObject j = r.json();
      Membership m = j.containsKey("generation_id")
          ? new Membership(j.getString("member_id"), j.getInteger("generation_id")) : null;
      return new Assigned(partitionSet(j.getJsonArray("partitions")), m);
    });
  }

  /**
   * Commits last processed offsets, each with its metadata, fenced by {@code fence} when it names a member (Kafka's
   * OffsetCommit member id and generation); null or no member: as the instance's member now.
   */
  Future<Void> commit(Map<TopicPartition, OffsetCommit> commits, Membership fence) {
    JsonArray offsets = new JsonArray();
    commits.forEach((tp, c) -> offsets.add(ref(tp).put("offset", c.lastProcessed()).put("metadata", c.metadata())));
    JsonObject body = new JsonObject().put("offsets", offsets);
    if (fence != null && fence.memberId() != null) {
      body.put("member_id", fence.memberId()).put("generation_id", fence.generationId());
    }
    return send(HttpMethod.POST, "/offsets", body).mapEmpty();
  }

  /** The group's commits (the last processed offset) of these partitions; partitions without one are absent. */
  Future<Map<TopicPartition, OffsetCommit>> committed(Set<TopicPartition> partitions) {
    JsonArray refs = new JsonArray();
    partitions.forEach(tp -> refs.add(ref(tp)));
    // Kafka's require_stable: offsets pending in a transaction answer UNSTABLE_OFFSET_COMMIT (retried) until it ends
    return send(HttpMethod.GET, "/offsets?require_stable=true", new JsonObject().put("partitions", refs)).map(r -> {
      Map<TopicPartition, OffsetCommit> out = new HashMap<>();
      JsonArray offsets = r.json().getJsonArray("offsets", new JsonArray());
      for (int i = 0; i < offsets.size(); i++) {
        JsonObject o = offsets.getJsonObject(i);
        long offset = o.getLong("offset", -1L);
        if (offset >= 0) {
          String metadata = o.getString("metadata");
          out.put(new TopicPartition(o.getString("topic"), o.getInteger("partition")),
              new OffsetCommit(offset, metadata == null ? "" : metadata));
        }
      }
      return out;
    });
  }

  Future<Void> seek(TopicPartition tp, StartPosition position) {
    return reposition(Map.of(tp, position));
  }

  /** Moves the instance's positions of these partitions, with one request per kind of position. */
  Future<Void> reposition(Map<TopicPartition, StartPosition> positions) {
    JsonArray offsets = new JsonArray();
    JsonArray beginning = new JsonArray();
    JsonArray end = new JsonArray();
    positions.forEach((tp, position) -> {
      if (position instanceof StartPosition.Offset o) {
        offsets.add(ref(tp).put("offset", o.offset()));
      } else if (position instanceof StartPosition.Timestamp t) {
        offsets.add(ref(tp).put("timestamp", t.timestampMs()));
      } else {
        (position instanceof StartPosition.Beginning ? beginning : end).add(ref(tp));
      }
    });
    List<Future<Void>> moves = new ArrayList<>();
    if (!offsets.isEmpty()) {
      moves.add(positions("", new JsonObject().put("offsets", offsets)));
    }
    if (!beginning.isEmpty()) {
      moves.add(positions("/beginning", new JsonObject().put("partitions", beginning)));
    }
    if (!end.isEmpty()) {
      moves.add(positions("/end", new JsonObject().put("partitions", end)));
    }
    return Future.all(moves).mapEmpty();
  }

  /** Deletes the instance; one already gone (a resent delete, or expired) counts as deleted. */
  Future<Void> delete(CloseOptions.GroupMembershipOperation operation) {
    String query = operation == CloseOptions.GroupMembershipOperation.DEFAULT ? ""
        : "?group_membership_operation=" + operation.name().toLowerCase(java.util.Locale.ROOT);
    return basePath == null ? Future.succeededFuture() : send(HttpMethod.DELETE, query, null).<Void>mapEmpty()
        .recover(t -> ErrorCodes.codeOf(t) == ErrorCode.CONSUMER_INSTANCE_NOT_FOUND ? Future.succeededFuture()
            : Future.failedFuture(t));
  }

  private Future<Void> positions(String suffix, JsonObject body) {
    return send(HttpMethod.POST, "/positions" + suffix, body).mapEmpty();
  }

  private Future<Transport.Response> send(HttpMethod method, String suffix, JsonObject body) {
    Call call = new Call(method, basePath + suffix, body == null ? null : JSON, JSON,
        body == null ? null : body.toBuffer());
    return retrying(call, deadline(), 0);
  }

  /** A request as sent and resent. */
  private record Call(HttpMethod method, String path, String contentType, String accept, Buffer body) {
  }

  private long deadline() {
    return System.nanoTime() + requestTimeoutMs * 1_000_000;
  }

  /** Sends until an answer, a failure a resend cannot help, or the deadline; see the class comment. */
  private Future<Transport.Response> retrying(Call call, long deadlineNanos, int failures) {
    return attempt(call, false).recover(t -> {
      long backoffMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(failures, 10));
      if (!resendable(t) || System.nanoTime() + backoffMs * 1_000_000 >= deadlineNanos) {
        return Future.failedFuture(failures > 0 ? withAttempts(t, failures + 1) : t);
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(backoffMs, id -> later.complete());
      return later.future().compose(v -> retrying(call, deadlineNanos, failures + 1));
    });
  }

  /**
   * One attempt: to the pinned broker; once it has failed to answer, to the bootstrap brokers in turn (a request
   * that got no answer from one goes to the next) or, for a poll, which must be sent at most once, to the broker the
   * rotation is at. A request to the pinned or chosen broker that gets no answer un-pins it and moves the rotation on.
   */
  private Future<Transport.Response> attempt(Call c, boolean sendOnce) {
    URI target = broker != null ? broker : sendOnce ? metadata.bootstrapBroker() : null;
    Future<Transport.Response> sent = target == null
        ? metadata.anyBroker(c.method(), c.path(), c.contentType(), c.accept(), c.body())
        : transport.send(c.method(), target, c.path(), c.contentType(), c.accept(), c.body());
    return sent.onFailure(t -> {
      ErrorCode code = ErrorCodes.codeOf(t);
      if (target != null && (code == ErrorCode.NETWORK_EXCEPTION || code == ErrorCode.REQUEST_TIMED_OUT)) {
        metadata.unreachable(target);
        if (target.equals(broker)) {
          broker = null;
        }
      }
    });
  }

  private static boolean resendable(Throwable t) {
    return ErrorCodes.retriable(t) && ErrorCodes.codeOf(t) != ErrorCode.REBALANCE_IN_PROGRESS;
  }

  private static SluiceException withAttempts(Throwable t, int attempts) {
    return new SluiceException(ErrorCodes.codeOf(t), t.getMessage() + " (after " + attempts + " attempts)", t);
  }

  private static Set<TopicPartition> partitionSet(JsonArray ps) {
    Set<TopicPartition> out = new HashSet<>();
    if (ps != null) {
      for (int i = 0; i < ps.size(); i++) {
        JsonObject p = ps.getJsonObject(i);
        out.add(new TopicPartition(p.getString("topic"), p.getInteger("partition")));
      }
    }
    return out;
  }

  private static JsonObject offsetsBody(JsonObject entry) {
    return new JsonObject().put("offsets", new JsonArray().add(entry));
  }

  private static JsonObject ref(TopicPartition tp) {
    return new JsonObject().put("topic", tp.topic()).put("partition", tp.partition());
  }

  /** Binary format: key, value and header values are base64 (or null). */
  static List<ConsumerRecord> decode(JsonArray array) {
    List<ConsumerRecord> out = new ArrayList<>(array.size());
    Base64.Decoder b64 = Base64.getDecoder();
    for (int i = 0; i < array.size(); i++) {
      JsonObject r = array.getJsonObject(i);
      List<Header> headers = new ArrayList<>();
      JsonArray hs = r.getJsonArray("headers", new JsonArray());
      for (int h = 0; h < hs.size(); h++) {
        JsonObject header = hs.getJsonObject(h);
        String v = header.getString("value");
        headers.add(new Header(header.getString("key"), v == null ? null : b64.decode(v)));
      }
      String k = r.getString("key");
      String v = r.getString("value");
      out.add(new ConsumerRecord(r.getString("topic"), r.getInteger("partition"), r.getLong("offset"),
          r.getLong("timestamp"), k == null ? null : b64.decode(k), v == null ? null : b64.decode(v), headers));
    }
    return out;
  }
}
