package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * ACLs are the cluster's: one created through broker 1 is enforced by broker 2, on the partition it leads and on the
 * one whose produce it forwards to broker 1, and broker 2 still enforces it after a restart.
 */
@Tag("several-brokers")
class AclsClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private Broker one;
  private Broker two;
  private WebClient client1;
  private WebClient client2;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Brokers 1 and 2, each serving HTTP, both live. */
  private void startBoth() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp().set(BrokerConfig.AUTHORIZER_ENABLE, true).start(2);
    one = cluster.broker(1);
    two = cluster.broker(2);
    client1 = cluster.web(1);
    client2 = cluster.web(2);
  }

  @Test
  void anAclCreatedThroughOneBrokerIsEnforcedByTheOtherForLocalAndForwardedProducesAndAfterItsRestart()
      throws Exception {
    startBoth();
    await(one.services().broker().createAcls(RequestContext.internal(1), List.of(new AclBinding(ResourceType.CLUSTER,
        ResourceType.CLUSTER_NAME, PatternType.LITERAL, "User:ANONYMOUS", "*", AclOperation.ALTER,
        AclPermission.ALLOW))));
    TopicMetadata t = await(one.services().broker().createTopic(RequestContext.internal(1),
        new NewTopic("t", 2, (short) 1, Map.of())));
    assertThat(t.partitions()).extracting(p -> p.leader()).as("one partition led by each").contains(1, 2);

    assertThat(produce(client2, 0).statusCode()).isEqualTo(403);
    assertThat(produce(client2, 1).statusCode()).isEqualTo(403);
    HttpResponse<Buffer> created = await(client1.post("/acls").sendJsonObject(new JsonObject()
        .put("resource_type", "TOPIC").put("resource_name", "t").put("principal", "User:ANONYMOUS")
        .put("operation", "WRITE").put("permission", "ALLOW")));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);

    awaitAllowed(client2, 0);
    awaitAllowed(client2, 1);

    cluster.stop(2);
    two = cluster.startBroker(2);
    client2 = cluster.web(2);
    assertThat(produce(client2, 0).statusCode()).as("read back at start, before serving").isEqualTo(200);
    assertThat(await(client2.get("/acls?resource_type=TOPIC").send()).bodyAsJsonObject().getJsonArray("data"))
        .hasSize(1);
  }

  /** Broker 2 applies a change "within moments": polled until it does, with a deadline only against a hang. */
  private static void awaitAllowed(WebClient client, int partition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    HttpResponse<Buffer> r = produce(client, partition);
    while (r.statusCode() == 403 && System.nanoTime() < deadline) {
      r = produce(client, partition);
    }
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  private static HttpResponse<Buffer> produce(WebClient client, int partition) throws Exception {
    return await(client.post("/topics/t/partitions/" + partition).putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendBuffer(new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", "v")))
            .toBuffer()));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }
}
