package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Services;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP listener serves, and reports ready, while an extension is still starting (the connect worker's plugin
 * scan took seconds of every broker start); readiness lists it as STARTING until its start is over, and the
 * listener stops it only after that.
 */
class ExtensionStartsTest {
  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** An extension whose start completes when the test says so, remembering when it was told to stop. */
  private static final class SlowExtension implements HttpExtension {
    final Promise<Void> start = Promise.promise();
    final AtomicBoolean stopping = new AtomicBoolean();
    volatile boolean startDoneWhenStopping;

    @Override
    public String name() {
      return "slow";
    }

    @Override
    public void mount(Router router, io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> jsonBody) {
    }

    @Override
    public Future<Void> frontEndStarted(FrontEndView view) {
      return start.future();
    }

    @Override
    public Future<Void> frontEndStopping() {
      startDoneWhenStopping = start.future().isComplete();
      stopping.set(true);
      return Future.succeededFuture();
    }
  }

  private int port;

  private HttpListener listener(SlowExtension slow) throws Exception {
    BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.HTTP_HOST, "127.0.0.1", BrokerConfig.HTTP_PORT, 0,
        BrokerConfig.HTTP_INSTANCES, 1, BrokerConfig.LOG_DIRS, dir.toString()));
    HttpListener listener = new HttpListener(config);
    InMemoryBroker broker = new InMemoryBroker(vertx, null);
    port = listener.start(vertx, new Services(broker, null, null, () -> true, List.of(slow)))
        .await(10, TimeUnit.SECONDS).port();
    return listener;
  }

  private JsonObject get(WebClient client, String path, int status) throws Exception {
    var r = client.get(path).send().await(10, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(path + ": " + r.bodyAsString()).isEqualTo(status);
    return r.bodyAsJsonObject();
  }

  @Test
  void servesAndIsReadyWhileAnExtensionStartsAndSaysSo() throws Exception {
    SlowExtension slow = new SlowExtension();
    HttpListener listener = listener(slow);
    WebClient client = io.sluice.broker.testing.TestClients.web(port);
    assertThat(get(client, "/ready", 200).getJsonObject("services").getString("slow")).isEqualTo("STARTING");
    assertThat(get(client, "/health", 200).getJsonObject("services").getString("slow")).isEqualTo("STARTING");

    slow.start.complete();
    assertThat(get(client, "/ready", 200).getJsonObject("services").getString("slow")).isEqualTo("UP");
    listener.stop().await(10, TimeUnit.SECONDS);
    assertThat(slow.stopping).isTrue();
  }

  @Test
  void aFailedStartIsReportedAndTheBrokerStaysReady() throws Exception {
    SlowExtension slow = new SlowExtension();
    HttpListener listener = listener(slow);
    WebClient client = io.sluice.broker.testing.TestClients.web(port);
    slow.start.fail("no plugins today");
    assertThat(get(client, "/ready", 200).getJsonObject("services").getString("slow")).isEqualTo("FAILED");
    listener.stop().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anExtensionStillStartingIsStoppedOnlyOnceItsStartIsOver() throws Exception {
    SlowExtension slow = new SlowExtension();
    HttpListener listener = listener(slow);
    Future<Void> stopped = listener.stop();
    assertThat(stopped.isComplete()).isFalse();
    assertThat(slow.stopping).isFalse();
    slow.start.complete();
    stopped.await(10, TimeUnit.SECONDS);
    assertThat(slow.stopping).isTrue();
    assertThat(slow.startDoneWhenStopping).isTrue();
  }
}
