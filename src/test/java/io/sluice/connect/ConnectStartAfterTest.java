package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.http.FrontEndView;
import io.sluice.http.HttpExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

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
}
