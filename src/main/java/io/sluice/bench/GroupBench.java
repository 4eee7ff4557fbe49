package io.sluice.bench;

import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumer-group benchmark against a running broker: group consumption over HTTP long poll and over WebSocket
 * (records/s), produce-to-WebSocket delivery latency (p50, p99), and the time a group of three takes to rebalance
 * when a fourth member joins. Usage in {@code docs/benchmarks.md}:
 *
 * <pre>
 * java -cp target/sluice.jar io.sluice.bench.GroupBench --url http://127.0.0.1:8080 --records 200000 \
 *     --partitions 4 --record-size 100 --latency-records 2000 --rebalances 5
 * </pre>
 *
 * Runs from a plain thread, blocking on futures; the broker is another process.
 */
public final class GroupBench {
  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http;
  /** The one context every request is sent from (see {@link #request}). */
  private final io.vertx.core.Context context;
  /** Where the last request got to (written by the client's event loop, read on a timeout). */
  private volatile String stage = "none";
  private final WebSocketClient ws = vertx.createWebSocketClient();
  private final String host;
  private final int port;
  private final BenchArgs args;
  private final String run = Long.toString(System.currentTimeMillis(), 36);

  private GroupBench(BenchArgs args) {
    this.args = args;
    URI url = URI.create(args.string("url", "http://127.0.0.1:8080"));
    host = url.getHost();
    port = url.getPort();
    // Every member may hold a connection in a long poll; a pool smaller than the members plus the producer
    // queues a member's rejoin behind other members' polls and stalls the rebalance until sessions expire.
    http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(host).setDefaultPort(port)
            .setIdleTimeout(120),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    context = vertx.getOrCreateContext();
  }

  public static void main(String[] argv) throws Exception {
    GroupBench bench = new GroupBench(new BenchArgs(argv));
    try {
      bench.runAll();
    } finally {
      bench.vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private void runAll() throws Exception {
    int records = args.integer("records", 200_000);
    int partitions = args.integer("partitions", 4);
    String topic = "gbench-" + run;
    call(HttpMethod.POST, "/topics", "application/json", new JsonObject().put("name", topic).put("partitions", partitions).toBuffer());
    fill(topic, partitions, records, args.integer("record-size", 100));
    String only = args.string("only", "all");
    if (only.equals("all") || only.equals("throughput")) {
      System.out.printf("HTTP long-poll group consumption: %.0f records/s%n", httpGroup(topic, records));
      System.out.printf("WebSocket group consumption:      %.0f records/s%n", wsGroup(topic, records));
    }
    if (only.equals("all") || only.equals("latency")) {
      long[] latency = latency(topic, args.integer("latency-records", 2_000));
      System.out.printf("produce -> WebSocket latency: p50 %.2f ms, p99 %.2f ms%n", latency[0] / 1e6,
          latency[1] / 1e6);
    }
    List<Long> rebalances = new ArrayList<>();
    for (int i = 0; i < args.integer("rebalances", 5); i++) {
      rebalances.add(rebalance(topic, i));
    }
    Collections.sort(rebalances);
    System.out.println("rebalance when a 4th member joins 3 (ms, sorted): " + rebalances);
  }

  private void fill(String topic, int partitions, int records, int size) {
    byte[] value = new byte[size];
    int perBatch = 1_000;
    for (int done = 0; done < records; done += perBatch) {
      RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE);
      for (int i = 0; i < Math.min(perBatch, records - done); i++) {
        b.append(System.currentTimeMillis(), null, value, List.of());
      }
      ByteBuffer batch = b.build();
      byte[] bytes = new byte[batch.remaining()];
      batch.get(bytes);
      call(HttpMethod.POST, "/topics/" + topic + "/partitions/" + ((done / perBatch) % partitions) + "/batches",
          "application/vnd.sluice.batch", Buffer.buffer(bytes));
    }
  }

  private double httpGroup(String topic, int records) {
    String base = consumer("gbench-http-" + run, "c");
    subscribe(base, topic);
    long start = System.nanoTime();
    long got = 0;
    while (got < records) {
      got += new JsonArray(call(HttpMethod.GET, base + "/records?timeout=1000&max_bytes=8388608", null, null)).size();
    }
    return got / ((System.nanoTime() - start) / 1e9);
  }

  private String consumer(String group, String name) {
    JsonObject body = new JsonObject(call(HttpMethod.POST, "/consumers/" + group, "application/vnd.kafka.v2+json",
        new JsonObject().put("name", name).put("format", "binary").put("auto.offset.reset", "earliest")
            .put("auto.commit.enable", "false").toBuffer()));
    String uri = body.getString("base_uri");
    return uri.substring(uri.indexOf("/consumers/"));
  }

  private double wsGroup(String topic, int records) throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong got = new AtomicLong();
    WebSocket socket = await(ws.connect(new WebSocketConnectOptions().setHost(host).setPort(port)
        .setURI("/ws/consume?group=gbench-ws-" + run + "&topics=" + topic + "&auto.offset.reset=earliest&format=binary")));
    socket.textMessageHandler(t -> {
      JsonArray r = new JsonObject(t).getJsonArray("records");
      if (r != null && got.addAndGet(r.size()) >= records) {
        done.countDown();
      }
    });
    long start = System.nanoTime();
    await(socket.writeTextMessage(new JsonObject().put("credit", records).encode()));
    done.await(300, TimeUnit.SECONDS);
    double rate = got.get() / ((System.nanoTime() - start) / 1e9);
    await(socket.close());
    return rate;
  }

