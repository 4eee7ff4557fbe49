package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The start's phase log (issue 16): with the {@code io.sluice.broker.StartSteps} logger at FINE a start logs, per
 * step, the wall time, the process's CPU and the classes loaded from the JVM's launch, and what ran beside the steps
 * with its thread's CPU; at the default level it counts and logs nothing beyond the "started in" line.
 */
class StartStepsTest {
  private final Logger logger = Logger.getLogger(StartSteps.class.getName());
  private final List<String> logged = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      logged.add(r.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  private final Level before = logger.getLevel();

  @AfterEach
  void restore() {
    logger.removeHandler(capture);
    logger.setLevel(before);
  }

  @Test
  void atFineEachPhaseIsCountedFromTheJvmsLaunch() {
    logger.setLevel(Level.FINE);
    logger.addHandler(capture);
    StartSteps steps = new StartSteps();
    steps.time("zookeeper port", Future.succeededFuture());
    String loaded = steps.beside("log store open", () -> new Object() { }.getClass().getName());
    steps.mark("zookeeper session");
    steps.time("listeners", Future.succeededFuture());
    steps.logCounts(7);

    assertThat(loaded).contains("StartStepsTest");
    assertThat(steps.toString()).matches("\\d+ ms \\(zookeeper port \\d+, listeners \\d+\\)");
    assertThat(logged).singleElement().satisfies(line -> assertThat(line)
        .startsWith("Broker 7 start phases: at the end ")
        .containsPattern("jvm and main: wall \\d+ ms, cpu \\d+ ms, classes [1-9]\\d*")
        .containsPattern("zookeeper port: wall \\d+ ms, cpu \\d+ ms, classes \\d+")
        .containsPattern("listeners: wall \\d+ ms, cpu \\d+ ms, classes [1-9]\\d*") // the anonymous class above
        .containsPattern("log store open: \\d+-\\d+ ms of the boot, its thread's cpu \\d+ ms")
        .containsPattern("zookeeper session: at \\d+ ms of the boot"));
  }

  @Test
  void atTheDefaultLevelNothingIsCountedOrLogged() {
    logger.setLevel(Level.INFO);
    logger.addHandler(capture);
    StartSteps steps = new StartSteps();
    steps.time("zookeeper port", Future.succeededFuture());
    steps.beside("log store open", () -> null);
    steps.mark("zookeeper session");
    steps.logCounts(7);

    assertThat(logged).isEmpty();
    assertThat(steps.toString()).matches("\\d+ ms \\(zookeeper port \\d+\\)");
  }
}
