package io.sluice.broker;

import io.sluice.api.ProducerIdentity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProducerIdManagerTest {

  @Test
  void aBlockClaimThatCompletesAtOnceStillAnswersTheCaller() {
    AtomicLong counter = new AtomicLong();
    ProducerIdManager ids = new ProducerIdManager(size -> Future.succeededFuture(counter.getAndAdd(size)));

    List<Long> got = new ArrayList<>();
    for (int i = 0; i < ProducerIdManager.BLOCK_SIZE + 2; i++) {
      Future<ProducerIdentity> id = ids.allocate();
      assertThat(id.succeeded()).as("allocation %d: %s", i, id.cause()).isTrue();
      got.add(id.result().producerId());
    }

    assertThat(got).doesNotHaveDuplicates().startsWith(0L, 1L).endsWith(ProducerIdManager.BLOCK_SIZE + 1);
    assertThat(counter.get()).isEqualTo(2 * ProducerIdManager.BLOCK_SIZE);
  }

  @Test
  void callersWaitingOnOneClaimShareItAndGetDistinctIds() {
    List<Promise<Long>> claims = new ArrayList<>();
    ProducerIdManager ids = new ProducerIdManager(size -> {
      Promise<Long> claim = Promise.promise();
      claims.add(claim);
      return claim.future();
    });

    Future<ProducerIdentity> first = ids.allocate();
    Future<ProducerIdentity> second = ids.allocate();
    assertThat(claims).hasSize(1);
    claims.get(0).complete(5_000L);

    assertThat(first.result().producerId()).isNotEqualTo(second.result().producerId());
    assertThat(List.of(first.result().producerId(), second.result().producerId()))
        .containsExactlyInAnyOrder(5_000L, 5_001L);
  }

  @Test
  void aFailedClaimFailsItsCallersAndTheNextCallClaimsAgain() {
    List<Promise<Long>> claims = new ArrayList<>();
    ProducerIdManager ids = new ProducerIdManager(size -> {
      Promise<Long> claim = Promise.promise();
      claims.add(claim);
      return claim.future();
    });

    Future<ProducerIdentity> failed = ids.allocate();
    claims.get(0).fail(new IllegalStateException("zookeeper down"));
    assertThat(failed.failed()).isTrue();

    Future<ProducerIdentity> retried = ids.allocate();
    assertThat(claims).hasSize(2);
    claims.get(1).complete(0L);
    assertThat(retried.result().producerId()).isZero();
  }
}
