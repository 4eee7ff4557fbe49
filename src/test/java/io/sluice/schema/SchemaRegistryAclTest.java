package io.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.sluice.http.HttpListener;
import io.sluice.schema.RegistryClient.Reply;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the authorizer on, the registry is guarded as Connect's API: reading it, its look-ups and compatibility
 * checks among them, needs Cluster Describe; registering, deleting and setting levels or modes Cluster Alter.
 */
class SchemaRegistryAclTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dir;
  private Broker broker;

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void describeReadsAndLooksUpAndAlterIsNeededToChange() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.AUTHORIZER_ENABLE, true,
        BrokerConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND, true)), GUARD, HttpListener::new);
    RegistryClient registry = SchemaRegistryTest.awaitUp(broker.httpPort());
    assertThat(registry.registeredId("acl-value", SchemaRegistryTest.V1)).isPositive();
    allowOnCluster("DESCRIBE");

    assertThat(registry.get("/subjects").status()).isEqualTo(200);
    assertThat(registry.send("POST", "/subjects/acl-value", new JsonObject().put("schema", SchemaRegistryTest.V1))
        .status()).as("a look-up is a read").isEqualTo(200);
    assertThat(registry.send("POST", "/compatibility/subjects/acl-value/versions/latest", new JsonObject()
        .put("schema", SchemaRegistryTest.WITH_DEFAULT)).status()).as("a check is a read").isEqualTo(200);
    Reply refused = registry.register("acl-value", SchemaRegistryTest.WITH_DEFAULT);
    assertThat(refused.status()).as(refused.body()).isEqualTo(403);
    assertThat(registry.setLevel("acl-value", "NONE").status()).isEqualTo(403);
    assertThat(registry.send("DELETE", "/subjects/acl-value", null).status()).isEqualTo(403);

    allowOnCluster("ALTER");
    assertThat(registry.register("acl-value", SchemaRegistryTest.WITH_DEFAULT).status()).isEqualTo(200);
  }

  private void allowOnCluster(String operation) throws Exception {
    broker.services().broker().createAcls(RequestContext.internal(1), List.of(new AclBinding(ResourceType.CLUSTER,
        ResourceType.CLUSTER_NAME, PatternType.LITERAL, "User:ANONYMOUS", "*", AclOperation.valueOf(operation),
        AclPermission.ALLOW))).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
