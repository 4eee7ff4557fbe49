package io.sluice.broker.replication;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.JsonObject;
import io.sluice.config.ListenerTls;
import io.sluice.config.SslConfig;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;

/**
 * A follower broker's replica links: one TCP connection per leader broker, shared by every partition it follows from
 * that leader, carrying {@link ReplicaFetchCodec} messages in {@link LinkFrameParser} frames, pipelined by
 * correlation id. It replaces the clustered event bus's path for the bytes (its frame parser's copies, its codec's
 * copy, its per-message dispatch); the messages, and so the replication protocol, are the same.
 *
 * <p>A leader's link port is asked once per connection ({@link ClusterAddresses#replicaLink}, a small event-bus
 * request, so the registration in ZooKeeper does not change). A leader that does not answer that address (a broker
 * without links) or whose port refuses is fetched from over the event bus, as before. Any failure of a connection
 * (closed, reset, garbage, or one fetch unanswered within its timeout, which is how a stalled leader shows) closes it
 * and fails every fetch pending on it, so each fetcher's back-off runs; the next fetch connects again.
 *
 * <p><b>Memory</b>: a response read from a link is one direct buffer of netty's pool (see {@link LinkFrameParser}),
 * which the fetcher gives back through {@link #release} once it appended or dropped its records; a response that came
 * over the event bus instead is a heap copy, so every response here is the fetcher's alone.
 *
 * <p><b>Threading</b>: the links' state lives on one event-loop context of their own; each fetch completes on its
 * caller's context.
 */
public final class ReplicaLinks implements ReplicaTransport {
  private static final System.Logger LOG = System.getLogger(ReplicaLinks.class.getName());
  /** A response frame's body at most: far above any fetch's max bytes, low enough to refuse garbage lengths. */
  static final int MAX_FRAME = 256 << 20;

  private final Vertx vertx;
  private final ContextInternal context;
  private final NetClient client;
  private Runnable unfollowTls = () -> { };
  /** Links by leader broker id, connected or connecting; on {@link #context}. */
  private final Map<Integer, Future<Link>> links = new HashMap<>();

  public ReplicaLinks(Vertx vertx) {
    this(vertx, null);
  }

  /**
   * Links over TLS when {@code ssl} says so ({@code security.inter.broker.protocol=SSL}): this broker shows its
   * certificate and trusts only the trust store's CAs; host names are not checked, the CA vouches for the peer.
   */
  public ReplicaLinks(Vertx vertx, SslConfig ssl) {
    this.vertx = vertx;
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    NetClientOptions options = new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(5_000);
    ListenerTls tls = ssl != null && ssl.interBroker() ? ssl.listener(SslConfig.BROKER_LISTENER) : null;
    if (tls != null) {
      clientTls(tls.current(), options);
    }
    this.client = vertx.createNetClient(options);
    if (tls != null) {
      // Built before the broker's components start, the first of which may rotate: none falls in between.
      unfollowTls = tls.follow(next -> client.updateSSLOptions(clientTls(next, new NetClientOptions())
          .getSslOptions(), true));
    }
  }

  private static NetClientOptions clientTls(SslConfig tls, NetClientOptions options) {
    return tls.apply(options).setHostnameVerificationAlgorithm("");
  }

  @Override
  public Future<Buffer> fetch(Vertx ignored, int leaderId, Buffer request, long timeoutMs) {
    Promise<Buffer> answer = ((VertxInternal) vertx).getOrCreateContext().promise();
    context.runOnContext(v -> linkTo(leaderId, timeoutMs).onComplete(
        link -> link.send(request, timeoutMs, answer),
        t -> {
          if (isNoLink(t)) {
            // No link to this leader (an older broker, or its port refuses): the event bus still carries fetches.
            // A copy: the event bus may hand a local reply's buffer to more than one fetcher, and this one releases it.
            EVENT_BUS.fetch(vertx, leaderId, request, timeoutMs).map(Buffer::copy).onComplete(answer);
          } else {
            answer.fail(t);
          }
        }));
    return answer.future();
  }

  /** Whether {@code t} says the leader has no link (rather than not answering at all). */
  private static boolean isNoLink(Throwable t) {
    return t instanceof NoLinkException
        || t instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
  }

