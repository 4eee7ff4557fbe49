package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicConfigsTest {

  private static void assertInvalid(Map<String, String> configs, String... messageParts) {
    assertThatThrownBy(() -> TopicConfigs.validate(configs, LogConfig.DEFAULT))
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST))
        .hasMessageContainingAll(messageParts);
  }

  @Test
  void validOverridesAreNormalised() {
    assertThat(TopicConfigs.validate(Map.of("retention.ms", " 1000 ", "segment.bytes", "4096"), LogConfig.DEFAULT))
        .containsExactly(Map.entry("retention.ms", "1000"), Map.entry("segment.bytes", "4096"));
  }

  @Test
  void unknownKeysAndBadValuesAreRefusedNamingTheKey() {
    assertInvalid(Map.of("retention.hours", "1"), "retention.hours");
    assertInvalid(Map.of("retention.ms", "forever"), "retention.ms", "forever");
    assertInvalid(Map.of("retention.ms", "-2"), "retention.ms", "at least -1");
    assertInvalid(Map.of("segment.bytes", "10"), "segment.bytes");
    assertInvalid(Map.of("min.insync.replicas", "0"), "min.insync.replicas");
    assertInvalid(Map.of("cleanup.policy", "shred"), "cleanup.policy", "shred");
    assertInvalid(Map.of("compression.type", "none"), "compression.type", "[producer, uncompressed, gzip");
    assertInvalid(Map.of("message.timestamp.type", "createtime"), "message.timestamp.type", "'CreateTime'");
    assertInvalid(Map.of("message.timestamp.before.max.ms", "-1"), "message.timestamp.before.max.ms");
    assertInvalid(Map.of("max.compaction.lag.ms", "0"), "max.compaction.lag.ms");
    assertInvalid(Map.of("min.compaction.lag.ms", "5000", "max.compaction.lag.ms", "4000"), "min.compaction.lag.ms",
        "at most max.compaction.lag.ms (4000)");
  }

  @Test
  void anIntValuePastItsTypeNamesTheUpperBound() {
    assertInvalid(Map.of("max.message.bytes", "999999999999"), "max.message.bytes", "between 1 and 2147483647");
  }

  @Test
  void compactPolicyTurnsOnCompactionAndOffAgeAndSizeRetention() {
    Map<String, String> topic = TopicConfigs.validate(Map.of("cleanup.policy", "compact",
        "delete.retention.ms", "5000"), LogConfig.DEFAULT);
    LogConfig c = TopicConfigs.logConfig(LogConfig.DEFAULT, topic);
    assertThat(c.compact()).isTrue();
    assertThat(c.deleteRetentionMs()).isEqualTo(5000);
    assertThat(c.retentionMs()).isEqualTo(-1);
    LogConfig both = TopicConfigs.logConfig(LogConfig.DEFAULT, Map.of("cleanup.policy", "compact,delete"));
    assertThat(both.compact()).isTrue();
    assertThat(both.retentionMs()).isEqualTo(LogConfig.DEFAULT.retentionMs());
    assertThat(TopicConfigs.logConfig(LogConfig.DEFAULT, Map.of()).compact()).isFalse();
  }

  @Test
  void logConfigIsTheBrokerDefaultsWithTheTopicsOverrides() {
    Map<String, String> topic = Map.of("retention.bytes", "1000", "max.message.bytes", "2048",
        "min.insync.replicas", "2", "cleanup.policy", "delete");
    LogConfig c = TopicConfigs.logConfig(LogConfig.DEFAULT, topic);
    assertThat(c.retentionBytes()).isEqualTo(1000);
    assertThat(c.maxMessageBytes()).isEqualTo(2048);
    assertThat(c.segmentBytes()).isEqualTo(LogConfig.DEFAULT.segmentBytes());
    assertThat(TopicConfigs.minInsyncReplicas(topic, 1)).isEqualTo(2);
    assertThat(TopicConfigs.minInsyncReplicas(Map.of(), 3)).isEqualTo(3);
  }

  @Test
  void uncleanLeaderElectionIsATopicOverrideOfTheBrokerDefault() {
    Map<String, String> topic = TopicConfigs.validate(Map.of("unclean.leader.election.enable", "true"),
        LogConfig.DEFAULT);
    assertThat(TopicConfigs.uncleanLeaderElection(topic, false)).isTrue();
    assertThat(TopicConfigs.uncleanLeaderElection(Map.of(), true)).isTrue();
    assertThat(TopicConfigs.uncleanLeaderElection(Map.of(), false)).isFalse();
    assertThat(TopicConfigs.logConfig(LogConfig.DEFAULT, topic)).isEqualTo(LogConfig.DEFAULT);
    assertInvalid(Map.of("unclean.leader.election.enable", "maybe"), "unclean.leader.election.enable");
  }
}
