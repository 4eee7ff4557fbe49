package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.errors.ErrorCode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.TimeUnit;

/**
 * Watches one accepted connection and closes it when it is idle too long, too slow with a request head, or its peer
 * takes none of the bytes waiting for it for the idle timeout (see
 * {@link ConnectionLimits} for what "idle" means per protocol); also answers a body whose HTTP framing is broken
 * (a bad chunk size) with a JSON 400 where Vert.x would close the connection without a word.
 *
 * <p>Two Netty handlers share the state: {@link #bytes()}, first in the pipeline from accept on, sees raw bytes
 * (when a head begins, when a WebSocket or HTTP/2 connection last moved anything in); {@link #messages()}, added
 * just before Vert.x's handler once the connection turns out to be HTTP/1.x, sees decoded requests going in and
 * responses and WebSocket frames going out. A periodic check on the channel's event loop compares the state with
 * the deadlines. Everything here runs on that event loop, so the state needs no locks.
 */
final class ConnectionWatch {
  static final AttributeKey<ConnectionWatch> KEY = AttributeKey.valueOf("sluice.connectionWatch");
  private static final String BYTES = "sluice-bytes";
  private static final String MESSAGES = "sluice-messages";

  private enum Mode { HTTP1, WEBSOCKET, HTTP2 }

  private final long idleNanos;
  private final long headNanos;
  private final long acceptedNanos = System.nanoTime();
  /** The connection is over {@link HttpApiConfig#maxConnections()}: its first request gets 503. */
  private final boolean overLimit;
  private Mode mode = Mode.HTTP1;
  private int requestsInFlight;
  private boolean responseStarted;
  private boolean anyHead;
  private long waitingSinceNanos = acceptedNanos;
  /** First byte of a head not yet complete, on a connection with nothing in flight; 0 when none. */
  private long headStartNanos;
  private long lastInboundNanos = acceptedNanos;
  private long lastOutboundNanos = acceptedNanos;
  private boolean pinged;
  /** The first of the bytes waiting for the peer, and how far it was written, when it was last seen to move. */
  private int stallHead;
  private long stallProgress;
  /** When the bytes waiting for the peer were last seen to move; 0 while none wait. */
  private long stallSinceNanos;
  private boolean closing;
  private ScheduledFuture<?> check;
  /** The WebSocket's inbound data held against the body memory; null before the upgrade or without a memory. */
  private WsFrameMeter frames;
  private final BodyMemory bodyMemory;
  private final long wsMaxFrameBytes;
  /** A frame did not fit in the body memory: the socket is being closed, its bytes dropped. */
  private boolean framesRefused;

