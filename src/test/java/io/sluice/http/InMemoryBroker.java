package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.Batches;
import io.sluice.api.ProducerIdentity;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetRange;
import io.sluice.api.ProduceResult;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicMetadata.PartitionMetadata;
import io.sluice.api.TopicMetadata.ReplicaInfo;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.OffsetOutOfRangeException;
import io.sluice.errors.SluiceException;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A test double of {@link BrokerService}: topics in memory, each partition a list of stored batches with
 * offsets assigned, long-poll fetch with a timer per waiter. Validates batches (CRC) like the real broker.
 * In slice mode a partition's batches are also written to a file and fetches answer file regions
 * of it (the zero-copy path); otherwise fetches answer bytes. Meant to be called from one event loop.
 */
final class InMemoryBroker implements BrokerService {
  private long nextProducerId;
  private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final Vertx vertx;
  private final Map<String, Topic> topics = new TreeMap<>();
  private final Map<TopicPartition, SluiceException> produceFailures = new ConcurrentHashMap<>();
  private final Path sliceDir;
  volatile boolean autoCreate = true;
  volatile int defaultPartitions = 3;
  volatile RuntimeException unexpected;
  volatile int fetchesWaiting;
  volatile int fetchesAnswered;
  /** The batches produce was handed, as handed (not copied), in arrival order. */
  final List<ByteBuffer> handedOver = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The callers of produce and fetch, in arrival order. */
  final List<RequestContext> callers = new java.util.concurrent.CopyOnWriteArrayList<>();

  InMemoryBroker(Vertx vertx, Path sliceDir) {
    this.vertx = vertx;
    this.sliceDir = sliceDir;
  }

  private static final class Topic {
    final TopicMetadata metadata;
    final List<PartitionLog> partitions = new ArrayList<>();

    Topic(TopicMetadata metadata) {
      this.metadata = metadata;
    }
  }

  private final class PartitionLog {
    final List<ByteBuffer> batches = new ArrayList<>();
    final List<Long> filePositions = new ArrayList<>();
    final List<Runnable> waiters = new ArrayList<>();
    final Path path;
    final FileChannel file;
    long nextOffset;
    long fileSize;

    PartitionLog(TopicPartition tp) {
      path = sliceDir == null ? null : sliceDir.resolve(tp.dirName() + ".log");
      try {
        file = path == null ? null : FileChannel.open(path,
            StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void append(ByteBuffer batch) throws IOException {
      batches.add(batch);
      if (file != null) {
        filePositions.add(fileSize);
        fileSize += file.write(batch.duplicate(), fileSize);
      }
    }
  }

  void failProduce(TopicPartition tp, SluiceException failure) {
    produceFailures.put(tp, failure);
  }

  @Override
  public Future<TopicMetadata> createPartitions(RequestContext caller, String topic, int count) {
    return Future.failedFuture(new SluiceException(ErrorCode.INVALID_REQUEST, "The in-memory broker cannot add partitions"));
  }

  @Override
  public Future<List<io.sluice.api.TopicConfigEntry>> describeTopicConfigs(RequestContext caller, String topic) {
    return Future.failedFuture(new SluiceException(ErrorCode.INVALID_REQUEST, "The in-memory broker has no configs"));
  }

  @Override
  public Future<List<io.sluice.api.TopicConfigEntry>> alterTopicConfigs(RequestContext caller, String topic,
      List<io.sluice.api.ConfigAlteration> changes, boolean validateOnly) {
    return Future.failedFuture(new SluiceException(ErrorCode.INVALID_REQUEST, "The in-memory broker has no configs"));
  }

  @Override
  public Future<io.sluice.api.ClusterDescription> describeCluster(RequestContext caller) {
    return Future.succeededFuture(new io.sluice.api.ClusterDescription("in-memory", 1,
        List.of(new io.sluice.api.ClusterDescription.BrokerInfo(1, "127.0.0.1", 0, true))));
  }

  /** Its one broker is alive; no other was ever seen. */
  @Override
  public Future<Void> unregisterBroker(RequestContext caller, int brokerId) {
    return Future.failedFuture(brokerId == 1
        ? new SluiceException(ErrorCode.BROKER_STILL_ALIVE, "Broker 1 is alive")
        : new SluiceException(ErrorCode.BROKER_ID_NOT_REGISTERED, "Broker " + brokerId + " is not known"));
  }

  @Override
  public Future<io.sluice.api.ProducerIdentity> initProducerId(RequestContext caller) {
    return Future.succeededFuture(new io.sluice.api.ProducerIdentity(nextProducerId++, (short) 0));
  }

  @Override
  public Future<List<String>> listTopics(RequestContext caller) {
    return call(() -> List.copyOf(topics.keySet()));
  }

  @Override
  public Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request) {
    return call(() -> create(request));
  }

  private TopicMetadata create(NewTopic request) {
    if (!LEGAL_NAME.matcher(request.name()).matches() || request.name().equals(".")
        || request.name().equals("..")) {
      throw new SluiceException(ErrorCode.INVALID_TOPIC_EXCEPTION, "Illegal topic name '" + request.name() + "'");
    }
    if (topics.containsKey(request.name())) {
      throw new SluiceException(ErrorCode.TOPIC_ALREADY_EXISTS, "Topic '" + request.name() + "' already exists");
    }
    int partitions = request.partitions() == -1 ? defaultPartitions : request.partitions();
    if (request.replicationFactor() > 1) {
      throw new SluiceException(ErrorCode.INVALID_REPLICATION_FACTOR, "Only one broker");
    }
    List<PartitionMetadata> parts = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      parts.add(new PartitionMetadata(p, 1, 0, List.of(new ReplicaInfo(1, true, true))));
    }
    Topic topic = new Topic(new TopicMetadata(request.name(), Map.copyOf(request.configs()), List.copyOf(parts)));
    for (int p = 0; p < partitions; p++) {
      topic.partitions.add(new PartitionLog(new TopicPartition(request.name(), p)));
    }
    topics.put(request.name(), topic);
    return topic.metadata;
  }

