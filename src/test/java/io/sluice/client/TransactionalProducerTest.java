package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client's transactional producer against a real broker, for what needs no marker written (the partitions'
 * side of transactions is another lane's): initTransactions fences the earlier producer of the id, which learns it
 * from its next send and cannot commit; sends outside a transaction are refused; the first send to a partition adds
 * it to the transaction at the coordinator. The end-to-end behaviour is in {@code TransactionsEndToEndIT}.
 */
class TransactionalProducerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of("connect.enabled", false, "streams.enabled", false));
    client = broker.client();
    client.admin().createTopic("orders", 2, 1, Map.of()).await().atMost(WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    broker.close();
  }

  private Producer transactional(String id) {
    return client.producer(ProducerOptions.defaults().transactionalId(id).lingerMs(0));
  }

  private JsonObject describe(String id) throws Exception {
    WebClient web = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    try {
      return web.get("/transactions/" + id).send().await(java.util.concurrent.TimeUnit.SECONDS.toMillis(60),
          java.util.concurrent.TimeUnit.MILLISECONDS).bodyAsJsonObject();
    } finally {
      web.close();
    }
  }

  @Test
  void aNewProducerOfTheIdFencesTheOldOneAtItsNextSendAndItCannotCommit() throws Exception {
    Producer zombie = transactional("orders-tx");
    zombie.initTransactions().await().atMost(WAIT);
    Producer successor = transactional("orders-tx");
    successor.initTransactions().await().atMost(WAIT);

    zombie.beginTransaction();
    assertThatThrownBy(() -> zombie.send(ProducerRecord.of("orders", "k", "v")).await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
            .isEqualTo(ErrorCode.PRODUCER_FENCED));
    assertThatThrownBy(() -> zombie.commitTransaction().await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
            .isEqualTo(ErrorCode.PRODUCER_FENCED));
    assertThatThrownBy(zombie::beginTransaction).isInstanceOf(IllegalStateException.class);
    assertThat(describe("orders-tx").getString("transaction_state")).isEqualTo("Empty");
  }

  @Test
  void aSendOutsideATransactionIsRefusedAndTheFirstSendToAPartitionAddsIt() throws Exception {
    Producer p = transactional("t1");
    assertThatThrownBy(() -> p.commitTransaction().await().atMost(WAIT)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("initTransactions");
    p.initTransactions().await().atMost(WAIT);
    assertThatThrownBy(() -> p.send(ProducerRecord.of("orders", "k", "v")).await().atMost(WAIT))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("beginTransaction");

    p.beginTransaction();
    // The batch itself is the partitions' side: until they take transactional batches it may be refused; the
    // partition is part of the transaction at the coordinator before it is sent either way.
    p.send(ProducerRecord.of("orders", null, "v").withPartition(1)).onFailure().recoverWithNull().await().atMost(WAIT);

    TransactionDescription described = client.admin().describeTransaction("t1").await().atMost(WAIT);
    assertThat(described.state()).isEqualTo("Ongoing");
    assertThat(described.partitions()).containsExactly(new TopicPartition("orders", 1));
    assertThat(described.transactionTimeoutMs()).isEqualTo(60_000);
    assertThat(client.admin().listTransactions().await().atMost(WAIT)).extracting(TransactionDescription::transactionalId)
        .containsExactly("t1");
  }

  @Test
  void anOperatorFindsAnOpenTransactionWithTheAdminsFiltersAndDescribeProducersAndAbortsIt() {
    Producer p = transactional("stuck");
    p.initTransactions().await().atMost(WAIT);
    p.beginTransaction();
    p.send(ProducerRecord.of("orders", null, "v").withPartition(1)).await().atMost(WAIT);
    Producer idle = transactional("idle");
    idle.initTransactions().await().atMost(WAIT);

    assertThat(client.admin().listTransactions(ListTransactionsOptions.all().filterStates(Set.of("Ongoing")))
        .await().atMost(WAIT)).extracting(TransactionDescription::transactionalId).containsExactly("stuck");
    assertThat(client.admin().listTransactions(ListTransactionsOptions.all().filterOnDuration(86_400_000))
        .await().atMost(WAIT)).isEmpty();
    ProducerState open = client.admin().describeProducers("orders", 1).await().atMost(WAIT).stream()
        .filter(s -> s.currentTransactionStartOffset() >= 0).findFirst().orElseThrow();
    assertThat(open.currentTransactionStartOffset()).isZero();
    assertThat(client.admin().listTransactions(ListTransactionsOptions.all()
        .filterProducerIds(Set.of(open.producerId()))).await().atMost(WAIT))
        .extracting(TransactionDescription::transactionalId).containsExactly("stuck");

    client.admin().abortTransaction(new AbortTransactionSpec(new TopicPartition("orders", 1), open.producerId(),
        open.producerEpoch(), 0)).await().atMost(WAIT);

    assertThat(client.admin().describeProducers("orders", 1).await().atMost(WAIT))
        .allSatisfy(s -> assertThat(s.currentTransactionStartOffset()).isEqualTo(-1));
  }

  /**
   * KIP-890 part 2: every end bumps the producer's epoch and the client takes it from the answer, every partition
   * starting again at sequence 0. A partition a refused batch stopped (a hole in its sequence) is written to again
   * in the next transaction, once the abort moved the producer to the new epoch.
   */
  @Test
  void everyEndBumpsTheEpochAndAPartitionARefusedBatchStoppedIsWrittenInTheNextTransaction() throws Exception {
    client.admin().createTopic("small", 1, 1, Map.of("max.message.bytes", "2000")).await().atMost(WAIT);
    Producer p = transactional("bumps");
    p.initTransactions().await().atMost(WAIT);
    int first = describe("bumps").getInteger("producer_epoch");
    p.beginTransaction();
    p.send(ProducerRecord.of("small", null, "a")).await().atMost(WAIT);
    p.commitTransaction().await().atMost(WAIT);
    assertThat(describe("bumps").getInteger("producer_epoch")).isEqualTo(first + 1);

    p.beginTransaction();
    assertThatThrownBy(() -> p.send(ProducerRecord.of("small", null, "x".repeat(5_000))).await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
            .isEqualTo(ErrorCode.MESSAGE_TOO_LARGE));
    assertThatThrownBy(() -> p.send(ProducerRecord.of("small", null, "b")).await().atMost(WAIT))
        .as("behind the refused batch's hole").isInstanceOf(SluiceException.class);
    assertThatThrownBy(() -> p.commitTransaction().await().atMost(WAIT)).isInstanceOf(SluiceException.class);
    p.abortTransaction().await().atMost(WAIT);
    assertThat(describe("bumps").getInteger("producer_epoch")).isEqualTo(first + 2);

    p.beginTransaction();
    p.send(ProducerRecord.of("small", null, "c")).await().atMost(WAIT);
    p.commitTransaction().await().atMost(WAIT);
    assertThat(describe("bumps").getInteger("producer_epoch")).isEqualTo(first + 3);
    assertThat(readCommitted("small")).containsExactly("a", "c");
  }

  private java.util.List<String> readCommitted(String topic) throws Exception {
    WebClient web = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    try {
      var r = web.get("/topics/" + topic + "/partitions/0/records?offset=0&isolation_level=read_committed")
          .putHeader("Accept", "application/vnd.kafka.json.v2+json").send().await(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      return r.bodyAsJsonArray().stream().map(o -> ((JsonObject) o).getString("value")).toList();
    } finally {
      web.close();
    }
  }

  @Test
  void aProducerWithoutATransactionalIdHasNoTransactions() {
    Producer p = client.producer(ProducerOptions.defaults());
    assertThatThrownBy(p::beginTransaction).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> ProducerOptions.defaults().transactionalId(""))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
