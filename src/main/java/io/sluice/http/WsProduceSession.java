package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.ProduceRequest.OutgoingRecord;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One producing WebSocket: each text frame is an HTTP produce body ({@code {"records": [...]}}, see
 * {@link ProduceRequest}) for the connection's topic and gets exactly one frame back, in the order the frames
 * came: {@code {"offsets": [{"partition", "offset", "error_code", "error"}]}} or an error frame. Produced with
 * acks=all. At most {@link #MAX_IN_FLIGHT} frames are worked on at once; beyond that the socket is paused (TCP
 * pushes back on the client) and resumed as replies go out. Event-loop confined.
 */
final class WsProduceSession {
  static final int MAX_IN_FLIGHT = 16;
  private final ServerWebSocket ws;
  private final RequestContext caller;
  private final BrokerService service;
  private final EmbeddedFormat format;
  private final String topic;
  private final HttpApiConfig cfg;
  private Future<Void> tail = Future.succeededFuture();
  private int inFlight;
  private int nextUnkeyed;

  WsProduceSession(ServerWebSocket ws, BrokerService service, EmbeddedFormat format, String topic,
      HttpApiConfig cfg) {
    this.ws = ws;
    this.caller = Callers.of(ws);
    this.service = service;
    this.format = format;
    this.topic = topic;
    this.cfg = cfg;
  }

  void start() {
    ws.textMessageHandler(this::onFrame);
    ws.binaryMessageHandler(b -> onFrame(null));
  }

  private void onFrame(String text) {
    Future<JsonObject> reply;
    try {
      if (text == null) {
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Binary frames are not accepted; send JSON text");
      }
      JsonObject body = WsFrames.parse(text, java.util.Set.of("records"));
      ProduceRequest request = ProduceRequest.parse(body, format, cfg.maxRecordsPerRequest(),
          System.currentTimeMillis());
      reply = service.metadataForProduce(caller, topic).compose(m -> produceAll(request.records(), m.partitionCount()));
    } catch (SluiceException e) {
      reply = Future.failedFuture(e);
    }
    if (++inFlight >= MAX_IN_FLIGHT) {
      ws.pause();
    }
    Future<JsonObject> mine = reply;
    // Replies leave in frame order whatever order the produces complete in.
    tail = tail.transform(ignored -> mine.transform(ar -> {
      if (!ws.isClosed()) {
        ws.writeTextMessage((ar.succeeded() ? ar.result() : WsFrames.error(ar.cause())).encode());
      }
      if (inFlight-- == MAX_IN_FLIGHT) {
        ws.resume();
      }
      return Future.<Void>succeededFuture();
    }));
  }

  private Future<JsonObject> produceAll(List<OutgoingRecord> records, int partitions) {
    Map<Integer, List<Integer>> byPartition = new LinkedHashMap<>();
    for (int i = 0; i < records.size(); i++) {
      OutgoingRecord r = records.get(i);
      int p = r.partition() != null ? r.partition()
          : r.key() != null ? RecordCodec.partitionForKey(r.key(), partitions)
          : Math.floorMod(nextUnkeyed++, partitions);
      if (p >= partitions) {
        return Future.failedFuture(new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + topic
            + "' has " + partitions + " partitions, there is no partition " + p));
      }
      byPartition.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
    }
    JsonObject[] entries = new JsonObject[records.size()];
    List<Future<Void>> all = new ArrayList<>();
    byPartition.forEach((p, indexes) -> {
      List<OutgoingRecord> batch = indexes.stream().map(records::get).toList();
      all.add(service.produce(caller, new TopicPartition(topic, p), RecordCodec.encode(batch), Acks.ALL)
          .transform(ar -> {
            for (int j = 0; j < indexes.size(); j++) {
              JsonObject e = new JsonObject().put("partition", p);
              if (ar.succeeded()) {
                e.put("offset", ar.result().batchBaseOffsets().get(0) + j).putNull("error_code").putNull("error");
              } else {
                JsonObject err = WsFrames.error(ar.cause());
                e.putNull("offset").put("error_code", err.getInteger("error_code")).put("error", err.getString("message"));
              }
              entries[indexes.get(j)] = e;
            }
            return Future.<Void>succeededFuture();
          }));
    });
    return Future.all(all).map(v -> new JsonObject().put("offsets", new JsonArray(List.of((Object[]) entries))));
  }
}
