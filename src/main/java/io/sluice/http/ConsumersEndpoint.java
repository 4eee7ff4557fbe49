package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.ConsumedRecord;
import io.sluice.api.ConsumerService;
import io.sluice.api.GroupMembershipOperation;
import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.api.Subscription;
import io.sluice.api.OffsetCommit;
import io.sluice.api.TopicPartition;
import io.sluice.api.GroupIds;
import io.sluice.api.InstanceMembership;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.sluice.api.PolledBatches;
import io.sluice.record.PartitionSections;
import io.sluice.record.RecordFrames;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.nio.ByteBuffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Consumer instances in the Kafka REST v2 convention. Base: {@code /consumers/{group}/instances/{instance}}.
 *
 * <pre>
 * POST   /consumers/{group}                 {"name", "format", "auto.offset.reset", "auto.commit.enable",
 *                                            "fetch.min.bytes", "consumer.request.timeout.ms"[, "session.timeout.ms",
 *                                            "auto.commit.interval.ms", "partition.assignment.strategy",
 *                                            "group.instance.id"]}
 *                                          -> 200 {"instance_id", "base_uri"}
 * DELETE base[?group_membership_operation=default|leave_group|remain_in_group]
 *                                          -> 204 (a dynamic member leaves the group, a static one stays until its
 *                                             session timeout unless leave_group; Kafka 4's close options)
 * POST   base/subscription                 {"topics": [..]} | {"topic_pattern": "re"} -> 204;  GET -> {"topics"} | {"topic_pattern"};  DELETE -> 204
 * POST   base/assignments                  {"partitions": [{"topic","partition"}]} -> 204;  GET -> {"partitions": [...],
 *                                          "member_id", "generation_id"}
 * GET    base/records?timeout=&max_bytes=  -> 200 [{"topic","key","value","partition","offset","timestamp","headers"}]
 *                                          (Accept: application/vnd.sluice.records: framed records; Accept:
 *                                          application/vnd.sluice.record-batches: the stored batches as they are)
 * POST   base/heartbeat                    -> 204 (a Sluice route: keeps the member's session without polling); 409 with
 *                                          27 (rebalance in progress), 22 or 25 when the member must rejoin (GET
 *                                          assignments or a poll rejoins it)
 * POST   base/offsets                      {"offsets": [{"topic","partition","offset"}][, "member_id",
 *                                          "generation_id"]} or empty -> 204; with member_id and generation_id
 *                                          (from GET assignments or a binary poll's Sluice-Member-Id and
 *                                          Sluice-Generation-Id headers) refused 409 once the group moved on
 * GET    base/offsets                      [{"partitions": [...]}] -> {"offsets": [{"topic","partition","offset","metadata"}]}
 * POST   base/positions                    {"offsets": [{"topic","partition","offset" | "timestamp"}]} -> 204
 * POST   base/positions/beginning|end      {"partitions": [...]} -> 204
 * </pre>
 *
 * Offsets follow the REST proxy v2: a commit names the last record processed (the group resumes after it), and
 * GET offsets answers the same convention. Any broker serves any instance: the work happens at the group's
 * coordinator behind {@link ConsumerService}.
 */
final class ConsumersEndpoint {
  /** {@code ?group_membership_operation=}: Kafka's {@code GroupMembershipOperation} names, either case. */
  private static GroupMembershipOperation membershipOperation(RoutingContext ctx) {
    String op = ctx.request().getParam("group_membership_operation", "default");
    try {
      return GroupMembershipOperation.valueOf(op.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'group_membership_operation' must be default,"
          + " leave_group or remain_in_group, got " + Echo.quoted(op));
    }
  }

  static final String ASSIGNMENT = "Sluice-Assignment";
  /** The member id (absent outside the group protocol) and generation the answer's assignment belongs to. */
  static final String MEMBER_ID = "Sluice-Member-Id";
  static final String GENERATION_ID = "Sluice-Generation-Id";
  private static final String BASE = "/consumers/:group/instances/:instance";
  private final ConsumerService consumers;
  private final HttpApiConfig cfg;
  private final WorkerExecutor workers;
  private final AnswerMemory answers;

  ConsumersEndpoint(ConsumerService consumers, HttpApiConfig cfg, WorkerExecutor workers, AnswerMemory answers) {
    this.consumers = consumers;
    this.cfg = cfg;
    this.workers = workers;
    this.answers = answers;
  }

  /** {@code bodies}: the reader of each route's JSON; a large list of positions is turned into its map on a worker. */
  void mount(Router router, JsonBodies bodies) {
    Handler<RoutingContext> body = bodies.reader();
    Handler<RoutingContext> partitionsBody = bodies.reader(ConsumerJson::partitions);
    new InstanceOrder().mount(router, BASE); // first: a large body parsed on a worker must not let a later one pass
    router.post("/consumers/:group").handler(body).handler(this::create);
    router.delete(BASE).handler(ctx -> noContent(ctx, consumers.delete(Callers.of(ctx), group(ctx), instance(ctx),
        membershipOperation(ctx))));
    router.post(BASE + "/subscription").handler(body).handler(this::subscribe);
    router.get(BASE + "/subscription").handler(this::subscription);
    router.delete(BASE + "/subscription").handler(ctx -> noContent(ctx,
        consumers.unsubscribe(Callers.of(ctx), group(ctx), instance(ctx))));
    router.post(BASE + "/assignments").handler(partitionsBody).handler(ctx -> noContent(ctx,
        consumers.assign(Callers.of(ctx), group(ctx), instance(ctx), partitions(ctx))));
    router.get(BASE + "/assignments").handler(ctx -> json(ctx, consumers.membership(Callers.of(ctx), group(ctx),
        instance(ctx)), m -> new JsonObject().put("partitions", ConsumerJson.toJson(m.partitions()))
        .put("member_id", m.memberId()).put("generation_id", m.generationId())));
    router.get(BASE + "/records").handler(this::records);
    router.post(BASE + "/heartbeat").handler(ctx -> noContent(ctx,
        consumers.memberHeartbeat(Callers.of(ctx), group(ctx), instance(ctx))));
    router.post(BASE + "/offsets").handler(bodies.reader(Commit::of)).handler(this::commit);
    router.get(BASE + "/offsets").handler(partitionsBody).handler(this::committed);
    router.post(BASE + "/positions").handler(bodies.reader(Seek::of)).handler(this::seek);
    router.post(BASE + "/positions/beginning").handler(partitionsBody).handler(ctx -> noContent(ctx,
        consumers.seekToBeginning(Callers.of(ctx), group(ctx), instance(ctx), partitions(ctx))));
    router.post(BASE + "/positions/end").handler(partitionsBody).handler(ctx -> noContent(ctx,
        consumers.seekToEnd(Callers.of(ctx), group(ctx), instance(ctx), partitions(ctx))));
  }

  private static List<TopicPartition> partitions(RoutingContext ctx) {
    return JsonBodies.decoded(ctx, ConsumerJson::partitions);
  }

  private void create(RoutingContext ctx) {
    String group = group(ctx);
    GroupIds.validate(group);
    JsonObject settings = ctx.body().length() == 0 ? new JsonObject() : Replies.jsonObjectBody(ctx);
    consumers.create(Callers.of(ctx), group, settings).onSuccess(c -> Replies.json(ctx, 200, new JsonObject()
        .put("instance_id", c)
        .put("base_uri", baseUri(ctx) + UriPaths.of("consumers", group, "instances", c))))
        .onFailure(ctx::fail);
  }

  private static String baseUri(RoutingContext ctx) {
    String host = ctx.request().authority() != null ? ctx.request().authority().toString() : "localhost";
    return ctx.request().scheme() + "://" + host;
  }

  private void subscribe(RoutingContext ctx) {
    JsonObject body = Replies.jsonObjectBody(ctx);
    ConsumerJson.requireKnown(body, "The body", java.util.Set.of("topics", "topic_pattern"));
    Subscription s;
    if (body.getValue("topic_pattern") != null) {
      if (!(body.getValue("topic_pattern") instanceof String re) || body.containsKey("topics")) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST,
            "'topic_pattern' must be a string, and cannot be combined with 'topics'");
      }
      try {
        s = Subscription.ofPattern(re);
      } catch (IllegalArgumentException e) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'topic_pattern' " + e.getMessage());
      }
    } else {
      JsonArray topics = ConsumerJson.array(body, "topics");
      if (topics.isEmpty() || !topics.stream().allMatch(t -> t instanceof String str && !str.isEmpty())) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'topics' must be a non-empty array of topic names");
      }
      s = Subscription.ofTopics(topics.stream().map(String::valueOf).toList());
    }
    noContent(ctx, consumers.subscribe(Callers.of(ctx), group(ctx), instance(ctx), s));
  }

  private void subscription(RoutingContext ctx) {
    json(ctx, consumers.subscription(Callers.of(ctx), group(ctx), instance(ctx)), s -> s == null
        ? new JsonObject().put("topics", new JsonArray())
        : s.pattern() != null ? new JsonObject().put("topic_pattern", s.patternText())
        : new JsonObject().put("topics", new JsonArray(s.topics().stream().sorted().toList())));
  }

  private void records(RoutingContext ctx) {
    long timeout = Params.queryLong(ctx, "timeout", -1, 0, Long.MAX_VALUE);
    long maxBytes = Params.queryLong(ctx, "max_bytes", cfg.defaultFetchMaxBytes(), 1, Integer.MAX_VALUE);
    String group = group(ctx);
    String instance = instance(ctx);
    if (MediaTypes.accepts(ctx, MediaTypes.SLUICE_RECORD_BATCHES)) {
      // The membership comes with the poll's answer: one round trip to a coordinator on another broker, not two.
      consumers.pollBatchesAsMember(Callers.of(ctx), group, instance, Math.min(timeout, cfg.maxFetchWaitMs()),
              (int) Math.min(maxBytes, cfg.maxFetchBytes()))
          .compose(polled -> (polled.read().stream().allMatch(p -> p.fetched().batches().inMemory())
                  ? Future.succeededFuture(wrapBatches(polled.read()))
                  : workers.executeBlocking(() -> List.of(encodeBatches(polled.read())), false))
              .onSuccess(parts -> answerParts(ctx, MediaTypes.SLUICE_RECORD_BATCHES, polled.membership(), parts)))
          .onFailure(t -> {
            if (!ctx.response().closed()) {
              ctx.fail(t);
            }
          });
      return;
    }
    int max = (int) Math.min(maxBytes, cfg.maxFetchBytes());
    if (MediaTypes.accepts(ctx, MediaTypes.SLUICE_RECORDS)) {
      consumers.pollAsMember(Callers.of(ctx), group, instance, Math.min(timeout, cfg.maxFetchWaitMs()), max,
              Integer.MAX_VALUE)
          .onSuccess(polled -> answerFramed(ctx, polled.read(), polled.membership()))
          .onFailure(t -> {
            if (!ctx.response().closed()) {
              ctx.fail(t);
            }
          });
      return;
    }
    consumers.config(Callers.of(ctx), group, instance)
        .map(c -> MediaTypes.consumerRecordsFormat(ctx, "json".equals(c.getString("format")) ? EmbeddedFormat.JSON
            : EmbeddedFormat.BINARY))
        .compose(format -> consumers.poll(Callers.of(ctx), group, instance, Math.min(timeout, cfg.maxFetchWaitMs()),
                max, Integer.MAX_VALUE)
            .compose(records -> answerRecords(ctx, format, records)))
        .onFailure(t -> {
          if (!ctx.response().closed()) {
            ctx.fail(t);
          }
        });
  }

  /**
   * The JSON answer, encoded within the answers' heap ({@link AnswerMemory}) as a fetch's is: counted as it grows,
   * taken from the pool at answer time (a parked poll holds nothing; reserving before the poll made 32 parked polls
   * of a 1 GB broker refuse every other JSON read). The records a poll took are in the heap already (its max_bytes
   * bounds them, as for the binary answers); their JSON, up to six times larger, is what the pool bounds. When it has
   * no more room the answer ends before the record that would go over (never before the first) and the instance is
   * moved back to the first record not answered in each partition, so the next poll answers it: nothing is skipped.
   */
  private Future<Void> answerRecords(RoutingContext ctx, EmbeddedFormat format, List<ConsumedRecord> records) {
    if (ctx.response().closed()) {
      return Future.succeededFuture();
    }
    AnswerMemory.Grant grant = answers.reserve(ctx, 0);
    Buffer out = Buffer.buffer(64 + Math.min(records.size(), 1024) * 96).appendString("[");
    int answered = 0;
    for (; answered < records.size(); answered++) {
      ConsumedRecord r = records.get(answered);
      Buffer json = FetchEndpoint.recordJson(format, r.topic(), r.partition(), r.record()).toBuffer();
      if (!grant.growTo(out.length() + json.length() + 2L) && answered > 0) {
        break;
      }
      out.appendString(answered > 0 ? "," : "").appendBuffer(json);
    }
    Buffer body = out.appendString("]");
    Future<Void> rewound = answered == records.size() ? Future.succeededFuture()
        : consumers.seek(Callers.of(ctx), group(ctx), instance(ctx), firstOffsets(records, answered));
    return rewound.onSuccess(v -> {
      if (!ctx.response().closed()) {
        ctx.response().putHeader("Content-Type", format == EmbeddedFormat.JSON ? MediaTypes.KAFKA_JSON_V2
            : MediaTypes.KAFKA_BINARY_V2).end(body);
      }
    });
  }

  /**
   * Per partition, the offset of its first record from {@code from} on (the records come in offset order): where
   * a consumer goes back to when an answer holds fewer records than it read.
   */
  static Map<TopicPartition, Long> firstOffsets(List<ConsumedRecord> records, int from) {
    Map<TopicPartition, Long> first = new java.util.LinkedHashMap<>();
    for (ConsumedRecord r : records.subList(from, records.size())) {
      first.putIfAbsent(new TopicPartition(r.topic(), r.partition()), r.record().offset());
    }
    return first;
  }

  /**
   * The binary answer ({@link RecordFrames}), with the instance's assignment just after the poll in the
   * {@value #ASSIGNMENT} header ({@code topic/partition} pairs joined by commas; topic names hold neither), which
   * spares the client a second request per poll.
   */
  private static void answerFramed(RoutingContext ctx, List<ConsumedRecord> records, InstanceMembership owned) {
    if (ctx.response().closed()) {
      return;
    }
    ByteBuffer out = ByteBuffer.allocate(64 + records.size() * 160);
    for (ConsumedRecord r : records) {
      out = RecordFrames.append(out, r.topic(), r.partition(), r.record());
    }
    out.flip();
    answer(ctx, MediaTypes.SLUICE_RECORDS, owned, Buffer.buffer(out.array()).slice(0, out.limit()));
  }

  private static void answer(RoutingContext ctx, String type, InstanceMembership owned, Buffer body) {
    answer(ctx, type, owned, body, List.of());
  }

  /** Answers {@code body}, or when it is null {@code parts} one after another. */
  private static void answer(RoutingContext ctx, String type, InstanceMembership owned, Buffer body,
      List<Buffer> parts) {
    if (ctx.response().closed()) {
      return;
    }
    StringBuilder assignment = new StringBuilder();
    owned.partitions().forEach(tp -> assignment.append(assignment.length() == 0 ? "" : ",").append(tp.topic())
        .append('/').append(tp.partition()));
    var response = ctx.response().putHeader("Content-Type", type).putHeader(ASSIGNMENT, assignment.toString())
        .putHeader(GENERATION_ID, Integer.toString(owned.generationId()));
    if (owned.memberId() != null) {
      response.putHeader(MEMBER_ID, owned.memberId());
    }
    if (body != null) {
      response.end(body);
      return;
    }
    parts.forEach(response::write);
    response.end();
  }

  /**
   * The batch answer ({@link PartitionSections#pollHeader} sections) of batches all in memory (a group poll reads them
   * in before it moves the positions): the sections' headers and bytes as they are, in order, not copied into one
   * buffer of megabytes. They are written one by one ({@link #answerParts}): wrapped as one composite buffer, Netty
   * copies the whole composite into one heap array before its copy to direct memory (a G1 humongous allocation per
   * poll on the broker, on the event loop); a single array or chunk is copied from as it is.
   */
  static List<Buffer> wrapBatches(List<PolledBatches> polled) {
    List<Buffer> parts = new ArrayList<>(polled.size() * 4);
    for (PolledBatches p : polled) {
      parts.add(Buffer.buffer(PartitionSections.pollHeader(p.tp().topic(), p.tp().partition(), p.fromOffset(),
          p.fetched().nextOffset(), p.fetched().sizeInBytes())));
      if (p.fetched().batches() instanceof io.sluice.api.Batches.Chunks c) {
        // Each chunk as it is: joining them would make the one large array the chunks avoid.
        c.chunks().forEach(chunk -> parts.add(wrap(chunk)));
      } else {
        java.nio.ByteBuffer bytes = p.fetched().batches().readBytes();
        parts.add(io.vertx.core.internal.buffer.BufferInternal.buffer(io.netty.buffer.Unpooled.wrappedBuffer(bytes)));
      }
    }
    return parts;
  }

  private static Buffer wrap(byte[] bytes) {
    return io.vertx.core.internal.buffer.BufferInternal.buffer(io.netty.buffer.Unpooled.wrappedBuffer(bytes));
  }

  /** {@link #answer} with a body in parts, each written as it is, with the total as Content-Length. */
  private static void answerParts(RoutingContext ctx, String type, InstanceMembership owned, List<Buffer> parts) {
    if (parts.size() == 1) {
      answer(ctx, type, owned, parts.get(0));
      return;
    }
    if (ctx.response().closed()) {
      return;
    }
    long total = 0;
    for (Buffer part : parts) {
      total += part.length();
    }
    ctx.response().putHeader("Content-Length", Long.toString(total));
    answer(ctx, type, owned, null, parts);
  }

  /**
   * The batch answer ({@link PartitionSections#pollHeader} sections): runs on a worker, since a partition's batches
   * may be a segment file's region, copied once into a buffer of the exact size.
   */
  private static Buffer encodeBatches(List<PolledBatches> polled) {
    List<byte[]> headers = new ArrayList<>(polled.size());
    int total = 0;
    for (PolledBatches p : polled) {
      byte[] header = PartitionSections.pollHeader(p.tp().topic(), p.tp().partition(), p.fromOffset(),
          p.fetched().nextOffset(), p.fetched().sizeInBytes());
      headers.add(header);
      total += header.length + p.fetched().sizeInBytes();
    }
    // Heap, not pooled: a Vert.x Buffer is not reference counted, so a pooled buffer handed to it could leak.
    io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.buffer(total, total);
    for (int i = 0; i < polled.size(); i++) {
      out.writeBytes(headers.get(i));
      MultiFetchEndpoint.copy(polled.get(i).fetched().batches(), out);
    }
    return io.vertx.core.internal.buffer.BufferInternal.buffer(out);
  }

  /** A commit's body: the offsets (null: the positions polled) and the fence (null: none). */
  private record Commit(Map<TopicPartition, OffsetCommit> next, InstanceMembership fence) {
    static final Commit POLLED = new Commit(null, null);

    static Commit of(JsonObject body) {
      ConsumerJson.requireKnown(body, "The body", java.util.Set.of("offsets", "member_id", "generation_id"));
      InstanceMembership fence = ConsumerJson.fence(body);
      // A fenced commit may leave the offsets out: it commits the positions polled, as an empty body does.
      return new Commit(fence == null || body.containsKey("offsets")
          ? ConsumerJson.commits(ConsumerJson.array(body, "offsets"), "offsets") : null, fence);
    }
  }

  private void commit(RoutingContext ctx) {
    Commit c = ctx.body().length() > 0 ? JsonBodies.decoded(ctx, Commit::of) : Commit.POLLED;
    noContent(ctx, consumers.commit(Callers.of(ctx), group(ctx), instance(ctx), c.next(), c.fence()));
  }

  private void committed(RoutingContext ctx) {
    List<TopicPartition> partitions = ctx.body().length() > 0 ? partitions(ctx) : null;
    boolean requireStable = Boolean.parseBoolean(ctx.queryParams().get("require_stable"));
    json(ctx, consumers.committed(Callers.of(ctx), group(ctx), instance(ctx), partitions, requireStable), committed -> {
      JsonArray offsets = new JsonArray();
      committed.forEach((tp, c) -> offsets.add(new JsonObject().put("topic", tp.topic())
          .put("partition", tp.partition()).put("offset", c.offset() - 1).put("metadata", c.metadata())));
      return new JsonObject().put("offsets", offsets);
    });
  }

  /** A seek's body: positions by offset and by timestamp. */
  private record Seek(Map<TopicPartition, Long> offsets, Map<TopicPartition, Long> times) {
    static Seek of(JsonObject body) {
      ConsumerJson.requireKnown(body, "The body", java.util.Set.of("offsets"));
      JsonArray entries = ConsumerJson.array(body, "offsets");
      JsonArray byOffset = new JsonArray();
      JsonArray byTime = new JsonArray();
      for (int i = 0; i < entries.size(); i++) {
        Object e = entries.getValue(i);
        if (e instanceof JsonObject o && o.containsKey("timestamp") && o.containsKey("offset")) {
          throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "offsets[" + i + "] names both 'offset' and"
              + " 'timestamp'; a position is one or the other");
        }
        boolean timed = e instanceof JsonObject o && o.containsKey("timestamp");
        (timed ? byTime : byOffset).add(e);
      }
      return new Seek(ConsumerJson.offsets(byOffset, "offsets", "offset"),
          ConsumerJson.offsets(byTime, "offsets", "timestamp"));
    }
  }

  private void seek(RoutingContext ctx) {
    Seek seek = JsonBodies.decoded(ctx, Seek::of);
    Map<TopicPartition, Long> offsets = seek.offsets();
    Map<TopicPartition, Long> times = seek.times();
    String g = group(ctx);
    String i = instance(ctx);
    noContent(ctx, consumers.seek(Callers.of(ctx), g, i, offsets).compose(v -> times.isEmpty() ? Future.succeededFuture()
        : consumers.seekToTimestamp(Callers.of(ctx), g, i, times)));
  }

  private static String group(RoutingContext ctx) {
    return ctx.pathParam("group");
  }

  private static String instance(RoutingContext ctx) {
    return ctx.pathParam("instance");
  }

  private static void noContent(RoutingContext ctx, Future<?> f) {
    f.onSuccess(v -> Replies.noContent(ctx)).onFailure(ctx::fail);
  }

  private static <T> void json(RoutingContext ctx, Future<T> f, Function<T, Object> render) {
    f.onSuccess(v -> Replies.json(ctx, 200, render.apply(v))).onFailure(ctx::fail);
  }
}
