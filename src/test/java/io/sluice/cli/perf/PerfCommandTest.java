package io.sluice.cli.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import io.sluice.http.HttpListener;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code perf produce|consume|e2e} against a real broker end with the line shapes of Kafka's perf tools (issue 6),
 * whatever the default locale, and bad command lines exit 2 with the usage.
 */
class PerfCommandTest {
  private static final String NUM = "\\d+(\\.\\d+)?";
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static Broker broker;
  static String bootstrap;
  static Locale savedLocale;

  @BeforeAll
  static void start() throws Exception {
    broker = Broker.builder(TestBrokers.config(dataDir, Map.of())).listener(HttpListener::new)
        .vertxOptions(BlockedThreadGuard::testOptions).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    bootstrap = "http://127.0.0.1:" + broker.httpPort();
    savedLocale = Locale.getDefault();
    // A locale with a decimal comma: the lines must still read as Kafka's do.
    Locale.setDefault(Locale.GERMANY);
  }

  @AfterAll
  static void stop() throws Exception {
    Locale.setDefault(savedLocale);
    TestBrokers.close(broker);
  }

  private record Run(int exit, List<String> out, String err) {
    String last() {
      return out.isEmpty() ? "" : out.get(out.size() - 1);
    }
  }

  private static Run perf(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PerfCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8).lines().toList(), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void produceThenConsumeEndWithKafkasSummaryLines() {
    Run produce = perf("produce", "--bootstrap", bootstrap, "--topic", "perf-t", "--records", "3000",
        "--record-size", "100", "--acks", "1", "--throughput", "-1", "--batch-size", "16384", "--linger-ms", "1");
    assertThat(produce.exit()).as(produce.err()).isZero();
    assertThat(produce.last()).matches("3000 records sent, " + NUM + " records/sec \\(" + NUM + " MB/sec\\), "
        + NUM + " ms avg latency, " + NUM + " ms max latency, \\d+ ms 50th, \\d+ ms 95th, \\d+ ms 99th, "
        + "\\d+ ms 99\\.9th\\.");

    Run consume = perf("consume", "--bootstrap", bootstrap, "--topic", "perf-t", "--records", "3000");
    assertThat(consume.exit()).as(consume.err()).isZero();
    assertThat(consume.last()).matches("3000 records consumed, " + NUM + " records/sec \\(" + NUM
        + " MB/sec\\), first record after \\d+ ms");

    Run shared = perf("consume", "--bootstrap", bootstrap, "--topic", "perf-t", "--records", "3000",
        "--share-group", "perf-s");
    assertThat(shared.exit()).as(shared.err()).isZero();
    assertThat(shared.last()).matches("3000 records consumed, " + NUM + " records/sec \\(" + NUM
        + " MB/sec\\), first record after \\d+ ms");
  }

  @Test
  void endToEndPrintsAverageAndPercentilesOfSingleRecordLatency() {
    Run e2e = perf("e2e", "--bootstrap", bootstrap, "--topic", "perf-lat", "--records", "50", "--record-size", "100");
    assertThat(e2e.exit()).as(e2e.err()).isZero();
    assertThat(e2e.last()).matches("50 records, avg latency " + NUM + " ms, 50th " + NUM + " ms, 99th " + NUM
        + " ms, 99\\.9th " + NUM + " ms");
  }

  @Test
  void endToEndSendsItsWarmUpRecordsUnmeasured() {
    Run e2e = perf("e2e", "--bootstrap", bootstrap, "--topic", "perf-warm", "--records", "30", "--warmup", "20");
    assertThat(e2e.exit()).as(e2e.err()).isZero();
    assertThat(e2e.last()).startsWith("30 records, avg latency ");
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(bootstrap));
    try {
      assertThat(client.admin().offsets("perf-warm", 0).await().atMost(Duration.ofSeconds(30)).endOffset())
          .as("the 20 warm-up records were sent and read back too").isEqualTo(50);
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }

  @Test
  void endToEndWritesEachMeasuredRecordsSendTimeAndLatencyWhenAsked() throws Exception {
    Path file = dataDir.resolve("e2e-samples.txt");
    long before = System.currentTimeMillis() * 1_000;
    Run e2e = perf("e2e", "--bootstrap", bootstrap, "--topic", "perf-samples", "--records", "40", "--warmup", "5",
        "--samples", file.toString());
    long after = System.currentTimeMillis() * 1_000;
    assertThat(e2e.exit()).as(e2e.err()).isZero();
    List<long[]> lines = Files.readAllLines(file).stream()
        .map(l -> Arrays.stream(l.split(" ")).mapToLong(Long::parseLong).toArray()).toList();
    assertThat(lines).as("one line per measured record, the warm-up left out").hasSize(40)
        .allSatisfy(l -> assertThat(l).hasSize(2));
    for (int i = 0; i < lines.size(); i++) {
      assertThat(lines.get(i)[0]).as("send time of record %d, epoch us", i).isBetween(before - 1_000, after + 1_000);
      assertThat(lines.get(i)[1]).as("latency of record %d, us", i).isNotNegative();
      if (i > 0) {
        assertThat(lines.get(i)[0]).as("send order").isGreaterThanOrEqualTo(lines.get(i - 1)[0]);
      }
    }
  }

  @Test
  void badCommandLinesExitTwoWithTheUsage() {
    for (String[] bad : List.of(new String[] {"produce", "--topic", "t"}, new String[] {"sing"},
        new String[] {"consume", "--bootstrap", bootstrap, "--topic", "t", "--records", "many"},
        new String[] {"e2e", "--bootstrap", bootstrap, "--topic", "t", "--records", "1", "--colour", "red"})) {
      Run run = perf(bad);
      assertThat(run.exit()).as(String.join(" ", bad)).isEqualTo(2);
      assertThat(run.err()).contains("Usage:");
    }
  }
}
