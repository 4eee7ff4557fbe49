package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.FetchSection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
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
 * error fails its own fetch only. A partition asked twice in one turn goes in the next request. At most
 * {@link #MAX_IN_FLIGHT_PER_BROKER} requests per broker are in flight; reads asked for meanwhile wait for a free
 * slot and then go together.
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

  /**
   * Requests in flight per broker. One would serialise every reader behind a single round trip (the client decodes
   * while the broker idles); two keep the broker serving one request while the client decodes the other, and
   * reads asked for meanwhile wait and go together in the next.
   */
  static final int MAX_IN_FLIGHT_PER_BROKER = 2;

  /** One broker's reads waiting to be sent and its requests in flight. */
  private static final class Queue {
    final List<Ask> waiting = new ArrayList<>();
    int inFlight;
  }

  private final Context context;
  private final Transport transport;
  private final Map<URI, Queue> queues = new LinkedHashMap<>();
  private boolean flushScheduled;
  /** {@code POST /fetch} requests sent so far (tests see in which turn a read's request left). */
  private long requestsSent;

  Fetcher(Context context, Transport transport) {
    this.context = context;
    this.transport = transport;
  }

  /** Reads one partition in the next request to {@code broker}; call on the client's context. */
  Future<Fetched> fetch(URI broker, String topic, int partition, long offset, int maxBytes, long maxWaitMs) {
    Promise<Fetched> answer = Promise.promise();
    queues.computeIfAbsent(broker, b -> new Queue()).waiting
        .add(new Ask(topic, partition, offset, maxBytes, maxWaitMs, answer));
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
    return answer.future();
  }

  /** How many requests were sent so far; call on the client's context. */
  long requestsSent() {
    return requestsSent;
  }

  /** Sends, per broker with a free slot, what waits: each partition once per request, later asks of it after. */
  private void flush() {
    flushScheduled = false;
    queues.forEach((broker, queue) -> {
      while (queue.inFlight < MAX_IN_FLIGHT_PER_BROKER && !queue.waiting.isEmpty()) {
        List<Ask> request = new ArrayList<>();
        List<Ask> later = new ArrayList<>();
        for (Ask ask : queue.waiting) {
          boolean named = request.stream().anyMatch(a -> a.partition() == ask.partition()
              && a.topic().equals(ask.topic()));
          (named ? later : request).add(ask);
        }
        queue.waiting.clear();
        queue.waiting.addAll(later);
        queue.inFlight++;
        requestsSent++;
        send(broker, request).onComplete(ar -> {
          queue.inFlight--;
          if (!queue.waiting.isEmpty() && !flushScheduled) {
            flushScheduled = true;
            context.runOnContext(v -> flush());
          }
        });
      }
    });
  }

  private Future<Transport.Response> send(URI broker, List<Ask> asks) {
    List<FetchRequestBody.Read> reads = new ArrayList<>(asks.size());
    long waitMs = Long.MAX_VALUE;
    for (Ask a : asks) {
      reads.add(new FetchRequestBody.Read(a.topic(), a.partition(), a.offset(), a.maxBytes()));
      waitMs = Math.min(waitMs, a.maxWaitMs());
    }
    return transport.send(HttpMethod.POST, broker, "/fetch", "application/json", PARTITION_BATCHES,
            FetchRequestBody.encode(reads, waitMs))
        .andThen(ar -> {
          if (ar.failed()) {
            asks.forEach(a -> a.answer().tryFail(ar.cause()));
            return;
          }
          List<FetchSection> sections;
          try {
            sections = PartitionSections.parseFetch(ar.result().bytes());
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
