package io.sluice.broker.cluster;

import io.sluice.broker.partition.PartitionManager;
import io.sluice.broker.partition.PartitionVerticle;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaFetchStats;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.sluice.config.ListenerTls;
import io.sluice.config.SslConfig;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.sluice.broker.replication.LinkFrameParser;
import java.util.function.Function;

/**
 * The leader side of replication: answers followers' fetches by handing each to the partition's verticle. Two
 * transports carry the same messages: the event-bus consumer on {@code sluice.broker.<id>.replica.fetch}, and the
 * replica link, a TCP server on the cluster host (port chosen at start, told on
 * {@code sluice.broker.<id>.replica.link}) taking {@link LinkFrameParser} frames pipelined by correlation id (see
 * {@link io.sluice.broker.replication.ReplicaLinks}, the follower's side). A link's response is written once, as a
 * direct frame netty writes as it is (see {@link #frame}). Errors are answered as
 * {@link ReplicaFetchResponse#error} (never as transport failures), so the follower can tell a stale epoch from a
 * broken link. How many fetches are in flight is bounded by the followers (one per partition each).
 */
public final class ReplicationServer {
  /** A request frame's body at most: requests are a topic name and a few numbers. */
  private static final int MAX_REQUEST = 64 << 10;

  private final Vertx vertx;
  private final int brokerId;
  private final String linkHost;
  private final Function<TopicPartition, Future<PartitionVerticle>> replicas;
  private final ReplicaFetchStats stats = new ReplicaFetchStats();
  private MessageConsumer<Buffer> consumer;
  private MessageConsumer<Object> linkAddress;
  private NetServer linkServer;
  private SslConfig ssl;
  private Runnable unfollowTls = () -> { };

  public ReplicationServer(Vertx vertx, int brokerId, String linkHost, PartitionManager partitions) {
    this(vertx, brokerId, linkHost, partitions::replica);
  }

  /** A server whose link takes only TLS from brokers with a certificate the trust store vouches for, when so set. */
  public ReplicationServer(Vertx vertx, int brokerId, String linkHost, PartitionManager partitions, SslConfig ssl) {
    this(vertx, brokerId, linkHost, partitions::replica);
    this.ssl = ssl != null && ssl.interBroker() ? ssl : null;
  }

  /** A server on loopback answering for the replicas {@code replicas} finds (tests host replicas without a manager). */
  public ReplicationServer(Vertx vertx, int brokerId, Function<TopicPartition, Future<PartitionVerticle>> replicas) {
    this(vertx, brokerId, "127.0.0.1", replicas);
  }

