package io.sluice.http;

import io.sluice.api.RequestContext;
import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
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
 * client) and resumed as replies go out. Event-loop confined.
 */
final class WsProduceSession {
  static final int MAX_IN_FLIGHT = 16;
  private static final Set<String> FIELDS = Set.of("records", WsFrames.ID);
  private final ServerWebSocket ws;
  private final RequestContext caller;
  private final EmbeddedFormat format;
  private final String topic;
  private final HttpApiConfig cfg;
  private final JsonRecordsProducer producer;
  private Future<Void> tail = Future.succeededFuture();
  private int inFlight;

  WsProduceSession(ServerWebSocket ws, BrokerService service, EmbeddedFormat format, String topic,
      HttpApiConfig cfg) {
    this.ws = ws;
    this.caller = Callers.of(ws);
    this.format = format;
    this.topic = topic;
    this.cfg = cfg;
    this.producer = new JsonRecordsProducer(service);
  }

  void start() {
    WsMessageReader.attach(ws, cfg.wsMaxMessageBytes(), this::onMessage,
        refused -> reply(null, Future.failedFuture(refused)));
  }

  private void onMessage(String text) {
    Object id = null;
    Future<JsonObject> outcome;
    try {
      JsonObject body = WsFrames.parse(text, FIELDS);
      id = WsFrames.id(body);
      ProduceRequest request = ProduceRequest.parse(body, format, cfg.maxRecordsPerRequest(),
          System.currentTimeMillis());
      outcome = producer.produce(caller, topic, null, request.records(), Acks.ALL, WsFrames::apiError)
          .map(o -> o.toJson(new JsonObject()));
    } catch (SluiceException e) {
      outcome = Future.failedFuture(e);
    }
    reply(id, outcome);
  }

  /** Queues the reply to the message just read behind the replies to the ones before it. */
  private void reply(Object id, Future<JsonObject> outcome) {
    if (++inFlight >= MAX_IN_FLIGHT) {
      ws.pause();
    }
    tail = tail.transform(ignored -> outcome.transform(ar -> {
      if (!ws.isClosed()) {
        JsonObject reply = ar.succeeded() ? ar.result() : WsFrames.error(ar.cause());
        ws.writeTextMessage(WsFrames.withId(reply, id).encode());
      }
      if (inFlight-- == MAX_IN_FLIGHT) {
        ws.resume();
      }
      return Future.<Void>succeededFuture();
    }));
  }
}
