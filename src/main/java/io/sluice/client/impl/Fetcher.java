package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.AbortedTransaction;
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
import java.util.concurrent.atomic.AtomicInteger;

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

  /**
   * One partition's read as the broker answered it: its batches and where to read next. {@code read} is run by whoever
   * has read {@code batches} to the end and keeps no view of them: once every partition of an answer has, its array
   * is gathered into again ({@link AnswerArrays}). Not running it (a read given up) only leaves the array to the
   * collector.
   */
  record Fetched(long nextOffset, long highWatermark, ByteBuffer batches, Runnable read,
      List<AbortedTransaction> abortedTransactions) {
  }

  private record Ask(String topic, int partition, long offset, int maxBytes, long maxWaitMs, boolean readCommitted,
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
  private final String clientRack;
  private final Map<URI, Queue> queues = new LinkedHashMap<>();
  private boolean flushScheduled;
  /** {@code POST /fetch} requests sent so far (tests see in which turn a read's request left). */
  private long requestsSent;

  Fetcher(Context context, Transport transport) {
    this(context, transport, null);
  }

  /** @param clientRack sent with every request as {@code client_rack} (KIP-392), null for none */
  Fetcher(Context context, Transport transport, String clientRack) {
    this.context = context;
    this.transport = transport;
    this.clientRack = clientRack;
  }

  /** Reads one partition in the next request to {@code broker}; call on the client's context. */
  Future<Fetched> fetch(URI broker, String topic, int partition, long offset, int maxBytes, long maxWaitMs) {
    return fetch(broker, topic, partition, offset, maxBytes, maxWaitMs, false);
  }

  /**
   * A read_uncommitted or read_committed read; a request carries one isolation level (the body's), so reads of the
   * other level go in the next request.
   */
  Future<Fetched> fetch(URI broker, String topic, int partition, long offset, int maxBytes, long maxWaitMs,
      boolean readCommitted) {
    Promise<Fetched> answer = Promise.promise();
    queues.computeIfAbsent(broker, b -> new Queue()).waiting
        .add(new Ask(topic, partition, offset, maxBytes, maxWaitMs, readCommitted, answer));
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
          boolean named = named(request, ask) || !request.isEmpty()
              && request.get(0).readCommitted() != ask.readCommitted();
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

  /** Whether {@code request} reads {@code ask}'s partition already (a loop: a stream per ask was one per fetch). */
  private static boolean named(List<Ask> request, Ask ask) {
    for (Ask a : request) {
      if (a.partition() == ask.partition() && a.topic().equals(ask.topic())) {
        return true;
      }
    }
    return false;
  }

  private Future<Transport.Response> send(URI broker, List<Ask> asks) {
    List<FetchRequestBody.Read> reads = new ArrayList<>(asks.size());
    long waitMs = Long.MAX_VALUE;
    for (Ask a : asks) {
      reads.add(new FetchRequestBody.Read(a.topic(), a.partition(), a.offset(), a.maxBytes()));
      waitMs = Math.min(waitMs, a.maxWaitMs());
    }
    boolean readCommitted = asks.get(0).readCommitted();
    return transport.send(HttpMethod.POST, broker, "/fetch", "application/json", PARTITION_BATCHES,
            FetchRequestBody.encode(reads, waitMs, clientRack, readCommitted))
        .andThen(ar -> {
          if (ar.failed()) {
            asks.forEach(a -> a.answer().tryFail(ar.cause()));
            return;
          }
          List<FetchSection> sections;
          try {
            sections = PartitionSections.parseFetch(ar.result().bytes(), readCommitted ? 1 : 0);
          } catch (IllegalArgumentException e) {
            asks.forEach(a -> a.answer().tryFail(new SluiceException(ErrorCode.UNKNOWN_SERVER_ERROR,
                "POST /fetch to " + broker + " answered a malformed body: " + e.getMessage())));
            return;
          }
          AnswerRead answerRead = new AnswerRead(transport, ar.result(), asks.size());
          for (int i = 0; i < asks.size(); i++) {
            answer(asks.get(i), i < sections.size() ? sections.get(i) : null, answerRead);
          }
        });
  }

  /**
   * Counts an answer's partitions read to the end; the last one gives its array back. Also a group poll's
   * ({@link ConsumerInstanceApi#decodeSections}).
   */
  static final class AnswerRead implements Runnable {
    private final Transport transport;
    private final Transport.Response response;
    private final AtomicInteger unread;

    AnswerRead(Transport transport, Transport.Response response, int partitions) {
      this.transport = transport;
      this.response = response;
      this.unread = new AtomicInteger(partitions);
    }

    @Override
    public void run() {
      if (unread.decrementAndGet() == 0) {
        transport.giveBack(response);
      }
    }
  }

  private static void answer(Ask ask, FetchSection s, Runnable read) {
    if (s == null || s.partition() != ask.partition() || !s.topic().equals(ask.topic())) {
      ask.answer().fail(new SluiceException(ErrorCode.UNKNOWN_SERVER_ERROR, what(ask) + ": the answer has no section"
          + " for it"));
    } else if (s.errorCode() != 0) {
      // A failed partition never counts as read, so that answer's array is left to the collector (rare).
      ask.answer().fail(new SluiceException(ErrorCodes.byCode(s.errorCode()), what(ask) + ": " + s.message()));
    } else if (!s.batches().hasRemaining()) {
      ask.answer().complete(new Fetched(s.nextOffset(), s.highWatermark(), s.batches(), () -> { },
          s.abortedTransactions()));
      read.run(); // nothing of the array to read for this partition
    } else {
      ask.answer().complete(new Fetched(s.nextOffset(), s.highWatermark(), s.batches(), read,
          s.abortedTransactions()));
    }
  }

  /** Built only for a failure: every answer of a caught-up reader is one record, and this a string per answer. */
  private static String what(Ask ask) {
    return "POST /fetch for " + ask.topic() + "-" + ask.partition();
  }
}