  private Future<Link> linkTo(int leaderId, long timeoutMs) {
    Future<Link> existing = links.get(leaderId);
    if (existing != null) {
      return existing;
    }
    Future<Link> connecting = vertx.eventBus().<JsonObject>request(ClusterAddresses.replicaLink(leaderId), null,
            new DeliveryOptions().setSendTimeout(timeoutMs))
        .compose(reply -> client.connect(reply.body().getInteger("port"), reply.body().getString("host"))
            .recover(t -> Future.failedFuture(new NoLinkException("Replica link to broker " + leaderId + " at "
                + reply.body() + " refused: " + t))))
        .map(socket -> new Link(leaderId, socket));
    links.put(leaderId, connecting);
    connecting.onFailure(t -> {
      links.remove(leaderId, connecting);
      LOG.log(Level.DEBUG, "No replica link to broker " + leaderId + ": " + t);
    });
    return connecting;
  }

  @Override
  public void release(Buffer response) {
    LinkFrameParser.release(response);
  }

  /** Closes every link; pending fetches fail. */
  public Future<Void> close() {
    unfollowTls.run();
    return client.close();
  }

  /** The leader cannot be linked to; its fetches go over the event bus. */
  private static final class NoLinkException extends RuntimeException {
    NoLinkException(String message) {
      super(message, null, false, false);
    }
  }

  /** A fetch sent on a link, awaiting its response. */
  private record Pending(Promise<Buffer> answer, long timer) {
  }

  /** One connection to one leader broker; on {@link #context}. */
  private final class Link {
    private final int leaderId;
    private final NetSocket socket;
    private final Map<Long, Pending> pending = new HashMap<>();
    private final LinkFrameParser parser = new LinkFrameParser(MAX_FRAME, this::answered);
    private long nextId;
    private boolean closed;

    Link(int leaderId, NetSocket socket) {
      this.leaderId = leaderId;
      this.socket = socket;
      // netty's own reads, not Vert.x's heap copies of them: the parser copies each body once, into direct memory
      ((NetSocketInternal) socket).messageHandler(msg -> {
        try {
          if (msg instanceof ByteBuf read && !closed) {
            parser.handle(read);
          }
        } catch (RuntimeException e) {
          fail("unreadable: " + e.getMessage());
        } finally {
          ReferenceCountUtil.release(msg);
        }
      });
      socket.closeHandler(v -> fail("closed"));
      socket.exceptionHandler(t -> fail(t.toString()));
    }

    void send(Buffer request, long timeoutMs, Promise<Buffer> answer) {
      if (closed) {
        answer.fail(linkFailure("closed"));
        return;
      }
      long id = nextId++;
      long timer = vertx.setTimer(timeoutMs, t -> fail("no answer within " + timeoutMs + " ms"));
      pending.put(id, new Pending(answer, timer));
      socket.write(LinkFrameParser.header(id, request.length(), request.length()).appendBuffer(request));
    }

    private void answered(long id, Buffer body) {
      Pending p = pending.remove(id);
      if (p == null) {
        release(body); // its fetch timed out and failed: nobody will
        return;
      }
      vertx.cancelTimer(p.timer());
      if (!p.answer().tryComplete(body)) {
        release(body);
      }
    }

    /** Closes the link and fails what is pending on it: a lost or stalled link never holds a fetcher. */
    private void fail(String why) {
      if (closed) {
        return;
      }
      closed = true;
      Future<Link> current = links.get(leaderId);
      if (current != null && current.result() == this) {
        links.remove(leaderId);
      }
      LOG.log(Level.DEBUG, "Replica link to broker " + leaderId + " " + why + "; failing " + pending.size()
          + " pending fetches");
      socket.close();
      parser.close();
      for (Pending p : pending.values()) {
        vertx.cancelTimer(p.timer());
        p.answer().fail(linkFailure(why));
      }
      pending.clear();
    }

    private SluiceException linkFailure(String why) {
      return new SluiceException(ErrorCode.BROKER_NOT_AVAILABLE, "Replica link to broker " + leaderId + " " + why);
    }
  }
}
