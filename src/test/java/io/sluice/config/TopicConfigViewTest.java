package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.TopicConfigEntry;
import io.sluice.api.TopicConfigEntry.Synonym;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicConfigViewTest {
  private static TopicConfigEntry entry(List<TopicConfigEntry> entries, String name) {
    return entries.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void eachConfigShowsTheValueInForceAndWhereItComesFrom() {
    BrokerConfig broker = BrokerConfig.of(Map.of(BrokerConfig.LOG_RETENTION_MS, 3_600_000L));
    List<TopicConfigEntry> entries = TopicConfigView.describe(Map.of("segment.bytes", "4096",
        "retention.ms", "60000"), broker);

    assertThat(entries).extracting(TopicConfigEntry::name)
        .containsExactlyElementsOf(TopicConfigs.KEYS.stream().map(ConfigKey::name).toList());
    TopicConfigEntry retention = entry(entries, "retention.ms");
    assertThat(retention.value()).isEqualTo("60000");
    assertThat(retention.source()).isEqualTo(TopicConfigEntry.TOPIC);
    assertThat(retention.isDefault()).isFalse();
    assertThat(retention.synonyms()).containsExactly(
        new Synonym("retention.ms", "60000", TopicConfigEntry.TOPIC),
        new Synonym("log.retention.ms", "3600000", TopicConfigEntry.BROKER),
        new Synonym("log.retention.ms", "604800000", TopicConfigEntry.DEFAULT));

    TopicConfigEntry maxMessage = entry(entries, "max.message.bytes");
    assertThat(maxMessage.value()).isEqualTo("1048588");
    assertThat(maxMessage.source()).isEqualTo(TopicConfigEntry.DEFAULT);
    assertThat(maxMessage.isDefault()).isTrue();
    assertThat(maxMessage.synonyms()).extracting(Synonym::name).containsExactly("message.max.bytes");

    assertThat(entry(entries, "cleanup.policy").value()).isEqualTo("delete");
    assertThat(entry(entries, "index.interval.bytes").readOnly()).isTrue();
    assertThat(entry(entries, "retention.ms").readOnly()).isFalse();
  }

  @Test
  void aBrokerSetValueIsTheStaticBrokerConfig() {
    TopicConfigEntry minIsr = entry(TopicConfigView.describe(Map.of(),
        BrokerConfig.of(Map.of(BrokerConfig.MIN_INSYNC_REPLICAS, 2, BrokerConfig.DEFAULT_REPLICATION_FACTOR, 3))),
        "min.insync.replicas");

    assertThat(minIsr.value()).isEqualTo("2");
    assertThat(minIsr.source()).isEqualTo(TopicConfigEntry.BROKER);
    assertThat(minIsr.isDefault()).isFalse();
  }
}
