package io.sluice.broker.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Batches;
import io.sluice.api.FetchResult;
import io.sluice.api.RequestContext;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Typed calls between brokers: what crosses the wire, what is refused, and how failures come back. */
class BrokerRpcTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** What a served interface may look like: any methods answering futures. */
  public interface Echo {
    Future<Object> echo(RequestContext caller, Object value);

    Future<Void> fail(ErrorCode code);
  }

  private static Object roundTrip(Object o) {
    RpcCodec codec = new RpcCodec("test");
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, RpcCodec.serialize(new Reply(o)));
    return ((Reply) RpcCodec.deserialize(codec.decodeFromWire(0, wire))).value();
  }

  /** The coordinator's commits are a TreeMap ordered by a lambda: they used to be lost on the way (a timeout). */
  @Test
  void aSortedMapWithALambdaComparatorCrossesInItsOrder() {
    java.util.TreeMap<TopicPartition, Long> sorted = new java.util.TreeMap<>(
        java.util.Comparator.comparing(TopicPartition::topic).thenComparing(TopicPartition::partition));
    sorted.put(new TopicPartition("b", 0), 2L);
    sorted.put(new TopicPartition("a", 1), 1L);
    @SuppressWarnings("unchecked")
    java.util.Map<TopicPartition, Long> back = (java.util.Map<TopicPartition, Long>) roundTrip(sorted);
    assertThat(back).containsExactly(java.util.Map.entry(new TopicPartition("a", 1), 1L),
        java.util.Map.entry(new TopicPartition("b", 0), 2L));
  }

  @Test
  void aReplyThatCannotCrossFailsTheCallAtOnce() throws Exception {
    BrokerRpc rpc = BrokerRpc.on(vertx);
    rpc.serve("test.bad", Echo.class, new Echo() {
      @Override
      public Future<Object> echo(RequestContext caller, Object value) {
        return Future.succeededFuture(new Object());
      }

      @Override
      public Future<Void> fail(ErrorCode code) {
        return Future.succeededFuture();
      }
    }, Future::succeededFuture).await(10, TimeUnit.SECONDS);
    Future<Object> call = rpc.call("test.bad", Echo.class, 60_000, e -> e.echo(RequestContext.SELF, 1));
    assertThatThrownBy(() -> call.await(10, TimeUnit.SECONDS)).hasMessageContaining("Cannot encode");
  }

  @Test
  void contractValuesCrossTheWireWhole() {
    TopicPartition tp = new TopicPartition("t", 3);
    FetchResult fetched = new FetchResult(tp, 10, 2, 7, Batches.wrap(new byte[] {1, 2, 3}));
    FetchResult back = (FetchResult) roundTrip(fetched);
    assertThat(back.tp()).isEqualTo(tp);
    assertThat(back.nextOffset()).isEqualTo(7);
    assertThat(back.batches().readBytes().array()).containsExactly(1, 2, 3);
    assertThat(roundTrip(RequestContext.anonymous("http", "127.0.0.1:1", "c"))).isEqualTo(
        RequestContext.anonymous("http", "127.0.0.1:1", "c"));
    assertThat(roundTrip(OptionalLong.of(5))).isEqualTo(OptionalLong.of(5));
    assertThat(roundTrip(OptionalLong.empty())).isEqualTo(OptionalLong.empty());
    assertThat(((ByteBuffer) roundTrip(ByteBuffer.wrap(new byte[] {9, 8}, 1, 1))).remaining()).isEqualTo(1);
    assertThat(roundTrip(new JsonObject().put("a", List.of(1, 2)))).isEqualTo(new JsonObject().put("a", List.of(1, 2)));
    assertThat(((Subscription) roundTrip(Subscription.ofTopics(List.of("a", "b")))).topics()).containsExactlyInAnyOrder("a", "b");
  }

  /**
   * A forwarded produce's batches (a slice of a larger body) and a fetch's in-memory batches travel beside the object
   * stream, not in it, and arrive whole; small values stay in the stream.
   */
  @Test
  void largeBytesTravelBesideTheObjectStreamAndArriveWhole() {
    byte[] body = new byte[100_016];
    new java.util.Random(7).nextBytes(body);
    ByteBuffer batches = ByteBuffer.wrap(body, 16, 100_000).slice();
    byte[] fetched = java.util.Arrays.copyOf(body, 5_000);
    Invocation produce = new Invocation("produce", new Object[] {new TopicPartition("t", 1), batches,
        new FetchResult(new TopicPartition("t", 1), 1, 0, 1, Batches.wrap(fetched)), batches,
        ByteBuffer.wrap(new byte[] {1, 2, 3})});

    RpcCodec.Wire sent = RpcCodec.serialize(produce);
    assertThat(sent.stream().length).as("the object stream without the blobs").isLessThan(1_024);
    assertThat(sent.blobs()).as("the buffer named twice is sent once").hasSize(2);
    Buffer frame = Buffer.buffer();
    new RpcCodec("test").encodeToWire(frame, sent);
    Object[] args = ((Invocation) RpcCodec.deserialize(new RpcCodec("test").decodeFromWire(0, frame))).args();

    assertThat(bytes((ByteBuffer) args[1])).isEqualTo(java.util.Arrays.copyOfRange(body, 16, 100_016));
    assertThat(((FetchResult) args[2]).batches().readBytes().array()).isEqualTo(fetched);
    assertThat(args[3]).isSameAs(args[1]);
    assertThat(bytes((ByteBuffer) args[4])).containsExactly(1, 2, 3);
    assertThat(batches.position()).as("the sender's buffer is not consumed").isZero();
  }

  /** Delivered within one Vert.x, the receiver gets its own copy of the blobs, never the sender's bytes. */
  @Test
  void aLocalDeliveryDoesNotShareTheSendersBytes() {
    byte[] body = new byte[4_096];
    RpcCodec.Wire sent = RpcCodec.serialize(new Reply(ByteBuffer.wrap(body)));
    ByteBuffer received = (ByteBuffer) ((Reply) RpcCodec.deserialize(new RpcCodec("test").transform(sent))).value();
    body[0] = 42;
    assertThat(received.get(0)).isZero();
  }

  /** A stand-in naming a blob the message does not carry is a decoding failure, not a crash of the handler. */
  @Test
  void aBlobIndexOutsideTheMessageIsRefused() {
    RpcCodec.Wire sent = RpcCodec.serialize(new Reply(new byte[2_048]));
    assertThatThrownBy(() -> RpcCodec.deserialize(new RpcCodec.Wire(sent.stream(), List.of())))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("Cannot decode");
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /** A class outside the contract and the JDK's value types is never built from a message. */
  @Test
  void aClassOutsideTheAllowedOnesIsRefused() throws Exception {
    // Written by hand (the codec's writer would send it too): the reader must refuse it.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(new Reply(new java.util.concurrent.atomic.AtomicLong(1)));
    }
    assertThatThrownBy(() -> RpcCodec.deserialize(new RpcCodec.Wire(bytes.toByteArray(), List.of()))).hasMessageContaining("Refused class java.util.concurrent.atomic.AtomicLong");
  }

  @Test
  void aCallRunsTheServedMethodAndFailuresKeepTheirCode() throws Exception {
    BrokerRpc rpc = BrokerRpc.on(vertx);
    rpc.serve("test.echo", Echo.class, new Echo() {
      @Override
      public Future<Object> echo(RequestContext caller, Object value) {
        return Future.succeededFuture(caller.clientId() + ":" + value);
      }

      @Override
      public Future<Void> fail(ErrorCode code) {
        throw new SluiceException(code, "refused here");
      }
    }, Future::succeededFuture).await(10, TimeUnit.SECONDS);
    RequestContext caller = RequestContext.anonymous("http", "", "me");
    assertThat(rpc.call("test.echo", Echo.class, 5_000, e -> e.echo(caller, 42)).await(10, TimeUnit.SECONDS))
        .isEqualTo("me:42");
    Future<Void> failed = rpc.call("test.echo", Echo.class, 5_000, e -> e.fail(ErrorCode.NOT_COORDINATOR));
    assertThatThrownBy(() -> failed.await(10, TimeUnit.SECONDS))
        .satisfies(t -> assertThat(Forwarding.translate(t, 1, ErrorCode.LEADER_NOT_AVAILABLE))
            .isInstanceOfSatisfying(SluiceException.class,
                se -> assertThat(se.errorCode()).isEqualTo(ErrorCode.NOT_COORDINATOR)));
  }
}
