package io.sluice.group;

import io.sluice.api.Subscription;

import io.sluice.api.GroupProtocol;
import io.sluice.api.TopicPartition;
import java.util.List;

/**
 * One member of a group as its coordinator sees it: a server-assigned member has a subscription and partitions; a
 * member-assigned one has protocols with metadata and the opaque assignment its leader gave it. Mutable; confined to
 * the coordinator's context.
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
  private List<GroupProtocol> protocols = List.of();
  private long rebalanceTimeoutMs;
  private String clientAddress = "";
  /** Member-assigned: joined in the current rebalance and waits for its answer. */
  private boolean awaitingJoin;
  /** Member-assigned: synced the current generation and waits for the leader's assignment. */
  private boolean awaitingSync;
  private byte[] memberAssignment = new byte[0];
  /** Kafka's {@code group.instance.id} of a static member (KIP-345); null for a dynamic one. */
  private final String groupInstanceId;

  Member(String memberId, String clientId, Subscription subscription, long sessionTimeoutMs, long nowMs) {
    this(memberId, clientId, subscription, sessionTimeoutMs, nowMs, null);
  }

  Member(String memberId, String clientId, Subscription subscription, long sessionTimeoutMs, long nowMs,
      String groupInstanceId) {
    this.memberId = memberId;
    this.clientId = clientId;
    this.subscription = subscription;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.lastHeartbeatMs = nowMs;
    this.groupInstanceId = groupInstanceId;
  }

  /** The static member's {@code group.instance.id}; null for a dynamic member. */
  public String groupInstanceId() {
    return groupInstanceId;
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

  public List<GroupProtocol> protocols() {
    return protocols;
  }

  void protocols(List<GroupProtocol> p, long rebalanceMs, String address) {
    this.protocols = List.copyOf(p);
    this.rebalanceTimeoutMs = rebalanceMs;
    this.clientAddress = address == null ? "" : address;
  }

  /** The member's metadata for protocol {@code name}; empty if it does not support it. */
  public byte[] metadata(String name) {
    return protocols.stream().filter(p -> p.name().equals(name)).findFirst().map(GroupProtocol::metadata)
        .orElse(new byte[0]);
  }

  public long rebalanceTimeoutMs() {
    return rebalanceTimeoutMs;
  }

  public String clientAddress() {
    return clientAddress;
  }

  public boolean awaitingJoin() {
    return awaitingJoin;
  }

  void awaitingJoin(boolean b) {
    awaitingJoin = b;
  }

  public boolean awaitingSync() {
    return awaitingSync;
  }

  void awaitingSync(boolean b) {
    awaitingSync = b;
  }

  /** The assignment the leader gave this member-assigned member for the current generation. */
  public byte[] memberAssignment() {
    return memberAssignment.clone();
  }

  void memberAssignment(byte[] a) {
    memberAssignment = a == null ? new byte[0] : a.clone();
  }
}
