package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliOptionsTest {
  @TempDir
  Path dir;

  @Test
  void precedenceIsFileThenFlagsThenSet() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(file, "{\"http.port\": 1000, \"broker.id\": 3, \"num.partitions\": 4, \"log.dirs\": \"/f\"}");

    BrokerConfig c = CliOptions.parse("--config", file.toString(), "--http-port", "2000", "--data-dir", "/d",
        "--set", "http.port=3000", "--set", "num.partitions=5").brokerConfig();

    assertThat(c.httpPort()).isEqualTo(3000);
    assertThat(c.brokerId()).isEqualTo(3);
    assertThat(c.numPartitions()).isEqualTo(5);
    assertThat(c.dataDir()).isEqualTo(Path.of("/d"));
  }

  @Test
  void flagsAcceptTheEqualsForm() {
    CliOptions o = CliOptions.parse("broker", "--broker-id=9", "--zookeeper=zk:2181", "--set=log.retention.ms=5");
    BrokerConfig c = o.brokerConfig();
    assertThat(o.command()).isEqualTo("broker");
    assertThat(c.brokerId()).isEqualTo(9);
    assertThat(c.zookeeperConnect()).contains("zk:2181");
    assertThat(c.defaultLogConfig().retentionMs()).isEqualTo(5);
  }

  @Test
  void badCommandLinesAreUsageErrors() {
    assertThatThrownBy(() -> CliOptions.parse("--http-prot", "1")).isInstanceOf(UsageException.class)
        .hasMessageContaining("--http-prot");
    assertThatThrownBy(() -> CliOptions.parse("--http-port")).hasMessageContaining("needs a value");
    assertThatThrownBy(() -> CliOptions.parse("--http-port", "x")).hasMessageContaining("needs a number");
    assertThatThrownBy(() -> CliOptions.parse("--set", "novalue")).hasMessageContaining("key=value");
    assertThatThrownBy(() -> CliOptions.parse("serve")).hasMessageContaining("Unknown command 'serve'");
  }

  @Test
  void missingConfigFileIsAConfigError() {
    assertThatThrownBy(() -> CliOptions.parse("--config", dir.resolve("nope.json").toString()).brokerConfig())
        .isInstanceOf(ConfigException.class).hasMessageContaining("nope.json");
  }

  @Test
  void mainExitsWithTwoAndAClearMessageOnBadInput() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);

    assertThat(Main.run(new String[] {"--bogus"}, outStream, errStream)).isEqualTo(Main.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown option '--bogus'").contains("--help");

    err.reset();
    assertThat(Main.run(new String[] {"--set", "http.port=-1"}, outStream, errStream)).isEqualTo(Main.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("http.port");
  }

  @Test
  void helpListsOptionsAndKeys() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(code).isEqualTo(Main.EXIT_OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--http-port", "--zookeeper", "--set",
        "log.retention.ms", "zookeeper.connect", "http.max.body.bytes");
    assertThat(out.toString(StandardCharsets.UTF_8)).as("keys without a default").doesNotContain("(default: null)")
        .contains("listener.name.http.ssl.allow.dn.changes");
  }
}
