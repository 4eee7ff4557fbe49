package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.http.FrontEndView;
import io.sluice.http.HttpExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.sluice.config.BrokerConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker hands the connect worker its start ({@link ConnectService#httpExtension(Future)}): the worker's plugin scan
 * and clients are not part of being ready, so they wait until the broker has started instead of taking CPU from the
 * start's last steps.
 */
class ConnectStartAfterTest {
  private static final FrontEndView VIEW = new FrontEndView() {
    @Override
    public int port() {
      return 1;
    }

    @Override
    public int openConnections() {
      return 0;
    }

    @Override
    public int webSocketSessions() {
      return 0;
    }

    @Override
    public int sseSessions() {
      return 0;
    }
  };

  @Test
  void theWorkerStartsOnlyOnceTheBrokerHasStarted() {
    Promise<Void> brokerStarted = Promise.promise();
    HttpExtension connect = ConnectService.disabled().httpExtension(brokerStarted.future());
    Future<Void> start = connect.frontEndStarted(VIEW);
    assertThat(start.isComplete()).isFalse();
    brokerStarted.complete();
    assertThat(start.succeeded()).isTrue();
  }

  @Test
  void aBrokerThatStopsBeforeItsStartCompletedNeverStartsTheWorker() {
    Promise<Void> brokerStarted = Promise.promise();
    HttpExtension connect = ConnectService.disabled().httpExtension(brokerStarted.future());
    Future<Void> start = connect.frontEndStarted(VIEW);
    brokerStarted.fail("stopped");
    assertThat(start.failed()).isTrue();
    assertThat(connect.frontEndStopping().succeeded()).isTrue();
  }

  /**
   * Each listener (plain, TLS) reports serving: the second report started a second worker (its own pool, clients,
   * plugin scan and scheduler) over the first. Like the schema registry's, the worker starts once.
   */
  @Test
  void twoListenersReportingServingStartOneWorker(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      ConnectService service = new ConnectService(vertx, null, BrokerConfig.of(Map.of(BrokerConfig.CONNECT_ENABLED,
          true, BrokerConfig.LOG_DIRS, dir.toString())), null);
      Future<Void> plain = service.start(1);
      Future<Void> tls = service.start(2);
      assertThat(tls).isSameAs(plain);
      plain.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
