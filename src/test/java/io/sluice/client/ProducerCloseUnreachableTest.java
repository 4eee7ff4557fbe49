package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A producer that never reached a broker closes at once when nothing waits to be sent, instead of waiting out its
 * identity request's retries: a TLS broker's schema registry, whose client could not reach its own listener, held
 * the broker's shutdown for the listener step's whole bound.
 */
class ProducerCloseUnreachableTest {
  /** Far longer than the test's bound: the old close waited this long for the producer id. */
  private static final long DELIVERY_TIMEOUT_MS = 3_600_000;

  @Test
  void anIdempotentProducerThatNeverGotItsIdClosesWithNothingToSend() throws Exception {
    int refusing;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      refusing = s.getLocalPort(); // closed below: connections to it are refused, a retriable network error
    }
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + refusing));
    try {
      Producer producer = client.producer(ProducerOptions.defaults().deliveryTimeoutMs(DELIVERY_TIMEOUT_MS)
          .retryBackoffMs(50));
      producer.close().await().atMost(Duration.ofSeconds(60));
      assertThat(producer.send(ProducerRecord.of("t", null, "v")).subscribeAsCompletionStage())
          .failsWithin(Duration.ofSeconds(60));
    } finally {
      client.close().await().atMost(Duration.ofSeconds(60));
    }
  }
}
