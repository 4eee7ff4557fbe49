package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.PartitionSections;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client's readers share one {@code POST /fetch} per broker; each partition's section answers its own read. */
class FetcherTest {
  private final Vertx vertx = Vertx.vertx();
  private final BlockingQueue<JsonObject> bodies = new LinkedBlockingQueue<>();
  private HttpServer server;
  private Context context;
  private Fetcher fetcher;
  private URI broker;

  @BeforeEach
  void start() throws Exception {
    // A broker double answering each asked partition with a section: partition 1 refused, the others empty.
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      JsonObject body = b.toJsonObject();
      bodies.add(body);
      Buffer answer = Buffer.buffer();
      for (Object o : body.getJsonArray("partitions")) {
        JsonObject p = (JsonObject) o;
        int partition = p.getInteger("partition");
        short code = partition == 1 ? (short) ErrorCode.NOT_LEADER_OR_FOLLOWER.code() : 0;
        answer.appendBytes(PartitionSections.fetchHeader(p.getString("topic"), partition, code,
            code == 0 ? null : "not the leader", 7, 0, p.getLong("offset") + partition, 0));
      }
      req.response().putHeader("Content-Type", Fetcher.PARTITION_BATCHES).end(answer);
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    context = ((VertxInternal) vertx).createEventLoopContext();
    fetcher = new Fetcher(context, new Transport(vertx, context, 10_000, 4));
    broker = URI.create("http://127.0.0.1:" + server.actualPort());
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private List<Future<Fetcher.Fetched>> inOneTurn(int... partitions) throws Exception {
    io.vertx.core.Promise<List<Future<Fetcher.Fetched>>> asked = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      List<Future<Fetcher.Fetched>> all = new ArrayList<>();
      long wait = 900;
      for (int p : partitions) {
        all.add(fetcher.fetch(broker, "t", p, 10, 1024, wait--));
      }
      asked.complete(all);
    });
    List<Future<Fetcher.Fetched>> all = asked.future().await(10, TimeUnit.SECONDS);
    Future.join(new ArrayList<>(all)).transform(ar -> Future.succeededFuture()).await(10, TimeUnit.SECONDS);
    return all;
  }

  @Test
  void readsAskedInOneTurnShareOneRequestAndEachGetsItsSection() throws Exception {
    List<Future<Fetcher.Fetched>> fetched = inOneTurn(0, 1, 2);

    JsonObject body = bodies.poll(10, TimeUnit.SECONDS);
    assertThat(body.getJsonArray("partitions")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("topic", "t").put("partition", 0).put("offset", 10).put("max_bytes", 1024))
        .add(new JsonObject().put("topic", "t").put("partition", 1).put("offset", 10).put("max_bytes", 1024))
        .add(new JsonObject().put("topic", "t").put("partition", 2).put("offset", 10).put("max_bytes", 1024)));
    assertThat(body.getLong("timeout")).as("the shortest wait asked").isEqualTo(898);
    assertThat(bodies).isEmpty();
    assertThat(fetched.get(0).result().nextOffset()).isEqualTo(10);
    assertThat(fetched.get(2).result().nextOffset()).isEqualTo(12);
    assertThat(fetched.get(2).result().highWatermark()).isEqualTo(7);
    assertThat(fetched.get(1).cause()).isInstanceOf(SluiceException.class)
        .matches(t -> ((SluiceException) t).errorCode() == ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  @Test
  void aPartitionAskedTwiceInOneTurnGoesInTheNextRequest() throws Exception {
    List<Future<Fetcher.Fetched>> fetched = inOneTurn(0, 2, 0);
    assertThat(bodies.poll(10, TimeUnit.SECONDS).getJsonArray("partitions")).hasSize(2);
    assertThat(bodies.poll(10, TimeUnit.SECONDS).getJsonArray("partitions")).hasSize(1);
    assertThat(fetched).allMatch(Future::succeeded);
  }
}
