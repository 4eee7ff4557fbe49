package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's consume-transform-produce loop with the Java client against a real broker: each input record's output and
 * the input's offset go in one transaction (sendOffsetsToTransaction), so a loop that crashes mid-transaction and
 * restarts (a new client, the same transactional id and group) yields each output exactly once to a read_committed
 * reader, although the crashed transaction's output is in the log.
 */
class ExactlyOnceLoopTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int INPUTS = 10;
  private static final TopicPartition IN = new TopicPartition("in", 0);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of("connect.enabled", false, "streams.enabled", false));
    SluiceClient admin = broker.client();
    admin.admin().createTopic("in", 1, 1, Map.of()).await().atMost(WAIT);
    admin.admin().createTopic("out", 1, 1, Map.of()).await().atMost(WAIT);
    Producer plain = admin.producer(ProducerOptions.defaults().lingerMs(0));
    for (int i = 0; i < INPUTS; i++) {
      plain.send(new ProducerRecord("in", 0, null, null, json("in-" + i), List.of())).await().atMost(WAIT);
    }
  }

  @AfterEach
  void stop() throws Exception {
    broker.close();
  }

  private static byte[] json(String s) {
    return ("\"" + s + "\"").getBytes(StandardCharsets.UTF_8);
  }

  private SluiceClient newClient() {
    return SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
  }

  /**
   * Runs the loop: per input record one transaction with its output and its offset. Commits {@code commits}
   * transactions; then, if {@code crash}, sends one more output and offset and stops without ending it.
   */
  private static void loop(SluiceClient client, int commits, boolean crash) {
    Producer producer = client.producer(ProducerOptions.defaults().transactionalId("eos-loop").lingerMs(0));
    producer.initTransactions().await().atMost(WAIT);
    GroupConsumer consumer = client.consumer(ConsumerOptions.of("eos", List.of("in")).fetchMaxWaitMs(200)
        .sessionTimeoutMs(6_000).enableAutoCommit(false));
    Iterator<ConsumerRecord> records = consumer.records().subscribe().asIterable().iterator();
    int done = 0;
    while (done < commits + (crash ? 1 : 0)) {
      ConsumerRecord r = records.next();
      String in = new String(r.value(), StandardCharsets.UTF_8).replace("\"", "");
      producer.beginTransaction();
      producer.send(new ProducerRecord("out", 0, null, null, json("out-of-" + in), List.of())).await().atMost(WAIT);
      producer.sendOffsetsToTransaction(Map.of(IN, r.offset() + 1), consumer.groupMetadata()).await().atMost(WAIT);
      done++;
      if (done > commits) {
        break; // the crash: neither commit nor abort; the process is gone
      }
      producer.commitTransaction().await().atMost(WAIT);
    }
    consumer.close().await().atMost(WAIT);
  }

  private List<String> outputs(String isolation) throws Exception {
    WebClient web = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    try {
      JsonArray read = web.get("/topics/out/partitions/0/records?offset=0&isolation_level=" + isolation)
          .putHeader("Accept", "application/vnd.kafka.json.v2+json").send().await(60, TimeUnit.SECONDS)
          .bodyAsJsonArray();
      List<String> values = new ArrayList<>();
      read.forEach(o -> values.add(((io.vertx.core.json.JsonObject) o).getString("value")));
      return values;
    } finally {
      web.close();
    }
  }

  @Test
  void eachInputsOutputIsReadOnceAcrossACrashOfTheLoop() throws Exception {
    SluiceClient first = newClient();
    loop(first, 4, true);
    first.close().await().atMost(WAIT);

    SluiceClient second = newClient();
    loop(second, INPUTS - 4, false);
    second.close().await().atMost(WAIT);

    List<String> expected = new ArrayList<>();
    for (int i = 0; i < INPUTS; i++) {
      expected.add("out-of-in-" + i);
    }
    assertThat(outputs("read_committed")).containsExactlyElementsOf(expected);
    // the crashed transaction's output is in the log, aborted: a read_uncommitted reader sees it twice
    assertThat(outputs("read_uncommitted")).hasSize(INPUTS + 1).containsSubsequence(expected);
  }
}
