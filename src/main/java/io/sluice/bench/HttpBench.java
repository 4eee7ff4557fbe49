package io.sluice.bench;

import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load tool for a running broker's HTTP API: produce throughput over the binary batch path and the JSON path,
 * fetch catch-up, and produce-to-long-poll delivery latency. Usage in {@code docs/benchmarks.md}.
 *
 * <pre>
 * java -cp target/sluice.jar io.sluice.bench.HttpBench produce --url http://127.0.0.1:8080 --format binary \
 *     --partitions 1 --records 5000000 --record-size 100 --batch-records 1000 --acks 1 --inflight 8
 * java -cp target/sluice.jar io.sluice.bench.HttpBench create --url ... --partitions 6 --replication-factor 3
 *     (prints "topic NAME"; then produce ... --topic NAME produces to it instead of creating one)
 * java -cp target/sluice.jar io.sluice.bench.HttpBench fetch --url ... --topic T --format binary
 * java -cp target/sluice.jar io.sluice.bench.HttpBench latency --url ... --rate 10000 --seconds 10
 * </pre>
 */
public final class HttpBench {
  private final Vertx vertx;
  private final HttpClient client;
  /** The latency consumer's own connection, so its long polls never queue behind produce requests. */
  private final HttpClient consumerClient;
  private final BenchArgs args;