  ConnectionWatch(ConnectionLimits limits, boolean overLimit, BodyMemory bodyMemory, long wsMaxFrameBytes) {
    this.idleNanos = TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMs());
    this.headNanos = TimeUnit.MILLISECONDS.toNanos(limits.requestHeadTimeoutMs());
    this.overLimit = overLimit;
    this.bodyMemory = bodyMemory;
    this.wsMaxFrameBytes = wsMaxFrameBytes;
  }

  /** Installs the watch on a channel just accepted. */
  static ConnectionWatch install(Channel channel, ConnectionLimits limits, boolean overLimit, BodyMemory bodyMemory,
      long wsMaxFrameBytes) {
    ConnectionWatch watch = new ConnectionWatch(limits, overLimit, bodyMemory, wsMaxFrameBytes);
    channel.attr(KEY).set(watch);
    channel.pipeline().addFirst(BYTES, watch.bytes());
    channel.closeFuture().addListener(f -> {
      if (watch.frames != null) {
        watch.frames.close();
      }
    });
    long periodMs = Math.max(10, Math.min(1_000, Math.min(limits.idleTimeoutMs(), limits.requestHeadTimeoutMs()) / 4));
    channel.eventLoop().execute(() -> {
      watch.check = channel.eventLoop().scheduleAtFixedRate(() -> watch.check(channel), periodMs, periodMs,
          TimeUnit.MILLISECONDS);
      channel.closeFuture().addListener(f -> watch.check.cancel(false));
    });
    return watch;
  }

  static ConnectionWatch of(Channel channel) {
    return channel.attr(KEY).get();
  }

  /** The watch of {@code request}'s connection, or null (a connection not accepted by this server's hook). */
  static ConnectionWatch of(HttpServerRequest request) {
    return request.connection() instanceof ConnectionBase base ? of(base.channel()) : null;
  }

  boolean overLimit() {
    return overLimit;
  }

  /** The WebSocket's meter once upgraded (the message reader holds its fragments through it), else null. */
  WsFrameMeter frames() {
    return frames;
  }

  /**
   * Called once the HTTP layer has taken the connection: watch an HTTP/1.x connection's messages; an HTTP/2 one
   * (prior knowledge, or upgraded from HTTP/1.1 by {@code Upgrade: h2c}, as java.net.http clients do) by its bytes.
   */
  void httpConnected(Channel channel, boolean http1) {
    if (http1 && channel.pipeline().get(MESSAGES) == null) {
      channel.pipeline().addBefore("handler", MESSAGES, messages());
    } else if (!http1) {
      mode = Mode.HTTP2;
    }
  }

  ChannelDuplexHandler bytes() {
    return new ChannelDuplexHandler() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        long now = System.nanoTime();
        lastInboundNanos = now;
        pinged = false;
        if (mode == Mode.HTTP1 && requestsInFlight == 0 && headStartNanos == 0) {
          headStartNanos = now;
        }
        if (frames != null && msg instanceof ByteBuf buf) {
          readFrames(ctx, buf);
        } else {
          super.channelRead(ctx, msg);
        }
      }

      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (mode == Mode.HTTP2) {
          lastOutboundNanos = System.nanoTime();
        }
        super.write(ctx, msg, promise);
      }
    };
  }

  ChannelDuplexHandler messages() {
    return new ChannelDuplexHandler() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) {
          requestsInFlight++;
          anyHead = true;
          headStartNanos = 0;
        }
        // A failed head (also an HttpContent when Netty makes it a FullHttpRequest) is Vert.x's invalid request.
        if (msg instanceof HttpContent content && !(msg instanceof HttpRequest) && content.decoderResult().isFailure()
            && !responseStarted) {
          ReferenceCountUtil.release(msg);
          answerMalformedBody(ctx, content.decoderResult().cause());
          return;
        }
        super.channelRead(ctx, msg);
      }

      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        onOutbound(msg);
        super.write(ctx, msg, promise);
      }
    };
  }

  private void readFrames(ChannelHandlerContext ctx, ByteBuf buf) {
    if (framesRefused) {
      buf.release();
      return;
    }
    if (!frames.onRead(buf)) {
      framesRefused = true;
      buf.release();
      refuseFrames(ctx.channel());
      return;
    }
    ctx.fireChannelRead(buf);
    frames.afterRead();
  }

  /** Close code 1013 (try again later), written below Vert.x's handler as the idle close is. */
  private void refuseFrames(Channel channel) {
    ChannelHandlerContext messages = channel.pipeline().context(MESSAGES);
    closing = true;
    if (messages == null) {
      forceClose(channel);
      return;
    }
    messages.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.TRY_AGAIN_LATER, "The broker holds its"
        + " http.max.inflight.body.bytes of request data in flight; retry")).addListener(f -> forceClose(channel));
  }

  private void onOutbound(Object msg) {
    if (msg instanceof WebSocketFrame) {
      if (!(msg instanceof PingWebSocketFrame)) { // our own keep-alive ping proves nothing about the peer
        lastOutboundNanos = System.nanoTime();
      }
      return;
    }
    if (msg instanceof HttpResponse response) {
      int status = response.status().code();
      if (status == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
        String upgrade = response.headers().get(HttpHeaderNames.UPGRADE, "");
        mode = upgrade.equalsIgnoreCase("websocket") ? Mode.WEBSOCKET : Mode.HTTP2;
        if (mode == Mode.WEBSOCKET && bodyMemory != null) {
          frames = new WsFrameMeter(bodyMemory, wsMaxFrameBytes);
        }
        lastOutboundNanos = System.nanoTime();
        return;
      }
      if (status < 200) {
        return; // 100 Continue: the final response is still to come
      }
      responseStarted = true;
    }
    if (msg instanceof LastHttpContent && mode == Mode.HTTP1 && responseStarted) {
      responseStarted = false;
      if (requestsInFlight > 0 && --requestsInFlight == 0) {
        waitingSinceNanos = System.nanoTime();
        headStartNanos = 0;
      }
    }
  }

  private static void answerMalformedBody(ChannelHandlerContext ctx, Throwable cause) {
    String detail = cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage();
    ErrorResponses.ApiError error = new ErrorResponses.ApiError(ErrorCode.MALFORMED_REQUEST,
        "Malformed HTTP request body framing (chunk size or encoding)" + detail);
    ByteBuf body = Unpooled.wrappedBuffer(error.toJson().toBuffer().getBytes());
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(error.code().httpStatus()), body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, MediaTypes.KAFKA_V2_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private void check(Channel channel) {
    long now = System.nanoTime();
    if (stalled(channel, now)) {
      forceClose(channel);
      return;
    }
    switch (mode) {
      case HTTP1 -> {
        if (requestsInFlight == 0 && now - http1Deadline() >= 0) {
          forceClose(channel);
        }
      }
      case WEBSOCKET -> checkWebSocket(channel, now);
      case HTTP2 -> {
        if (now - Math.max(lastInboundNanos, lastOutboundNanos) >= idleNanos) {
          forceClose(channel);
        }
      }
    }
  }

  /**
   * Whether bytes have waited for the peer for the idle timeout without any of them leaving. Whatever such a
   * connection holds (a fetch's answer, a WebSocket's or an SSE stream's frames: counted against the answers' memory
   * until written) stays held for as long as the peer keeps the socket open, and a request in flight or a peer that
   * keeps sending keeps the idle checks from ever closing it. New writes queue behind the first waiting message, so
   * only that message being written (its progress, or the next one taking its place) counts as movement: a slow
   * reader that takes anything is never cut. Netty's IdleStateHandler watches output the same way, but Vert.x takes
   * any handler of its class in the pipeline for its own.
   */
  private boolean stalled(Channel channel, long now) {
    ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
    if (out == null || out.totalPendingWriteBytes() == 0) {
      stallSinceNanos = 0;
      return false;
    }
    int head = System.identityHashCode(out.current());
    long progress = out.currentProgress();
    if (stallSinceNanos == 0 || head != stallHead || progress != stallProgress) {
      stallHead = head;
      stallProgress = progress;
      stallSinceNanos = now;
      return false;
    }
    return now - stallSinceNanos >= idleNanos;
  }

  /** Closes the socket from the front of the pipeline, past any handler that would delay or refuse a close. */
  private static void forceClose(Channel channel) {
    ChannelHandlerContext front = channel.pipeline().context(BYTES);
    if (front != null) {
      front.close();
    } else {
      channel.close();
    }
  }

  /** With nothing in flight: the first head is due a head timeout after accept, a later one after its first byte. */
  private long http1Deadline() {
    if (!anyHead) {
      return acceptedNanos + headNanos;
    }
    return headStartNanos != 0 ? headStartNanos + headNanos : waitingSinceNanos + idleNanos;
  }

  private void checkWebSocket(Channel channel, long now) {
    long quietNanos = now - Math.max(lastInboundNanos, lastOutboundNanos);
    ChannelHandlerContext messages = channel.pipeline().context(MESSAGES);
    if (closing || messages == null) {
      forceClose(channel); // the close frame had a check period to go out; a peer that does not read gets no more
      return;
    }
    // Written below Vert.x's handler, which would otherwise hold a close for the peer's close frame (10 s).
    if (quietNanos >= idleNanos) {
      closing = true;
      messages.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "idle timeout"))
          .addListener(f -> forceClose(channel));
    } else if (quietNanos >= idleNanos / 2 && !pinged) {
      pinged = true;
      messages.writeAndFlush(new PingWebSocketFrame());
    }
  }
}
