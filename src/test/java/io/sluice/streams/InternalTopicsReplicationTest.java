package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription;
import io.sluice.api.NewTopic;
import io.sluice.api.Services;
import io.sluice.api.TopicMetadata;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A stream's internal topics (dead letters, repartition, changelog) take min(3, brokers the cluster has had) replicas,
 * as the offsets topic does, not min(3, live brokers): defined while one of three brokers is down (a rolling
 * restart) they would keep two replicas for good.
 */
class InternalTopicsReplicationTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));

  @Test
  void internalTopicsCountABrokerThatIsDown() throws Exception {
    List<NewTopic> created = new ArrayList<>();
    StreamsService service = new StreamsService(new BrokerComponent.Context(null,
        BrokerConfig.of(Map.of(BrokerConfig.BROKER_ID, 1)), cluster(created, 3, 2),
        new Services(null, null, null, () -> true, new ArrayList<>()), null));
    StreamDefinition d = PARSER.parse(new JsonObject("""
        {"name": "w", "inputs": ["in"], "value_format": "json", "steps": [
          {"group_by": "key"}, {"window": {"tumbling": "1m"}}, {"count": {"emit": "update"}}, {"to": "out"}]}"""),
        null);

    service.ensureDeadLetterTopic(service.caller(), d).await(10, TimeUnit.SECONDS);

    assertThat(created).extracting(NewTopic::name).contains(d.deadLetterTopic(), d.changelogTopic());
    assertThat(created).allSatisfy(t -> assertThat(t.replicationFactor()).as(t.name()).isEqualTo(3));
  }

  /** A cluster of {@code seen} brokers of which {@code live} are up, whose only topic is "in"; creations recorded. */
  private static BrokerService cluster(List<NewTopic> created, int seen, int live) {
    List<ClusterDescription.BrokerInfo> brokers = new ArrayList<>();
    for (int id = 1; id <= seen; id++) {
      brokers.add(new ClusterDescription.BrokerInfo(id, "127.0.0.1", 0, id <= live));
    }
    return (BrokerService) Proxy.newProxyInstance(BrokerService.class.getClassLoader(),
        new Class<?>[] {BrokerService.class}, (proxy, method, args) -> switch (method.getName()) {
          case "describeCluster" -> Future.succeededFuture(new ClusterDescription("c", 1, brokers));
          case "describeTopic" -> "in".equals(args[1])
              ? Future.succeededFuture(new TopicMetadata("in", Map.of(), List.of()))
              : Future.failedFuture(new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no " + args[1]));
          case "createTopic" -> {
            created.add((NewTopic) args[1]);
            yield Future.succeededFuture();
          }
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }
}
