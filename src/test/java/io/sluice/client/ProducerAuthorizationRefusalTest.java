package io.sluice.client;

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
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.HttpListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idempotent producer whose batches the broker refuses TOPIC_AUTHORIZATION_FAILED (no Topic Write) writes the
 * partition's later records once Write is granted, in order, each once, as Kafka's producer does (an authorization
 * refusal consumes no sequence): before, the refusal left a hole in the partition's sequence and every later record
 * to it failed ("create a new producer"). The client is {@code User:ANONYMOUS}, allowed only what an ACL says.
 */
class ProducerAuthorizationRefusalTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private Broker broker;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dataDir, Map.of(BrokerConfig.HTTP_PORT, 0,
        BrokerConfig.AUTHORIZER_ENABLE, true, BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false)), GUARD, HttpListener::new);
    broker.services().broker().createTopic(RequestContext.internal(1), new NewTopic("t", 1, (short) 1, Map.of()))
        .await(WAIT.toSeconds(), TimeUnit.SECONDS);
    // Write on another topic lets the producer ask for its id (as Kafka 3.0); "t" may be described and read only.
    grant(ResourceType.TOPIC, "other", AclOperation.WRITE);
    grant(ResourceType.TOPIC, "t", AclOperation.DESCRIBE);
    grant(ResourceType.TOPIC, "t", AclOperation.READ);
    // No Cluster Describe: the client's bootstrap (GET /cluster) needs none, as Kafka's Metadata needs none.
    client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (client != null) {
        client.close().await().atMost(WAIT);
      }
    } finally {
      TestBrokers.close(broker);
    }
  }

  @Test
  void recordsRefusedForWantOfWriteFailAloneAndTheLaterOnesAreWrittenOnceWriteIsGranted() throws Exception {
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(0));
    for (String value : List.of("refused-1", "refused-2")) {
      Throwable refused = producer.send(record(value)).onItem().<Throwable>transform(md -> null)
          .onFailure().recoverWithItem(t -> t).await().atMost(WAIT);
      assertThat(refused).isInstanceOf(SluiceException.class);
      assertThat(((SluiceException) refused).errorCode()).as(refused.getMessage())
          .isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    }

    grant(ResourceType.TOPIC, "t", AclOperation.WRITE);
    assertThat(producer.send(record("first")).await().atMost(WAIT).offset()).isZero();
    assertThat(producer.send(record("second")).await().atMost(WAIT).offset()).isEqualTo(1);
    assertThat(client.admin().offsets("t", 0).await().atMost(WAIT).endOffset()).isEqualTo(2);
    List<ConsumerRecord> read = client.partitionReader(ReaderOptions.of("t", 0).fetchMaxWaitMs(200)).records()
        .select().first(2).collect().asList().await().atMost(WAIT);
    assertThat(read).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
        .containsExactly("first", "second");
  }

  private static ProducerRecord record(String value) {
    return ProducerRecord.of("t", null, value).withPartition(0);
  }

  /** Allows User:ANONYMOUS {@code op} on the LITERAL resource from 127.0.0.1, written by the broker itself. */
  private void grant(ResourceType type, String name, AclOperation op) throws Exception {
    broker.services().broker().createAcls(RequestContext.internal(1), List.of(new AclBinding(type, name,
        PatternType.LITERAL, "User:ANONYMOUS", "127.0.0.1", op, AclPermission.ALLOW)))
        .await(WAIT.toSeconds(), TimeUnit.SECONDS);
  }
}
