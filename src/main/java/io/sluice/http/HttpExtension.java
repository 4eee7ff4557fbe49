package io.sluice.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Routes a broker service adds to the HTTP listener (metrics, the dashboard, Kafka Connect's REST API): the listener
 * mounts them on every HTTP server instance's router, before the API's catch-all error handling, tells them once it
 * serves, and tells them before it stops serving. Broker services hand theirs to the broker's composition root,
 * which gives them to {@link HttpListener}.
 */
public interface HttpExtension {

  /**
   * The name {@code GET /health} and {@code GET /ready} list the extension's start under (STARTING, UP, FAILED);
   * null: not listed.
   */
  default String name() {
    return null;
  }

  /**
   * Mounts the extension's routes; called once per HTTP server instance, on that instance's context. {@code jsonBody}
   * is the API's reader of a JSON object body, to put first on each route that takes one: 413 above
   * {@code http.max.body.bytes} before anything is parsed, and a body too large to parse on the event loop parsed on
   * the HTTP worker pool, which {@link RequestBodies} then hands over.
   */
  void mount(Router router, Handler<RoutingContext> jsonBody);

  /**
   * Called once the listener serves requests; {@code view} stays valid until it stops. The listener does not wait
   * for the returned future (it serves and the broker is ready meanwhile; the extension's routes say it is starting)
   * but waits for it before {@link #frontEndStopping}.
   */
  default Future<Void> frontEndStarted(FrontEndView view) {
    return Future.succeededFuture();
  }

  /** Called before the listener stops serving (work that still needs the API, such as final commits, ends here). */
  default Future<Void> frontEndStopping() {
    return Future.succeededFuture();
  }
}