  /** Sends one record at a time and measures until the WebSocket consumer has it; returns {p50, p99} in ns. */
  private long[] latency(String topic, int count) throws Exception {
    long[] sentAt = new long[count];
    long[] lat = new long[count];
    CountDownLatch done = new CountDownLatch(count);
    long end = new JsonObject(call(HttpMethod.GET, "/topics/" + topic + "/partitions/0/offsets", null, null))
        .getLong("end_offset");
    WebSocket socket = await(ws.connect(new WebSocketConnectOptions().setHost(host).setPort(port)
        .setURI("/ws/consume?topic=" + topic + "&partition=0&offset=" + end + "&format=json")));
    socket.textMessageHandler(t -> {
      long now = System.nanoTime();
      JsonArray r = new JsonObject(t).getJsonArray("records");
      if (r != null) {
        r.forEach(o -> {
          int i = ((Number) ((JsonObject) o).getValue("value")).intValue();
          lat[i] = now - sentAt[i];
          done.countDown();
        });
      }
    });
    await(socket.writeTextMessage(new JsonObject().put("credit", count).encode()));
    for (int i = 0; i < count; i++) {
      sentAt[i] = System.nanoTime();
      call(HttpMethod.POST, "/topics/" + topic + "/partitions/0", "application/vnd.kafka.json.v2+json",
          new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", i))).toBuffer());
    }
    done.await(60, TimeUnit.SECONDS);
    await(socket.close());
    Arrays.sort(lat);
    return new long[] {lat[count / 2], lat[(int) (count * 0.99)]};
  }

  /** Three members settle; a fourth joins; time until all four have polled in the new, stable generation. */
  private long rebalance(String topic, int round) {
    String group = "gbench-rb-" + run + "-" + round;
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      members.add(consumer(group, "m" + i));
      subscribe(members.get(i), topic);
    }
    settle(group, members);
    String fourth = consumer(group, "m3");
    subscribe(fourth, topic);
    members.add(fourth);
    long start = System.nanoTime();
    settle(group, members);
    long ms = (System.nanoTime() - start) / 1_000_000;
    members.forEach(m -> call(HttpMethod.DELETE, m, null, null));
    return ms;
  }

  private void subscribe(String base, String topic) {
    call(HttpMethod.POST, base + "/subscription", "application/vnd.kafka.v2+json",
        new JsonObject().put("topics", new JsonArray().add(topic)).toBuffer());
  }

  private void settle(String group, List<String> members) {
    while (true) {
      List<Future<Buffer>> polls = new ArrayList<>();
      members.forEach(m -> polls.add(request(HttpMethod.GET, m + "/records?timeout=0&max_bytes=1", null, null)));
      await(Future.all(polls));
      JsonObject d = new JsonObject(call(HttpMethod.GET, "/consumer-groups/" + group, null, null));
      if (d.getString("state").equals("Stable") && d.getJsonArray("members").size() == members.size()) {
        return;
      }
    }
  }

  /**
   * Sends on the bench's one context. Requests made from the main thread each got a context of their own, on
   * another event loop than the pooled connection's, and Vert.x 5.0.7 can then lose the end of a response whose
   * body is asked for on the request's loop while the connection's loop ends it (eclipse-vertx/vert.x#6038, fixed
   * after 5.0.7): the bench hung on a 200 whose body never completed, in about one full run in two.
   */
  private Future<Buffer> request(HttpMethod method, String path, String contentType, Buffer body) {
    io.vertx.core.Promise<Buffer> answered = io.vertx.core.Promise.promise();
    context.runOnContext(v -> send(method, path, contentType, body).onComplete(answered));
    return answered.future();
  }

  private Future<Buffer> send(HttpMethod method, String path, String contentType, Buffer body) {
    String what = method + " " + path;
    stage = what + ": waiting for a connection";
    return http.request(new RequestOptions().setMethod(method).setURI(path)).compose(req -> {
      stage = what + ": sending on " + req.connection().localAddress();
      if (contentType != null) {
        req.putHeader("Content-Type", contentType);
      }
      return body == null ? req.send() : req.send(body);
    }).compose(resp -> {
      stage = what + ": reading a " + resp.statusCode() + " body on " + resp.request().connection().localAddress();
      return resp.body().map(b -> {
        stage = what + ": answered";
        if (resp.statusCode() >= 300) {
          throw new IllegalStateException(what + " -> " + resp.statusCode() + " " + b);
        }
        return b;
      });
    });
  }

  private Buffer call(HttpMethod method, String path, String contentType, Buffer body) {
    return await(request(method, path, contentType, body));
  }

  private <T> T await(Future<T> f) {
    try {
      return f.await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Names the stage of the last request, so a hang says whether it waited for a connection, a send or an answer.
      throw new IllegalStateException("last request: " + stage, e);
    }
  }
}
