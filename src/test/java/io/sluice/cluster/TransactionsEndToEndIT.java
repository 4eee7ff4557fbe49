package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Uni;
import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions end to end on three broker JVMs: the coordinator (h-txc) and the partitions' side (h-txp: transactional
 * batches, markers, the last stable offset, read_committed) together. A committed transaction's records are read by
 * read_committed, an aborted one's are not, a zombie producer is fenced, and a commit whose coordinator's broker is
 * killed is completed by the next coordinator (or, killed before its PrepareCommit was written, aborted at its
 * timeout): all of the transaction's records or none, never some.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TransactionsEndToEndIT {
  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  private static final Duration WAIT = Duration.ofSeconds(90);
  @TempDir
  static Path tmp;
  private BrokerCluster cluster;
  private final List<SluiceClient> clients = new ArrayList<>();

  @BeforeAll
  void startCluster() throws Exception {
    cluster = CLUSTERS.startAll(tmp, 3);
    assertThat(cluster.createTopic(cluster.node(1), "tx", 3, 3, Map.of()).statusCode()).isEqualTo(201);
  }

  @AfterAll
  void closeClients() {
    clients.forEach(c -> c.close().await().atMost(WAIT));
  }

  private Producer producer(BrokerCluster.Node bootstrap, String id, long timeoutMs) {
    SluiceClient c = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + bootstrap.port));
    clients.add(c);
    Producer p = c.producer(ProducerOptions.defaults().transactionalId(id).transactionTimeoutMs(timeoutMs)
        .lingerMs(0));
    p.initTransactions().await().atMost(WAIT);
    return p;
  }

  private static void send(Producer p, int partition, String... values) {
    List<Uni<io.sluice.client.RecordMetadata>> sends = new ArrayList<>();
    for (String v : values) {
      sends.add(p.send(ProducerRecord.of("tx", null, v).withPartition(partition)));
    }
    Uni.join().all(sends).andFailFast().await().atMost(WAIT);
  }

  /** The values read_committed reads from the partition's leader (through any broker's forwarding). */
  private List<String> readCommitted(int partition) throws Exception {
    HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(cluster.anyLive().uri("/topics/tx/partitions/"
        + partition + "/records?offset=0&max_bytes=1048576&isolation_level=read_committed"))
        .header("Accept", "application/vnd.kafka.json.v2+json").GET());
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    List<String> values = new ArrayList<>();
    new JsonArray(new String(r.body(), StandardCharsets.UTF_8)).forEach(o -> values.add(((JsonObject) o)
        .getValue("value").toString()));
    return values;
  }

  @Test
  @Order(1)
  void aCommittedTransactionIsReadByReadCommittedAndAnAbortedOneIsNot() throws Exception {
    Producer p = producer(cluster.node(1), "e2e-commit", 60_000);
    p.beginTransaction();
    send(p, 0, "c1", "c2");
    send(p, 1, "c3");
    p.commitTransaction().await().atMost(WAIT);
    p.beginTransaction();
    send(p, 0, "a1");
    send(p, 1, "a2");
    p.abortTransaction().await().atMost(WAIT);

    assertThat(readCommitted(0)).containsExactly("c1", "c2");
    assertThat(readCommitted(1)).containsExactly("c3");
  }

  @Test
  @Order(2)
  void aZombieIsFencedAndItsOpenTransactionAborted() throws Exception {
    Producer zombie = producer(cluster.node(2), "e2e-zombie", 60_000);
    zombie.beginTransaction();
    send(zombie, 2, "z1");
    Producer successor = producer(cluster.node(3), "e2e-zombie", 60_000);

    assertThatThrownBy(() -> zombie.commitTransaction().await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
            .isEqualTo(ErrorCode.PRODUCER_FENCED));
    successor.beginTransaction();
    send(successor, 2, "s1");
    successor.commitTransaction().await().atMost(WAIT);
    assertThat(readCommitted(2)).containsExactly("s1");
  }

  @Test
  @Order(3)
  void aCommitWhoseCoordinatorsBrokerIsKilledIsCompletedOrAbortedWhole() throws Exception {
    String id = "e2e-failover";
    JsonObject described = null;
    // The producer bootstraps from a broker that is not the coordinator, so it survives the kill.
    Producer p = producer(cluster.node(1), id, 15_000);
    described = cluster.getJson(cluster.node(1), "/transactions/" + id);
    int coordinator = described.getInteger("coordinator_id");
    int partition = coordinator == 1 ? 1 : 0;
    List<String> before = readCommitted(partition);
    p.beginTransaction();
    send(p, partition, "f1", "f2", "f3");
    var commit = p.commitTransaction().subscribeAsCompletionStage();
    cluster.signal(cluster.node(coordinator), "KILL");

    BrokerCluster.await("the transaction ended on the next coordinator", () -> {
      JsonObject d = cluster.getJson(cluster.anyLive(), "/transactions/" + id);
      return d != null && Set.of("CompleteCommit", "CompleteAbort").contains(d.getString("transaction_state"));
    }, WAIT.toMillis());
    String state = cluster.getJson(cluster.anyLive(), "/transactions/" + id).getString("transaction_state");
    List<String> after = readCommitted(partition).subList(before.size(), readCommitted(partition).size());
    if (state.equals("CompleteCommit")) {
      assertThat(after).containsExactly("f1", "f2", "f3");
    } else {
      assertThat(after).isEmpty();
      // the client's commit, retried to the next coordinator, learns the transaction was aborted under it
      assertThat(commit).failsWithin(WAIT);
    }
  }
}
