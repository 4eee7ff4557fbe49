package io.sluice.broker.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.InternalTopics;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Every write path into an internal topic is refused for clients, whatever listener they came through. */
class PolicyBrokerServiceTest {
  private static final String INTERNAL = InternalTopics.CONSUMER_OFFSETS;
  private static final RequestContext CLIENT = RequestContext.anonymous("http", "127.0.0.1:5000", "test");
  private static final RequestContext OTHER_LISTENER = RequestContext.anonymous("kafka", "127.0.0.1:5001", "");
  private final List<String> reached = new ArrayList<>();
  private final BrokerService delegate = (BrokerService) Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {BrokerService.class}, (proxy, method, args) -> {
        reached.add(method.getName());
        return Future.succeededFuture();
      });
  private final PolicyBrokerService policy = new PolicyBrokerService(delegate);

  private static final Map<String, Function<RequestContext, Function<BrokerService, Future<?>>>> WRITES = Map.of(
      "produce", c -> s -> s.produce(c, new TopicPartition(INTERNAL, 0), ByteBuffer.allocate(0), Acks.ALL),
      "metadataForProduce", c -> s -> s.metadataForProduce(c, INTERNAL),
      "createTopic", c -> s -> s.createTopic(c, new NewTopic(INTERNAL, 1, 1, Map.of())),
      "createPartitions", c -> s -> s.createPartitions(c, INTERNAL, 9),
      "deleteTopic", c -> s -> s.deleteTopic(c, INTERNAL),
      "alterTopicConfigs", c -> s -> s.alterTopicConfigs(c, INTERNAL,
          List.of(io.sluice.api.ConfigAlteration.set("retention.ms", "1")), false));

  @Test
  void clientsOfAnyListenerCannotWriteTheInternalTopic() {
    for (RequestContext caller : List.of(CLIENT, OTHER_LISTENER)) {
      WRITES.forEach((name, call) -> {
        Future<?> f = call.apply(caller).apply(policy);
        assertThat(f.failed()).as(name + " by " + caller).isTrue();
        ErrorCode code = ((SluiceException) f.cause()).errorCode();
        assertThat(code).as(name).isEqualTo(name.equals("produce") || name.equals("metadataForProduce")
            ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.INVALID_REQUEST);
        assertThat(f.cause().getMessage()).contains(INTERNAL);
      });
    }
    assertThat(reached).as("no refused call reached the broker").isEmpty();
  }

  /**
   * The connect workers write their topics through the client API, so clients may produce to them; on main a client
   * could also delete {@code __connect_configs} (every config change then failed 404, every connector lost at the
   * next start), shrink its retention or delete its records.
   */
  @Test
  void clientsCannotDeleteNorAlterTheConnectTopicsButMayProduceToThem() {
    for (String topic : InternalTopics.CONNECT) {
      Map<String, Future<?>> refused = Map.of(
          "deleteTopic", policy.deleteTopic(CLIENT, topic),
          "createTopic", policy.createTopic(CLIENT, new NewTopic(topic, 1, 1, Map.of())),
          "createPartitions", policy.createPartitions(CLIENT, topic, 9),
          "alterTopicConfigs", policy.alterTopicConfigs(CLIENT, topic,
              List.of(io.sluice.api.ConfigAlteration.set("cleanup.policy", "delete")), false),
          "deleteRecords", policy.deleteRecords(CLIENT, new TopicPartition(topic, 0), 5));
      refused.forEach((name, f) -> {
        assertThat(f.failed()).as(name + " of " + topic).isTrue();
        assertThat(((SluiceException) f.cause()).errorCode()).as(name).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(f.cause().getMessage()).contains(topic);
      });
      assertThat(policy.produce(CLIENT, new TopicPartition(topic, 0), ByteBuffer.allocate(0), Acks.ALL).succeeded())
          .as("the workers' own writes come through the client API").isTrue();
      assertThat(policy.metadataForProduce(CLIENT, topic).succeeded()).isTrue();
      assertThat(policy.deleteTopic(RequestContext.internal(1), topic).succeeded()).isTrue();
    }
    assertThat(reached).hasSize(3 * InternalTopics.CONNECT.size());
  }

  @Test
  void theBrokersOwnCallsAndOtherTopicsPass() {
    WRITES.forEach((name, call) -> assertThat(call.apply(RequestContext.internal(3)).apply(policy).succeeded())
        .as(name).isTrue());
    assertThat(policy.produce(CLIENT, new TopicPartition("orders", 0), ByteBuffer.allocate(0), Acks.ALL).succeeded())
        .isTrue();
    assertThat(policy.fetch(CLIENT, new io.sluice.api.FetchRequest(new TopicPartition(INTERNAL, 0), 0, 1, 1, 0))
        .succeeded()).as("reading the internal topic is allowed").isTrue();
    assertThat(reached).hasSize(WRITES.size() + 2);
  }
}
