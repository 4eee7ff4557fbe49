package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ClusterDescription;
import io.sluice.config.BrokerConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code connect.topics.replication.factor} -1 takes min(3, brokers the cluster has had), as the offsets topic does:
 * Connect's internal topics created while one of three brokers is down (a rolling restart) get three replicas, not
 * two for good.
 */
class ConnectTopicsReplicationTest {
  private static final ClusterDescription ONE_OF_THREE_DOWN = new ClusterDescription("c", 1, List.of(
      new ClusterDescription.BrokerInfo(1, "127.0.0.1", 0, true), new ClusterDescription.BrokerInfo(2, "127.0.0.1", 0,
          true), new ClusterDescription.BrokerInfo(3, "127.0.0.1", 0, false)));

  @Test
  void theDefaultCountsABrokerThatIsDown() {
    assertThat(service(-1).replicationFactor(ONE_OF_THREE_DOWN)).isEqualTo(3);
  }

  @Test
  void aSingleBrokerClusterTakesOneAndAConfiguredFactorIsKept() {
    assertThat(service(-1).replicationFactor(new ClusterDescription("c", 1, List.of(
        new ClusterDescription.BrokerInfo(1, "127.0.0.1", 0, true))))).isEqualTo(1);
    assertThat(service(2).replicationFactor(ONE_OF_THREE_DOWN)).isEqualTo(2);
  }

  private static ConnectService service(int replicationFactor) {
    return new ConnectService(null, null, BrokerConfig.of(Map.of(BrokerConfig.CONNECT_TOPICS_REPLICATION_FACTOR,
        replicationFactor)), null);
  }
}
