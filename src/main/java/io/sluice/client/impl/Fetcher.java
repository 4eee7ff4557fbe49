package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.FetchSection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts the fetches a client's partition readers ask for within one turn of its context into one request per
 * broker, as a Kafka consumer fetches all its partitions of a broker at once:
 *
 * <pre>
 * POST {leader}/fetch   {"partitions": [{"topic", "partition", "offset", "max_bytes"}], "timeout"}
 *   200 application/vnd.sluice.partition-batches: a section per partition (PartitionSections)
 * </pre>
 *
 * The broker answers as soon as any of the partitions has data (or the shortest wait asked is over), so a reader
 * of an idle partition sharing a request with a busy one gets an empty answer and simply asks again. A partition's
 * error fails its own fetch only. A partition asked twice in one turn goes in the next request.
 *
 * <p><b>Threading:</b> confined to the client's context.
 */
final class Fetcher {
  static final String PARTITION_BATCHES = "application/vnd.sluice.partition-batches";

  /** One partition's read as the broker answered it: its batches and where to read next. */
  record Fetched(long nextOffset, long highWatermark, ByteBuffer batches) {
  }

  private record Ask(String topic, int partition, long offset, int maxBytes, long maxWaitMs,
      Promise<Fetched> answer) {
  }

  private final Context context;
  private final Transport transport;
  private final Map<URI, List<Ask>> pending = new LinkedHashMap<>();
  private boolean flushScheduled;

  Fetcher(Context context, Transport transport) {
    this.context = context;
    this.transport = transport;
  }

  /** Reads one partition in the next request to {@code broker}; call on the client's context. */
  Future<Fetched> fetch(URI broker, String topic, int partition, long offset, int maxBytes, long maxWaitMs) {
    Promise<Fetched> answer = Promise.promise();
    pending.computeIfAbsent(broker, b -> new ArrayList<>())
        .add(new Ask(topic, partition, offset, maxBytes, maxWaitMs, answer));
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
    return answer.future();
  }

  private void flush() {
    flushScheduled = false;
    Map<URI, List<Ask>> now = new LinkedHashMap<>(pending);
    pending.clear();
    now.forEach((broker, asks) -> {
      List<Ask> request = new ArrayList<>();
      List<Ask> later = new ArrayList<>();
      for (Ask ask : asks) {
        boolean named = request.stream().anyMatch(a -> a.partition() == ask.partition() && a.topic().equals(ask.topic()));
        (named ? later : request).add(ask);
      }
      send(broker, request);
      if (!later.isEmpty()) {
        later.forEach(a -> fetch(broker, a.topic(), a.partition(), a.offset(), a.maxBytes(), a.maxWaitMs())
            .onComplete(a.answer()));
      }
    });
  }

  private void send(URI broker, List<Ask> asks) {
    JsonArray partitions = new JsonArray();
    long waitMs = Long.MAX_VALUE;
    for (Ask a : asks) {
      partitions.add(new JsonObject().put("topic", a.topic()).put("partition", a.partition())
          .put("offset", a.offset()).put("max_bytes", a.maxBytes()));
      waitMs = Math.min(waitMs, a.maxWaitMs());
    }
    JsonObject body = new JsonObject().put("partitions", partitions).put("timeout", waitMs);
    transport.send(HttpMethod.POST, broker, "/fetch", "application/json", PARTITION_BATCHES, body.toBuffer())
        .onComplete(ar -> {
          if (ar.failed()) {
            asks.forEach(a -> a.answer().tryFail(ar.cause()));
            return;
          }
          List<FetchSection> sections;
          try {
            // A view of the answer, not a copy: the decoder copies each record's key and value out of it.
            sections = PartitionSections.parseFetch(((io.vertx.core.internal.buffer.BufferInternal) ar.result().body())
                .getByteBuf().nioBuffer());
          } catch (IllegalArgumentException e) {
            asks.forEach(a -> a.answer().tryFail(new SluiceException(ErrorCode.UNKNOWN_SERVER_ERROR,
                "POST /fetch to " + broker + " answered a malformed body: " + e.getMessage())));
            return;
          }
          for (int i = 0; i < asks.size(); i++) {
            answer(asks.get(i), i < sections.size() ? sections.get(i) : null);
          }
        });
  }

  private static void answer(Ask ask, FetchSection s) {
    String what = "POST /fetch for " + ask.topic() + "-" + ask.partition();
    if (s == null || s.partition() != ask.partition() || !s.topic().equals(ask.topic())) {
      ask.answer().fail(new SluiceException(ErrorCode.UNKNOWN_SERVER_ERROR, what + ": the answer has no section"
          + " for it"));
    } else if (s.errorCode() != 0) {
      ask.answer().fail(new SluiceException(ErrorCodes.byCode(s.errorCode()), what + ": " + s.message()));
    } else {
      ask.answer().complete(new Fetched(s.nextOffset(), s.highWatermark(), s.batches()));
    }
  }
}