  private HttpBench(Vertx vertx, BenchArgs args) {
    this.vertx = vertx;
    this.args = args;
    URI url = URI.create(args.string("url", "http://127.0.0.1:8080"));
    HttpClientOptions options = new HttpClientOptions().setDefaultHost(url.getHost()).setDefaultPort(url.getPort())
        .setKeepAlive(true).setPipelining(false);
    this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(args.integer("inflight", 8)));
    this.consumerClient = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(1));
  }

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      System.err.println("usage: HttpBench produce|create|fetch|latency --url URL [--name value ...]");
      System.exit(2);
    }
    String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
    Vertx vertx = Vertx.vertx();
    try {
      HttpBench bench = new HttpBench(vertx, new BenchArgs(rest));
      Future<?> run = switch (argv[0]) {
        case "produce" -> bench.produce();
        case "create" -> bench.createTopic("bench-" + bench.args.string("format", "binary"),
            bench.args.integer("partitions", 1)).map(topic -> {
              System.out.println("topic " + topic);
              return null;
            });
        case "fetch" -> bench.fetchAll(bench.args.string("topic", ""), bench.args.integer("partitions", 1));
        case "latency" -> bench.latency();
        default -> Future.failedFuture("unknown mode " + argv[0]);
      };
      run.toCompletionStage().toCompletableFuture().get();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  private Future<String> createTopic(String prefix, int partitions) {
    String name = prefix + "-" + System.currentTimeMillis();
    JsonObject body = new JsonObject().put("name", name).put("partitions", partitions).put("replication_factor",
        args.integer("replication-factor", 1));
    return send(HttpMethod.POST, "/topics", "application/json", Buffer.buffer(body.encode()), 201).map(b -> name);
  }

  private Future<Void> produce() {
    int partitions = args.integer("partitions", 1);
    String format = args.string("format", "binary");
    // --topic: a topic made beforehand (mode create), so that a caller counting the brokers' CPU over this produce
    // does not count the opening of its logs
    String existing = args.string("topic", "");
    Future<String> made = existing.isEmpty() ? createTopic("bench-" + format, partitions)
        : Future.succeededFuture(existing);
    return made.compose(topic -> {
      long records = args.number("records", 2_000_000);
      int perRequest = args.integer("batch-records", 1000);
      Buffer body = format.equals("binary") ? binaryBody(perRequest) : jsonBody(perRequest);
      String contentType = format.equals("binary") ? "application/vnd.sluice.batch"
          : "application/vnd.kafka.binary.v2+json";
      String suffix = format.equals("binary") ? "/batches" : "";
      String acks = args.string("acks", "1");
      long requests = (records + perRequest - 1) / perRequest;
      long start = System.nanoTime();
      LatencyStats stats = new LatencyStats();
      return runRequests(requests, args.integer("inflight", 8), i -> {
        String path = "/topics/" + topic + "/partitions/" + (i % partitions) + suffix + "?acks=" + acks;
        long t0 = System.nanoTime();
        return send(HttpMethod.POST, path, contentType, body, 200)
            .onSuccess(b -> stats.record((System.nanoTime() - t0) / 1000));
      }).map(v -> {
        double secs = (System.nanoTime() - start) / 1e9;
        long sent = requests * perRequest;
        System.out.printf("produce format=%s partitions=%d acks=%s: %d records in %.2f s, %.0f records/s, "
                + "%.1f MB/s of values; request latency %s%n", format, partitions, acks, sent, secs, sent / secs,
            sent * args.integer("record-size", 100) / secs / 1e6, stats.summary());
        System.out.println("topic " + topic);
        return null;
      });
    }).mapEmpty();
  }

  private Buffer binaryBody(int count) {
    byte[] value = payload();
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE);
    long now = System.currentTimeMillis();
    for (int i = 0; i < count; i++) {
      builder.append(now, null, value, List.of());
    }
    ByteBuffer batch = builder.build();
    byte[] bytes = new byte[batch.remaining()];
    batch.get(bytes);
    return Buffer.buffer(bytes);
  }

  private Buffer jsonBody(int count) {
    String value = Base64.getEncoder().encodeToString(payload());
    JsonArray records = new JsonArray();
    for (int i = 0; i < count; i++) {
      records.add(new JsonObject().put("value", value));
    }
    return Buffer.buffer(new JsonObject().put("records", records).encode());
  }

  private byte[] payload() {
    byte[] value = new byte[args.integer("record-size", 100)];
    new Random(42).nextBytes(value);
    return value;
  }

  /** Reads every partition of {@code topic} from its beginning to its end offset and reports records/s. */
  private Future<Void> fetchAll(String topic, int partitions) {
    String format = args.string("format", "binary");
    AtomicLong records = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    long start = System.nanoTime();
    List<Future<Void>> each = new java.util.ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      each.add(fetchPartition(topic, p, format, 0, records, bytes));
    }
    return Future.all(each).map(v -> {
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf("fetch format=%s partitions=%d: %d records (%.1f MB) in %.2f s, %.0f records/s, %.1f MB/s%n",
          format, partitions, records.get(), bytes.get() / 1e6, secs, records.get() / secs, bytes.get() / secs / 1e6);
      return null;
    });
  }

  private Future<Void> fetchPartition(String topic, int p, String format, long offset, AtomicLong records,
      AtomicLong bytes) {
    String base = "/topics/" + topic + "/partitions/" + p;
    return send(HttpMethod.GET, base + "/offsets", null, null, 200).compose(b -> {
      long end = new JsonObject(b).getLong("end_offset");
      return fetchUntil(base, format, offset, end, records, bytes);
    });
  }

  private Future<Void> fetchUntil(String base, String format, long offset, long end, AtomicLong records,
      AtomicLong bytes) {
    if (offset >= end) {
      return Future.succeededFuture();
    }
    String accept = format.equals("binary") ? "application/vnd.sluice.batch" : "application/vnd.kafka.binary.v2+json";
    String path = base + "/records?offset=" + offset + "&max_bytes=" + args.integer("max-bytes", 4 << 20);
    return get(client, path, accept).compose(b -> {
      bytes.addAndGet(b.length());
      long next = format.equals("binary") ? countBatches(b, offset, records) : countJson(b, records);
      return fetchUntil(base, format, next, end, records, bytes);
    });
  }

  private static long countBatches(Buffer body, long offset, AtomicLong records) {
    ByteBuffer buf = ByteBuffer.wrap(body.getBytes());
    long next = offset;
    while (buf.remaining() >= RecordBatch.HEADER_SIZE) {
      RecordBatch batch = RecordBatch.wrap(buf);
      records.addAndGet(batch.nextOffset() - Math.max(next, batch.baseOffset()));
      next = batch.nextOffset();
      buf.position(buf.position() + batch.sizeInBytes());
    }
    return next;
  }

  private static long countJson(Buffer body, AtomicLong records) {
    JsonArray arr = new JsonArray(body);
    records.addAndGet(arr.size());
    return arr.getJsonObject(arr.size() - 1).getLong("offset") + 1;
  }

  /** Produce-to-long-poll delivery latency: see {@link DeliveryLatencyBench}. */
  private Future<Void> latency() {
    DeliveryLatencyBench bench = new DeliveryLatencyBench(vertx, client, consumerClient, args);
    return createTopic("bench-latency", 1).compose(bench::run).map(summary -> {
      System.out.println(summary);
      return null;
    });
  }

  private Future<Void> runRequests(long count, int inflight, java.util.function.LongFunction<Future<?>> request) {
    Promise<Void> done = Promise.promise();
    AtomicLong next = new AtomicLong();
    AtomicLong finished = new AtomicLong();
    for (int i = 0; i < Math.min(inflight, count); i++) {
      issue(request, next, finished, count, done);
    }
    return done.future();
  }

  private void issue(java.util.function.LongFunction<Future<?>> request, AtomicLong next, AtomicLong finished,
      long count, Promise<Void> done) {
    long i = next.getAndIncrement();
    if (i >= count) {
      return;
    }
    request.apply(i).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      if (finished.incrementAndGet() == count) {
        done.tryComplete();
      } else {
        issue(request, next, finished, count, done);
      }
    });
  }

  private static Future<Buffer> get(HttpClient http, String path, String accept) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.GET).setURI(path).putHeader("Accept", accept);
    return http.request(opts).compose(req -> req.send().compose(resp -> resp.body().map(b -> {
      if (resp.statusCode() != 200) {
        throw new IllegalStateException("GET " + path + " answered " + resp.statusCode() + ": " + b);
      }
      return b;
    })));
  }

  private Future<Buffer> send(HttpMethod method, String path, String contentType, Buffer body, int expected) {
    RequestOptions opts = new RequestOptions().setMethod(method).setURI(path);
    if (contentType != null) {
      opts.putHeader("Content-Type", contentType);
    }
    return client.request(opts).compose(req -> (body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + resp.statusCode() + ": " + b);
          }
          return b;
        })));
  }
}