  @Override
  public Future<TopicMetadata> describeTopic(RequestContext caller, String topic) {
    return call(() -> topic(topic).metadata);
  }

  @Override
  public Future<TopicMetadata> metadataForProduce(RequestContext caller, String topic) {
    return call(() -> {
      Topic existing = topics.get(topic);
      if (existing == null && autoCreate) {
        return create(new NewTopic(topic, -1, -1, Map.of()));
      }
      return topic(topic).metadata;
    });
  }

  @Override
  public Future<Void> deleteTopic(RequestContext caller, String topic) {
    return call(() -> {
      topic(topic);
      topics.remove(topic);
      return null;
    });
  }

  /** Every partition here is led by broker 1 at epoch 0 (as {@link #describeTopic} says). */
  @Override
  public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
      Acks acks, int leaderEpoch) {
    if (leaderEpoch != 0) {
      return Future.failedFuture(new SluiceException(leaderEpoch > 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH
          : ErrorCode.FENCED_LEADER_EPOCH, "Partition " + tp + " is at leader epoch 0, not " + leaderEpoch));
    }
    return produce(caller, tp, batches, acks);
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    callers.add(caller);
    handedOver.add(batches);
    return call(() -> {
      SluiceException failure = produceFailures.get(tp);
      if (failure != null) {
        throw failure;
      }
      PartitionLog log = partition(tp);
      List<RecordBatch> split = RecordBatches.split(batches);
      split.forEach(RecordBatch::ensureValid);
      List<Long> bases = new ArrayList<>();
      for (RecordBatch batch : split) {
        ByteBuffer copy = ByteBuffer.allocate(batch.sizeInBytes()).put(batch.buffer()).flip();
        RecordBatch stored = RecordBatch.wrap(copy);
        stored.setBaseOffset(log.nextOffset);
        bases.add(log.nextOffset);
        log.nextOffset = stored.nextOffset();
        log.append(copy);
      }
      List<Runnable> waiters = new ArrayList<>(log.waiters);
      log.waiters.clear();
      waiters.forEach(Runnable::run);
      return new ProduceResult(acks == Acks.NONE ? List.of() : bases, -1L); // CreateTime: the sent timestamps kept
    });
  }

