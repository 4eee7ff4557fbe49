package io.sluice.broker.metadata;

/**
 * Sluice's znodes, all under the {@code /sluice} namespace (beside vertx-zookeeper's {@code /io.vertx}).
 *
 * <pre>
 * /brokers/ids/&lt;id&gt;                        ephemeral  {@link BrokerRegistration} JSON
 * /topics/&lt;name&gt;                            persistent {@link TopicState} JSON: replication factor, configs,
 *                                                       replica assignment, reassignments in progress
 * /topics/&lt;name&gt;/partitions                 persistent (empty)
 * /topics/&lt;name&gt;/partitions/&lt;p&gt;             persistent (empty)
 * /topics/&lt;name&gt;/partitions/&lt;p&gt;/state       persistent {@link PartitionState} JSON: leader, leader_epoch, isr
 * /producer_id_block                         persistent the next unclaimed producer id (decimal text)
 * /brokers/seen/&lt;id&gt;                       persistent {@link BrokerRegistration} JSON of every broker ever registered
 * /cluster_id                               persistent the cluster id (random, written by the first broker)
 * /controller/...                           Curator LeaderLatch of the controller election
 * /controller_epoch                         persistent {"epoch", "broker"}: its version fences every controller write
 * /config/client-quotas/&lt;entity&gt;          persistent a client quota entity's quotas ({@code io.sluice.quota.QuotaStore})
 * </pre>
 *
 * A topic and its partition znodes are created in one transaction and deleted in one, so a reader never sees
 * half a topic from this broker's writes.
 */
public final class ZkPaths {
  public static final String NAMESPACE = "sluice";
  public static final String BROKER_IDS = "/brokers/ids";
  public static final String TOPICS = "/topics";
  /** Persistent: the next unclaimed idempotent-producer id, as decimal text (see {@code ProducerIdManager}). */
  public static final String PRODUCER_ID_BLOCK = "/producer_id_block";
  public static final String BROKERS_SEEN = "/brokers/seen";
  public static final String CLUSTER_ID = "/cluster_id";
  public static final String CONTROLLER = "/controller";
  public static final String CONTROLLER_EPOCH = "/controller_epoch";

  private ZkPaths() {
  }

  public static String broker(int id) {
    return BROKER_IDS + "/" + id;
  }

  public static String topic(String name) {
    return TOPICS + "/" + name;
  }

  public static String partitions(String topic) {
    return topic(topic) + "/partitions";
  }

  public static String partition(String topic, int partition) {
    return partitions(topic) + "/" + partition;
  }

  public static String partitionState(String topic, int partition) {
    return partition(topic, partition) + "/state";
  }
}
