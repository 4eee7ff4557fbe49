package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.concurrent.EventExecutor;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code num.event.loop.threads}: the broker's Vert.x event-loop pool, issue 16's hand-off experiment. */
class EventLoopThreadsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dir;

  @Test
  void theKeyDefaultsToVertxsOwnChoiceAndRefusesNegativesAndAbsurdSizes() {
    assertThat(BrokerConfig.defaults().numEventLoopThreads()).isZero();
    assertThat(BrokerConfig.of(Map.of("num.event.loop.threads", "2")).numEventLoopThreads()).isEqualTo(2);
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("num.event.loop.threads", -1)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("num.event.loop.threads")
        .hasMessageContaining("between 0 and 1024");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("num.event.loop.threads", 1025)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("num.event.loop.threads");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("num.event.loop.threads", "two")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("num.event.loop.threads")
        .hasMessageContaining("whole number");
  }

  @Test
  void aBrokerRunsTheConfiguredNumberOfEventLoops() throws Exception {
    // 3 is neither Vert.x's default on any machine with an even count of loops nor the test machine's core count
    assertThat(eventLoopsOf(Map.of(BrokerConfig.NUM_EVENT_LOOP_THREADS, 3))).isEqualTo(3);
  }

  @Test
  void withoutTheKeyABrokerKeepsVertxsDefault() throws Exception {
    assertThat(eventLoopsOf(Map.of())).isEqualTo(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);
  }

  private int eventLoopsOf(Map<String, ?> extra) throws Exception {
    Broker broker = TestBrokers.start(TestBrokers.config(dir, extra), GUARD);
    try {
      int loops = 0;
      for (EventExecutor ignored : ((VertxInternal) broker.vertx()).nettyEventLoopGroup()) {
        loops++;
      }
      return loops;
    } finally {
      TestBrokers.close(broker);
    }
  }
}