  @Override
  public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
    callers.add(caller);
    try {
      PartitionLog log = partition(request.tp());
      if (request.offset() > log.nextOffset) {
        throw new OffsetOutOfRangeException("Offset " + request.offset() + " is beyond the log end "
            + log.nextOffset + " of " + request.tp());
      }
      FetchResult now = read(log, request);
      if (now.sizeInBytes() >= request.minBytes() || request.maxWaitMs() == 0) {
        fetchesAnswered++;
        return Future.succeededFuture(now);
      }
      return park(log, request);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<FetchResult> park(PartitionLog log, FetchRequest request) {
    Promise<FetchResult> promise = Promise.promise();
    fetchesWaiting++;
    Runnable answer = () -> {
      if (promise.tryComplete(read(log, request))) {
        fetchesWaiting--;
        fetchesAnswered++;
      }
    };
    long timer = vertx.setTimer(request.maxWaitMs(), id -> {
      log.waiters.remove(answer);
      answer.run();
    });
    log.waiters.add(() -> {
      vertx.cancelTimer(timer);
      answer.run();
    });
    return promise.future();
  }

  private FetchResult read(PartitionLog log, FetchRequest request) {
    int first = -1;
    int bytes = 0;
    int count = 0;
    for (int i = 0; i < log.batches.size(); i++) {
      RecordBatch batch = RecordBatch.wrap(log.batches.get(i).duplicate());
      if (batch.nextOffset() <= request.offset()) {
        continue;
      }
      if (count > 0 && bytes + batch.sizeInBytes() > request.maxBytes()) {
        break;
      }
      first = first < 0 ? i : first;
      bytes += batch.sizeInBytes();
      count++;
    }
    if (log.file != null) {
      long position = first < 0 ? log.fileSize : log.filePositions.get(first);
      long next = first < 0 ? request.offset()
          : RecordBatch.wrap(log.batches.get(first + count - 1).duplicate()).nextOffset();
      return new FetchResult(request.tp(), log.nextOffset, 0, next,
          Batches.ofFile(log.path, log.file, position, bytes));
    }
    ByteBuffer out = ByteBuffer.allocate(bytes);
    long next = request.offset();
    for (int i = first; first >= 0 && i < first + count; i++) {
      out.put(log.batches.get(i).duplicate());
      next = RecordBatch.wrap(log.batches.get(i).duplicate()).nextOffset();
    }
    return new FetchResult(request.tp(), log.nextOffset, 0, next, Batches.wrap(out.array()));
  }

  @Override
  public Future<OffsetRange> offsets(RequestContext caller, TopicPartition tp) {
    return call(() -> new OffsetRange(0, partition(tp).nextOffset));
  }

  @Override
  public Future<io.sluice.api.PartitionReassignmentInfo> alterPartitionReassignment(RequestContext caller,
      TopicPartition tp, List<Integer> target) {
    return Future.failedFuture(new UnsupportedOperationException("InMemoryBroker has one broker: test reassignments"
        + " against real brokers"));
  }

  @Override
  public Future<List<io.sluice.api.PartitionReassignmentInfo>> listPartitionReassignments(RequestContext caller) {
    return Future.succeededFuture(List.of());
  }

  @Override
  public Future<List<io.sluice.api.ElectionResult>> electLeaders(RequestContext caller,
      io.sluice.api.ElectionType type, List<TopicPartition> partitions) {
    return Future.failedFuture(new UnsupportedOperationException("InMemoryBroker has one broker: test elections"
        + " against real brokers"));
  }

  @Override
  public Future<Long> deleteRecords(RequestContext caller, TopicPartition tp, long offset) {
    return Future.failedFuture(new UnsupportedOperationException("InMemoryBroker does not delete records: test"
        + " DELETE .../records against a real broker"));
  }

  @Override
  public Future<OptionalLong> offsetForTimestamp(RequestContext caller, TopicPartition tp, long timestampMs) {
    return call(() -> {
      for (ByteBuffer batch : partition(tp).batches) {
        Iterator<Record> records = RecordBatch.wrap(batch.duplicate()).records().iterator();
        while (records.hasNext()) {
          Record r = records.next();
          if (r.timestamp() >= timestampMs) {
            return OptionalLong.of(r.offset());
          }
        }
      }
      return OptionalLong.empty();
    });
  }

  /** Stored batches of a partition, with their assigned offsets. */
  List<RecordBatch> stored(TopicPartition tp) {
    return partition(tp).batches.stream().map(b -> RecordBatch.wrap(b.duplicate())).toList();
  }

  private Topic topic(String name) {
    Topic topic = topics.get(name);
    if (topic == null) {
      throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Unknown topic '" + name + "'");
    }
    return topic;
  }

  private PartitionLog partition(TopicPartition tp) {
    Topic topic = topic(tp.topic());
    if (tp.partition() >= topic.partitions.size()) {
      throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Unknown partition " + tp);
    }
    return topic.partitions.get(tp.partition());
  }

  private interface Body<T> {
    T get() throws Exception;
  }

  private <T> Future<T> call(Body<T> body) {
    if (unexpected != null) {
      return Future.failedFuture(unexpected);
    }
    try {
      return Future.succeededFuture(body.get());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  /** A broker without ZooKeeper: always ready. */
  @Override
  public java.util.Optional<String> notReadyReason() {
    return java.util.Optional.empty();
  }
}
