package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leader's side of KIP-890 without a broker: which batches are asked about, and what a guard stands for. */
class TxnVerificationsTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private final TxnVerifications verifications = new TxnVerifications(TP);
  private final List<Promise<Void>> asked = new ArrayList<>();
  private final TxnVerifications.Verifier verifier = (id, producer, tp) -> {
    Promise<Void> p = Promise.promise();
    asked.add(p);
    return p.future();
  };

  private static ByteBuffer batch(long pid, short epoch, boolean transactional) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(pid, epoch, 0);
    if (transactional) {
      b.transactional();
    }
    return b.append(1, null, "v".getBytes(), null).build();
  }

  private static ByteBuffer concat(ByteBuffer... batches) {
    ByteBuffer all = ByteBuffer.allocate(java.util.Arrays.stream(batches).mapToInt(ByteBuffer::remaining).sum());
    for (ByteBuffer b : batches) {
      all.put(b.duplicate());
    }
    return all.flip();
  }

  @Test
  void theTransactionalProducerIsFoundBehindPlainBatchesAndMixedProducersAreRefused() {
    assertThat(TxnVerifications.transactionalProducer(concat(batch(1, (short) 0, false), batch(2, (short) 0, false))))
        .isNull();
    assertThat(TxnVerifications.transactionalProducer(concat(batch(1, (short) 0, false), batch(7, (short) 3, true))))
        .isEqualTo(new ProducerIdentity(7, (short) 3));
    assertThat(TxnVerifications.transactionalProducer(batch(-1, (short) -1, true))).as("the log refuses it").isNull();
    assertThatThrownBy(() -> TxnVerifications.transactionalProducer(concat(batch(7, (short) 3, true),
        batch(7, (short) 4, true)))).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.INVALID_RECORD));
  }

  @Test
  void oneQuestionPerEpochUntilAMarkerAndAGuardMadeBeforeTheMarkerNoLongerHolds() {
    TxnVerifications.Guard first = verifications.guard("tx", 7, (short) 0, verifier);
    TxnVerifications.Guard second = verifications.guard("tx", 7, (short) 0, verifier);
    assertThat(second).isSameAs(first);
    assertThat(asked).hasSize(1);
    asked.get(0).complete();
    assertThat(verifications.holds(7, first)).isTrue();

    verifications.ended(7); // the transaction's marker, written while a batch's answer travelled
    assertThat(verifications.holds(7, first)).isFalse();
    TxnVerifications.Guard next = verifications.guard("tx", 7, (short) 0, verifier);
    assertThat(next).isNotSameAs(first);
    assertThat(asked).hasSize(2);
    assertThat(verifications.guard("tx", 7, (short) 1, verifier)).as("a new epoch asks again").isNotSameAs(next);
    assertThat(asked).hasSize(3);
  }

  @Test
  void aRefusalIsNotKeptAndNoIdIsARefusalWithoutAQuestion() {
    TxnVerifications.Guard refused = verifications.guard("tx", 7, (short) 0, verifier);
    asked.get(0).fail(new SluiceException(ErrorCode.INVALID_TXN_STATE, "not added"));
    assertThat(verifications.holds(7, refused)).isFalse();
    verifications.guard("tx", 7, (short) 0, verifier);
    assertThat(asked).as("asked again").hasSize(2);

    Future<Void> noId = verifications.guard(null, 8, (short) 0, verifier).answer;
    assertThat(noId.failed()).isTrue();
    assertThat(((SluiceException) noId.cause()).errorCode()).isEqualTo(ErrorCode.INVALID_TXN_STATE);
    assertThat(asked).hasSize(2);
  }
}
