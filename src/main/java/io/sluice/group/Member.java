package io.sluice.group;

import io.sluice.api.Subscription;

import io.sluice.api.TopicPartition;
import java.util.List;

/**
 * One member of a group as its coordinator sees it. Mutable; confined to the coordinator's context.
 */
public final class Member {
  private final String memberId;
  private final String clientId;
  private Subscription subscription;
  private final long sessionTimeoutMs;
  private long lastHeartbeatMs;
  /** The latest generation this member has seen its assignment for; -1 before the first. */
  private int seenGeneration = -1;
  private List<TopicPartition> assignment = List.of();

  Member(String memberId, String clientId, Subscription subscription, long sessionTimeoutMs, long nowMs) {
    this.memberId = memberId;
    this.clientId = clientId;
    this.subscription = subscription;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.lastHeartbeatMs = nowMs;
  }

  public String memberId() {
    return memberId;
  }

  /** The consumer instance name behind this member. */
  public String clientId() {
    return clientId;
  }

  public Subscription subscription() {
    return subscription;
  }

  void subscription(Subscription s) {
    this.subscription = s;
  }

  public long sessionTimeoutMs() {
    return sessionTimeoutMs;
  }

  public long lastHeartbeatMs() {
    return lastHeartbeatMs;
  }

  void heartbeat(long nowMs) {
    lastHeartbeatMs = Math.max(lastHeartbeatMs, nowMs);
  }

  public int seenGeneration() {
    return seenGeneration;
  }

  void seenGeneration(int generation) {
    this.seenGeneration = generation;
  }

  public List<TopicPartition> assignment() {
    return assignment;
  }

  void assignment(List<TopicPartition> a) {
    this.assignment = List.copyOf(a);
  }
}
