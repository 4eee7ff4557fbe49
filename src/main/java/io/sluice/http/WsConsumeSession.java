package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.ConsumedRecord;
import io.sluice.api.ConsumerService;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.FetchedRecords;
import io.sluice.api.InstanceMembership;
import io.sluice.api.OffsetCommit;
import io.sluice.api.Subscription;
import io.sluice.record.Record;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One consuming WebSocket under credit-based flow control (frames in {@code docs/streaming.md}).
 *
 * <p>Invariants: the records sent never exceed the credit granted (each {@code {"records"}} frame holds at most
 * the credit left, and the credit drops by exactly its size); at most one read is in flight; a read starts only
 * when credit is left and the socket's write queue is not full, so what waits in memory for a slow client is at
 * most one frame of at most {@link #MAX_RECORDS_PER_READ} records. That frame is held against the answers' heap
 * ({@link AnswerMemory}) from its encoding until the socket has taken it: 150 connections that granted credit and
 * never read, on a partition of control bytes (escaped to six times their size), each held a 6 MB frame and took a
 * 512 MB broker's heap (133 OutOfMemoryErrors). A frame is encoded record by record as the pool grows; when it has
 * no more room the frame ends before the record that would go over and the source is moved back to the first record
 * not sent, and a frame that fits no record waits and reads again ({@link #RETRY_MS}). Bad frames get an error frame;
 * the connection stays open.
 *
 * <p>Client quotas ({@link StreamQuota}): each records frame counts as a fetch answer of its bytes (and one request);
 * it carries {@code "throttle_time_ms"} whenever a quota applies, and over a quota the next read waits that long (as
 * Kafka holds a throttled fetch), credit or not; nothing more is read or held meanwhile. Without quotas a frame costs
 * a null check and one volatile read. A commit frame counts as one request (Kafka's OffsetCommit); over
 * {@code request_rate} the socket is not read for the throttle time, and the {@code committed} reply says it.
 *
 * <p>Client messages ({@link WsConsumeFrame}) are read on the event loop when small and on the HTTP worker pool when
 * large ({@link BodyDecoding}), and applied in the order they came; the socket is not read while a large one decodes
 * ({@link SocketPauses}, counted with the commit throttle's pause). Event-loop confined (the socket's context).
 */
final class WsConsumeSession {
  static final int MAX_RECORDS_PER_READ = 1_000;
  static final long MAX_CREDIT = 1_000_000_000L;
  private static final long WAIT_MS = 5_000;
  private static final long HEARTBEAT_MS = 1_000;
  private static final int READ_BYTES = 1 << 20;
  /** How long a session whose next record finds no room in the answers' heap waits before it reads again. */
  static final long RETRY_MS = 200;
  /** Held per character encoded: the builder, its string, and the string's UTF-8 bytes handed to the socket. */
  private static final int HELD_PER_CHAR = 3;

  /**
   * Records read and, in group mode, the membership they were read under (null for one partition): the records frame
   * names it so that the client's commit can be fenced by it.
   */
  private record Read(List<ConsumedRecord> records, InstanceMembership membership) {
  }

  /** Where records come from. */
  private interface Source {
    Future<Read> read(int maxRecords);

    /** {@code fence}: the membership the client names, or null to commit as the instance is now. */
    Future<Void> commit(Map<TopicPartition, OffsetCommit> next, InstanceMembership fence);

    Future<Void> heartbeat();

    /** Moves each partition back to {@code offsets} (records read but not sent). */
    Future<Void> rewind(Map<TopicPartition, Long> offsets);

    void close();
  }

  private final ServerWebSocket ws;
  private final EmbeddedFormat format;
  private final Source source;
  private final boolean grouped;
  private final int maxMessageBytes;
  private final AnswerMemory answers;
  private final RequestContext caller;
  /** Null when the broker has no client quotas. */
  private final StreamQuota quota;
  private final WorkerExecutor workers;
  /** The commit throttle's and the large messages' pauses of the socket, counted. */
  private final SocketPauses pauses;
  /** Completes once the last message read was applied: the next one waits for it ({@link #onFrame}). */
  private Future<Void> applied = Future.succeededFuture();
  /** Whether the next read waits for a throttle time to pass. */
  private boolean throttled;
  private long credit;
  private boolean reading;
  private boolean closed;
  private long heartbeatTimer = -1;
  private io.vertx.core.Vertx vertx;
  private java.util.function.BooleanSupplier credentialsCurrent = () -> true;

  private WsConsumeSession(ServerWebSocket ws, RequestContext caller, EmbeddedFormat format, Source source,
      boolean grouped, HttpApiConfig cfg, AnswerMemory answers, StreamQuota quota, WorkerExecutor workers) {
    this.workers = workers;
    this.answers = answers;
    this.caller = caller;
    this.quota = quota;
    this.ws = ws;
    this.format = format;
    this.source = source;
    this.grouped = grouped;
    this.maxMessageBytes = cfg.wsMaxMessageBytes();
    this.pauses = new SocketPauses(ws);
  }

  static WsConsumeSession forPartition(ServerWebSocket ws, RequestContext caller, BrokerService service,
      WorkerExecutor workers, EmbeddedFormat format, TopicPartition tp, long startOffset, HttpApiConfig cfg,
      AnswerMemory answers, StreamQuota quota) {
    return new WsConsumeSession(ws, caller, format, new Source() {
      long position = startOffset;

      @Override
      public Future<Read> read(int maxRecords) {
        long from = position;
        return service.fetch(caller, new FetchRequest(tp, from, READ_BYTES, 1, WAIT_MS))
            .compose(r -> workers.executeBlocking(() -> FetchedRecords.decode(r, from), false))
            .map(decoded -> {
              List<ConsumedRecord> out = new ArrayList<>();
              for (Record rec : decoded.records()) {
                if (out.size() == maxRecords) {
                  break;
                }
                out.add(new ConsumedRecord(tp.topic(), tp.partition(), rec));
              }
              position = out.isEmpty() ? Math.max(from, decoded.records().isEmpty() ? decoded.nextOffset() : from)
                  : out.get(out.size() - 1).record().offset() + 1;
              return new Read(out, null);
            });
      }

      @Override
      public Future<Void> commit(Map<TopicPartition, OffsetCommit> next, InstanceMembership fence) {
        return Future.failedFuture(new SluiceException(ErrorCode.MALFORMED_REQUEST,
            "Commit frames need a group: connect with ?group=G&topics=..."));
      }

      @Override
      public Future<Void> heartbeat() {
        return Future.succeededFuture();
      }

      @Override
      public Future<Void> rewind(Map<TopicPartition, Long> offsets) {
        Long first = offsets.get(tp);
        if (first != null) {
          position = first;
        }
        return Future.succeededFuture();
      }

      @Override
      public void close() {
      }
    }, false, cfg, answers, quota, workers);
  }

  /**
   * {@code settings}: the consumer configs the socket's query gave ({@code auto.offset.reset}, and
   * {@code group.instance.id} for a static member, which a closed socket leaves in the group until its session
   * timeout, so a client that reconnects within it gets its partitions back without a rebalance).
   */
  static WsConsumeSession forGroup(ServerWebSocket ws, RequestContext caller, ConsumerService consumers,
      WorkerExecutor workers, EmbeddedFormat format, String group, List<String> topics, JsonObject settings,
      HttpApiConfig cfg, AnswerMemory answers, StreamQuota quota) {
    String name = "ws-" + UUID.randomUUID();
    Future<?> created = consumers.create(caller, group, settings.copy().put("name", name)
            .put("format", format == EmbeddedFormat.JSON ? "json" : "binary").put("auto.commit.enable", false))
        .compose(c -> consumers.subscribe(caller, group, name, Subscription.ofTopics(topics)));
    return new WsConsumeSession(ws, caller, format, new Source() {
      @Override
      public Future<Read> read(int maxRecords) {
        // As REST v2's framed polls: the membership right after the poll, before anything else runs on the instance,
        // in the poll's answer (a frame costs one round trip to a coordinator on another broker, not two).
        return created.compose(v -> consumers.pollAsMember(caller, group, name, WAIT_MS, READ_BYTES, maxRecords))
            .map(polled -> new Read(polled.read(), polled.membership()));
      }

      @Override
      public Future<Void> commit(Map<TopicPartition, OffsetCommit> next, InstanceMembership fence) {
        return created.compose(v -> consumers.commit(caller, group, name, next, fence));
      }

      @Override
      public Future<Void> heartbeat() {
        return created.compose(v -> consumers.heartbeat(caller, group, name));
      }

      @Override
      public Future<Void> rewind(Map<TopicPartition, Long> offsets) {
        return consumers.seek(caller, group, name, offsets);
      }

      @Override
      public void close() {
        created.onComplete(ar -> consumers.delete(caller, group, name));
      }
    }, true, cfg, answers, quota, workers);
  }

  /**
   * {@code watch}: the connection's, whose meter holds messages being joined; null without one.
   * {@code credentialsCurrent}: whether the handshake's credentials still hold ({@link AuthGate#credentialsCurrent}).
   */
  void start(ConnectionWatch watch, java.util.function.BooleanSupplier credentialsCurrent) {
    this.credentialsCurrent = credentialsCurrent;
    WsMessageReader.attach(ws, watch, maxMessageBytes, this::onFrame, refused -> WsFrames.sendError(ws, refused));
    ws.closeHandler(v -> close());
    ws.exceptionHandler(t -> {
      WsMessageReader.closeIfCorrupt(ws, t);
      close();
    });
    vertx = io.vertx.core.Vertx.currentContext().owner();
    if (grouped) {
      // Polls are the heartbeat; while the client grants no credit the membership is kept alive by this timer.
      heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MS, id -> {
            if (!reading && !closed) {
              source.heartbeat().onFailure(t -> WsFrames.sendError(ws, t));
            }
          });
    }
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    source.close();
  }

  /** Closes the stream if its credentials no longer hold; true if it did. */
  private boolean revoked() {
    if (credentialsCurrent.getAsBoolean()) {
      return false;
    }
    ws.close(AuthGate.REVOKED_CLOSE_STATUS, AuthGate.revoked(credentialsCurrent));
    close();
    return true;
  }

  /**
   * Reads a message on this event loop, or on the worker pool when it is large ({@link BodyDecoding}: a commit of
   * 1 MiB parsed and turned into offsets here held the loop, and every connection on it); applies the messages in the
   * order they came either way, so a small commit never passes a large one still being read.
   */
  private void onFrame(String text) {
    if (revoked()) {
      return;
    }
    // While a large message decodes the socket is not read: the client's next messages wait in its own socket, so
    // a connection holds at most one large message beyond what the reader is joining.
    boolean large = BodyDecoding.onWorkers(text.length());
    if (large) {
      pauses.hold();
    }
    Future<WsConsumeFrame> decoded = BodyDecoding.decode(text.length(), workers, () -> WsConsumeFrame.decode(text));
    applied = applied.transform(ignored -> decoded).transform(ar -> {
      if (ar.failed()) {
        WsFrames.sendError(ws, ar.cause());
      } else if (!closed) {
        apply(ar.result());
      }
      if (large) {
        pauses.release(); // after apply: a commit's throttle holds the socket first
      }
      return Future.succeededFuture();
    });
  }

  /** In the order the message's fields were checked: its credit, then its commit (counted as a request) or refusal. */
  private void apply(WsConsumeFrame frame) {
    try {
      if (frame.credit() != null) {
        grant(frame.credit());
      }
      long throttle = frame.entries() == null ? -1 : throttleCommit();
      if (frame.refused() != null) {
        throw frame.refused();
      }
      if (frame.commits() != null) {
        commit(frame, throttle);
      }
    } catch (SluiceException e) {
      WsFrames.sendError(ws, e, frame.id());
    }
  }

  private void grant(long n) {
    if (credit + n > MAX_CREDIT) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Credit would exceed " + MAX_CREDIT + " records");
    }
    credit += n;
    pump();
  }

  /** Counts a commit as one request (Kafka's OffsetCommit); answers the throttle time, -1 when no quota applies. */
  private long throttleCommit() {
    long throttle = quota == null ? -1 : quota.requested(caller);
    if (throttle > 0) {
      // Kafka mutes a throttled client's channel: its next frames wait in its socket.
      pauses.hold();
      vertx.setTimer(throttle, timer -> pauses.release());
    }
    return throttle;
  }

  private void commit(WsConsumeFrame frame, long throttle) {
    Object id = frame.id();
    source.commit(frame.commits(), frame.fence()).onSuccess(v -> {
      if (!ws.isClosed()) {
        JsonObject reply = new JsonObject().put("committed", frame.entries());
        if (throttle >= 0) {
          reply.put(WsProduceSession.THROTTLE_TIME_MS, throttle);
        }
        ws.writeTextMessage(WsFrames.withId(reply, id).encode());
      }
    }).onFailure(t -> WsFrames.sendError(ws, t, id));
  }

  private void pump() {
    if (closed || reading || throttled || credit <= 0 || revoked()) {
      return;
    }
    if (ws.writeQueueFull()) {
      ws.drainHandler(v -> pump());
      return;
    }
    reading = true;
    int max = (int) Math.min(credit, MAX_RECORDS_PER_READ);
    source.read(max).onComplete(ar -> {
      if (closed || revoked()) { // also after the read: it may have waited for records since the credentials changed
        return;
      }
      if (ar.failed()) {
        reading = false;
        WsFrames.sendError(ws, ar.cause());
        // Do not spin on a persistent error: the next read waits for more credit or a later grant.
        return;
      }
      List<ConsumedRecord> records = ar.result().records();
      Frame frame = encode(records, ar.result().membership());
      if (frame.sent() == records.size()) {
        reading = false;
        pumpAfter(send(frame));
        return;
      }
      source.rewind(ConsumersEndpoint.firstOffsets(records, frame.sent())).onComplete(rewound -> {
        reading = false;
        if (closed) {
          frame.grant().close();
          return;
        }
        if (rewound.failed()) {
          frame.grant().close();
          WsFrames.sendError(ws, rewound.cause());
          return;
        }
        if (frame.sent() > 0) {
          pumpAfter(send(frame));
        } else {
          frame.grant().close();
          vertx.setTimer(RETRY_MS, id -> pump()); // the heap for answers is full: its frames are being written
        }
      });
    });
  }

  /** Reads again now, or once a throttle time has passed. */
  private void pumpAfter(long throttleMs) {
    if (throttleMs <= 0) {
      pump();
      return;
    }
    throttled = true;
    vertx.setTimer(throttleMs, id -> {
      throttled = false;
      pump();
    });
  }

  /**
   * A frame's text (its closing brace still to come: the throttle time may join it), how many of the records read
   * it holds, and the room it holds in the answers' heap.
   */
  private record Frame(StringBuilder text, int sent, AnswerMemory.Grant grant) {
  }

  /** {@code ,"member_id":...,"generation_id":N} of a group member's records frame; empty for one partition. */
  private static String membershipFields(InstanceMembership m) {
    return m == null ? "" : ",\"member_id\":" + io.vertx.core.json.Json.encode(m.memberId()) + ",\"generation_id\":"
        + m.generationId();
  }

  /**
   * The records that fit the answers' heap, encoded one by one: the first always when nothing else holds the heap
   * (a record larger than the whole bound would otherwise wait forever).
   */
  private Frame encode(List<ConsumedRecord> records, InstanceMembership membership) {
    AnswerMemory.Grant grant = answers.reserve(0);
    StringBuilder text = new StringBuilder(64).append("{\"records\":[");
    int sent = 0;
    for (; sent < records.size(); sent++) {
      ConsumedRecord r = records.get(sent);
      String json = FetchEndpoint.recordJson(format, r.topic(), r.partition(), r.record()).encode();
      boolean idle = sent == 0 && answers.used() == grant.bytes();
      if (!grant.growTo((long) HELD_PER_CHAR * (text.length() + json.length() + 2)) && !idle) {
        break;
      }
      text.append(sent > 0 ? "," : "").append(json);
    }
    return new Frame(text.append(']').append(membershipFields(membership)), sent, grant);
  }

  /**
   * Writes the frame, counted against the client's quotas; its room in the answers' heap comes back once the socket
   * has taken it (or failed to). Answers the throttle time (-1: no quota applies).
   */
  private long send(Frame frame) {
    if (frame.sent() == 0) {
      frame.grant().close();
      return -1;
    }
    credit -= frame.sent();
    StringBuilder text = frame.text();
    long throttle = quota == null || !quota.active() ? -1
        : quota.consumed(caller, io.netty.buffer.ByteBufUtil.utf8Bytes(text) + 1); // + the closing brace
    if (throttle >= 0) {
      text.append(",\"").append(WsProduceSession.THROTTLE_TIME_MS).append("\":").append(throttle);
    }
    String out = text.append('}').toString();
    frame.grant().shrinkTo((long) out.length()); // the builder is gone; the UTF-8 bytes are what waits
    ws.writeTextMessage(out).onComplete(ar -> frame.grant().close());
    return throttle;
  }
}
