package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.streams.BrokerHttp.Reply;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream's store holds what it computed from its source topics, so with the authorizer on a client reads it only
 * with Read on those topics (Cluster Describe, which lists streams, showed the values of topics it could not read).
 * Its definition and status show what it reads and writes, so describing or listing it needs Describe on those topics.
 * The broker allows everything no ACL applies to, so the test's anonymous client creates the topics and the stream;
 * an ACL on the source topic for someone else then leaves the client without Read on it.
 */
class StoreQueryAclTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());

  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of(BrokerConfig.AUTHORIZER_ENABLE, true,
        BrokerConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND, true));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static Reply readAcl(String topic, String principal) throws Exception {
    return HTTP.send("POST", "/acls", new JsonObject().put("resource_type", "TOPIC").put("resource_name", topic)
        .put("pattern_type", "LITERAL").put("principal", principal).put("host", "*").put("operation", "READ")
        .put("permission", "ALLOW"));
  }

  @Test
  void aStoreQueryNeedsReadOnTheStreamsSourceTopics() throws Exception {
    HTTP.createTopic("salaries", 1);
    HTTP.createTopic("salary-totals", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "totals", "inputs": ["salaries"], "value_format": "json",
         "steps": [{"group_by": "value.name"}, {"sum": {"value": "value.amount", "store": "sum"}},
                   {"to": "salary-totals"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    Reply granted = readAcl("salaries", "User:payroll");
    assertThat(granted.status()).as(granted.body()).isEqualTo(201);

    for (String query : new String[] {"/streams/totals/stores/sum/keys/carol", "/streams/totals/stores/sum/keys"}) {
      Reply refused = HTTP.send("GET", query, null);
      assertThat(refused.status()).as(query + ": " + refused.body()).isEqualTo(403);
      assertThat(new JsonObject(refused.body()).getInteger("error_code")).isEqualTo(29);
      assertThat(refused.body()).contains("stream 'totals'").doesNotContain("salaries");
    }
    assertThat(readAcl("salaries", "User:ANONYMOUS").status()).isEqualTo(201);
    Reply allowed = HTTP.send("GET", "/streams/totals/stores/sum/keys", null);
    assertThat(allowed.status()).as(allowed.body()).isNotEqualTo(403);
  }

  @Test
  void describingOrListingAStreamNeedsDescribeOnTheTopicsItNames() throws Exception {
    HTTP.createTopic("ledger", 1);
    HTTP.createTopic("ledger-large", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "audit", "inputs": ["ledger"], "value_format": "json",
         "steps": [{"filter": "value.amount > 1000"}, {"to": "ledger-large"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(HTTP.send("GET", "/streams/audit", null).status()).isEqualTo(200);
    assertThat(readAcl("ledger", "User:auditor").status()).isEqualTo(201);

    Reply refused = HTTP.send("GET", "/streams/audit", null);
    assertThat(refused.status()).as(refused.body()).isEqualTo(403);
    assertThat(new JsonObject(refused.body()).getInteger("error_code")).isEqualTo(29);
    assertThat(refused.body()).contains("describe stream 'audit'").doesNotContain("1000").doesNotContain("ledger");
    Reply listed = HTTP.send("GET", "/streams", null);
    assertThat(listed.status()).as(listed.body()).isEqualTo(200);
    assertThat(listed.body()).doesNotContain("audit");

    assertThat(readAcl("ledger", "User:ANONYMOUS").status()).isEqualTo(201);
    Reply described = HTTP.send("GET", "/streams/audit", null);
    assertThat(described.status()).as(described.body()).isEqualTo(200);
    assertThat(described.body()).contains("value.amount > 1000");
    assertThat(HTTP.send("GET", "/streams", null).body()).contains("\"audit\"");
  }
}
