package io.sluice.http;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live counts of the streaming sessions open across a front end's HTTP instances, for metrics. Thread-safe.
 *
 * <p>A WebSocket is counted from its upgrade until its socket closes: the connection object is swapped by the
 * upgrade and its close handler never called (see {@link HttpServerVerticle}), so the count follows the Netty
 * channel, which outlives the upgrade. An SSE stream is counted from its headers until its response ends or its
 * connection closes.
 */
final class SessionCounts {
  private final AtomicInteger webSockets = new AtomicInteger();
  private final AtomicInteger sse = new AtomicInteger();

  int webSockets() {
    return webSockets.get();
  }

  int sse() {
    return sse.get();
  }

  /** Counts the WebSocket {@code ws} that {@code ctx}'s request was upgraded to. */
  ServerWebSocket upgraded(RoutingContext ctx, ServerWebSocket ws) {
    HttpConnection connection = ctx.request().connection();
    webSockets.incrementAndGet();
    if (connection instanceof ConnectionBase base) {
      base.channel().closeFuture().addListener(f -> webSockets.decrementAndGet());
    } else {
      ws.closeHandler(v -> webSockets.decrementAndGet());
    }
    return ws;
  }

  /** Counts the event streams answered under {@code path}. */
  void countEventStreams(Router router, String path) {
    router.get(path).handler(ctx -> {
      boolean[] counted = {false};
      ctx.addHeadersEndHandler(v -> {
        String type = ctx.response().headers().get("Content-Type");
        if (type != null && type.startsWith("text/event-stream")) {
          counted[0] = true;
          sse.incrementAndGet();
        }
      });
      ctx.addEndHandler(v -> {
        if (counted[0]) {
          sse.decrementAndGet();
        }
      });
      ctx.next();
    });
  }
}
