package io.sluice.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code broker.rack} in the registration znode: Kafka's {@code "rack"} field, absent without one. */
class BrokerRegistrationRackTest {
  @Test
  void theRackRoundTripsUnderKafkasFieldNameAndIsAbsentWithoutOne() {
    BrokerRegistration racked = new BrokerRegistration(1, "127.0.0.1", 8081, "node", "dir").withRack("eu-west-1a");
    BrokerRegistration plain = new BrokerRegistration(2, "127.0.0.1", 8082, "node", "dir");

    assertThat(new JsonObject(new String(racked.toJson(), StandardCharsets.UTF_8)).getString("rack"))
        .isEqualTo("eu-west-1a");
    assertThat(BrokerRegistration.fromJson(1, racked.toJson())).isEqualTo(racked);
    assertThat(BrokerRegistration.fromJson(1, racked.toJson()).withHttpPort(9).rack()).isEqualTo("eu-west-1a");
    assertThat(new JsonObject(new String(plain.toJson(), StandardCharsets.UTF_8)).containsKey("rack")).isFalse();
    assertThat(BrokerRegistration.fromJson(2, plain.toJson()).rack()).isNull();
  }
}