  /** A server answering for the replicas {@code replicas} finds. */
  public ReplicationServer(Vertx vertx, int brokerId, String linkHost,
      Function<TopicPartition, Future<PartitionVerticle>> replicas) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.linkHost = linkHost;
    this.replicas = replicas;
  }

  /** Registers the consumers and opens the link's port; completes once the registrations reached the cluster. */
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(ClusterAddresses.replicaFetch(brokerId),
        msg -> answer(msg.body()).onSuccess(r -> reply(msg, r)));
    NetServerOptions options = new NetServerOptions().setHost(linkHost).setPort(0).setTcpNoDelay(true);
    if (ssl != null) {
      ListenerTls tls = ssl.listener(SslConfig.BROKER_LISTENER);
      unfollowTls = tls.follow(next -> linkServer.updateSSLOptions(serverTls(next, new NetServerOptions())
          .getSslOptions(), true));
      serverTls(tls.current(), options);
    }
    linkServer = vertx.createNetServer(options).connectHandler(this::serveLink);
    return consumer.completion().compose(v -> linkServer.listen()).compose(server -> {
      JsonObject where = new JsonObject().put("host", linkHost).put("port", server.actualPort());
      linkAddress = vertx.eventBus().consumer(ClusterAddresses.replicaLink(brokerId), msg -> msg.reply(where));
      return linkAddress.completion();
    });
  }

  /** Only brokers whose certificate the trust store vouches for. */
  private static NetServerOptions serverTls(SslConfig tls, NetServerOptions options) {
    return tls.apply(options).setClientAuth(ClientAuth.REQUIRED);
  }

  /** The fetch's answer; never fails (failures are answered as error responses). */
  private Future<ReplicaFetchResponse> answer(Buffer body) {
    ReplicaFetchRequest request;
    try {
      request = ReplicaFetchCodec.decodeRequest(body);
    } catch (RuntimeException e) {
      return Future.succeededFuture(ReplicaFetchResponse.error(ErrorCode.INVALID_REQUEST, e.toString()));
    }
    return replicas.apply(request.tp()).compose(pv -> pv.replicaFetch(request)).recover(t -> Future.succeededFuture(
        ReplicaFetchResponse.error(t instanceof SluiceException se ? se.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR,
            String.valueOf(t.getMessage()))));
  }

  private void reply(Message<Buffer> msg, ReplicaFetchResponse response) {
    stats.answered(response.records().length());
    Buffer encoded;
    try {
      encoded = ReplicaFetchCodec.encode(response); // a copy
    } finally {
      response.releaseRecords();
    }
    msg.reply(encoded);
  }

  /** One follower broker's link: its frames are answered in any order, each under its correlation id. */
  private void serveLink(NetSocket socket) {
    Context connection = vertx.getOrCreateContext();
    LinkFrameParser parser = new LinkFrameParser(MAX_REQUEST, (id, body) -> {
      Future<ReplicaFetchResponse> answered;
      try {
        answered = answer(body); // decodes the request at once: its body is done with after this
      } finally {
        LinkFrameParser.release(body);
      }
      answered.onSuccess(r -> connection.runOnContext(v -> write(socket, id, r)));
    });
    socket.handler(chunk -> {
      try {
        parser.handle(chunk);
      } catch (RuntimeException e) {
        socket.close();
      }
    });
    socket.closeHandler(v -> parser.close());
    socket.exceptionHandler(t -> socket.close());
  }

  /** On the connection's context, as the link's frames are written in one order. */
  private void write(NetSocket socket, long id, ReplicaFetchResponse response) {
    stats.answered(response.records().length());
    NetSocketInternal link = (NetSocketInternal) socket;
    writeFrame(link, frame(link.channelHandlerContext().alloc(), id, response));
  }

  /**
   * Hands {@code frame} to netty, which releases it once written or when its write fails; Vert.x fails a write on a
   * connection that closed without handing it on, and then the frame (holding a woken append's records, shared with
   * other followers' frames) is released here. On the connection's context.
   */
  static void writeFrame(NetSocketInternal link, ByteBuf frame) {
    link.writeMessage(frame).onFailure(t -> {
      if (frame.refCnt() > 0) {
        frame.release();
      }
    });
  }

  /**
   * A response's whole frame, direct, for netty to write as it is (one write, one flush, one system call) and release
   * once written; it takes the response's records (see {@link ReplicaFetchResponse#records}). Records in direct memory
   * (a woken fetch's, one copy shared by the followers the append woke) go in as they are, behind a header of their
   * own: a composite of two direct buffers, which netty writes with one gathering {@code writev}. Heap records (a read
   * of the log) are copied into the frame once, as netty would copy them anyway; a heap frame would cost a second
   * copy, and a composite with a heap part a gather into a fresh, zeroed array first (async-profiler, thirteenth
   * session: 1 in 20 of a leader's event-loop samples at RF 3).
   */
  static ByteBuf frame(ByteBufAllocator alloc, long id, ReplicaFetchResponse response) {
    ByteBuf records = response.recordsBuf();
    ByteBuf head = ((BufferInternal) ReplicaFetchCodec.encodeHeader(response, LinkFrameParser.header(id, 0, 64)))
        .getByteBuf();
    int headLength = head.readableBytes();
    int recordsLength = records.readableBytes();
    boolean shared = recordsLength > 0 && records.isDirect(); // netty's empty buffer calls itself direct
    ByteBuf frame = alloc.directBuffer(headLength + (shared ? 0 : recordsLength));
    frame.writeBytes(head, head.readerIndex(), headLength)
        .setInt(0, headLength - LinkFrameParser.HEADER + recordsLength);
    if (shared) {
      return alloc.compositeDirectBuffer(2).addComponents(true, frame, records);
    }
    try {
      return frame.writeBytes(records, records.readerIndex(), recordsLength);
    } finally {
      records.release();
    }
  }

  /** The counts of fetches answered here, for the metrics. */
  public ReplicaFetchStats stats() {
    return stats;
  }

  public Future<Void> stop() {
    unfollowTls.run();
    return Future.join(linkAddress == null ? Future.succeededFuture() : linkAddress.unregister(),
        linkServer == null ? Future.succeededFuture() : linkServer.close(),
        consumer == null ? Future.succeededFuture() : consumer.unregister()).mapEmpty();
  }
}
