package io.sluice.client;

import io.sluice.record.CompressionType;
import java.util.Locale;
import java.util.Objects;

/**
 * A producer's batching, acknowledgement and retry settings, named and defaulted as Kafka's producer configs.
 * Mutable while being configured, then copied by {@link SluiceClient#producer}; not thread-safe.
 */
public final class ProducerOptions {
  private String acks = "all";
  public static final int DEFAULT_BATCH_SIZE_BYTES = 256 * 1024;
  private int batchSizeBytes = DEFAULT_BATCH_SIZE_BYTES;
  private long lingerMs = 5;
  private int maxInFlightPerPartition = 5;
  private int retries = Integer.MAX_VALUE;
  private long retryBackoffMs = 100;
  private long retryBackoffMaxMs = 1_000;
  private long deliveryTimeoutMs = 120_000;
  private boolean idempotence = true;
  private CompressionType compression = CompressionType.NONE;
  private int maxPendingRecords = 100_000;
  private int maxRequestSizeBytes = 1 << 20;
  private String transactionalId;
  private long transactionTimeoutMs = 60_000;

  public static ProducerOptions defaults() {
    return new ProducerOptions();
  }

  /** {@code 0}, {@code 1} or {@code all} (default): how many replicas must have a batch before it succeeds. */
  public String acks() {
    return acks;
  }

  public ProducerOptions acks(String acks) {
    String a = acks.trim().toLowerCase(Locale.ROOT);
    if (!a.equals("0") && !a.equals("1") && !a.equals("all") && !a.equals("-1")) {
      throw new IllegalArgumentException("acks must be 0, 1 or all, got '" + acks + "'");
    }
    this.acks = a.equals("-1") ? "all" : a;
    return this;
  }

  /**
   * Kafka's {@code batch.size}: a partition's batch is sent once it would grow past this many bytes. The default,
   * 256 KiB, is larger than Kafka's 16 KiB because every send is an HTTP request: at 16 KiB the request overhead
   * caps a producer near 270,000 records/s of 100 bytes on 2 cores, at 256 KiB it reaches about 940,000.
   */
  public int batchSizeBytes() {
    return batchSizeBytes;
  }

  public ProducerOptions batchSizeBytes(int batchSizeBytes) {
    this.batchSizeBytes = (int) ClientOptions.positive(batchSizeBytes, "batchSizeBytes");
    return this;
  }

  /** Kafka's {@code linger.ms}: how long a batch that is not full waits for more records (0: send at once). */
  public long lingerMs() {
    return lingerMs;
  }

  public ProducerOptions lingerMs(long lingerMs) {
    if (lingerMs < 0) {
      throw new IllegalArgumentException("lingerMs must not be negative, got " + lingerMs);
    }
    this.lingerMs = lingerMs;
    return this;
  }

  /**
   * Kafka's {@code max.in.flight.requests.per.connection}, per partition: requests sent and not yet answered.
   * Without idempotence and with retries on, the producer uses 1 so that a retry cannot reorder records. With
   * idempotence, whatever this says, at most 5 batches of a partition are unanswered at a time: the broker recognises
   * a resend only among a producer's last 5 batches (Kafka caps this setting at 5 for the same reason).
   */
  public int maxInFlightPerPartition() {
    return maxInFlightPerPartition;
  }

  public ProducerOptions maxInFlightPerPartition(int maxInFlight) {
    this.maxInFlightPerPartition = (int) ClientOptions.positive(maxInFlight, "maxInFlightPerPartition");
    return this;
  }

  /** How many times a batch is resent after a retriable error (default: until the delivery timeout). */
  public int retries() {
    return retries;
  }

  public ProducerOptions retries(int retries) {
    if (retries < 0) {
      throw new IllegalArgumentException("retries must not be negative, got " + retries);
    }
    this.retries = retries;
    return this;
  }

  /** The first retry's delay; it doubles per attempt up to {@link #retryBackoffMaxMs()}. */
  public long retryBackoffMs() {
    return retryBackoffMs;
  }

  public ProducerOptions retryBackoffMs(long retryBackoffMs) {
    this.retryBackoffMs = ClientOptions.positive(retryBackoffMs, "retryBackoffMs");
    return this;
  }

