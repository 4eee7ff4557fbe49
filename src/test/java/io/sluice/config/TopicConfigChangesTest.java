package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigAlteration;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicConfigChangesTest {
  private static Map<String, String> apply(Map<String, String> current, ConfigAlteration... changes) {
    return TopicConfigChanges.apply(current, List.of(changes), LogConfig.DEFAULT, 1, 3);
  }

  private static void assertRefused(Runnable call, String... messageParts) {
    assertThatThrownBy(call::run).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .satisfies(e -> assertThat(e.getMessage()).contains(messageParts));
  }

  @Test
  void setOverridesAndDeleteGoesBackToTheDefaultInOneBatch() {
    Map<String, String> next = apply(Map.of("retention.ms", "1000", "segment.bytes", "4096"),
        ConfigAlteration.set("retention.bytes", " 5000 "), ConfigAlteration.delete("retention.ms"),
        ConfigAlteration.delete("flush.ms"));

    assertThat(next).containsExactly(Map.entry("retention.bytes", "5000"), Map.entry("segment.bytes", "4096"));
  }

  @Test
  void oneBadChangeRefusesTheWholeBatchNamingIt() {
    assertRefused(() -> apply(Map.of(), ConfigAlteration.set("retention.ms", "1"),
        ConfigAlteration.set("retention.mss", "1")), "retention.mss", "known keys");
    assertRefused(() -> apply(Map.of(), ConfigAlteration.set("segment.bytes", "12")), "segment.bytes");
    assertRefused(() -> apply(Map.of(), ConfigAlteration.set("cleanup.policy", "forever")), "cleanup.policy");
    assertRefused(() -> apply(Map.of(), ConfigAlteration.set("retention.ms", "1"),
        ConfigAlteration.delete("retention.ms")), "retention.ms", "more than once");
    assertRefused(() -> TopicConfigChanges.apply(Map.of(), List.of(), LogConfig.DEFAULT, 1, 3), "No config");
  }

  @Test
  void configsALiveTopicCannotTakeAreRefusedNamingWhy() {
    assertRefused(() -> apply(Map.of(), ConfigAlteration.set("index.interval.bytes", "8192")),
        "index.interval.bytes", "cannot be changed on an existing topic");
    assertRefused(() -> apply(Map.of("cleanup.policy", "compact"), ConfigAlteration.set("cleanup.policy", "delete")),
        "cleanup.policy", "compacted");
    assertRefused(() -> apply(Map.of("cleanup.policy", "compact"), ConfigAlteration.delete("cleanup.policy")),
        "cleanup.policy");
    assertThat(apply(Map.of("cleanup.policy", "compact"), ConfigAlteration.set("cleanup.policy", "compact,delete")))
        .containsEntry("cleanup.policy", "compact,delete");
    assertThat(apply(Map.of(), ConfigAlteration.set("cleanup.policy", "compact")))
        .containsEntry("cleanup.policy", "compact");
  }

  @Test
  void minInsyncReplicasMayRiseToTheReplicationFactorOnly() {
    assertThat(apply(Map.of(), ConfigAlteration.set("min.insync.replicas", "3")))
        .containsEntry("min.insync.replicas", "3");
    assertRefused(() -> apply(Map.of(), ConfigAlteration.set("min.insync.replicas", "4")), "min.insync.replicas",
        "replication factor 3");
  }
}
