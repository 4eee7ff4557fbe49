package io.sluice.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Base64;
import java.util.Random;

/**
 * Produce throughput over the WebSocket produce path ({@code GET /ws/produce?topic=T&format=binary}): frames of
 * {@code --batch-records} base64 records, at most {@code --inflight} unanswered (the broker works on at most 16
 * per socket), on {@code --sockets} sockets. The counterpart on the binary batch path is
 * {@code HttpBench produce --format binary --acks all} with the same batch size and in-flight bound (the
 * WebSocket path always produces with acks=all). Usage in {@code docs/benchmarks.md}.
 *
 * <pre>
 * java -cp target/sluice.jar io.sluice.bench.WsProduceBench --url http://127.0.0.1:8080 --records 2000000 \
 *     --record-size 100 --batch-records 1000 --inflight 8 --sockets 1
 * </pre>
 *
 * <p>Single-threaded: everything runs on one Vert.x event loop.
 */
public final class WsProduceBench {
  private final Vertx vertx;
  private final BenchArgs args;
  private final URI url;

  private WsProduceBench(Vertx vertx, BenchArgs args) {
    this.vertx = vertx;
    this.args = args;
    this.url = URI.create(args.string("url", "http://127.0.0.1:8080"));
  }

  public static void main(String[] argv) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      new WsProduceBench(vertx, new BenchArgs(argv)).run().toCompletionStage().toCompletableFuture().get();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  private Future<Void> run() {
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> createTopic().compose(this::produce).onComplete(done));
    return done.future();
  }

  private Future<String> createTopic() {
    String name = "bench-ws-" + System.currentTimeMillis();
    JsonObject body = new JsonObject().put("name", name).put("partitions", args.integer("partitions", 1))
        .put("replication_factor", 1);
    HttpClient http = vertx.createHttpClient(new HttpClientOptions());
    return http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost(url.getHost()).setPort(url.getPort())
            .setURI("/topics").putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(body.encode()))
        .compose(resp -> resp.body().compose(b -> resp.statusCode() == 201 ? Future.succeededFuture(name)
            : Future.failedFuture("creating " + name + " answered " + resp.statusCode() + " " + b)))
        .andThen(ar -> http.close());
  }

  private Future<Void> produce(String topic) {
    long records = args.number("records", 2_000_000);
    int perFrame = args.integer("batch-records", 1000);
    int sockets = args.integer("sockets", 1);
    long frames = (records + perFrame - 1) / perFrame;
    String frame = frame(perFrame);
    // Large frames: the broker accepts messages up to Vert.x's default 256 KiB; 64 KiB frames carry them.
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(65_536).setMaxMessageSize(1 << 24));
    LatencyStats stats = new LatencyStats();
    long start = System.nanoTime();
    Future<?>[] each = new Future<?>[sockets];
    for (int s = 0; s < sockets; s++) {
      long share = frames / sockets + (s < frames % sockets ? 1 : 0);
      each[s] = client.connect(new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort())
              .setURI("/ws/produce?topic=" + topic + "&format=binary"))
          .compose(ws -> new Socket(ws, frame, share, args.integer("inflight", 8), stats).run());
    }
    return Future.all(java.util.List.of(each)).map(v -> {
      double secs = (System.nanoTime() - start) / 1e9;
      long sent = frames * perFrame;
      System.out.printf("produce transport=ws sockets=%d acks=all: %d records in %.2f s, %.0f records/s, "
              + "%.1f MB/s of values; frame round trip %s%n", sockets, sent, secs, sent / secs,
          sent * args.integer("record-size", 100) / secs / 1e6, stats.summary());
      return null;
    }).<Void>mapEmpty().andThen(ar -> client.close());
  }

  /** One socket's share of the frames, keeping {@code inflight} unanswered; replies come back in frame order. */
  private static final class Socket {
    private final WebSocket ws;
    private final String frame;
    private final long frames;
    private final int inflight;
    private final LatencyStats stats;
    private final java.util.ArrayDeque<Long> sentAt = new java.util.ArrayDeque<>();
    private final Promise<Void> done = Promise.promise();
    private long sent;
    private long answered;

    Socket(WebSocket ws, String frame, long frames, int inflight, LatencyStats stats) {
      this.ws = ws;
      this.frame = frame;
      this.frames = frames;
      this.inflight = inflight;
      this.stats = stats;
    }

    Future<Void> run() {
      ws.textMessageHandler(this::onReply);
      ws.exceptionHandler(done::tryFail);
      fill();
      return done.future().andThen(ar -> ws.close());
    }

    private void fill() {
      while (sent < frames && sent - answered < inflight) {
        sentAt.addLast(System.nanoTime());
        ws.writeTextMessage(frame);
        sent++;
      }
      if (answered == frames) {
        done.tryComplete();
      }
    }

    private void onReply(String text) {
      stats.record((System.nanoTime() - sentAt.removeFirst()) / 1000);
      JsonArray offsets = new JsonObject(text).getJsonArray("offsets");
      if (offsets == null || offsets.isEmpty() || offsets.getJsonObject(0).getValue("error_code") != null) {
        done.tryFail("the broker refused a frame: " + text);
        return;
      }
      answered++;
      fill();
    }
  }

  private String frame(int count) {
    byte[] value = new byte[args.integer("record-size", 100)];
    new Random(42).nextBytes(value);
    String encoded = Base64.getEncoder().encodeToString(value);
    JsonArray list = new JsonArray();
    for (int i = 0; i < count; i++) {
      list.add(new JsonObject().put("value", encoded));
    }
    return new JsonObject().put("records", list).encode();
  }
}