  public long retryBackoffMaxMs() {
    return retryBackoffMaxMs;
  }

  public ProducerOptions retryBackoffMaxMs(long retryBackoffMaxMs) {
    this.retryBackoffMaxMs = ClientOptions.positive(retryBackoffMaxMs, "retryBackoffMaxMs");
    return this;
  }

  /** Kafka's {@code delivery.timeout.ms}: a record fails once this long has passed since it was sent. */
  public long deliveryTimeoutMs() {
    return deliveryTimeoutMs;
  }

  public ProducerOptions deliveryTimeoutMs(long deliveryTimeoutMs) {
    this.deliveryTimeoutMs = ClientOptions.positive(deliveryTimeoutMs, "deliveryTimeoutMs");
    return this;
  }

  /**
   * Kafka's {@code enable.idempotence} (default true): the producer gets a producer id from the cluster and numbers
   * each partition's batches, so the broker drops a retried batch it already has and refuses one out of order.
   */
  public boolean idempotence() {
    return idempotence;
  }

  public ProducerOptions idempotence(boolean idempotence) {
    this.idempotence = idempotence;
    return this;
  }

  public CompressionType compression() {
    return compression;
  }

  public ProducerOptions compression(CompressionType compression) {
    this.compression = Objects.requireNonNull(compression, "compression");
    return this;
  }

  /** How many records {@link Producer#send(io.smallrye.mutiny.Multi)} keeps unacknowledged before it stops asking. */
  public int maxPendingRecords() {
    return maxPendingRecords;
  }

  public ProducerOptions maxPendingRecords(int maxPendingRecords) {
    this.maxPendingRecords = (int) ClientOptions.positive(maxPendingRecords, "maxPendingRecords");
    return this;
  }

  /**
   * Kafka's {@code max.request.size}: when several batches of a partition are ready at once (the producer is behind),
   * they travel in one request up to this many bytes, which spreads the cost of a request over more records.
   */
  public int maxRequestSizeBytes() {
    return maxRequestSizeBytes;
  }

  public ProducerOptions maxRequestSizeBytes(int maxRequestSizeBytes) {
    this.maxRequestSizeBytes = (int) ClientOptions.positive(maxRequestSizeBytes, "maxRequestSizeBytes");
    return this;
  }

  /**
   * Kafka's {@code transactional.id} (default none): the producer is transactional ({@link Producer#initTransactions},
   * then its sends between {@link Producer#beginTransaction} and {@link Producer#commitTransaction} become visible to
   * read_committed consumers together or not at all). Implies idempotence and acks=all.
   */
  public String transactionalId() {
    return transactionalId;
  }

  public ProducerOptions transactionalId(String transactionalId) {
    if (transactionalId != null && transactionalId.isEmpty()) {
      throw new IllegalArgumentException("transactionalId must not be empty");
    }
    this.transactionalId = transactionalId;
    return this;
  }

  /** Kafka's {@code transaction.timeout.ms} (default 60 s): the coordinator aborts a transaction open longer. */
  public long transactionTimeoutMs() {
    return transactionTimeoutMs;
  }

  public ProducerOptions transactionTimeoutMs(long transactionTimeoutMs) {
    this.transactionTimeoutMs = ClientOptions.positive(transactionTimeoutMs, "transactionTimeoutMs");
    return this;
  }

  /** A copy, so the producer's settings cannot change under it. */
  public ProducerOptions copy() {
    ProducerOptions c = new ProducerOptions();
    c.acks = acks;
    c.batchSizeBytes = batchSizeBytes;
    c.lingerMs = lingerMs;
    c.maxInFlightPerPartition = maxInFlightPerPartition;
    c.retries = retries;
    c.retryBackoffMs = retryBackoffMs;
    c.retryBackoffMaxMs = retryBackoffMaxMs;
    c.deliveryTimeoutMs = deliveryTimeoutMs;
    c.idempotence = idempotence;
    c.compression = compression;
    c.maxPendingRecords = maxPendingRecords;
    c.maxRequestSizeBytes = maxRequestSizeBytes;
    c.transactionalId = transactionalId;
    c.transactionTimeoutMs = transactionTimeoutMs;
    return c;
  }
}
