package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real broker with {@code authorizer.enable}: every test client is {@code User:ANONYMOUS} from 127.0.0.1, which may
 * change ACLs (Cluster Alter, granted by the broker itself before the tests), and nothing else until an ACL says so.
 */
class AclsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String ANONYMOUS = "User:ANONYMOUS";

  @TempDir
  static Path dataDir;
  private static Broker broker;
  private static WebClient client;

  @BeforeAll
  static void startBroker() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.AUTHORIZER_ENABLE, true,
        BrokerConfig.CONNECT_ENABLED, false, BrokerConfig.STREAMS_ENABLED, false));
    broker = Broker.builder(config).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    startBrokerGrants();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /** A topic made by the broker itself (the test client may not create it). */
  private static void topic(String name) throws Exception {
    await(broker.services().broker().createTopic(RequestContext.internal(1), new NewTopic(name, 1, (short) 1,
        Map.of())));
  }

  private static JsonObject acl(String type, String name, String pattern, String op, String permission) {
    return new JsonObject().put("resource_type", type).put("resource_name", name).put("pattern_type", pattern)
        .put("principal", ANONYMOUS).put("host", "*").put("operation", op).put("permission", permission);
  }

  private static HttpResponse<Buffer> grant(JsonObject binding) throws Exception {
    HttpResponse<Buffer> r = await(client.post("/acls").sendJsonObject(binding));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r;
  }

  private static HttpResponse<Buffer> produce(String topic) throws Exception {
    return await(client.post("/topics/" + topic).putHeader("Content-Type", "application/vnd.kafka.json.v2+json")
        .sendJsonObject(new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", "v")))));
  }

  private static void assertError(HttpResponse<Buffer> r, int status, int code, String... messageParts) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code);
    if (messageParts.length > 0) {
      assertThat(r.bodyAsJsonObject().getString("message")).contains(messageParts);
    }
  }

  @Test
  void produceIsRefusedUntilAnAclAllowsWriteAndAgainOnceItIsDeleted() throws Exception {
    topic("orders");
    assertError(produce("orders"), 403, 29, "User:ANONYMOUS is not authorized to Write topic 'orders'");
    JsonObject write = acl("TOPIC", "orders", "LITERAL", "WRITE", "ALLOW");
    assertThat(grant(write).bodyAsJsonObject().getJsonArray("data").getJsonObject(0)).isEqualTo(write);
    assertThat(produce("orders").statusCode()).isEqualTo(200);

    HttpResponse<Buffer> deleted = await(client.delete("/acls?resource_type=TOPIC&resource_name=orders").send());
    assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
    assertThat(deleted.bodyAsJsonObject().getJsonArray("data")).containsExactly(write);
    assertError(produce("orders"), 403, 29);
  }

  private static HttpResponse<Buffer> postJson(String path, JsonObject body) throws Exception {
    return await(client.post(path).sendJsonObject(body));
  }

  /** Kafka's TransactionalId resource: Write to initialize and add partitions (with Write on the topic), Describe to read. */
  @Test
  void transactionsNeedTransactionalIdAcls() throws Exception {
    topic("tx-orders");
    JsonObject init = new JsonObject().put("transactional_id", "tx-1");
    assertError(postJson("/producers", init), 403, 53, "Write transactional_id 'tx-1'");
    assertError(await(client.get("/transactions/tx-1").send()), 403, 53, "Describe transactional_id 'tx-1'");

    grant(acl("TRANSACTIONAL_ID", "tx-", "PREFIXED", "WRITE", "ALLOW"));
    HttpResponse<Buffer> initialized = postJson("/producers", init);
    assertThat(initialized.statusCode()).as(initialized.bodyAsString()).isEqualTo(200);
    JsonObject add = initialized.bodyAsJsonObject().copy().put("partitions", new JsonArray().add(new JsonObject()
        .put("topic", "tx-orders").put("partition", 0)));
    assertError(postJson("/transactions/tx-1/partitions", add), 403, 29, "Write topic 'tx-orders'");
    grant(acl("TOPIC", "tx-orders", "LITERAL", "WRITE", "ALLOW"));
    assertThat(postJson("/transactions/tx-1/partitions", add).statusCode()).isEqualTo(204);
    // Write implies Describe, as in Kafka.
    assertThat(await(client.get("/transactions/tx-1").send()).bodyAsJsonObject().getString("transaction_state"))
        .isEqualTo("Ongoing");
    assertThat(await(client.get("/transactions").send()).bodyAsJsonObject().getJsonArray("transactions"))
        .hasSize(1);

    // sendOffsetsToTransaction: also Group Read, and Read on each topic, as a commit
    JsonObject offsets = initialized.bodyAsJsonObject().copy().put("group_id", "tx-group").put("offsets",
        new JsonArray().add(new JsonObject().put("topic", "tx-orders").put("partition", 0).put("offset", 1)));
    assertError(postJson("/transactions/tx-1/offsets", offsets), 403, 30, "Read group 'tx-group'");
    grant(acl("GROUP", "tx-group", "LITERAL", "READ", "ALLOW"));
    assertError(postJson("/transactions/tx-1/offsets", offsets), 403, 29, "Read topic 'tx-orders'");
    grant(acl("TOPIC", "tx-orders", "LITERAL", "READ", "ALLOW"));
    assertThat(postJson("/transactions/tx-1/offsets", offsets).statusCode()).isEqualTo(204);
  }

  /** KIP-664's tools: DescribeProducers needs Topic Read; an abort (WriteTxnMarkers) Cluster Alter (KIP-1037). */
  @Test
  void describingProducersNeedsTopicReadAndAnOperatorsAbortClusterAlter() throws Exception {
    topic("hanging");
    assertError(await(client.get("/topics/hanging/partitions/0/producers").send()), 403, 29, "Read topic 'hanging'");
    grant(acl("TOPIC", "hanging", "LITERAL", "READ", "ALLOW"));
    assertThat(await(client.get("/topics/hanging/partitions/0/producers").send()).statusCode()).isEqualTo(200);

    // The test client holds Cluster Alter from 127.0.0.1 only (see the class comment).
    HttpResponse<Buffer> aborted = postJson("/topics/hanging/partitions/0/abort-transaction",
        new JsonObject().put("producer_id", 7).put("producer_epoch", 0));
    assertThat(aborted.statusCode()).as(aborted.bodyAsString()).isEqualTo(204);
    RequestContext elsewhere = RequestContext.anonymous("http", "10.1.1.1:4000", "");
    Throwable refused = broker.services().broker().abortTransaction(elsewhere, new io.sluice.api.TopicPartition(
        "hanging", 0), new io.sluice.api.ProducerIdentity(7, (short) 0), 0)
        .transform(ar -> Future.succeededFuture(ar.cause())).await(30, TimeUnit.SECONDS);
    assertThat(refused).isInstanceOf(io.sluice.errors.SluiceException.class).hasMessageContaining("Alter the cluster");
    assertThat(((io.sluice.errors.SluiceException) refused).errorCode().code()).isEqualTo(31);
  }

  @Test
  void aDenyWinsOverAnAllowFromAWildcard() throws Exception {
    topic("payments");
    grant(acl("TOPIC", "pay", "PREFIXED", "ALL", "ALLOW"));
    assertThat(produce("payments").statusCode()).isEqualTo(200);
    grant(acl("TOPIC", "payments", "LITERAL", "WRITE", "DENY"));
    assertError(produce("payments"), 403, 29);
  }

  @Test
  void listingsLeaveOutWhatTheCallerMayNotDescribeAndUnknownTopicsAreNotAnOracle() throws Exception {
    topic("seen-a");
    topic("hidden-a");
    grant(acl("TOPIC", "seen-", "PREFIXED", "READ", "ALLOW"));
    JsonArray names = await(client.get("/topics").send()).bodyAsJsonArray();
    assertThat(names).contains("seen-a").doesNotContain("hidden-a");
    assertError(await(client.get("/topics/hidden-a").send()), 403, 29, "Describe topic 'hidden-a'");
    assertError(await(client.get("/topics/hidden-missing").send()), 403, 29, "Describe topic 'hidden-missing'");
    assertError(await(client.get("/topics/seen-missing").send()), 404, 3);
    assertThat(await(client.get("/topics/seen-a").send()).statusCode()).isEqualTo(200);
  }

  @Test
  void autoCreationNeedsCreate() throws Exception {
    grant(acl("TOPIC", "auto-", "PREFIXED", "WRITE", "ALLOW"));
    assertError(produce("auto-x"), 403, 29, "Create topic 'auto-x'");
    grant(acl("TOPIC", "auto-", "PREFIXED", "CREATE", "ALLOW"));
    assertThat(produce("auto-x").statusCode()).isEqualTo(200);
  }

  @Test
  void configsNeedDescribeConfigsWhichAlterConfigsImplies() throws Exception {
    topic("conf");
    assertError(await(client.get("/topics/conf/configs").send()), 403, 29, "DescribeConfigs");
    grant(acl("TOPIC", "conf", "LITERAL", "ALTER_CONFIGS", "ALLOW"));
    assertThat(await(client.get("/topics/conf/configs").send()).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> set = await(client.put("/topics/conf/configs/retention.ms")
        .sendJsonObject(new JsonObject().put("value", "3600000")));
    assertThat(set.statusCode()).as(set.bodyAsString()).isEqualTo(200);
    assertError(await(client.delete("/topics/conf").send()), 403, 29, "Delete topic 'conf'");
  }

  @Test
  void groupsNeedGroupAclsAndTheirTopicsRead() throws Exception {
    topic("grouped");
    JsonObject instance = new JsonObject().put("name", "c1").put("format", "json");
    assertError(await(client.post("/consumers/g1").sendJsonObject(instance)), 403, 30, "Read group 'g1'");
    grant(acl("GROUP", "g1", "LITERAL", "READ", "ALLOW"));
    HttpResponse<Buffer> created = await(client.post("/consumers/g1").sendJsonObject(instance));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(200);
    HttpResponse<Buffer> subscribe = await(client.post("/consumers/g1/instances/c1/subscription")
        .sendJsonObject(new JsonObject().put("topics", new JsonArray().add("grouped"))));
    assertError(subscribe, 403, 29, "Read topic 'grouped'");
    assertThat(await(client.get("/consumer-groups").send()).bodyAsJsonArray().stream()
        .map(g -> ((JsonObject) g).getString("group_id"))).contains("g1");
    assertError(await(client.delete("/consumer-groups/g1").send()), 403, 30, "Delete group 'g1'");
    assertError(await(client.get("/consumer-groups/other").send()), 403, 30, "Describe group 'other'");
  }

  @Test
  void theAclApiNamesTheFieldAtFault() throws Exception {
    JsonObject bad = acl("TOPIC", "t", "LITERAL", "READ", "ALLOW").put("principal", "alice");
    assertError(await(client.post("/acls").sendJsonObject(bad)), 400, 42, "principal");
    assertError(await(client.post("/acls").sendJsonObject(acl("TOPIC", "t", "MATCH", "READ", "ALLOW"))), 400, 42,
        "pattern_type");
    assertError(await(client.post("/acls").sendJsonObject(acl("TOPIK", "t", "LITERAL", "READ", "ALLOW"))), 400, 42,
        "resource_type");
    assertError(await(client.post("/acls").sendJsonObject(new JsonObject().put("data", new JsonArray()
        .add(acl("TOPIC", "t", "LITERAL", "READ", "ALLOW")).add(acl("TOPIC", "t", "LITERAL", "REED", "ALLOW"))))),
        400, 42, "data[1].operation");
    assertError(await(client.get("/acls?resource=t").send()), 400, 42, "resource");
    assertError(await(client.delete("/acls").send()), 400, 42, "resource_type");
    JsonArray all = await(client.get("/acls?resource_type=CLUSTER").send()).bodyAsJsonObject().getJsonArray("data");
    assertThat(all).hasSize(1);
  }

  @Test
  void theAclApiNeedsClusterAlterFromTheGrantedHost() throws Exception {
    // The grant names 127.0.0.1: the same principal is refused from any other address.
    RequestContext elsewhere = RequestContext.anonymous("http", "10.1.1.1:4000", "");
    Future<List<AclBinding>> listed = broker.services().broker().describeAcls(elsewhere,
        io.sluice.api.acl.AclBindingFilter.ANY);
    Optional<Throwable> failure = Optional.ofNullable(listed.transform(ar -> Future.succeededFuture(ar.cause()))
        .await(30, TimeUnit.SECONDS));
    assertThat(failure).get().extracting(Throwable::getMessage).asString()
        .contains("is not authorized to Describe the cluster");
  }

  @Test
  void theConnectStreamsQuotaAndBrokerConfigApisNeedTheirClusterAcls() throws Exception {
    // ANONYMOUS holds Cluster Alter only from 127.0.0.1, which implies Describe: refused from elsewhere.
    RequestContext elsewhere = RequestContext.anonymous("http", "10.1.1.1:4000", "");
    assertThat(broker.services().broker().authorize(elsewhere, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME,
        AclOperation.DESCRIBE).transform(ar -> Future.succeededFuture(ar.failed())).await(30, TimeUnit.SECONDS))
        .isTrue();
    await(broker.services().broker().deleteAcls(RequestContext.internal(1), new io.sluice.api.acl.AclBindingFilter(
        ResourceType.CLUSTER, null, null, null, null, null, null)));
    try {
      assertError(await(client.get("/streams").send()), 403, 31, "Describe the cluster");
      assertError(await(client.post("/connectors").sendJsonObject(new JsonObject())), 403, 31, "Alter the cluster");
      assertError(await(client.get("/client-quotas").send()), 403, 31, "DescribeConfigs the cluster");
      assertError(await(client.post("/client-quotas:alter").sendJsonObject(new JsonObject())), 403, 31,
          "AlterConfigs the cluster");
      assertError(await(client.delete("/client-quotas?client-id=x").send()), 403, 31, "AlterConfigs the cluster");
      assertError(await(client.get("/brokers/1/configs").send()), 403, 31, "DescribeConfigs the cluster");
      assertError(await(client.post("/brokers/1/configs:alter").sendJsonObject(new JsonObject())), 403, 31,
          "AlterConfigs the cluster");
    } finally {
      startBrokerGrants();
    }
  }

  @Test
  void theMetricsRoutesNeedClusterDescribe() throws Exception {
    topic("metered-secret");
    await(broker.services().broker().deleteAcls(RequestContext.internal(1), new io.sluice.api.acl.AclBindingFilter(
        ResourceType.CLUSTER, null, null, null, null, null, null)));
    try {
      // They name every topic and group (this one it may not describe) with its sizes, traffic and lags.
      for (String path : List.of("/metrics", "/metrics/replicas", "/metrics/history", "/metrics/history/events")) {
        assertError(await(client.get(path).send()), 403, 31, "Describe the cluster");
      }
    } finally {
      startBrokerGrants();
    }
    HttpResponse<Buffer> replicas = await(client.get("/metrics/replicas?scope=local").send());
    assertThat(replicas.statusCode()).as(replicas.bodyAsString()).isEqualTo(200);
    assertThat(replicas.bodyAsString()).contains("metered-secret");
  }

  /** Read is checked at every poll, as Kafka checks every fetch, not only when the instance subscribed. */
  @Test
  void aConsumerInstancesPollNeedsTopicReadAtEveryPoll() throws Exception {
    topic("polled");
    grant(acl("TOPIC", "polled", "LITERAL", "WRITE", "ALLOW"));
    assertThat(produce("polled").statusCode()).isEqualTo(200);
    grant(acl("GROUP", "pollers", "LITERAL", "READ", "ALLOW"));
    JsonObject read = acl("TOPIC", "polled", "LITERAL", "READ", "ALLOW");
    grant(read);
    String base = "/consumers/pollers/instances/p1";
    assertThat(await(client.post("/consumers/pollers").sendJsonObject(new JsonObject().put("name", "p1")
        .put("format", "json").put("auto.offset.reset", "earliest"))).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> subscribed = await(client.post(base + "/subscription")
        .sendJsonObject(new JsonObject().put("topics", new JsonArray().add("polled"))));
    assertThat(subscribed.statusCode()).as(subscribed.bodyAsString()).isEqualTo(204);
    // The grant goes (or another principal with the group's Read polls the instance): the next poll reads nothing.
    await(client.delete("/acls?resource_type=TOPIC&resource_name=polled").send());
    HttpResponse<Buffer> polled = await(client.get(base + "/records?timeout=0")
        .putHeader("Accept", "application/vnd.kafka.json.v2+json").send());
    assertError(polled, 403, 29, "Read topic 'polled'");
    HttpResponse<Buffer> batches = await(client.get(base + "/records?timeout=0")
        .putHeader("Accept", "application/vnd.sluice.record-batches").send());
    assertError(batches, 403, 29, "Read topic 'polled'");
    grant(read);
    HttpResponse<Buffer> again = await(client.get(base + "/records?timeout=5000")
        .putHeader("Accept", "application/vnd.kafka.json.v2+json").send());
    assertThat(again.statusCode()).as(again.bodyAsString()).isEqualTo(200);
    assertThat(again.bodyAsJsonArray()).hasSize(1);
  }

  /**
   * A reset or deletion naming no topic acts on every topic with commits: each needs Read; the refusal does not name
   * a topic the caller may not Describe.
   */
  @Test
  void offsetResetsAndDeletionsNamingNoTopicNeedReadOnEveryCommittedTopic() throws Exception {
    topic("reset-t");
    grant(acl("GROUP", "resetters", "LITERAL", "ALL", "ALLOW"));
    JsonObject read = acl("TOPIC", "reset-t", "LITERAL", "READ", "ALLOW");
    grant(read);
    String base = "/consumers/resetters/instances/r1";
    assertThat(await(client.post("/consumers/resetters").sendJsonObject(new JsonObject().put("name", "r1")
        .put("format", "json"))).statusCode()).isEqualTo(200);
    JsonArray partition = new JsonArray().add(new JsonObject().put("topic", "reset-t").put("partition", 0));
    assertThat(await(client.post(base + "/assignments").sendJsonObject(new JsonObject().put("partitions", partition)))
        .statusCode()).isEqualTo(204);
    HttpResponse<Buffer> committed = await(client.post(base + "/offsets").sendJsonObject(new JsonObject()
        .put("offsets", new JsonArray().add(new JsonObject().put("topic", "reset-t").put("partition", 0)
            .put("offset", 0)))));
    assertThat(committed.statusCode()).as(committed.bodyAsString()).isEqualTo(204);
    assertThat(await(client.delete(base).send()).statusCode()).isEqualTo(204);
    await(client.delete("/acls?resource_type=TOPIC&resource_name=reset-t").send());

    String unnamed = "Read every topic group 'resetters' has commits on";
    assertError(await(client.post("/consumer-groups/resetters/offsets/reset").sendJsonObject(new JsonObject()
        .put("to", "earliest").put("dry_run", true))), 403, 29, unnamed);
    assertError(await(client.post("/consumer-groups/resetters/offsets/delete").sendJsonObject(new JsonObject()
        .put("all", true))), 403, 29, unnamed);
    grant(read);
    HttpResponse<Buffer> reset = await(client.post("/consumer-groups/resetters/offsets/reset")
        .sendJsonObject(new JsonObject().put("to", "earliest").put("dry_run", true)));
    assertThat(reset.statusCode()).as(reset.bodyAsString()).isEqualTo(200);
    assertThat(reset.bodyAsString()).contains("reset-t");
  }

  private static void startBrokerGrants() throws Exception {
    await(broker.services().broker().createAcls(RequestContext.internal(1), List.of(new AclBinding(
        ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, PatternType.LITERAL, ANONYMOUS, "127.0.0.1",
        AclOperation.ALTER, AclPermission.ALLOW))));
  }

  @Test
  void theJavaClientsAdminCreatesListsAndDeletesAcls() throws Exception {
    topic("client-made");
    io.sluice.client.SluiceClient sluice = io.sluice.client.SluiceClient.create(
        io.sluice.client.ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    try {
      io.sluice.client.Admin admin = sluice.admin();
      io.sluice.client.AclBinding read = io.sluice.client.AclBinding.allowTopic("client-made", ANONYMOUS, "DESCRIBE");
      admin.createAcls(List.of(read)).await().atMost(java.time.Duration.ofSeconds(30));
      assertThat(await(client.get("/topics/client-made").send()).statusCode()).isEqualTo(200);
      io.sluice.client.AclBindingFilter mine = new io.sluice.client.AclBindingFilter("TOPIC", "client-made", null, null,
          null, null, null);
      assertThat(admin.describeAcls(mine).await().atMost(java.time.Duration.ofSeconds(30))).containsExactly(read);
      assertThat(admin.deleteAcls(mine).await().atMost(java.time.Duration.ofSeconds(30))).containsExactly(read);
      assertError(await(client.get("/topics/client-made").send()), 403, 29);
    } finally {
      sluice.close().await().atMost(java.time.Duration.ofSeconds(30));
    }
  }
}
