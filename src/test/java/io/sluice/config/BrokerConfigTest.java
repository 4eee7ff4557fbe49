package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.storage.LogConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerConfigTest {
  @TempDir
  Path dir;

  @Test
  void defaultsAreKafkasWhereTheConceptIsKafkas() {
    BrokerConfig c = BrokerConfig.defaults();
    assertThat(c.brokerId()).isEqualTo(1);
    assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(c.zookeeperConnect()).isEmpty();
    assertThat(c.numPartitions()).isEqualTo(1);
    assertThat(c.defaultReplicationFactor()).isEqualTo(1);
    assertThat(c.minInsyncReplicas()).isEqualTo(1);
    assertThat(c.autoCreateTopicsEnable()).isTrue();
    assertThat(c.retentionCheckIntervalMs()).isEqualTo(300_000);
    assertThat(c.httpHost()).isEqualTo("0.0.0.0");
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.httpMaxBodyBytes()).isEqualTo(16L << 20);
    assertThat(c.clusterHost()).isEqualTo("127.0.0.1");
    assertThat(c.clusterPort()).isZero();
    assertThat(c.defaultLogConfig()).isEqualTo(LogConfig.DEFAULT);
  }

  @Test
  void fileValuesOverrideDefaultsAndLaterSourcesOverrideTheFile() throws Exception {
    Path file = dir.resolve("sluice.json");
    Files.writeString(file, """
        {"broker.id": 7, "http.port": 9000, "log.retention.ms": 1000, "auto.create.topics.enable": false,
         "zookeeper.connect": "zk1:2181,zk2:2181/sluice"}
        """);

    BrokerConfig c = BrokerConfig.load(file).with(Map.of("http.port", "9001")).with(Map.of("broker.id", "8"));

    assertThat(c.brokerId()).isEqualTo(8);
    assertThat(c.httpPort()).isEqualTo(9001);
    assertThat(c.autoCreateTopicsEnable()).isFalse();
    assertThat(c.zookeeperConnect()).contains("zk1:2181,zk2:2181/sluice");
    assertThat(c.defaultLogConfig().retentionMs()).isEqualTo(1000);
  }

  @Test
  void logDirsWinsOverLogDir() {
    assertThat(BrokerConfig.of(Map.of("log.dir", "/a")).dataDir()).isEqualTo(Path.of("/a"));
    assertThat(BrokerConfig.of(Map.of("log.dir", "/a", "log.dirs", "/b")).dataDir()).isEqualTo(Path.of("/b"));
  }

  @Test
  void brokerLogKeysMapOntoTopicLevelDefaults() {
    BrokerConfig c = BrokerConfig.of(Map.of("log.segment.bytes", "2048", "log.roll.ms", "5000",
        "log.retention.bytes", "1000000", "log.flush.interval.messages", "10", "log.flush.interval.ms", "100",
        "log.index.interval.bytes", "512", "message.max.bytes", "4096", "log.segment.delete.delay.ms", "0"));
    assertThat(c.defaultLogConfig()).isEqualTo(new LogConfig(2048, 5000, 512, 4096, LogConfig.DEFAULT.retentionMs(),
        1_000_000, 10, 100, 0));
  }

  @Test
  void logSegmentMsWinsOverKafkasLogRollMs() {
    assertThat(BrokerConfig.of(Map.of("log.roll.ms", "5000", "log.segment.ms", "6000")).segmentMs())
        .isEqualTo(6000);
  }

  /** Kafka's offsets retention: 7 days, checked every 10 minutes; neither may be zero or negative. */
  @Test
  void offsetsRetentionDefaultsToKafkasAndRefusesNonPositiveValues() {
    io.sluice.group.GroupConfig g = io.sluice.group.GroupConfig.from(BrokerConfig.defaults());
    assertThat(g.offsetsRetentionMs()).isEqualTo(7L * 24 * 3600 * 1000);
    assertThat(g.offsetsRetentionCheckIntervalMs()).isEqualTo(600_000);
    assertThat(io.sluice.group.GroupConfig.from(BrokerConfig.of(Map.of("offsets.retention.minutes",
        Integer.MAX_VALUE))).offsetsRetentionMs()).as("no int overflow").isEqualTo(Integer.MAX_VALUE * 60_000L);
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("offsets.retention.minutes", 0)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("offsets.retention.minutes");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("offsets.retention.check.interval.ms", -5)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("offsets.retention.check.interval.ms");
  }

  @Test
  void theControlledShutdownWaitIsConfigurableAndPositive() {
    assertThat(BrokerConfig.of(Map.of()).getInt(BrokerConfig.CONTROLLED_SHUTDOWN_TIMEOUT_MS)).isEqualTo(5_000);
    BrokerConfig longer = BrokerConfig.of(Map.of("controlled.shutdown.timeout.ms", 15_000));
    assertThat(longer.getInt(BrokerConfig.CONTROLLED_SHUTDOWN_TIMEOUT_MS)).isEqualTo(15_000);
    assertThat(longer.unknownKeys()).isEmpty();
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("controlled.shutdown.timeout.ms", 0)))
        .hasMessageContaining("controlled.shutdown.timeout.ms").hasMessageContaining("at least 1");
  }

  @Test
  void badValuesFailNamingTheKey() {
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("http.port", "eighty")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("http.port").hasMessageContaining("eighty")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("http.port"));
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("http.port", 70000)))
        .hasMessageContaining("http.port").hasMessageContaining("between 0 and 65535");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("num.partitions", 0)))
        .hasMessageContaining("num.partitions").hasMessageContaining("between 1 and 100000");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("auto.create.topics.enable", "yes")))
        .hasMessageContaining("auto.create.topics.enable").hasMessageContaining("true or false");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("log.segment.bytes", 100)))
        .hasMessageContaining("log.segment.bytes").hasMessageContaining("at least 1024");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("broker.id", 1.5)))
        .hasMessageContaining("broker.id").hasMessageContaining("whole number");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("log.dirs", "/a,/b")))
        .hasMessageContaining("log.dirs").hasMessageContaining("exactly one");
  }

  @Test
  void malformedFileFailsNamingTheFile() throws Exception {
    Path file = dir.resolve("broken.json");
    Files.writeString(file, "{\"broker.id\": ");
    assertThatThrownBy(() -> BrokerConfig.load(file)).isInstanceOf(ConfigException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("not a JSON object");
    Files.writeString(file, "{\"broker.id\": {\"nested\": 1}}");
    assertThatThrownBy(() -> BrokerConfig.load(file)).hasMessageContaining("broker.id");
    assertThatThrownBy(() -> BrokerConfig.load(dir.resolve("missing.json"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing.json");
  }

  @Test
  void unknownKeysAreKeptAndReported() {
    BrokerConfig c = BrokerConfig.of(Map.of("htp.port", "1", "broker.id", 2));
    assertThat(c.unknownKeys()).containsExactly("htp.port");
    assertThat(c.rawValue("htp.port")).contains("1");
  }

  @Test
  void shippedConfigFileLoadsAndMatchesTheDefaults() {
    BrokerConfig shipped = BrokerConfig.load(Path.of("conf", "sluice.json"));
    assertThat(shipped.unknownKeys()).isEmpty();
    assertThat(shipped.effectiveValues()).isEqualTo(BrokerConfig.defaults().with(Map.of("log.dirs", "./data"))
        .effectiveValues());
  }

  @Test
  void impossibleCombinationsAreRefusedNamingBothKeys() {
    assertImpossible(Map.of("min.insync.replicas", 2), "min.insync.replicas", "default.replication.factor");
    assertImpossible(Map.of("min.insync.replicas", 3, "default.replication.factor", 3,
        "offsets.topic.replication.factor", 2), "min.insync.replicas", "offsets.topic.replication.factor");
    assertImpossible(Map.of("num.partitions", 11, "max.partitions.per.topic", 10), "num.partitions",
        "max.partitions.per.topic");
    assertImpossible(Map.of("offsets.topic.num.partitions", 20, "max.partitions.per.topic", 10),
        "offsets.topic.num.partitions", "max.partitions.per.topic");
    assertImpossible(Map.of("group.min.session.timeout.ms", 60_000, "group.max.session.timeout.ms", 30_000),
        "group.min.session.timeout.ms", "group.max.session.timeout.ms");
    assertImpossible(Map.of("streams.max.bytes.per.record", 100_000), "streams.max.bytes.per.record",
        "streams.max.value.bytes");
    assertThat(BrokerConfig.of(Map.of("min.insync.replicas", 2, "default.replication.factor", 3))
        .minInsyncReplicas()).isEqualTo(2);
  }

  @Test
  void partitionLimitsAreBoundedSoEveryDirectoryNameFitsIn255Bytes() {
    assertThat(BrokerConfig.defaults().getInt("max.partitions.per.topic")).isEqualTo(1_000);
    assertThat(BrokerConfig.defaults().getInt("max.partitions.per.broker")).isEqualTo(4_000);
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("max.partitions.per.topic", 100_001)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("max.partitions.per.topic");
  }

  @Test
  void theZooKeeperConnectionTimeoutDefaultsToTheSessionTimeout() {
    // a connection timeout above the session timeout makes Curator warn at every start
    assertThat(BrokerConfig.defaults().zookeeperConnectionTimeoutMs()).isEqualTo(6_000);
    assertThat(BrokerConfig.of(Map.of("zookeeper.session.timeout.ms", 4_000)).zookeeperConnectionTimeoutMs())
        .isEqualTo(4_000);
    assertThat(BrokerConfig.of(Map.of("zookeeper.connection.timeout.ms", 2_000)).zookeeperConnectionTimeoutMs())
        .isEqualTo(2_000);
  }

  private static void assertImpossible(Map<String, ?> values, String key, String otherKey) {
    assertThatThrownBy(() -> BrokerConfig.of(values)).isInstanceOf(ConfigException.class)
        .hasMessageContaining(key).hasMessageContaining(otherKey)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }
}
