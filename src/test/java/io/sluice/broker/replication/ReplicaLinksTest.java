package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The follower's side of replica links against a scripted leader: pipelined fetches answered out of order on one
 * connection, a large answer in many reads, a closed or stalled link failing every pending fetch (and the next fetch
 * connecting again), and the event bus taking over when a leader has no link or its port refuses.
 */
class ReplicaLinksTest {
  private static final int LEADER = 1;

  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  private final Vertx vertx = vertx();
  private final ReplicaLinks links = new ReplicaLinks(vertx);
  /** Frames the scripted leader received, with the connection each came on. */
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger closes = new AtomicInteger();

  private record Received(NetSocket socket, long id, Buffer body) {
  }

  private static Vertx vertx() {
    VertxOptions options = new VertxOptions();
    BlockedThreadGuard.testOptions(options);
    Vertx v = Vertx.vertx(options);
    GUARD.watch(v);
    return v;
  }

  @AfterEach
  void close() throws Exception {
    get(vertx.close());
  }

  /** A leader whose link takes frames into {@link #received}; answers are the test's to write. */
  private void scriptedLeader() throws Exception {
    NetServer server = vertx.createNetServer().connectHandler(socket -> {
      connections.incrementAndGet();
      socket.closeHandler(v -> closes.incrementAndGet());
      socket.handler(new LinkFrameParser(1 << 20, (id, body) -> received.add(new Received(socket, id, body))));
    });
    int port = get(server.listen(0, "127.0.0.1")).actualPort();
    advertise(port);
  }

  private void advertise(int port) throws Exception {
    get(vertx.eventBus().consumer(ClusterAddresses.replicaLink(LEADER),
        msg -> msg.reply(new JsonObject().put("host", "127.0.0.1").put("port", port))).completion());
  }

  private void eventBusLeader() throws Exception {
    get(vertx.eventBus().<Buffer>consumer(ClusterAddresses.replicaFetch(LEADER),
        msg -> msg.reply(Buffer.buffer("bus:").appendBuffer(msg.body()))).completion());
  }

  private static void answer(Received r, Buffer body) {
    r.socket().write(LinkFrameParser.header(r.id(), body.length(), 0));
    r.socket().write(body);
  }

  private Received next() throws InterruptedException {
    Received r = received.poll(10, TimeUnit.SECONDS);
    assertThat(r).as("a frame at the leader").isNotNull();
    return r;
  }

  /** A fetch started on its own context, with the context its answer completed on. */
  private Future<String> fetchFromContext(String request, long timeoutMs, Context caller) {
    Promise<String> out = Promise.promise();
    caller.runOnContext(v -> links.fetch(vertx, LEADER, Buffer.buffer(request), timeoutMs).onComplete(
        body -> out.complete(Vertx.currentContext() == caller ? body.toString() : "wrong context"),
        out::fail));
    return out.future();
  }

  private Future<Buffer> fetch(String request, long timeoutMs) {
    return links.fetch(vertx, LEADER, Buffer.buffer(request), timeoutMs);
  }

  @Test
  void pipelinedFetchesShareOneConnectionAndAreAnsweredByCorrelationId() throws Exception {
    scriptedLeader();
    Context caller = vertx.getOrCreateContext();
    Future<String> first = fetchFromContext("one", 10_000, caller);
    Future<String> second = fetchFromContext("two", 10_000, caller);
    Received a = next();
    Received b = next();
    Received forTwo = a.body().toString().equals("two") ? a : b;
    Received forOne = forTwo == a ? b : a;
    Buffer large = Buffer.buffer(new byte[300_000]).setString(0, "large");
    answer(forTwo, large);
    answer(forOne, Buffer.buffer("answer to one"));
    assertThat(get(first)).isEqualTo("answer to one");
    assertThat(get(second)).hasSize(300_000).startsWith("large");
    assertThat(connections).hasValue(1);
  }

  @Test
  void anAnswerIsOneDirectBufferOfItsOwnUntilTheFetcherReleasesIt() throws Exception {
    scriptedLeader();
    Future<Buffer> fetched = fetch("one", 10_000);
    answer(next(), Buffer.buffer(new byte[300_000]).setString(0, "large")); // arrives in several reads
    Buffer body = get(fetched);
    io.netty.buffer.ByteBuf bytes = ((io.vertx.core.internal.buffer.BufferInternal) body).getByteBuf();
    assertThat(body.toString()).hasSize(300_000).startsWith("large");
    assertThat(bytes.isDirect()).as("direct: the follower's segment write takes it without a copy").isTrue();
    assertThat(bytes.nioBufferCount()).isEqualTo(1);
    assertThat(bytes.refCnt()).isEqualTo(1);
    links.release(body);
    assertThat(bytes.refCnt()).as("back in netty's pool").isZero();
  }

  @Test
  void aClosedLinkFailsEveryPendingFetchAndTheNextFetchConnectsAgain() throws Exception {
    scriptedLeader();
    Future<Buffer> first = fetch("one", 10_000);
    Future<Buffer> second = fetch("two", 10_000);
    Received r = next();
    next();
    r.socket().close();
    assertThatThrownBy(() -> get(first)).hasMessageContaining("closed");
    assertThatThrownBy(() -> get(second)).hasMessageContaining("closed");
    Future<Buffer> third = fetch("three", 10_000);
    Received again = next();
    answer(again, Buffer.buffer("answer"));
    assertThat(get(third).toString()).isEqualTo("answer");
    assertThat(connections).hasValue(2);
  }

  @Test
  void aStalledLinkFailsItsFetchesWithinTheTimeoutAndIsClosed() throws Exception {
    scriptedLeader();
    Future<Buffer> stalled = fetch("one", 200);
    Future<Buffer> alsoPending = fetch("two", 10_000);
    next();
    next();
    assertThatThrownBy(() -> get(stalled)).hasMessageContaining("no answer within 200 ms");
    assertThatThrownBy(() -> get(alsoPending)).hasMessageContaining("no answer within 200 ms");
    Future<Buffer> after = fetch("three", 10_000);
    answer(next(), Buffer.buffer("answer"));
    assertThat(get(after).toString()).isEqualTo("answer");
    assertThat(connections).hasValue(2);
    assertThat(closes.get()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aLeaderWithoutALinkIsFetchedFromOverTheEventBus() throws Exception {
    eventBusLeader();
    assertThat(get(fetch("one", 10_000)).toString()).isEqualTo("bus:one");
  }

  @Test
  void aLinkPortThatRefusesFallsBackToTheEventBus() throws Exception {
    NetServer gone = vertx.createNetServer().connectHandler(NetSocket::close);
    int port = get(gone.listen(0, "127.0.0.1")).actualPort();
    get(gone.close());
    advertise(port);
    eventBusLeader();
    assertThat(List.of(get(fetch("one", 10_000)).toString(), get(fetch("two", 10_000)).toString()))
        .containsExactly("bus:one", "bus:two");
  }

  @Test
  void aLeaderAnsweringNeitherFailsTheFetch() {
    assertThatThrownBy(() -> get(fetch("one", 200))).isInstanceOf(ExecutionException.class);
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
