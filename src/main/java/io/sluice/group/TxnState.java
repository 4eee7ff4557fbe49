package io.sluice.group;

/** A transactional id's state, with Kafka's names (its {@code TransactionState}). */
enum TxnState {
  EMPTY("Empty"),
  ONGOING("Ongoing"),
  PREPARE_COMMIT("PrepareCommit"),
  PREPARE_ABORT("PrepareAbort"),
  COMPLETE_COMMIT("CompleteCommit"),
  COMPLETE_ABORT("CompleteAbort");

  private final String kafkaName;

  TxnState(String kafkaName) {
    this.kafkaName = kafkaName;
  }

  String kafkaName() {
    return kafkaName;
  }

  static TxnState ofKafkaName(String name) {
    for (TxnState s : values()) {
      if (s.kafkaName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("Unknown transaction state " + name);
  }

  /** The markers of this state's end are being written. */
  boolean preparing() {
    return this == PREPARE_COMMIT || this == PREPARE_ABORT;
  }

  /** No transaction is open: the next AddPartitions starts one. */
  boolean idle() {
    return this == EMPTY || this == COMPLETE_COMMIT || this == COMPLETE_ABORT;
  }
}
