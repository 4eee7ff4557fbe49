package io.sluice.client;

import java.util.Objects;

/**
 * A {@link ShareConsumer}'s share group and how it polls. Mutable while being configured; not thread-safe. Names
 * follow the Kafka share consumer's settings they mirror.
 */
public final class ShareConsumerOptions {
  private final String group;
  private Boolean fromEarliest;
  private long sessionTimeoutMs;
  private int maxPollRecords = 500;

  private ShareConsumerOptions(String group) {
    this.group = Objects.requireNonNull(group, "group");
    if (group.isEmpty()) {
      throw new IllegalArgumentException("a share consumer needs a group name");
    }
  }

  /** A member of share group {@code group}. */
  public static ShareConsumerOptions of(String group) {
    return new ShareConsumerOptions(group);
  }

  public String group() {
    return group;
  }

  /**
   * {@code share.auto.offset.reset} for the partitions the group starts on later (true: earliest, false: latest);
   * null (the default) leaves the group's setting as it is (latest for a new group).
   */
  public Boolean fromEarliest() {
    return fromEarliest;
  }

  public ShareConsumerOptions fromEarliest(boolean fromEarliest) {
    this.fromEarliest = fromEarliest;
    return this;
  }

  /** The member's session; 0 (the default) takes the broker's {@code group.share.session.timeout.ms}. */
  public long sessionTimeoutMs() {
    return sessionTimeoutMs;
  }

  public ShareConsumerOptions sessionTimeoutMs(long sessionTimeoutMs) {
    if (sessionTimeoutMs < 0) {
      throw new IllegalArgumentException("session.timeout.ms must not be negative: " + sessionTimeoutMs);
    }
    this.sessionTimeoutMs = sessionTimeoutMs;
    return this;
  }

  /** {@code max.poll.records}: the most records one poll hands out. */
  public int maxPollRecords() {
    return maxPollRecords;
  }

  public ShareConsumerOptions maxPollRecords(int maxPollRecords) {
    if (maxPollRecords < 1) {
      throw new IllegalArgumentException("max.poll.records must be positive: " + maxPollRecords);
    }
    this.maxPollRecords = maxPollRecords;
    return this;
  }
}
