package io.sluice.http;

import io.netty.channel.Channel;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.VertxWrapper;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetServerImpl;
import io.vertx.core.net.impl.NetServerInternal;
import java.util.function.Predicate;

/**
 * Creates an HTTP server that shows every accepted TCP connection to a predicate before the HTTP layer sees it.
 *
 * <p>Why: Vert.x calls an HTTP server's {@code connectionHandler} only once a connection has sent its first byte
 * (while h2c is enabled it waits to tell HTTP/1.1 from the HTTP/2 preface), so a connection that sends nothing is
 * invisible to it: it cannot be counted, limited per address or closed. The HTTP server is built on a TCP server
 * whose connect handler runs at accept; this wraps that handler. A connection the predicate refuses is closed at
 * once and never reaches the HTTP layer; the predicate may also add handlers to the channel's pipeline.
 *
 * <p>Uses Vert.x internals ({@link VertxWrapper}, {@link HttpServerImpl}, {@link NetServerImpl}) exactly as
 * {@code Vertx.createHttpServer} does, with only the TCP server's connect handler changed. The predicate runs on
 * the connection's event loop.
 */
final class AcceptHook {
  private AcceptHook() {
  }

  static HttpServer createHttpServer(Vertx vertx, HttpServerOptions options, Predicate<Channel> admit) {
    return new HttpServerImpl(new HookedVertx((VertxInternal) vertx, admit), options);
  }

  private static final class HookedVertx extends VertxWrapper {
    private final Predicate<Channel> admit;

    HookedVertx(VertxInternal delegate, Predicate<Channel> admit) {
      super(delegate);
      this.admit = admit;
    }

    @Override
    public NetServerInternal createNetServer(NetServerOptions options) {
      return new NetServerImpl(delegate, options.copy()) {
        @Override
        public synchronized NetServerInternal connectHandler(Handler<NetSocket> handler) {
          return super.connectHandler(handler == null ? null : socket -> {
            Channel channel = ((NetSocketInternal) socket).channelHandlerContext().channel();
            if (admit.test(channel)) {
              handler.handle(socket);
            } else {
              channel.close();
            }
          });
        }
      };
    }
  }
}
