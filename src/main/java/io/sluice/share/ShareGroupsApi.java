package io.sluice.share;

import io.vertx.core.Future;
import java.util.List;

/**
 * The share groups' operations, as the broker that keeps a group runs them ({@link ShareGroups}) and as any other
 * broker sends them there ({@link ShareRouting}, over {@link io.sluice.broker.rpc.BrokerRpc}); arguments and results
 * are Serializable records so they cross between brokers.
 */
public interface ShareGroupsApi {

  Future<String> join(String group, List<String> topics, long sessionTimeoutMs, Boolean earliest);

  Future<Void> leave(String group, String member);

  Future<Void> heartbeat(String group, String member);

  Future<List<ShareRecord>> fetch(String group, String member, int maxRecords, long maxWaitMs);

  Future<List<AckOutcome>> acknowledge(String group, String member, List<Ack> acks);

  Future<ShareGroupDescription> describe(String group);

  Future<List<String>> list();

  Future<Void> delete(String group);

  Future<List<PartitionStart>> resetOffsets(String group, String topic, String to, long offset);
}
