package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The group consumer's retries on a moving coordinator are logged with cause, wait and duration, rate-limited. */
class RetryLogTest {
  private final Logger logger = Logger.getLogger(RetryLogTest.class.getName());
  private final List<String> lines = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      lines.add(r.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  private long now = 1_000;
  private final RetryLog log = new RetryLog(logger, "Consumer of group 'g'", () -> now);

  @BeforeEach
  void capture() {
    logger.setUseParentHandlers(false);
    logger.addHandler(capture);
  }

  @AfterEach
  void release() {
    logger.removeHandler(capture);
  }

  private static SluiceException notCoordinator() {
    return new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker 2 does not coordinate group 'g' now");
  }

  @Test
  void aStreakLogsItsFirstRetryWithCauseAndWaitThenAtMostOneLinePerIntervalThenItsEnd() {
    log.retrying(notCoordinator(), 100);
    now += 100;
    log.retrying(notCoordinator(), 200);
    now += 200;
    log.retrying(new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "member gone"), 400);
    now += RetryLog.INTERVAL_MS;
    log.retrying(notCoordinator(), 1_000);
    now += 700;
    log.succeeded();

    assertThat(lines).containsExactly(
        "Consumer of group 'g': retry 1 in 100 ms, 0 ms into the failures: NOT_COORDINATOR: Broker 2 does not"
            + " coordinate group 'g' now",
        "Consumer of group 'g': retry 4 in 1000 ms, " + (300 + RetryLog.INTERVAL_MS) + " ms into the failures (2"
            + " retries not logged): NOT_COORDINATOR: Broker 2 does not coordinate group 'g' now",
        "Consumer of group 'g': resumed after 4 retries in " + (1_000 + RetryLog.INTERVAL_MS) + " ms");
  }

  @Test
  void aSuccessOutsideAStreakLogsNothingAndTheNextStreakStartsAfresh() {
    log.succeeded();
    log.retrying(notCoordinator(), 100);
    now += 50;
    log.succeeded();
    now += 10;
    log.retrying(notCoordinator(), 100);

    assertThat(lines).hasSize(3);
    assertThat(lines.get(1)).isEqualTo("Consumer of group 'g': resumed after 1 retry in 50 ms");
    assertThat(lines.get(2)).startsWith("Consumer of group 'g': retry 1 in 100 ms, 0 ms into the failures:");
  }
}
