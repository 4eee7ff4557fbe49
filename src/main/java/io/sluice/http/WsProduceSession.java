package io.sluice.http;

import io.sluice.api.RequestContext;
import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * One producing WebSocket: each text message is an HTTP produce body ({@code {"records": [...]}}, see
 * {@link ProduceRequest}) for the connection's topic, with an optional {@code "id"}, and gets exactly one message
 * back, in the order the messages came, carrying the same {@code "id"}: {@code {"offsets": [{"partition", "offset",
 * "error_code", "error"}]}} (plus {@code "error_code"} and {@code "message"} when no record was written, as
 * {@link JsonRecordsProducer} rules) or an error message. A message that cannot be read (too large, binary, not
 * JSON) also gets its one error reply in its place ({@link WsMessageReader}). Produced with acks=all. At most
 * {@link #MAX_IN_FLIGHT} messages are worked on at once; beyond that the socket is paused (TCP pushes back on the
 * client) and resumed as replies go out. A large message is decoded on the HTTP worker pool ({@link BodyDecoding});
 * messages are still produced in the order they came.
 *
 * <p>Client quotas ({@link StreamQuota}): each message counts as a produce request of its bytes; its reply carries
 * {@code "throttle_time_ms"} whenever a quota applies, and over a quota the socket is not read for that time (as
 * Kafka mutes a throttled client's channel): the client's next messages wait in its own socket, nothing is dropped,
 * buffered or reordered. Without quotas a message costs a null check and one volatile read. Event-loop confined.
 */
final class WsProduceSession {
  static final int MAX_IN_FLIGHT = 16;
  /** Kafka's field: how long the broker holds the client (here: does not read its socket) for this message. */
  static final String THROTTLE_TIME_MS = "throttle_time_ms";
  private static final Set<String> FIELDS = Set.of("records", WsFrames.ID);
  private final ServerWebSocket ws;
  private final RequestContext caller;
  private final EmbeddedFormat format;
  private final String topic;
  private final HttpApiConfig cfg;
  private final JsonRecordsProducer producer;
  private final WorkerExecutor workers;
  /** Completes once the last message read was handed to the producer (or refused): the next one waits for it. */
  private Future<Void> dispatched = Future.succeededFuture();
  private Future<Void> tail = Future.succeededFuture();
  private int inFlight;
  private java.util.function.BooleanSupplier credentialsCurrent = () -> true;
  /** Null when the broker has no client quotas. */
  private final StreamQuota quota;
  /** The throttle time of the message being handed on (-1: no quota applies), for its reply. */
  private long messageThrottle = -1;
  /** The timer that reads the socket again after a throttle; -1 when not throttled. */
  private long throttleTimer = -1;
  private io.vertx.core.Vertx vertx;

  WsProduceSession(ServerWebSocket ws, RequestContext caller, BrokerService service, EmbeddedFormat format,
      String topic, HttpApiConfig cfg, WorkerExecutor workers, StreamQuota quota) {
    this.ws = ws;
    this.quota = quota;
    this.workers = workers;
    this.caller = caller;
    this.format = format;
    this.topic = topic;
    this.cfg = cfg;
    this.producer = new JsonRecordsProducer(service);
  }

  /**
   * {@code watch}: the connection's, whose meter holds messages being joined; null without one.
   * {@code credentialsCurrent}: whether the handshake's credentials still hold ({@link AuthGate#credentialsCurrent}).
   */
  void start(ConnectionWatch watch, java.util.function.BooleanSupplier credentialsCurrent) {
    this.credentialsCurrent = credentialsCurrent;
    this.vertx = io.vertx.core.Vertx.currentContext().owner();
    WsMessageReader.attach(ws, watch, cfg.wsMaxMessageBytes(), this::onMessage,
        refused -> reply(Future.succeededFuture(Message.refused(null, refused)), Future.failedFuture(refused)),
        this::onSize);
  }

  /** Counts a message against the client's quotas before it is handed on; over one, stops reading for the time. */
  private void onSize(long bytes) {
    messageThrottle = quota == null ? -1 : quota.produced(caller, bytes);
    if (messageThrottle <= 0) {
      return;
    }
    if (throttleTimer >= 0) {
      vertx.cancelTimer(throttleTimer);
    }
    ws.pause();
    throttleTimer = vertx.setTimer(messageThrottle, id -> {
      throttleTimer = -1;
      if (inFlight < MAX_IN_FLIGHT) {
        ws.resume();
      }
    });
  }

  private void onMessage(String text) {
    if (!credentialsCurrent.getAsBoolean()) {
      ws.close(AuthGate.REVOKED_CLOSE_STATUS, AuthGate.revoked(credentialsCurrent));
      return;
    }
    long nowMs = System.currentTimeMillis();
    Future<Message> decoded = BodyDecoding.decode(text.length(), workers, () -> decode(text, nowMs));
    // A small message decoded inline must not overtake a large one still decoding before it: each message is handed
    // to the producer only once the one before it was.
    Promise<Void> handedOver = Promise.promise();
    Future<Message> ready = dispatched.transform(ignored -> decoded);
    dispatched = handedOver.future();
    Future<JsonObject> outcome = ready.transform(ar -> {
      Future<JsonObject> produced = ar.succeeded() ? produce(ar.result()) : Future.failedFuture(ar.cause());
      handedOver.complete(); // after produce: completing it runs the next messages' hand-over at once
      return produced;
    });
    reply(ready, outcome);
  }

  private Message decode(String text, long nowMs) {
    Object id = null;
    try {
      JsonObject body = WsFrames.parse(text, FIELDS);
      id = WsFrames.id(body);
      return new Message(id, ProduceRequest.parse(body, format, cfg.maxRecordsPerRequest(), nowMs), null);
    } catch (SluiceException e) {
      return Message.refused(id, e);
    }
  }

  private Future<JsonObject> produce(Message message) {
    return message.refused() != null
        ? Future.failedFuture(message.refused())
        : producer.produce(caller, topic, null, message.request().records(), Acks.ALL, WsFrames::apiError)
            .map(o -> o.toJson(new JsonObject()));
  }

  /** Queues the reply to the message just read behind the replies to the ones before it. */
  private void reply(Future<Message> message, Future<JsonObject> outcome) {
    if (++inFlight >= MAX_IN_FLIGHT) {
      ws.pause();
    }
    long throttle = messageThrottle;
    tail = tail.transform(ignored -> outcome.transform(ar -> {
      if (!ws.isClosed()) {
        JsonObject reply = ar.succeeded() ? ar.result() : WsFrames.error(ar.cause());
        if (throttle >= 0) {
          reply.put(THROTTLE_TIME_MS, throttle);
        }
        Object id = message.succeeded() ? message.result().id() : null;
        ws.writeTextMessage(WsFrames.withId(reply, id).encode());
      }
      if (inFlight-- == MAX_IN_FLIGHT && throttleTimer < 0) {
        ws.resume();
      }
      return Future.<Void>succeededFuture();
    }));
  }

  /** A message read: its id, and the request or why it is refused. */
  private record Message(Object id, ProduceRequest request, SluiceException refused) {
    static Message refused(Object id, SluiceException e) {
      return new Message(id, null, e);
    }
  }
}
