package io.sluice.broker.testing;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/**
 * HTTP clients for tests that call a broker from the test thread. They live on a Vert.x of their own with a single
 * event loop: requests made from a non-Vert.x thread each get a new context, and on a multi-loop Vert.x that puts a
 * request on another loop than its pooled connection, where Vert.x 5.0.7 can lose the end of the response
 * (eclipse-vertx/vert.x#6038, fixed after 5.0.7) and the test waits for its timeout. One loop cannot race itself.
 *
 * <p>The Vert.x is shared by the tests of a JVM and lives as long as the JVM.
 */
public final class TestClients {
  private static final Vertx VERTX = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));

  private TestClients() {
  }

  /** The single-loop Vert.x for test clients. */
  public static Vertx vertx() {
    return VERTX;
  }

  /** A web client whose requests go to 127.0.0.1:{@code port} by default. */
  public static WebClient web(int port) {
    return WebClient.create(VERTX, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }
}
