package io.sluice.broker.metadata;

/**
 * Another live broker, with another data directory, is registered under this broker's id: the broker must not
 * start (it would take over that broker's partitions from a directory that does not hold their data).
 */
public final class DuplicateBrokerIdException extends IllegalStateException {
  private final int brokerId;

  public DuplicateBrokerIdException(int brokerId, String other) {
    super("Broker id " + brokerId + " is already registered by " + other + "; broker ids must be unique:"
        + " give this broker another --broker-id, or stop the other one first (if it was this broker before a crash,"
        + " with another data directory, start again once its ZooKeeper session expired)");
    this.brokerId = brokerId;
  }

  public int brokerId() {
    return brokerId;
  }
}
