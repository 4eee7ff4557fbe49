package io.sluice.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Produce-to-long-poll delivery latency: a producer posts {@code rate / 1000} JSON records every millisecond
 * (acks=1) while one consumer long-polls the partition and measures, per record, the time from the record's
 * creation ({@code System.nanoTime} in its value) to the consumer having parsed the response holding it.
 *
 * <p>Threads: the producer and the consumer each run on their own event-loop context (two verticles, so two
 * event loops of the tool's Vert.x), so a consumer response never waits behind the producer's timer ticks and
 * request writes. The first {@code warmup} seconds are produced and consumed but not recorded: they measure the
 * JIT and TCP connection set-up of both JVMs, not the steady state. The tool also reports its own lag (the gaps
 * between its 1 ms timer ticks, and how long a produce request waited for a pooled connection), so that a tail
 * caused by the tool's JVM or by CPU starvation on the machine shows up as such rather than as broker latency.
 * Stats objects are each touched by one context only.
 */
final class DeliveryLatencyBench {
  private final Vertx vertx;
  private final HttpClient producerClient;
  private final HttpClient consumerClient;
  private final int rate;
  private final long seconds;
  private final long warmupSeconds;

  private final LatencyStats delivery = new LatencyStats();
  private final LatencyStats tickGaps = new LatencyStats();
  private final LatencyStats connectionWait = new LatencyStats();
  private final LatencyStats roundTrip = new LatencyStats();
  private long[] perSecondMaxMicros;
  /** Written by the probe thread only, read after it ended. */
  private long[] perSecondProbeMaxMicros;
  private final LatencyStats probeGaps = new LatencyStats();
  private long measureFromNanos;

  DeliveryLatencyBench(Vertx vertx, HttpClient producerClient, HttpClient consumerClient, BenchArgs args) {
    this.vertx = vertx;
    this.producerClient = producerClient;
    this.consumerClient = consumerClient;
    this.rate = args.integer("rate", 10_000);
    this.seconds = args.number("seconds", 10);
    this.warmupSeconds = args.number("warmup", 5);
  }

  /** Runs against partition 0 of {@code topic}; completes with the printed summary. */
  Future<String> run(String topic) {
    String base = "/topics/" + topic + "/partitions/0";
    long perTick = Math.max(1, rate / 1000);
    long ticks = (warmupSeconds + seconds) * 1000;
    long total = ticks * perTick;
    measureFromNanos = System.nanoTime() + warmupSeconds * 1_000_000_000L;
    perSecondMaxMicros = new long[(int) seconds + 1];
    perSecondProbeMaxMicros = new long[(int) seconds + 1];
    Thread probe = new Thread(() -> probe(measureFromNanos + seconds * 1_000_000_000L), "scheduling-probe");
    probe.setDaemon(true);
    probe.start();
    Promise<Void> consumed = Promise.promise();
    Promise<Void> produced = Promise.promise();
    return onNewContext(() -> consume(base, 0, total, consumed))
        .compose(v -> onNewContext(() -> produce(base, perTick, ticks, produced)))
        .compose(v -> Future.all(consumed.future(), produced.future()))
        .compose(v -> vertx.executeBlocking(() -> {
          probe.join();
          return summary();
        }));
  }

  /**
   * A plain thread that sleeps 1 ms at a time and records how late it wakes: the machine's scheduling lag, which
   * involves neither Vert.x nor the broker. Its per-second maxima line up with the delivery maxima when the tail
   * comes from the machine.
   */
  private void probe(long untilNanos) {
    long last = System.nanoTime();
    while (last < untilNanos) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      if (now >= measureFromNanos) {
        long micros = (now - last) / 1000;
        probeGaps.record(micros);
        int second = (int) Math.min(perSecondProbeMaxMicros.length - 1, (now - measureFromNanos) / 1_000_000_000L);
        perSecondProbeMaxMicros[second] = Math.max(perSecondProbeMaxMicros[second], micros);
      }
      last = now;
    }
  }

  private String summary() {
    StringBuilder probePerSecond = new StringBuilder();
    for (long m : perSecondProbeMaxMicros) {
      probePerSecond.append(String.format("%.1f ", m / 1000.0));
    }
    StringBuilder perSecond = new StringBuilder();
    for (long m : perSecondMaxMicros) {
      perSecond.append(String.format("%.1f ", m / 1000.0));
    }
    return String.format("delivery latency at %d records/s over %d s (after %d s warm-up): %s%n"
        + "  max delivery per second (ms): %s%n"
        + "  machine: 1 ms sleeps of a plain thread in the tool: %s%n"
        + "  machine: max sleep per second (ms): %s%n"
        + "  tool: producer timer tick gaps: %s%n"
        + "  tool: produce request wait for a connection: %s%n"
        + "  produce round trip (tick to response): %s", rate, seconds, warmupSeconds, delivery.summary(),
        perSecond.toString().trim(), probeGaps.summary(), probePerSecond.toString().trim(), tickGaps.summary(), connectionWait.summary(), roundTrip.summary());
  }

  /** Deploys an empty verticle and runs {@code start} on its (new) event-loop context. */
  private Future<Void> onNewContext(Runnable start) {
    return vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        start.run();
        return Future.succeededFuture();
      }
    }).mapEmpty();
  }

  private void produce(String base, long perTick, long ticks, Promise<Void> done) {
    Context ctx = vertx.getOrCreateContext();
    long[] state = {0, System.nanoTime()}; // ticks sent, last tick time
    long[] answered = {0};
    vertx.setPeriodic(1, id -> {
      long t0 = System.nanoTime();
      if (t0 >= measureFromNanos) {
        tickGaps.record((t0 - state[1]) / 1000);
      }
      state[1] = t0;
      JsonArray records = new JsonArray();
      for (int i = 0; i < perTick; i++) {
        records.add(new JsonObject().put("value", System.nanoTime()));
      }
      if (++state[0] == ticks) {
        vertx.cancelTimer(id);
      }
      Buffer body = Buffer.buffer(new JsonObject().put("records", records).encode());
      RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setURI(base + "?acks=1")
          .putHeader("Content-Type", "application/vnd.kafka.json.v2+json");
      producerClient.request(opts).compose(req -> {
        ctx.runOnContext(v -> {
          if (t0 >= measureFromNanos) {
            connectionWait.record((System.nanoTime() - t0) / 1000);
          }
        });
        return req.send(body).compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("produce answered " + resp.statusCode() + ": " + b);
          }
          return b;
        }));
      }).onComplete(ar -> ctx.runOnContext(v -> {
        if (ar.failed()) {
          done.tryFail(ar.cause());
          return;
        }
        if (t0 >= measureFromNanos) {
          roundTrip.record((System.nanoTime() - t0) / 1000);
        }
        if (++answered[0] == ticks) {
          done.tryComplete();
        }
      }));
    });
  }

  private void consume(String base, long offset, long total, Promise<Void> done) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.GET)
        .setURI(base + "/records?offset=" + offset + "&timeout=1000")
        .putHeader("Accept", "application/vnd.kafka.json.v2+json");
    consumerClient.request(opts).compose(req -> req.send().compose(resp -> resp.body().map(b -> {
      if (resp.statusCode() != 200) {
        throw new IllegalStateException("fetch answered " + resp.statusCode() + ": " + b);
      }
      return b;
    }))).onFailure(done::tryFail).onSuccess(b -> {
      long now = System.nanoTime();
      JsonArray arr = new JsonArray(b);
      long next = offset;
      for (int i = 0; i < arr.size(); i++) {
        JsonObject r = arr.getJsonObject(i);
        long created = r.getLong("value");
        if (created >= measureFromNanos) {
          long micros = (now - created) / 1000;
          delivery.record(micros);
          int second = (int) Math.min(perSecondMaxMicros.length - 1, (created - measureFromNanos) / 1_000_000_000L);
          perSecondMaxMicros[second] = Math.max(perSecondMaxMicros[second], micros);
        }
        next = r.getLong("offset") + 1;
      }
      if (next >= total) {
        done.tryComplete();
      } else {
        consume(base, next, total, done);
      }
    });
  }
}
