package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@link Admin#describeTopicConfigs} and {@link Admin#alterTopicConfigs} against a real broker. */
class AdminTopicConfigsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  static Path dataDir;
  private static BrokerWithClient broker;

  @BeforeAll
  static void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false));
  }

  @AfterAll
  static void stop() throws Exception {
    broker.close();
  }

  private static TopicConfig named(List<TopicConfig> configs, String name) {
    return configs.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void configsAreDescribedAlteredAndValidatedWithoutWriting() {
    Admin admin = broker.client().admin();
    admin.createTopic("cfg", 1, 1, Map.of("retention.ms", "60000")).await().atMost(WAIT);

    List<TopicConfig> before = admin.describeTopicConfigs("cfg").await().atMost(WAIT);
    assertThat(named(before, "retention.ms").isTopicOverride()).isTrue();
    assertThat(named(before, "segment.bytes").isDefault()).isTrue();

    List<TopicConfig> dry = admin.alterTopicConfigs("cfg", List.of(ConfigChange.set("segment.bytes", "2048")), true)
        .await().atMost(WAIT);
    assertThat(named(dry, "segment.bytes").value()).isEqualTo("2048");
    assertThat(admin.describeTopic("cfg").await().atMost(WAIT).configs()).doesNotContainKey("segment.bytes");

    List<TopicConfig> after = admin.alterTopicConfigs("cfg", List.of(ConfigChange.set("segment.bytes", "2048"),
        ConfigChange.delete("retention.ms"))).await().atMost(WAIT);
    assertThat(named(after, "segment.bytes").isTopicOverride()).isTrue();
    assertThat(named(after, "retention.ms").source()).isEqualTo("DEFAULT_CONFIG");
    assertThat(named(after, "retention.ms").synonyms()).extracting(TopicConfig.Synonym::name)
        .containsExactly("log.retention.ms");
    assertThat(admin.describeTopic("cfg").await().atMost(WAIT).configs())
        .isEqualTo(Map.of("segment.bytes", "2048"));

    Throwable refused = catchThrowable(() -> admin.alterTopicConfigs("cfg",
        List.of(ConfigChange.set("retention.mss", "1"))).await().atMost(WAIT));
    assertThat(refused).isInstanceOfSatisfying(SluiceException.class,
        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_CONFIG)).hasMessageContaining("retention.mss");
  }
}
