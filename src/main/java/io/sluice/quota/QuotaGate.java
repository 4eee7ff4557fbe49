package io.sluice.quota;

import io.sluice.api.RequestContext;
import io.sluice.http.Callers;
import io.sluice.http.StreamQuota;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Holds a client over its quota, on every HTTP request before anything else runs (before the body is read or counted
 * against the bodies' memory): the request is recorded against the client's rates and, when it is over one, left
 * paused for the throttle time on a timer, then served. So over quota the broker still answers, later, as Kafka's
 * broker delays its response; the answer says how long it was held in {@value #HEADER} (present whenever a quota
 * applies to the client, 0 when it was not held). A held request holds no event loop and no body beyond what the
 * connection had already read (the rest waits in the client's socket, since the request is paused).
 *
 * <p>What is counted: every request once against {@code request_rate}; a produce's body ({@code POST /topics/{t}},
 * {@code /topics/{t}/partitions/{p}}, {@code .../batches}, {@code /batches}) against {@code producer_byte_rate}, by its
 * Content-Length before it is held (as Kafka counts a produce before it throttles it), or as read once answered
 * when chunked; a fetch's answer ({@code GET .../records} of a partition or a consumer instance, {@code POST /fetch})
 * against {@code consumer_byte_rate} as written, once answered, so a client's next fetch is held for what the last
 * ones took. With no quota configured the gate is one branch.
 *
 * <p>Streams ({@link StreamQuota}): the request that opens a WebSocket or an SSE stream is gated here like any other;
 * from then on each WebSocket produce message counts as a produce request of its bytes, and each records frame or
 * batch of events sent counts as a fetch answer of its bytes, for the stream's principal and client id.
 */
final class QuotaGate implements StreamQuota {
  static final String HEADER = "Sluice-Throttle-Time-Ms";

  private final ClientQuotas quotas;

  QuotaGate(ClientQuotas quotas) {
    this.quotas = quotas;
  }

  /** Before every other route, the bodies' memory included. */
  void mount(Router router) {
    router.route().order(-2).handler(this::gate);
  }

  private void gate(RoutingContext ctx) {
    if (!quotas.active()) {
      ctx.next();
      return;
    }
    RequestContext caller = Callers.of(ctx);
    String user = caller.principal().name();
    String client = caller.clientId();
    HttpServerRequest request = ctx.request();
    long throttle = quotas.record(QuotaType.REQUEST, user, client, 1);
    // The path the router routes by (dot segments removed, unreserved escapes decoded), not the raw one: a produce
    // sent to /topics/./t, //topics/t or /topics/t/ was routed as one but counted as none of its bytes.
    switch (classify(request.method(), ctx.normalizedPath())) {
      case PRODUCE -> {
        long length = contentLength(request);
        if (length >= 0) {
          throttle = Math.max(throttle, quotas.record(QuotaType.PRODUCE, user, client, length));
        } else {
          ctx.addEndHandler(ar -> quotas.record(QuotaType.PRODUCE, user, client, request.bytesRead()));
        }
      }
      case FETCH -> {
        throttle = Math.max(throttle, quotas.record(QuotaType.FETCH, user, client, 0));
        ctx.addEndHandler(ar -> quotas.record(QuotaType.FETCH, user, client, ctx.response().bytesWritten()));
      }
      default -> {
      }
    }
    if (throttle < 0) {
      ctx.next();
      return;
    }
    ctx.response().putHeader(HEADER, Long.toString(throttle));
    if (throttle == 0) {
      ctx.next();
    } else {
      // A body stays unread in the client's socket meanwhile: the body handler resumes the request. A request
      // without one is not paused (nothing would resume it, and the router needs none of it).
      if (hasBody(request)) {
        request.pause();
      }
      ctx.vertx().setTimer(throttle, id -> {
        if (!ctx.response().closed()) {
          ctx.next();
        }
      });
    }
  }

  @Override
  public boolean active() {
    return quotas.active();
  }

  @Override
  public long produced(RequestContext caller, long bytes) {
    return stream(QuotaType.PRODUCE, caller, bytes);
  }

  @Override
  public long consumed(RequestContext caller, long bytes) {
    return stream(QuotaType.FETCH, caller, bytes);
  }

  @Override
  public long requested(RequestContext caller) {
    return quotas.active() ? quotas.record(QuotaType.REQUEST, caller.principal().name(), caller.clientId(), 1) : -1;
  }

  private long stream(QuotaType type, RequestContext caller, long bytes) {
    if (!quotas.active()) {
      return -1;
    }
    String user = caller.principal().name();
    String client = caller.clientId();
    return Math.max(quotas.record(QuotaType.REQUEST, user, client, 1), quotas.record(type, user, client, bytes));
  }

  /** Which byte rate a request counts against, by its method and path ({@code REQUEST}: none, only the request rate). */
  static QuotaType classify(HttpMethod method, String routed) {
    if (routed == null) {
      return QuotaType.REQUEST;
    }
    String path = asRouted(routed);
    if (method == HttpMethod.POST) {
      if (path.equals("/batches")) {
        return QuotaType.PRODUCE;
      }
      if (path.equals("/fetch")) {
        return QuotaType.FETCH;
      }
      return isProducePath(path) ? QuotaType.PRODUCE : QuotaType.REQUEST;
    }
    if (method == HttpMethod.GET && path.endsWith("/records")
        && (path.startsWith("/topics/") || path.startsWith("/consumers/"))) {
      return QuotaType.FETCH;
    }
    return QuotaType.REQUEST;
  }

  /** The path as the routes match it: empty segments ({@code //}) and a trailing slash do not count. */
  private static String asRouted(String path) {
    String p = path.indexOf("//") >= 0 ? path.replaceAll("/{2,}", "/") : path;
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  /** /topics/{t}, /topics/{t}/partitions/{p}, /topics/{t}/partitions/{p}/batches. */
  private static boolean isProducePath(String path) {
    if (!path.startsWith("/topics/")) {
      return false;
    }
    String[] parts = path.substring(1).split("/", -1);
    return switch (parts.length) {
      case 2 -> !parts[1].isEmpty() && !parts[1].contains(":");
      case 4 -> parts[2].equals("partitions");
      case 5 -> parts[2].equals("partitions") && parts[4].equals("batches");
      default -> false;
    };
  }

  private static boolean hasBody(HttpServerRequest request) {
    return contentLength(request) > 0 || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
  }

  private static long contentLength(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length == null) {
      return -1;
    }
    try {
      return Math.max(Long.parseLong(length.trim()), 0);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
