package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DELETE /brokers/{id}} (Kafka's UnregisterBroker): refused while the broker is alive or a replica of any
 * partition, 404 (102) for an id never seen; accepted otherwise, after which internal topics' -1 replication factor
 * counts one broker fewer.
 */
@Tag("several-brokers")
class UnregisterBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long WAIT_MS = InProcessCluster.WAIT_MS;

  @Test
  void aRetiredBrokerIsForgottenOnlyOnceItIsDownAndHoldsNoReplica(@TempDir Path dir) throws Exception {
    try (InProcessCluster cluster = InProcessCluster.create(dir, GUARD).withHttp(1).start(3)) {
      assertRefused(delete(cluster, 3), 409, ErrorCode.BROKER_STILL_ALIVE, "alive");
      await(cluster.broker(1).service().createTopic(RequestContext.SELF, new NewTopic("held", 1, 3, Map.of())));
      cluster.stop(3);
      cluster.awaitLive();
      assertRefused(delete(cluster, 3), 409, ErrorCode.BROKER_HOLDS_REPLICAS, "held-0");

      await(cluster.broker(1).service().deleteTopic(RequestContext.SELF, "held"));
      cluster.awaitEverywhere(s -> s.topic("held").isEmpty());
      assertThat(await(cluster.broker(1).service().describeCluster(RequestContext.SELF))
          .internalTopicReplicationFactor(-1)).as("the stopped broker still counts").isEqualTo(3);
      assertThat(delete(cluster, 3).statusCode()).isEqualTo(204);

      assertThat(await(cluster.broker(1).service().describeCluster(RequestContext.SELF))
          .internalTopicReplicationFactor(-1)).as("once unregistered").isEqualTo(2);
      assertRefused(delete(cluster, 3), 404, ErrorCode.BROKER_ID_NOT_REGISTERED, "not known");
      assertRefused(delete(cluster, 99), 404, ErrorCode.BROKER_ID_NOT_REGISTERED, "99");
    }
  }

  private static HttpResponse<Buffer> delete(InProcessCluster cluster, int id) throws Exception {
    return await(cluster.web(1).delete("/brokers/" + id).send());
  }

  private static void assertRefused(HttpResponse<Buffer> response, int status, ErrorCode code, String says) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getInteger("error_code")).isEqualTo(code.code());
    assertThat(body.getString("message")).contains(says);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }
}
