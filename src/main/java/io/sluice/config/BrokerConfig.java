package io.sluice.config;

import static io.sluice.config.ConfigKey.boolKey;
import static io.sluice.config.ConfigKey.intKey;
import static io.sluice.config.ConfigKey.longKey;
import static io.sluice.config.ConfigKey.stringKey;

import io.sluice.storage.LogConfig;
import io.sluice.storage.MessageTimestamps;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A broker's configuration: a flat map of keys to values, under Kafka's names where the concept is Kafka's
 * ({@code broker.id}, {@code log.dirs}, {@code zookeeper.connect}, {@code log.retention.ms} ...) and Sluice's own
 * {@code http.*} and {@code cluster.*} keys otherwise.
 *
 * <p>Every known key is parsed and range-checked when the config is built, so a bad value fails at startup with a
 * {@link ConfigException} naming the key. Unknown keys are kept (and reported by {@link #unknownKeys()}) so that
 * newer config files still load. Immutable and thread-safe.
 *
 * <p>Precedence is the caller's: {@code BrokerConfig.load(file).with(flags).with(sets)}.
 */
public final class BrokerConfig {
  public static final String BROKER_ID = "broker.id";
  public static final String LOG_DIRS = "log.dirs";
  public static final String ROCKSDB_NATIVE_DIR = "rocksdb.native.dir";
  public static final String LOG_DIR = "log.dir";
  public static final String ZOOKEEPER_CONNECT = "zookeeper.connect";
  public static final String ZOOKEEPER_EMBEDDED_PORT = "zookeeper.embedded.port";
  public static final String ZOOKEEPER_EMBEDDED_SSL_ENABLE = "zookeeper.embedded.ssl.enable";
  public static final String ZOOKEEPER_EMBEDDED_SASL_ENABLE = "zookeeper.embedded.sasl.enable";
  public static final String ZOOKEEPER_EMBEDDED_SASL_SECTION = "zookeeper.embedded.sasl.serverconfig";
  public static final String ZOOKEEPER_EMBEDDED_SASL_REQUIRED = "zookeeper.embedded.sasl.required";
  public static final String ZOOKEEPER_EMBEDDED_SUPER_USERS = "zookeeper.embedded.super.users";
  public static final String ZOOKEEPER_EMBEDDED_SUPER_DIGEST = "zookeeper.embedded.super.digest";
  public static final String ZOOKEEPER_SESSION_TIMEOUT_MS = "zookeeper.session.timeout.ms";
  public static final String ZOOKEEPER_CONNECTION_TIMEOUT_MS = "zookeeper.connection.timeout.ms";
  public static final String SHUTDOWN_TIMEOUT_MS = "shutdown.timeout.ms";
  public static final String CONTROLLED_SHUTDOWN_ENABLE = "controlled.shutdown.enable";
  public static final String CONTROLLED_SHUTDOWN_TIMEOUT_MS = "controlled.shutdown.timeout.ms";
  public static final String NUM_PARTITIONS = "num.partitions";
  public static final String MAX_PARTITIONS_PER_TOPIC = "max.partitions.per.topic";
  public static final String MAX_PARTITIONS_PER_BROKER = "max.partitions.per.broker";
  public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
  public static final String LOG_SEGMENT_BYTES = "log.segment.bytes";
  public static final String LOG_SEGMENT_MS = "log.segment.ms";
  public static final String LOG_ROLL_MS = "log.roll.ms";
  public static final String LOG_RETENTION_MS = "log.retention.ms";
  public static final String LOG_RETENTION_BYTES = "log.retention.bytes";
  public static final String LOG_RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms";
  public static final String LOG_FLUSH_INTERVAL_MESSAGES = "log.flush.interval.messages";
  public static final String LOG_FLUSH_INTERVAL_MS = "log.flush.interval.ms";
  public static final String LOG_INDEX_INTERVAL_BYTES = "log.index.interval.bytes";
  public static final String LOG_INDEX_MEMORY_BYTES = "log.index.memory.bytes";
  public static final String LOG_SEGMENT_DELETE_DELAY_MS = "log.segment.delete.delay.ms";
  public static final String HEAP_RELEASE_INTERVAL_MS = "heap.release.interval.ms";
  public static final String MESSAGE_MAX_BYTES = "message.max.bytes";
  public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
  public static final String AUTO_CREATE_TOPICS_ENABLE = "auto.create.topics.enable";
  public static final String AUTHORIZER_ENABLE = "authorizer.enable";
  public static final String SUPER_USERS = "super.users";
  public static final String ALLOW_EVERYONE_IF_NO_ACL_FOUND = "allow.everyone.if.no.acl.found";
  public static final String NUM_IO_THREADS = "num.io.threads";
  public static final String NUM_EVENT_LOOP_THREADS = "num.event.loop.threads";
  public static final String HTTP_HOST = "http.host";
  public static final String HTTP_PORT = "http.port";
  public static final String HTTP_INSTANCES = "http.instances";
  public static final String HTTP_MAX_BODY_BYTES = "http.max.body.bytes";
  public static final String HTTP_MAX_CONNECTIONS = "http.max.connections";
  public static final String HTTP_MAX_CONNECTIONS_PER_IP = "http.max.connections.per.ip";
  public static final String HTTP_IDLE_TIMEOUT_MS = "http.idle.timeout.ms";
  public static final String HTTP_REQUEST_HEAD_TIMEOUT_MS = "http.request.head.timeout.ms";
  public static final String HTTP_MIN_FREE_FILE_DESCRIPTORS = "http.min.free.file.descriptors";
  public static final String HTTP_MAX_INFLIGHT_BODY_BYTES = "http.max.inflight.body.bytes";
  public static final String HTTP_MAX_INFLIGHT_ANSWER_BYTES = "http.max.inflight.answer.bytes";
  public static final String FETCH_MAX_WAIT_MS = "fetch.max.wait.ms";
  public static final String HTTP_MAX_RECORDS_PER_REQUEST = "http.max.records.per.request";
  public static final String HTTP_WS_MAX_FRAME_BYTES = "http.ws.max.frame.bytes";
  public static final String HTTP_WS_MAX_MESSAGE_BYTES = "http.ws.max.message.bytes";
  public static final String CLUSTER_HOST = "cluster.host";
  public static final String CLUSTER_PORT = "cluster.port";
  public static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions";
  public static final String OFFSETS_TOPIC_REPLICATION_FACTOR = "offsets.topic.replication.factor";
  public static final String OFFSETS_TOPIC_SEGMENT_BYTES = "offsets.topic.segment.bytes";
  public static final String TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms";
  public static final String TRANSACTION_PARTITION_VERIFICATION_ENABLE = "transaction.partition.verification.enable";
  public static final String TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS =
      "transaction.abort.timed.out.transaction.cleanup.interval.ms";
  public static final String TRANSACTIONAL_ID_EXPIRATION_MS = "transactional.id.expiration.ms";
  public static final String TRANSACTION_MAX_PARTITIONS = "transaction.max.partitions";
  public static final String TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS =
      "transaction.remove.expired.transaction.cleanup.interval.ms";
  public static final String LOG_CLEANER_DELETE_RETENTION_MS = "log.cleaner.delete.retention.ms";
  public static final String LOG_CLEANER_MIN_COMPACTION_LAG_MS = "log.cleaner.min.compaction.lag.ms";
  public static final String LOG_CLEANER_MAX_COMPACTION_LAG_MS = "log.cleaner.max.compaction.lag.ms";
  /** Kafka's broker key has no {@code log.} prefix. */
  public static final String COMPRESSION_TYPE = LogConfig.COMPRESSION_TYPE;
  public static final String LOG_MESSAGE_TIMESTAMP_TYPE = "log." + MessageTimestamps.TYPE;
  public static final String LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "log." + MessageTimestamps.BEFORE_MAX_MS;
  public static final String LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS = "log." + MessageTimestamps.AFTER_MAX_MS;
  public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
  public static final String PRODUCER_ID_MAX_PER_PARTITION = "producer.id.max.per.partition";
  public static final String PRODUCER_ID_MAX_PER_BROKER = "producer.id.max.per.broker";
  public static final String GROUP_MIN_SESSION_TIMEOUT_MS = "group.min.session.timeout.ms";
  public static final String GROUP_MAX_REBALANCE_TIMEOUT_MS = "group.max.rebalance.timeout.ms";
  public static final String GROUP_MAX_SESSION_TIMEOUT_MS = "group.max.session.timeout.ms";
  public static final String SHARE_RECORD_LOCK_DURATION_MS = "group.share.record.lock.duration.ms";
  public static final String SHARE_DELIVERY_COUNT_LIMIT = "group.share.delivery.count.limit";
  public static final String SHARE_PARTITION_MAX_RECORD_LOCKS = "group.share.partition.max.record.locks";
  public static final String SHARE_SESSION_TIMEOUT_MS = "group.share.session.timeout.ms";
  public static final String SHARE_MIN_SESSION_TIMEOUT_MS = "group.share.min.session.timeout.ms";
  public static final String SHARE_MAX_SESSION_TIMEOUT_MS = "group.share.max.session.timeout.ms";
  public static final String CONSUMER_INSTANCE_TIMEOUT_MS = "consumer.instance.timeout.ms";
  public static final String CONSUMER_MAX_INSTANCES = "consumer.max.instances";
  public static final String CONSUMER_MAX_SUBSCRIPTION_ENTRIES = "consumer.max.subscription.entries";
  public static final String OFFSET_METADATA_MAX_BYTES = "offset.metadata.max.bytes";
  public static final String OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes";
  public static final String OFFSETS_RETENTION_CHECK_INTERVAL_MS = "offsets.retention.check.interval.ms";
  public static final String REPLICA_LAG_TIME_MAX_MS = "replica.lag.time.max.ms";
  public static final String REPLICA_FETCH_MAX_BYTES = "replica.fetch.max.bytes";
  public static final String REPLICA_FETCH_WAIT_MAX_MS = "replica.fetch.wait.max.ms";
  public static final String REPLICA_FETCH_BACKOFF_MS = "replica.fetch.backoff.ms";
  public static final String REPLICA_FETCH_CACHE_MAX_BYTES = "replica.fetch.cache.max.bytes";
  public static final String REPLICA_FETCH_LINK_ENABLE = "replica.fetch.link.enable";
  public static final String REPLICA_COMMIT_TIMEOUT_MS = "replica.commit.timeout.ms";
  public static final String METADATA_PROPAGATION_TIMEOUT_MS = "metadata.propagation.timeout.ms";
  public static final String METRICS_ENABLE = "metrics.enable";
  public static final String METRICS_HISTORY_INTERVAL_MS = "metrics.history.interval.ms";
  public static final String METRICS_HISTORY_RETENTION_MS = "metrics.history.retention.ms";
  public static final String METRICS_HISTORY_MAX_SERIES = "metrics.history.max.series";
  public static final String DASHBOARD_ENABLE = "dashboard.enable";
  public static final String REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS =
      "replica.high.watermark.checkpoint.interval.ms";
  public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";
  public static final String AUTO_LEADER_REBALANCE_ENABLE = "auto.leader.rebalance.enable";
  public static final String LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS = "leader.imbalance.check.interval.seconds";
  public static final String LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = "leader.imbalance.per.broker.percentage";
  public static final String BROKER_RACK = "broker.rack";
  public static final String REPLICA_SELECTOR_CLASS = "replica.selector.class";
  /** Kafka's selector that lets a consumer with {@code client.rack} read from an in-sync replica in its rack. */
  public static final String RACK_AWARE_REPLICA_SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector";
  /** Kafka's default: consumers read from the leader only. */
  public static final String LEADER_SELECTOR = "org.apache.kafka.common.replica.LeaderSelector";
  public static final String CONNECT_ENABLED = "connect.enabled";
  public static final String PLUGIN_PATH = "plugin.path";
  public static final String CONNECT_TOPICS_REPLICATION_FACTOR = "connect.topics.replication.factor";
  public static final String CONNECT_MAX_TASKS_PER_CONNECTOR = "connect.max.tasks.per.connector";
  public static final String CONNECT_MAX_CONNECTORS = "connect.max.connectors";
  public static final String CONNECT_FILE_ALLOWED_PATHS = "connect.file.allowed.paths";
  /** Kafka Connect's worker key: source connectors create their topics with their topic.creation.* settings. */
  public static final String TOPIC_CREATION_ENABLE = "topic.creation.enable";

  public static final String SCHEMA_REGISTRY_ENABLED = "schema.registry.enable";
  public static final String SCHEMA_REGISTRY_REPLICATION_FACTOR = "schema.registry.topic.replication.factor";
  public static final String STREAMS_ENABLED = "streams.enabled";
  public static final String QUOTA_WINDOW_NUM = "quota.window.num";
  public static final String QUOTA_WINDOW_SIZE_SECONDS = "quota.window.size.seconds";
  public static final String STREAMS_MAX_DEFINITIONS = "streams.max.definitions";
  public static final String STREAMS_MAX_STEPS = "streams.max.steps";
  public static final String STREAMS_MAX_EXPRESSION_LENGTH = "streams.max.expression.length";
  public static final String STREAMS_MAX_EXPRESSION_ITERATIONS = "streams.max.expression.iterations";
  public static final String STREAMS_MAX_OUTPUTS_PER_RECORD = "streams.max.outputs.per.record";
  public static final String STREAMS_MAX_VALUE_BYTES = "streams.max.value.bytes";
  public static final String STREAMS_MAX_BYTES_PER_RECORD = "streams.max.bytes.per.record";
  public static final String STREAMS_MAX_ANSWER_BYTES = "streams.max.answer.bytes";
  public static final String STREAMS_COMMIT_INTERVAL_MS = "streams.commit.interval.ms";
  public static final String STREAMS_WORKER_THREADS = "streams.worker.threads";
  public static final String STREAMS_STATE_MEMORY_BYTES = "streams.state.memory.bytes";
  /**
   * Confluent REST Proxy's key: NONE (every caller anonymous), or BASIC (HTTP Basic against SCRAM credentials),
   * OAUTHBEARER (JWT bearer tokens, {@link OAuthBearerConfig}) or both, comma-separated.
   */
  public static final String AUTHENTICATION_METHOD = "authentication.method";
  public static final String AUTHENTICATION_MAX_PENDING_VERIFICATIONS = "authentication.max.pending.verifications";

  private static final long WEEK_MS = 7L * 24 * 3600 * 1000;

  /** Every key the broker knows, in the order {@code --help} lists them. */
  public static final List<ConfigKey> KEYS = concat(List.of(
      intKey(BROKER_ID, 1, 0, Integer.MAX_VALUE, "this broker's id, unique in the cluster"),
      stringKey(LOG_DIRS, null, "the data directory (one; overrides log.dir)"),
      stringKey(LOG_DIR, "./data", "the data directory when log.dirs is not set"),
      stringKey(ROCKSDB_NATIVE_DIR, "", "where RocksDB's native library is kept extracted across starts (a"
          + " directory of its version; another version replaces it); empty: <data dir>/native"),
      stringKey(ZOOKEEPER_CONNECT, "", "ZooKeeper ensemble host:port[,host:port...][/chroot]; empty runs an"
          + " embedded ZooKeeper under <data dir>/zookeeper"),
      intKey(ZOOKEEPER_EMBEDDED_PORT, 2181, 0, 65_535, "loopback port of the embedded ZooKeeper; a broker finding it"
          + " taken joins the ZooKeeper there (another local broker's); 0 runs a private one on a free port"),
      boolKey(ZOOKEEPER_EMBEDDED_SSL_ENABLE, false, "serve the embedded ZooKeeper's port over TLS only, with the"
          + " ssl.keystore.* certificate, admitting only clients whose certificate ssl.truststore.* vouches for (their"
          + " ZooKeeper id: x509:<certificate subject>); its clients then need zookeeper.ssl.client.enable"),
      boolKey(ZOOKEEPER_EMBEDDED_SASL_ENABLE, false, "the embedded ZooKeeper authenticates clients with SASL"
          + " DIGEST-MD5 against the user_<name>=\"<password>\" options of the JAAS Server section of"
          + " java.security.auth.login.config (their ZooKeeper id: sasl:<name>)"),
      stringKey(ZOOKEEPER_EMBEDDED_SASL_SECTION, "Server", "the JAAS section of the embedded ZooKeeper's SASL users"),
      boolKey(ZOOKEEPER_EMBEDDED_SASL_REQUIRED, true, "with zookeeper.embedded.sasl.enable, close every session that"
          + " has not logged in with SASL (or as a super user) before its first request (ZooKeeper's"
          + " enforce.auth.schemes=sasl); false admits anonymous clients, which then see only what the ACLs give"
          + " world"),
      stringKey(ZOOKEEPER_EMBEDDED_SUPER_USERS, "", "comma-separated SASL users of the embedded ZooKeeper that"
          + " every znode admits whatever its ACLs (ZooKeeper's zookeeper.superUser)"),
      stringKey(ZOOKEEPER_EMBEDDED_SUPER_DIGEST, "", "user:base64(SHA1(user:password)) whose digest login (addauth"
          + " digest user:password) the embedded ZooKeeper admits to every znode (ZooKeeper's"
          + " DigestAuthenticationProvider.superDigest)"),
      intKey(ZOOKEEPER_SESSION_TIMEOUT_MS, 6_000, 1_000, Integer.MAX_VALUE, "ZooKeeper session timeout: how long a"
          + " dead broker keeps its partitions' leadership (Kafka's default is 18000; Sluice favours quick failover)"),
      intKey(ZOOKEEPER_CONNECTION_TIMEOUT_MS, -1, -1, Integer.MAX_VALUE, "ZooKeeper connect timeout; -1 takes the"
          + " session timeout (a longer one than the session's only makes Curator warn)"),
      intKey(SHUTDOWN_TIMEOUT_MS, 30_000, 1_000, Integer.MAX_VALUE, "the grace of a clean shutdown (SIGTERM):"
          + " steps still running then are abandoned (an unfinished log close costs a recovery scan at the next"
          + " start, never data); each step that needs ZooKeeper is bounded much lower, and a third of the grace (at"
          + " most 10 s) is kept for closing the logs"),
      boolKey(CONTROLLED_SHUTDOWN_ENABLE, true, "on a clean shutdown, first have the controller move the leadership"
          + " of this broker's partitions to other in-sync replicas while it still serves (Kafka's controlled"
          + " shutdown), so clients move on at once instead of waiting for the broker to be gone"),
      intKey(CONTROLLED_SHUTDOWN_TIMEOUT_MS, 5_000, 1, Integer.MAX_VALUE, "how long a controlled shutdown waits"
          + " for the controller to move this broker's leaderships before the stop goes on regardless (Kafka's"
          + " ZooKeeper brokers bounded it by controlled.shutdown.max.retries x controlled.shutdown.retry.backoff.ms);"
          + " never more than the ZooKeeper part of shutdown.timeout.ms"),
      intKey(NUM_PARTITIONS, 1, 1, 100_000, "partitions of an auto-created or defaulted topic"),
      // 99,999 is the last index whose directory name (249-character topic, '-', index) fits in 255 bytes
      intKey(MAX_PARTITIONS_PER_TOPIC, 1_000, 1, 100_000, "partitions one topic may have (at creation and when"
          + " grown)"),
      intKey(MAX_PARTITIONS_PER_BROKER, 4_000, 1, Integer.MAX_VALUE, "partition replicas one broker may host over"
          + " every topic (each keeps a file open); creations and growths past it are refused"),
      intKey(DEFAULT_REPLICATION_FACTOR, 1, 1, Short.MAX_VALUE, "replication factor by default"),
      intKey(LOG_SEGMENT_BYTES, 1 << 30, 1024, Integer.MAX_VALUE, "segment.bytes by default"),
      longKey(LOG_SEGMENT_MS, WEEK_MS, 1, "segment.ms by default (Kafka's log.roll.ms, also accepted)"),
      longKey(LOG_ROLL_MS, WEEK_MS, 1, "Kafka's name for log.segment.ms"),
      longKey(LOG_RETENTION_MS, WEEK_MS, -1, "retention.ms by default; -1 keeps forever"),
      longKey(LOG_RETENTION_BYTES, -1L, -1, "retention.bytes by default; -1 no limit"),
      longKey(LOG_RETENTION_CHECK_INTERVAL_MS, 300_000L, 1, "how often partitions enforce retention,"
          + " compact (cleanup.policy=compact) and expire idle producer ids"),
      longKey(LOG_FLUSH_INTERVAL_MESSAGES, Long.MAX_VALUE, 1, "flush.messages by default"),
      longKey(LOG_FLUSH_INTERVAL_MS, Long.MAX_VALUE, 1, "flush.ms by default"),
      intKey(LOG_INDEX_INTERVAL_BYTES, 4096, 1, Integer.MAX_VALUE, "index.interval.bytes by default"),
      longKey(LOG_INDEX_MEMORY_BYTES, 32L << 20, 4L << 20, "native memory of the index database (RocksDB) at"
          + " most: its block cache, which its memtables are charged to (up to half)"),
      longKey(HEAP_RELEASE_INTERVAL_MS, 60_000L, 0, "after this long without a garbage collection the JVM (G1)"
          + " collects and gives unused heap back to the operating system (G1PeriodicGCInterval); 0 never"),
      longKey(LOG_SEGMENT_DELETE_DELAY_MS, 60_000L, 0, "file.delete.delay.ms by default"),
      longKey(LOG_CLEANER_DELETE_RETENTION_MS, 86_400_000L, 0, "delete.retention.ms by default: how long a"
          + " compacted topic keeps tombstones"),
      longKey(LOG_CLEANER_MIN_COMPACTION_LAG_MS, 0L, 0, "min.compaction.lag.ms by default: how long a record of a"
          + " compacted topic stays uncompacted at least"),
      longKey(LOG_CLEANER_MAX_COMPACTION_LAG_MS, Long.MAX_VALUE, 1, "max.compaction.lag.ms by default: a compacted"
          + " topic's active segment rolls once its first record is this old, so it can be compacted"),
      stringKey(COMPRESSION_TYPE, "producer", "compression.type of topics by default: 'producer' keeps each batch's"
          + " codec; 'uncompressed', 'gzip', 'snappy', 'lz4' or 'zstd' has the leader write every batch in that one"),
      stringKey(LOG_MESSAGE_TIMESTAMP_TYPE, MessageTimestamps.CREATE_TIME, "message.timestamp.type by default:"
          + " CreateTime keeps the producer's timestamps, LogAppendTime has the leader stamp each batch as it appends"),
      longKey(LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS, Long.MAX_VALUE, 0, "message.timestamp.before.max.ms by default:"
          + " how far behind the broker's clock a CreateTime record may be (422, 32, beyond)"),
      longKey(LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS, MessageTimestamps.DEFAULT_AFTER_MAX_MS, 0,
          "message.timestamp.after.max.ms by default: how far ahead of the broker's clock a CreateTime record may"
          + " be (422, 32, beyond)"),
      longKey(PRODUCER_ID_EXPIRATION_MS, 86_400_000L, 1, "an idempotent producer idle this long on a partition"
          + " is forgotten there (checked every log.retention.check.interval.ms)"),
      intKey(PRODUCER_ID_MAX_PER_PARTITION, LogConfig.DEFAULT_PRODUCER_ID_MAX_PER_PARTITION, 1, Integer.MAX_VALUE,
          "idempotent producers a partition remembers at most: a leader refuses a batch of one more (429, 10028,"
          + " retriable), a follower or a restart forgets the one idle longest"),
      intKey(PRODUCER_ID_MAX_PER_BROKER, 500_000, 1, Integer.MAX_VALUE, "idempotent producers all of the"
          + " broker's partitions remember together at most (some 220 bytes of heap each: 110 MB): past it a leader"
          + " refuses a batch of a new one (429, 10028, retriable), a follower or a restart forgets its partition's"
          + " idlest"),
      intKey(MESSAGE_MAX_BYTES, 1_048_588, 1, Integer.MAX_VALUE, "max.message.bytes by default"),
      intKey(MIN_INSYNC_REPLICAS, 1, 1, Short.MAX_VALUE, "min.insync.replicas by default"),
      boolKey(AUTO_CREATE_TOPICS_ENABLE, true, "create a topic on first produce to it"),
      boolKey(AUTHORIZER_ENABLE, false, "decide every client request by the cluster's ACLs (Kafka's ACL model, kept in"
          + " ZooKeeper, managed at /acls); false: every client may do everything but write internal topics"),
      stringKey(SUPER_USERS, "", "principals allowed everything (with the authorizer on) and to manage users'"
          + " credentials (with authentication on), ';'-separated (User:alice;User:bob)"),
      boolKey(ALLOW_EVERYONE_IF_NO_ACL_FOUND, false, "with the authorizer on, a resource no ACL applies to is open to"
          + " every client (false: refused, as in Kafka)"),
      intKey(NUM_IO_THREADS, 8, 1, 1024, "threads of the sluice-storage worker pool that runs log I/O"),
      intKey(NUM_EVENT_LOOP_THREADS, 0, 0, 1024, "Vert.x event-loop threads (HTTP instances, partitions' contexts,"
          + " the group coordinator share them); 0 takes Vert.x's default, twice the available processors"),
      stringKey(HTTP_HOST, "0.0.0.0", "HTTP listen address"),
      intKey(HTTP_PORT, 8080, 0, 65_535, "HTTP listen port; 0 lets the OS choose"),
      intKey(HTTP_INSTANCES, 2, 1, 256, "HTTP server verticle instances"),
      longKey(HTTP_MAX_BODY_BYTES, 16L << 20, 1, "largest accepted request body"),
      intKey(HTTP_MAX_CONNECTIONS, 10_000, 1, Integer.MAX_VALUE, "open HTTP connections at most, counted at"
          + " accept; beyond it a connection's first request gets 503"),
      intKey(HTTP_MAX_CONNECTIONS_PER_IP, 1_000, 1, Integer.MAX_VALUE, "open HTTP connections one client address"
          + " may hold; the next is closed at accept"),
      longKey(HTTP_IDLE_TIMEOUT_MS, 60_000L, 1, "an HTTP connection with no request in flight (a WebSocket with no"
          + " frames; it is pinged at half of this) is closed after this long, and so is one whose peer takes none of the"
          + " bytes waiting for it this long"),
      longKey(HTTP_REQUEST_HEAD_TIMEOUT_MS, 10_000L, 1, "a connection that has not sent a complete request line and"
          + " headers this long after accept (or after the head's first byte) is closed"),
      intKey(HTTP_MIN_FREE_FILE_DESCRIPTORS, 256, 0, Integer.MAX_VALUE, "while fewer file descriptors are free,"
          + " new HTTP connections are closed at accept"),
      longKey(HTTP_MAX_INFLIGHT_BODY_BYTES, 0L, 0, "heap all request bodies in flight may hold (0: an eighth of the"
          + " heap); a request whose body does not fit gets 503 (10026, retriable); at least http.max.body.bytes"),
      longKey(HTTP_MAX_INFLIGHT_ANSWER_BYTES, 0L, 0, "heap all answers being built and written may hold (0: an eighth"
          + " of the heap); an answer that does not fit gets fewer records, or 503 (10027, retriable) when almost"
          + " nothing is free; at least the largest fetch (16 MiB)"),
      intKey(HTTP_MAX_RECORDS_PER_REQUEST, 10_000, 1, Integer.MAX_VALUE, "records one produce request may carry"),
      intKey(HTTP_WS_MAX_FRAME_BYTES, 1 << 20, 1, Integer.MAX_VALUE, "largest WebSocket frame; a larger one closes"
          + " the socket (close code 1009); at most http.ws.max.message.bytes"),
      intKey(HTTP_WS_MAX_MESSAGE_BYTES, 1 << 20, 1, Integer.MAX_VALUE, "largest WebSocket message (all its"
          + " fragments); a larger one gets a 10001 error reply in its place"),
      longKey(FETCH_MAX_WAIT_MS, 30_000L, 0, "cap on a fetch's timeout (its long-poll wait) and on a consumer poll's"),
      stringKey(CLUSTER_HOST, "127.0.0.1", "event-bus host, advertised to other brokers as is"),
      intKey(CLUSTER_PORT, 0, 0, 65_535, "event-bus port; 0 lets the OS choose"),
      intKey(OFFSETS_TOPIC_NUM_PARTITIONS, 8, 1, 1000, "partitions of __consumer_offsets when it is created"),
      intKey(OFFSETS_TOPIC_REPLICATION_FACTOR, -1, -1, Short.MAX_VALUE,
          "replication factor of __consumer_offsets; -1 takes min(3, brokers the cluster has had), created once that"
          + " many are up"),
      intKey(OFFSETS_TOPIC_SEGMENT_BYTES, 4 << 20, 1024, Integer.MAX_VALUE,
          "segment.bytes of __consumer_offsets when it is created (it is compacted; only closed segments are)"),
      boolKey(TRANSACTION_PARTITION_VERIFICATION_ENABLE, true, "a partition leader asks the transaction coordinator"
          + " before it appends the first transactional batch of a producer's transaction, and refuses it"
          + " INVALID_TXN_STATE (48) unless the partition was added to that ongoing transaction (KIP-890); a group's"
          + " coordinator asks the same before it writes a transaction's offsets (TxnOffsetCommit)"),
      longKey(TRANSACTION_MAX_TIMEOUT_MS, 900_000L, 1, "largest transaction_timeout_ms a transactional producer may"
          + " ask for (INVALID_TRANSACTION_TIMEOUT above)"),
      longKey(TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 10_000L, 1, "how often the transaction coordinator"
          + " looks for transactions past their timeout, which it aborts"),
      longKey(TRANSACTIONAL_ID_EXPIRATION_MS, 604_800_000L, 1, "a transactional id with no transaction and no change"
          + " this long is removed from the coordinator's state (its producer id forgotten; initTransactions starts"
          + " it again)"),
      longKey(TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS, 3_600_000L, 1, "how often the transaction coordinator"
          + " looks for expired transactional ids"),
      intKey(TRANSACTION_MAX_PARTITIONS, 1_000, 1, 100_000, "partitions (and consumer groups whose offsets it sends)"
          + " one transaction may name; an add beyond is refused (400, 10130): the coordinator rewrites the whole"
          + " set at every add"),
      longKey(GROUP_MIN_SESSION_TIMEOUT_MS, 6_000L, 1, "smallest session.timeout.ms a consumer may ask for"),
      longKey(GROUP_MAX_SESSION_TIMEOUT_MS, 1_800_000L, 1, "largest session.timeout.ms a consumer may ask for"),
      longKey(SHARE_RECORD_LOCK_DURATION_MS, 30_000L, 1, "how long a share-group member holds a record it was"
          + " handed before the record is released to the others (KIP-932)"),
      intKey(SHARE_DELIVERY_COUNT_LIMIT, 5, 2, 10, "deliveries of a record to a share group at most: a record"
          + " released or timed out on its last delivery is archived, never delivered again (KIP-932)"),
      intKey(SHARE_PARTITION_MAX_RECORD_LOCKS, 2_000, 1, 10_000, "records of a partition a share group may have"
          + " in flight (from its start offset) at most; fetches wait for the start to move beyond it (KIP-932)"),
      longKey(SHARE_SESSION_TIMEOUT_MS, 45_000L, 1, "a share-group member's session when it asks for none: a"
          + " member not heard from for that long leaves, and the records it holds are released"),
      longKey(SHARE_MIN_SESSION_TIMEOUT_MS, 1_000L, 1, "smallest session.timeout.ms a share-group member may ask"
          + " for"),
      longKey(SHARE_MAX_SESSION_TIMEOUT_MS, 600_000L, 1, "largest session.timeout.ms a share-group member may ask"
          + " for"),
      longKey(GROUP_MAX_REBALANCE_TIMEOUT_MS, 300_000L, 1,
          "largest rebalance timeout a member of a member-assigned group (Kafka's protocol) may ask for"),
      longKey(CONSUMER_INSTANCE_TIMEOUT_MS, 300_000L, 1, "an HTTP consumer instance idle this long is deleted"),
      intKey(CONSUMER_MAX_INSTANCES, 10_000, 1, 10_000_000, "consumer instances (HTTP and WebSocket) the groups"
          + " this broker coordinates may hold at most; a create beyond is refused (429, retriable)"),
      intKey(CONSUMER_MAX_SUBSCRIPTION_ENTRIES, 100_000, 1, 100_000_000, "topics named by the subscriptions and"
          + " partitions named by the manual assignments of those instances, in total, at most; a subscribe or assign"
          + " beyond is refused (429, 10029, retriable) and changes nothing"),
      intKey(OFFSET_METADATA_MAX_BYTES, 4_096, 0, 1 << 20, "the metadata string of an offset commit may be this"
          + " many bytes (UTF-8) at most; a commit with a longer one is refused (400, 12) and writes nothing"),
      intKey(OFFSETS_RETENTION_MINUTES, 10_080, 1, Integer.MAX_VALUE, "a group without members (and without consumer"
          + " instances) this long loses its commits, and then the group goes; a standalone consumer's commit (a group"
          + " that never had members) goes this long after it was written (Kafka's KIP-211)"),
      longKey(OFFSETS_RETENTION_CHECK_INTERVAL_MS, 600_000L, 1, "how often each coordinator looks for expired"
          + " commits and groups (offsets.retention.minutes)"),
      longKey(REPLICA_LAG_TIME_MAX_MS, 10_000L, 1, "a follower not caught up for this long leaves the ISR"),
      intKey(REPLICA_FETCH_MAX_BYTES, 1 << 20, 1, Integer.MAX_VALUE, "bytes a follower fetches per request at most"),
      longKey(REPLICA_FETCH_WAIT_MAX_MS, 500L, 0, "how long a leader parks a follower's fetch that finds nothing"),
      longKey(REPLICA_FETCH_BACKOFF_MS, 100L, 0, "a follower's pause after a failed fetch"),
      longKey(REPLICA_FETCH_CACHE_MAX_BYTES, 32L << 20, 0, "bytes of their latest appends"
          + " this broker's leaders keep in memory, over all their partitions, to answer follower fetches behind the"
          + " log end without a storage read; an append leaves once every in-sync follower has it (0: off)"),
      boolKey(REPLICA_FETCH_LINK_ENABLE, true, "followers fetch over a TCP link per leader broker (false: over the"
          + " event bus; a leader without a link is always fetched from over the event bus)"),
      longKey(REPLICA_COMMIT_TIMEOUT_MS, 30_000L, 1, "an acks=all produce fails if not committed in this time"),
      longKey(METADATA_PROPAGATION_TIMEOUT_MS, 30_000L, 1, "a topic creation, growth or deletion is answered once"
          + " every live broker shows it; a broker that does not within this time fails the request (504,"
          + " REQUEST_TIMED_OUT: the change is made all the same). Keep it above zookeeper.session.timeout.ms: a"
          + " broker that crashed meanwhile is waited for until its session expires"),
      longKey(REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS, 5_000L, 1,
          "how often replicas' high watermarks are written to replication-offset-checkpoint"),
      boolKey(UNCLEAN_LEADER_ELECTION_ENABLE, false, "elect a replica outside the ISR when no ISR member is alive"
          + " (may lose acknowledged records)"),
      boolKey(AUTO_LEADER_REBALANCE_ENABLE, true, "the controller gives partitions back to their preferred replica"
          + " (the first of their replicas) every leader.imbalance.check.interval.seconds, for each broker whose"
          + " imbalance exceeds leader.imbalance.per.broker.percentage, once it is in sync and has finished starting"),
      longKey(LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 300L, 1, "how often the controller checks the leader"
          + " imbalance (auto.leader.rebalance.enable)"),
      intKey(LEADER_IMBALANCE_PER_BROKER_PERCENTAGE, 10, 0, 100, "a broker leading fewer than this share (percent)"
          + " short of the partitions it is the preferred replica of is left as it is by the periodic check"),
      stringKey(BROKER_RACK, "", "the rack (availability zone) of this broker: replicas of a partition are placed on"
          + " as many racks as there are, and consumers with client.rack may read from it (empty: no rack)"),
      stringKey(REPLICA_SELECTOR_CLASS, "", "Kafka's " + RACK_AWARE_REPLICA_SELECTOR + " lets a consumer that"
          + " gives client.rack read from an in-sync replica of its rack; empty or " + LEADER_SELECTOR + ": the"
          + " leader only"),
      boolKey(METRICS_ENABLE, true, "count requests and serve GET /metrics and the metrics history (false: no"
          + " counting on the produce and fetch paths)"),
      longKey(METRICS_HISTORY_INTERVAL_MS, 5_000L, 100, "how often the in-memory metrics history takes a sample"),
      longKey(METRICS_HISTORY_RETENTION_MS, 3_600_000L, 1_000, "how far back the in-memory metrics history goes"),
      intKey(METRICS_HISTORY_MAX_SERIES, 2_000, 0, 1_000_000, "series the metrics history keeps at most (per"
          + " topic throughput, per group and partition lag); further series are not recorded"),
      boolKey(DASHBOARD_ENABLE, true, "serve the browser dashboard at /"),
      boolKey(CONNECT_ENABLED, true, "run the connect service (Kafka Connect's worker and REST API) in this broker"),
      stringKey(PLUGIN_PATH, "", "comma-separated directories of connector plugins (each entry a jar or a"
          + " directory of jars, loaded in its own class loader)"),
      boolKey(SCHEMA_REGISTRY_ENABLED, true, "serve the schema registry (Confluent's REST API) under"
          + " /schema-registry on the HTTP listener"),
      intKey(SCHEMA_REGISTRY_REPLICATION_FACTOR, -1, -1, Short.MAX_VALUE, "replication factor of _schemas, the"
          + " schema registry's topic; -1 takes min(3, live brokers)"),
      intKey(CONNECT_TOPICS_REPLICATION_FACTOR, -1, -1, Short.MAX_VALUE, "replication factor of __connect_configs,"
          + " __connect_status and __connect_offsets; -1 takes min(3, live brokers)"),
      intKey(CONNECT_MAX_TASKS_PER_CONNECTOR, 256, 1, 65_535, "the largest tasks.max a connector may have; a"
          + " connector that makes more task configs than its tasks.max fails, as Kafka Connect's does"),
      intKey(CONNECT_MAX_CONNECTORS, 1_000, 1, 100_000, "connectors per cluster at most (each runs threads on a"
          + " broker); a create beyond is refused"),
      stringKey(CONNECT_FILE_ALLOWED_PATHS, "", "comma-separated directories Kafka's FileStreamSource and"
          + " FileStreamSink may read and write their file in (symlinks resolved); empty refuses those connectors, as"
          + " any HTTP client could otherwise read or write any file the broker can"),
      boolKey(TOPIC_CREATION_ENABLE, true, "Kafka Connect's worker setting: a source connector that sets"
          + " topic.creation.* keys creates the topics its tasks write to with its groups' partitions, replication"
          + " factor and configs, even with auto.create.topics.enable off (false: those keys are ignored)"),
      intKey(QUOTA_WINDOW_NUM, 11, 2, 1_000, "samples a client quota's rate is measured over (Kafka's"
          + " quota.window.num)"),
      intKey(QUOTA_WINDOW_SIZE_SECONDS, 1, 1, 3_600, "seconds each sample of a client quota's rate spans (Kafka's"
          + " quota.window.size.seconds)"),
      boolKey(STREAMS_ENABLED, true, "run the streams service (POST /streams) in this broker"),
      intKey(STREAMS_MAX_DEFINITIONS, 100, 1, 100_000, "stream definitions per cluster at most"),
      intKey(STREAMS_MAX_STEPS, 64, 1, 10_000, "steps per stream definition at most, branches' steps included"),
      intKey(STREAMS_MAX_EXPRESSION_LENGTH, 4_096, 1, 1_000_000, "characters per stream expression at most"),
      intKey(STREAMS_MAX_EXPRESSION_ITERATIONS, 1_000, 0, 1_000_000, "iterations of all comprehensions (map,"
          + " filter, all, exists, nested ones included) in one evaluation of a stream expression at most: the expression's cost limit"),
      intKey(STREAMS_MAX_OUTPUTS_PER_RECORD, 1_000, 1, 65_535, "output records one input record may make at most"
          + " (flat_map, branches); more is a processing error of that record"),
      // At most 16 MiB: aggregates are stored as JSON and read back through Jackson, which refuses a string of more
      // than 20,000,000 characters.
      intKey(STREAMS_MAX_VALUE_BYTES, 1 << 20, 1_024, 16 << 20, "bytes any value a stream expression makes (a key,"
          + " a value, an aggregate) may take as JSON at most; more is a processing error of that record"),
      longKey(STREAMS_MAX_BYTES_PER_RECORD, 8L << 20, 1_024, "bytes one input record's output records, and apart"
          + " its state changes, may take at most (a task holds them until they are written); more is a processing"
          + " error of that record. Also what one task holds of several records' outputs before writing them"),
      longKey(STREAMS_MAX_ANSWER_BYTES, 8L << 20, 64 * 1024, "bytes of records a preview answers, and of stored"
          + " entries a store query reads for its answer (a scan's shared among the store's partitions), at most;"
          + " a preview stops there, a query past it is refused (400) asking for fewer keys or a narrower range"),
      longKey(STREAMS_COMMIT_INTERVAL_MS, 1_000L, 10, "how often a stream task records its input position and"
          + " status in ZooKeeper"),
      intKey(STREAMS_WORKER_THREADS, 2, 1, 256, "threads of the sluice-streams pool that evaluates expressions"),
      longKey(STREAMS_STATE_MEMORY_BYTES, 64L << 20, 4L << 20, "native memory of all the broker's stream state"
          + " stores (RocksDB) at most: one shared block cache, which their memtables are charged to (up to half)"),
      stringKey(AUTHENTICATION_METHOD, "NONE", "NONE: every HTTP caller is User:ANONYMOUS; BASIC: every request"
          + " (WebSocket and SSE handshakes too) must carry HTTP Basic credentials of a user with a SCRAM credential"
          + " (PUT /users/{user}/credentials/{mechanism}), else 401; OAUTHBEARER: a JWT bearer token signed by a"
          + " key of sasl.oauthbearer.jwks.endpoint.url; BASIC,OAUTHBEARER: either"),
      intKey(AUTHENTICATION_MAX_PENDING_VERIFICATIONS, 64, 1, 100_000, "password checks (PBKDF2) waiting for or on"
          + " the sluice-authn pool at most; a login past it is answered 429 (10110) at once, without being checked"
          + " (a user who logged in since the broker started passes without one)")),
      concat(concat(SslConfig.KEYS, ZooKeeperClientTls.KEYS), OAuthBearerConfig.KEYS));

  private static final Map<String, ConfigKey> BY_NAME;

  private static List<ConfigKey> concat(List<ConfigKey> a, List<ConfigKey> b) {
    List<ConfigKey> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  static {
    Map<String, ConfigKey> m = new LinkedHashMap<>();
    KEYS.forEach(k -> m.put(k.name(), k));
    BY_NAME = Collections.unmodifiableMap(m);
  }

  /** The key named {@code name}, with its built-in default; empty for a name the broker does not know. */
  public static Optional<ConfigKey> key(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  private final Map<String, Object> raw;
  private final Map<String, Object> parsed;
  private final SslConfig ssl;
  private final ZooKeeperClientTls zookeeperTls;

  private BrokerConfig(Map<String, Object> raw) {
    this.raw = Collections.unmodifiableMap(new LinkedHashMap<>(raw));
    Map<String, Object> p = new LinkedHashMap<>();
    for (ConfigKey key : KEYS) {
      p.put(key.name(), key.parse(raw.get(key.name())));
    }
    this.parsed = p;
    validateDataDirs();
    validateWebSocketLimits();
    validateCombinations();
    this.ssl = new SslConfig(this);
    this.zookeeperTls = ZooKeeperClientTls.of(this);
  }

  /** The built-in defaults. */
  public static BrokerConfig defaults() {
    return new BrokerConfig(Map.of());
  }

  /** A config from a flat map of keys to JSON values or strings. */
  public static BrokerConfig of(Map<String, ?> values) {
    return new BrokerConfig(new LinkedHashMap<>(values));
  }

  /** Reads a JSON object of keys to values from {@code file}. */
  public static BrokerConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(null, "Cannot read config file " + file + ": " + e, e);
    }
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException(null, "Config file " + file + " is not a JSON object: " + e.getMessage(), e);
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : json) {
      if (e.getValue() instanceof JsonObject || e.getValue() instanceof io.vertx.core.json.JsonArray) {
        throw new ConfigException(e.getKey(), "Configuration " + e.getKey() + " in " + file
            + " must be a string, number or boolean, not " + e.getValue());
      }
      values.put(e.getKey(), e.getValue());
    }
    return new BrokerConfig(values);
  }

  /** This config with {@code overrides} on top (later sources win). */
  public BrokerConfig with(Map<String, ?> overrides) {
    Map<String, Object> merged = new LinkedHashMap<>(raw);
    merged.putAll(overrides);
    return new BrokerConfig(merged);
  }

  public BrokerConfig with(String key, Object value) {
    return with(Map.of(key, value));
  }

  /** Keys given that the broker does not know: probably typos, reported at startup. */
  public Set<String> unknownKeys() {
    Set<String> unknown = new TreeSet<>(raw.keySet());
    unknown.removeAll(BY_NAME.keySet());
    return unknown;
  }

  /** Every known key's effective value, for logging. */
  public Map<String, Object> effectiveValues() {
    return Collections.unmodifiableMap(parsed);
  }

  /** The raw value given for {@code key}, if any (unknown keys included). */
  public Optional<Object> rawValue(String key) {
    return Optional.ofNullable(raw.get(key));
  }

  public int getInt(String key) {
    return (Integer) known(key);
  }

  public long getLong(String key) {
    return (Long) known(key);
  }

  public boolean getBoolean(String key) {
    return (Boolean) known(key);
  }

  public String getString(String key) {
    return (String) known(key);
  }

  Object known(String key) {
    if (!BY_NAME.containsKey(key)) {
      throw new IllegalArgumentException("Unknown configuration key " + key);
    }
    return parsed.get(key);
  }

  /** TLS of the HTTP listener and between brokers (Kafka's {@code ssl.*} keys), its stores already loaded. */
  public SslConfig ssl() {
    return ssl;
  }

  /** How this broker's ZooKeeper client connects (KIP-515's {@code zookeeper.ssl.*}) and whether it sets ACLs. */
  public ZooKeeperClientTls zookeeperTls() {
    return zookeeperTls;
  }

  public int brokerId() {
    return getInt(BROKER_ID);
  }

  /** The data directory: {@code log.dirs} if set, else {@code log.dir}. Only one directory is supported. */
  public Path dataDir() {
    String dirs = getString(LOG_DIRS);
    return Path.of(dirs != null && !dirs.isEmpty() ? dirs : getString(LOG_DIR));
  }

  /** Where RocksDB's native library is kept extracted across starts. */
  public Path rocksdbNativeDir() {
    String dir = getString(ROCKSDB_NATIVE_DIR);
    return dir.isEmpty() ? dataDir().resolve("native") : Path.of(dir);
  }

  /** The external ensemble to use, or empty to run an embedded ZooKeeper. */
  public Optional<String> zookeeperConnect() {
    String s = getString(ZOOKEEPER_CONNECT);
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  public int zookeeperEmbeddedPort() {
    return getInt(ZOOKEEPER_EMBEDDED_PORT);
  }

  public int zookeeperSessionTimeoutMs() {
    return getInt(ZOOKEEPER_SESSION_TIMEOUT_MS);
  }

  public int zookeeperConnectionTimeoutMs() {
    int ms = getInt(ZOOKEEPER_CONNECTION_TIMEOUT_MS);
    return ms == -1 ? zookeeperSessionTimeoutMs() : ms;
  }

  public int numPartitions() {
    return getInt(NUM_PARTITIONS);
  }

  public int defaultReplicationFactor() {
    return getInt(DEFAULT_REPLICATION_FACTOR);
  }

  public long retentionCheckIntervalMs() {
    return getLong(LOG_RETENTION_CHECK_INTERVAL_MS);
  }

  public int minInsyncReplicas() {
    return getInt(MIN_INSYNC_REPLICAS);
  }

  public boolean autoCreateTopicsEnable() {
    return getBoolean(AUTO_CREATE_TOPICS_ENABLE);
  }

  public int numIoThreads() {
    return getInt(NUM_IO_THREADS);
  }

  /** The event-loop pool size for Vert.x; 0 leaves Vert.x's own default. */
  public int numEventLoopThreads() {
    return getInt(NUM_EVENT_LOOP_THREADS);
  }

  public String httpHost() {
    return getString(HTTP_HOST);
  }

  public int httpPort() {
    return getInt(HTTP_PORT);
  }

  public int httpInstances() {
    return getInt(HTTP_INSTANCES);
  }

  public long httpMaxBodyBytes() {
    return getLong(HTTP_MAX_BODY_BYTES);
  }

  public int httpMaxConnections() {
    return getInt(HTTP_MAX_CONNECTIONS);
  }

  public int httpMaxConnectionsPerIp() {
    return getInt(HTTP_MAX_CONNECTIONS_PER_IP);
  }

  public long httpIdleTimeoutMs() {
    return getLong(HTTP_IDLE_TIMEOUT_MS);
  }

  public long httpRequestHeadTimeoutMs() {
    return getLong(HTTP_REQUEST_HEAD_TIMEOUT_MS);
  }

  public int httpMinFreeFileDescriptors() {
    return getInt(HTTP_MIN_FREE_FILE_DESCRIPTORS);
  }

  public int httpWsMaxFrameBytes() {
    return getInt(HTTP_WS_MAX_FRAME_BYTES);
  }

  public int httpWsMaxMessageBytes() {
    return getInt(HTTP_WS_MAX_MESSAGE_BYTES);
  }

  public int httpMaxRecordsPerRequest() {
    return getInt(HTTP_MAX_RECORDS_PER_REQUEST);
  }

  public long fetchMaxWaitMs() {
    return getLong(FETCH_MAX_WAIT_MS);
  }

  /** This broker's rack, or null without one. */
  public String brokerRack() {
    String rack = getString(BROKER_RACK);
    return rack == null || rack.isBlank() ? null : rack.trim();
  }

  /** Whether a consumer's client.rack may pick an in-sync follower of its rack to read from (KIP-392). */
  public boolean rackAwareReplicaSelector() {
    return RACK_AWARE_REPLICA_SELECTOR.equals(getString(REPLICA_SELECTOR_CLASS));
  }

  public String clusterHost() {
    return getString(CLUSTER_HOST);
  }

  public int clusterPort() {
    return getInt(CLUSTER_PORT);
  }

  /** {@code log.segment.ms} if given, else {@code log.roll.ms}. */
  public long segmentMs() {
    return raw.containsKey(LOG_SEGMENT_MS) || !raw.containsKey(LOG_ROLL_MS)
        ? getLong(LOG_SEGMENT_MS) : getLong(LOG_ROLL_MS);
  }

  /** The topic-level defaults that the broker's {@code log.*} keys set, as a {@link LogConfig}. */
  public LogConfig defaultLogConfig() {
    try {
      return new LogConfig(getInt(LOG_SEGMENT_BYTES), segmentMs(), getInt(LOG_INDEX_INTERVAL_BYTES),
          getInt(MESSAGE_MAX_BYTES), getLong(LOG_RETENTION_MS), getLong(LOG_RETENTION_BYTES),
          getLong(LOG_FLUSH_INTERVAL_MESSAGES), getLong(LOG_FLUSH_INTERVAL_MS), getLong(LOG_SEGMENT_DELETE_DELAY_MS),
          false, getLong(LOG_CLEANER_DELETE_RETENTION_MS), getLong(PRODUCER_ID_EXPIRATION_MS),
          getInt(PRODUCER_ID_MAX_PER_PARTITION), new MessageTimestamps(
              MessageTimestamps.parseType(getString(LOG_MESSAGE_TIMESTAMP_TYPE)),
              getLong(LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS), getLong(LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS)),
          getString(COMPRESSION_TYPE), getLong(LOG_CLEANER_MIN_COMPACTION_LAG_MS),
          getLong(LOG_CLEANER_MAX_COMPACTION_LAG_MS));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(null, "Invalid log defaults: " + e.getMessage(), e);
    }
  }

  private void validateDataDirs() {
    String dirs = getString(LOG_DIRS);
    if (dirs != null && dirs.contains(",")) {
      throw new ConfigException(LOG_DIRS, "Configuration " + LOG_DIRS + " lists several directories ('" + dirs
          + "'); Sluice supports exactly one");
    }
    String dir = dirs != null && !dirs.isEmpty() ? dirs : getString(LOG_DIR);
    if (dir.isBlank()) {
      throw new ConfigException(LOG_DIR, "Configuration " + LOG_DIR + " must not be empty");
    }
    defaultLogConfig();
  }

  private void validateWebSocketLimits() {
    if (httpWsMaxFrameBytes() > httpWsMaxMessageBytes()) {
      throw new ConfigException(HTTP_WS_MAX_FRAME_BYTES, "Configuration " + HTTP_WS_MAX_FRAME_BYTES + " ("
          + httpWsMaxFrameBytes() + ") must not exceed " + HTTP_WS_MAX_MESSAGE_BYTES + " (" + httpWsMaxMessageBytes()
          + "): a frame is part of a message");
    }
  }

  /** Values each valid alone that together make something impossible: refused at startup, naming both keys. */
  private void validateCombinations() {
    String selector = getString(REPLICA_SELECTOR_CLASS);
    if (!selector.isEmpty() && !selector.equals(RACK_AWARE_REPLICA_SELECTOR) && !selector.equals(LEADER_SELECTOR)) {
      throw new ConfigException(REPLICA_SELECTOR_CLASS, "Configuration " + REPLICA_SELECTOR_CLASS + " must be empty, "
          + LEADER_SELECTOR + " or " + RACK_AWARE_REPLICA_SELECTOR + ", got '" + selector + "'");
    }
    OAuthBearerConfig.validate(this);
    atMost(NUM_PARTITIONS, MAX_PARTITIONS_PER_TOPIC, "a topic created with defaults would be refused");
    atMost(OFFSETS_TOPIC_NUM_PARTITIONS, MAX_PARTITIONS_PER_TOPIC, "__consumer_offsets could not be created");
    atMost(MIN_INSYNC_REPLICAS, DEFAULT_REPLICATION_FACTOR, "no acks=all write to a topic created with defaults"
        + " could ever succeed");
    if (getInt(OFFSETS_TOPIC_REPLICATION_FACTOR) > 0) {
      atMost(MIN_INSYNC_REPLICAS, OFFSETS_TOPIC_REPLICATION_FACTOR, "no offset commit could ever succeed");
    }
    long inflight = getLong(HTTP_MAX_INFLIGHT_BODY_BYTES);
    if (inflight > 0 && inflight < httpMaxBodyBytes()) {
      throw new ConfigException(HTTP_MAX_INFLIGHT_BODY_BYTES, "Configuration " + HTTP_MAX_INFLIGHT_BODY_BYTES + " ("
          + inflight + ") is below " + HTTP_MAX_BODY_BYTES + " (" + httpMaxBodyBytes() + "): a body of the largest"
          + " size allowed could never be read");
    }
    if (getLong(STREAMS_MAX_BYTES_PER_RECORD) < getInt(STREAMS_MAX_VALUE_BYTES)) {
      throw new ConfigException(STREAMS_MAX_BYTES_PER_RECORD, "Configuration " + STREAMS_MAX_BYTES_PER_RECORD + " ("
          + getLong(STREAMS_MAX_BYTES_PER_RECORD) + ") is below " + STREAMS_MAX_VALUE_BYTES + " ("
          + getInt(STREAMS_MAX_VALUE_BYTES) + "): a record with one value of the largest size could not be written");
    }
    if (getLong(GROUP_MIN_SESSION_TIMEOUT_MS) > getLong(GROUP_MAX_SESSION_TIMEOUT_MS)) {
      throw new ConfigException(GROUP_MIN_SESSION_TIMEOUT_MS, "Configuration " + GROUP_MIN_SESSION_TIMEOUT_MS + " ("
          + getLong(GROUP_MIN_SESSION_TIMEOUT_MS) + ") is above " + GROUP_MAX_SESSION_TIMEOUT_MS + " ("
          + getLong(GROUP_MAX_SESSION_TIMEOUT_MS) + "): no consumer could join a group");
    }
  }

  private void atMost(String key, String limitKey, String consequence) {
    if (getInt(key) > getInt(limitKey)) {
      throw new ConfigException(key, "Configuration " + key + " (" + getInt(key) + ") is above " + limitKey + " ("
          + getInt(limitKey) + "): " + consequence);
    }
  }

  @Override
  public String toString() {
    return "BrokerConfig" + parsed;
  }
}
