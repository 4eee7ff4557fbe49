package io.sluice.errors;

/**
 * Every error Sluice reports, with a wire code that never changes once released.
 *
 * <p>Where the concept is Kafka's, the code is Kafka's own protocol error code, so that a later Kafka
 * wire-protocol front end and the HTTP API report the same number. {@link #httpStatus()} is the status the
 * HTTP API answers with; this enum is the single place that mapping lives.
 */
public enum ErrorCode {
  UNKNOWN_SERVER_ERROR(-1, 500, false),
  OFFSET_OUT_OF_RANGE(1, 416, false),
  CORRUPT_MESSAGE(2, 422, false),
  UNKNOWN_TOPIC_OR_PARTITION(3, 404, true),
  INVALID_FETCH_SIZE(4, 400, false),
  LEADER_NOT_AVAILABLE(5, 503, true),
  NOT_LEADER_OR_FOLLOWER(6, 421, true),
  REQUEST_TIMED_OUT(7, 504, true),
  /**
   * This broker cannot reach ZooKeeper (no session, or it is rejoining after losing one): cluster metadata cannot be
   * read or changed through it now. Retry later or on another broker.
   */
  BROKER_NOT_AVAILABLE(8, 503, true),
  MESSAGE_TOO_LARGE(10, 413, false),
  /** A commit's metadata string is longer than the broker's {@code offset.metadata.max.bytes}. */
  OFFSET_METADATA_TOO_LARGE(12, 400, false),
  /** The connection to a broker failed or was lost before an answer: the request may or may not have applied. */
  NETWORK_EXCEPTION(13, 503, true),
  /**
   * A coordinator is still loading groups from {@code __consumer_offsets} (Kafka's answer to ListGroups then): a read
   * of every group would miss some. Retry the same coordinator.
   */
  COORDINATOR_LOAD_IN_PROGRESS(14, 503, true),
  /**
   * No broker coordinates the group yet: {@code __consumer_offsets} cannot be created while fewer brokers are up than
   * its replication factor (a rolling restart). Retry; it is created once enough are.
   */
  COORDINATOR_NOT_AVAILABLE(15, 503, true),
  /** This broker does not coordinate the group (any more, or not yet): find the coordinator again and retry. */
  NOT_COORDINATOR(16, 503, true),
  INVALID_TOPIC_EXCEPTION(17, 400, false),
  RECORD_LIST_TOO_LARGE(18, 413, false),
  NOT_ENOUGH_REPLICAS(19, 503, true),
  NOT_ENOUGH_REPLICAS_AFTER_APPEND(20, 503, true),
  INVALID_REQUIRED_ACKS(21, 400, false),
  ILLEGAL_GENERATION(22, 409, false),
  /** A member names an assignor other than the one its group's members use. */
  INCONSISTENT_GROUP_PROTOCOL(23, 409, false),
  /** A group id that is empty, too long or holds characters outside {@code [a-zA-Z0-9._-]}. */
  INVALID_GROUP_ID(24, 400, false),
  UNKNOWN_MEMBER_ID(25, 409, false),
  INVALID_SESSION_TIMEOUT(26, 400, false),
  REBALANCE_IN_PROGRESS(27, 409, true),
  /** The caller's ACLs do not allow the operation on the topic (or it may not know whether the topic exists). */
  TOPIC_AUTHORIZATION_FAILED(29, 403, false),
  /** The caller's ACLs do not allow the operation on the consumer group. */
  GROUP_AUTHORIZATION_FAILED(30, 403, false),
  /** The caller's ACLs do not allow the operation on the cluster (ACL changes, cluster description, ...). */
  CLUSTER_AUTHORIZATION_FAILED(31, 403, false),
  INVALID_TIMESTAMP(32, 422, false),
  TOPIC_ALREADY_EXISTS(36, 409, false),
  INVALID_PARTITIONS(37, 400, false),
  INVALID_REPLICATION_FACTOR(38, 400, false),
  /** A reassignment's target replicas name an unknown or dead broker, a broker twice, none, or break a limit. */
  INVALID_REPLICA_ASSIGNMENT(39, 400, false),
  /** A topic config change names an unknown config, gives a bad value, or one a live topic cannot take. */
  INVALID_CONFIG(40, 400, false),
  INVALID_REQUEST(42, 400, false),
  /** The request is one the resource's configuration does not allow (deleting records of a compacted topic). */
  POLICY_VIOLATION(44, 400, false),
  OUT_OF_ORDER_SEQUENCE_NUMBER(45, 422, false),
  DUPLICATE_SEQUENCE_NUMBER(46, 409, false),
  /** A producer's batch carries an epoch older than the one the partition last saw for its producer id. */
  INVALID_PRODUCER_EPOCH(47, 409, false),
  /**
   * A transaction request its transaction's state does not allow (ending one that never began; commit after abort),
   * or a producer's plain batch to a partition where its transaction is ongoing (Kafka's).
   */
  INVALID_TXN_STATE(48, 409, false),
  /** The producer id does not belong to the transactional id (another producer's, or an old one). */
  INVALID_PRODUCER_ID_MAPPING(49, 409, false),
  /** A {@code transaction_timeout_ms} above the broker's {@code transaction.max.timeout.ms}, or not positive. */
  INVALID_TRANSACTION_TIMEOUT(50, 400, false),
  /** The transaction is still being committed or aborted (its markers being written); retry. */
  CONCURRENT_TRANSACTIONS(51, 409, true),
  /**
   * A transaction marker from a coordinator older than the last one that wrote a marker of the producer here (a
   * coordinator epoch, Kafka's): a zombie coordinator, whose transaction-state partition moved, must stop.
   */
  TRANSACTION_COORDINATOR_FENCED(52, 409, false),
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED(53, 403, false),
  /** A newer producer of the transactional id took over (a newer epoch): this one is a zombie and must stop. */
  PRODUCER_FENCED(90, 409, false),
  /** No transactional producer of that id (never initialized, or its state expired). */
  TRANSACTIONAL_ID_NOT_FOUND(105, 404, false),
  /** An unregistration of a broker id the cluster has never seen, or has already forgotten (Kafka's 102). */
  BROKER_ID_NOT_REGISTERED(102, 404, false),
  /** An ACL request to a broker whose authorizer is off ({@code authorizer.enable=false}). */
  SECURITY_DISABLED(54, 400, false),
  KAFKA_STORAGE_ERROR(56, 503, true),
  /**
   * The partition has no sequence for the producer's epoch (it forgot the producer) and the batch does not start at
   * 0: nothing was written; start again at sequence 0 in a newer epoch.
   */
  UNKNOWN_PRODUCER_ID(59, 422, false),
  /** The request's credentials are missing, malformed, or do not match a user's SCRAM credential (Kafka's 58). */
  SASL_AUTHENTICATION_FAILED(58, 401, false),
  /** The topic's partitions cannot be added to while some of its replicas are being reassigned. */
  REASSIGNMENT_IN_PROGRESS(60, 409, false),
  FENCED_LEADER_EPOCH(74, 409, true),
  UNKNOWN_LEADER_EPOCH(75, 409, true),
  UNSUPPORTED_COMPRESSION_TYPE(76, 422, false),
  /** A preferred election's replica is dead or out of the ISR: it cannot lead now. */
  PREFERRED_LEADER_NOT_AVAILABLE(80, 503, true),
  /**
   * A static member (KIP-345, {@code group.instance.id}) was replaced by a newer member with the same instance id; the
   * old one is fenced for good (Kafka's FencedInstanceIdException): close it.
   */
  FENCED_INSTANCE_ID(82, 409, false),
  /** An unclean election found no live replica to lead. */
  ELIGIBLE_LEADERS_NOT_AVAILABLE(83, 503, true),
  /** The election's leader leads already (preferred), or the partition has a leader (unclean). */
  ELECTION_NOT_NEEDED(84, 409, false),
  /** A cancellation named a partition without a reassignment in progress. */
  NO_REASSIGNMENT_IN_PROGRESS(85, 409, false),
  NON_EMPTY_GROUP(68, 409, false),
  GROUP_ID_NOT_FOUND(69, 404, false),
  /** Deleting the commits of a topic some active member of the group subscribes to (Kafka's OffsetDelete). */
  GROUP_SUBSCRIBED_TO_TOPIC(86, 409, false),
  INVALID_RECORD(87, 422, false),
  /**
   * A share-group acknowledgement of a record the member does not hold: never delivered to it, acknowledged already,
   * its acquisition lock expired, or held by another member (Kafka's 121).
   */
  INVALID_RECORD_STATE(121, 409, false),
  /** An offset fetch asking for stable offsets while offsets of the partition are pending in a transaction. */
  UNSTABLE_OFFSET_COMMIT(88, 409, true),
  /** Sluice's own: the request body exceeded the configured limit. */
  REQUEST_TOO_LARGE(10_001, 413, false),
  /** Sluice's own: the request could not be parsed (malformed JSON, bad parameter). */
  MALFORMED_REQUEST(10_002, 400, false),
  /** Sluice's own: no such route or resource other than a topic or partition. */
  NOT_FOUND(10_003, 404, false),
  /** Sluice's own: the request's Content-Type is not one the resource accepts. */
  UNSUPPORTED_MEDIA_TYPE(10_004, 415, false),
  /** Sluice's own: the resource exists but not with this HTTP method. */
  METHOD_NOT_ALLOWED(10_005, 405, false),
  /** Sluice's own: none of the media types in the request's Accept header can be produced. */
  NOT_ACCEPTABLE(10_006, 406, false),
  /** Sluice's own: the server is not ready or is at its connection limit; retry later. */
  SERVICE_UNAVAILABLE(10_007, 503, true),
  /** Sluice's own: no consumer instance of that name in the group (never created, deleted or expired). */
  CONSUMER_INSTANCE_NOT_FOUND(10_008, 404, false),
  /** Sluice's own: a consumer instance of that name already exists in the group. */
  CONSUMER_ALREADY_EXISTS(10_009, 409, false),
  /** Sluice's own: the request conflicts with the consumer instance's state (e.g. subscribed and assigned). */
  CONSUMER_STATE_CONFLICT(10_010, 409, false),
  /** Sluice's own: the request line (method, URI, version) is longer than the server reads. */
  URI_TOO_LONG(10_011, 414, false),
  /** Sluice's own: the request's headers are larger than the server reads. */
  HEADERS_TOO_LARGE(10_012, 431, false),
  /** Sluice's own: no connector of that name (Kafka Connect answers 404 too). */
  CONNECTOR_NOT_FOUND(10_013, 404, false),
  /** Sluice's own: a connector of that name already exists (Kafka Connect's 409). */
  CONNECTOR_ALREADY_EXISTS(10_014, 409, false),
  /** Sluice's own: a connector config that does not validate; the message lists every bad field. */
  INVALID_CONNECTOR_CONFIG(10_015, 400, false),
  /** Sluice's own: the connector has no task with that id. */
  CONNECTOR_TASK_NOT_FOUND(10_016, 404, false),
  /** Sluice's own: offsets can be read or changed only on a connector in the STOPPED state (Kafka's 400). */
  CONNECTOR_NOT_STOPPED(10_017, 400, false),
  /** Sluice's own: no connector plugin of that class name or alias. */
  CONNECTOR_PLUGIN_NOT_FOUND(10_018, 404, false),
  /** Sluice's own: no stream of that name. */
  STREAM_NOT_FOUND(10_019, 404, false),
  /** Sluice's own: a stream of that name already exists. */
  STREAM_ALREADY_EXISTS(10_020, 409, false),
  /** Sluice's own: a stream definition that does not parse or compile; the message names the step and position. */
  INVALID_STREAM_DEFINITION(10_021, 400, false),
  /** Sluice's own: a configured streams limit (definitions per cluster) would be exceeded. */
  STREAM_LIMIT_EXCEEDED(10_022, 400, false),
  /** Sluice's own: the stream changed while this request changed it; retry. */
  STREAM_UPDATE_CONFLICT(10_023, 409, true),
  /** Sluice's own: the broker hosts consumer.max.instances consumer instances; one must go (or expire) first. */
  CONSUMER_INSTANCE_LIMIT_EXCEEDED(10_024, 429, true),
  /** Sluice's own: the cluster has connect.max.connectors connectors; one must be deleted first. */
  CONNECTOR_LIMIT_EXCEEDED(10_025, 400, false),
  /** Sluice's own: request bodies in flight hold http.max.inflight.body.bytes of the broker's heap; retry. */
  BODY_MEMORY_EXHAUSTED(10_026, 503, true),
  /** Sluice's own: answers in flight hold http.max.inflight.answer.bytes of the broker's heap; retry. */
  ANSWER_MEMORY_EXHAUSTED(10_027, 503, true),
  /**
   * Sluice's own: the partition remembers producer.id.max.per.partition idempotent producers and this request's
   * batch starts another; nothing was written. Retriable: room comes back as producers expire.
   */
  PRODUCER_ID_LIMIT_EXCEEDED(10_028, 429, true),
  /**
   * Sluice's own: the consumer instances this broker hosts name consumer.max.subscription.entries topics and
   * partitions in their subscriptions and assignments; nothing changed. Retriable: room comes back as instances go.
   */
  CONSUMER_SUBSCRIPTION_LIMIT_EXCEEDED(10_029, 429, true),
  /** Sluice's own: the topic's configs changed again and again while this request altered them; retry. */
  TOPIC_CONFIG_CONFLICT(10_030, 409, true),
  /** Sluice's own: managing users' credentials takes a super user ({@code super.users}) while authentication is on. */
  USER_ADMIN_DENIED(10_031, 403, false),
  /** Sluice's own: no such user, or the user has no credential of that mechanism. */
  USER_NOT_FOUND(10_032, 404, false),
  /** Sluice's own: a user name, mechanism, iteration count or password the broker does not take. */
  INVALID_USER_CREDENTIAL(10_033, 400, false),
  /** Sluice's own: the user's credentials changed again and again while this request changed them; retry. */
  USER_CREDENTIAL_CONFLICT(10_034, 409, true),
  /** Sluice's own: the quotas of an entity named changed again and again while this request altered them; retry. */
  CLIENT_QUOTA_CONFLICT(10_039, 409, true),
  /**
   * Sluice's own: {@code authentication.max.pending.verifications} password checks are already waiting for the
   * broker's PBKDF2 pool (a flood of logins); retry after a moment. Says nothing of the credentials sent.
   */
  AUTHENTICATION_THROTTLED(10_110, 429, true),
  /**
   * Sluice's own: the transaction would name more than {@code transaction.max.partitions} partitions and groups
   * (each whole set is rewritten at every add); nothing was added, the transaction stays open as it was.
   */
  TRANSACTION_PARTITION_LIMIT_EXCEEDED(10_130, 400, false),
  /** An unregistration of a broker that is alive: stop it for good first. */
  BROKER_STILL_ALIVE(10_260, 409, false),
  /** An unregistration of a broker that partitions still name as a replica: reassign them away first. */
  BROKER_HOLDS_REPLICAS(10_261, 409, false);

  private final int code;
  private final int httpStatus;
  private final boolean retriable;

  ErrorCode(int code, int httpStatus, boolean retriable) {
    this.code = code;
    this.httpStatus = httpStatus;
    this.retriable = retriable;
  }

  /** The stable numeric code carried in error responses. */
  public int code() {
    return code;
  }

  /** The HTTP status the HTTP API answers with for this error. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Whether the same request may succeed if retried later, unchanged. */
  public boolean retriable() {
    return retriable;
  }
}
