package io.sluice.streams;

import io.sluice.streams.state.Kv;
import io.sluice.streams.state.StoreState;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state stores of one stream task, by store name, and the changelog topic each writes to. A record's changes to
 * all of them commit together or not at all. Not thread-safe: one task's records, one at a time.
 */
final class TaskStores implements AutoCloseable {
  private final Map<String, StoreState> stores = new LinkedHashMap<>();
  /** The time synchronisation of a join's sides, or null (a join in preview, an aggregation). */
  private JoinSync sync;

  JoinSync sync() {
    return sync;
  }

  TaskStores sync(JoinSync s) {
    this.sync = s;
    return this;
  }

  void add(StoreState store) {
    stores.put(store.name(), store);
  }

  StoreState get(String name) {
    StoreState s = stores.get(name);
    if (s == null) {
      throw new IllegalStateException("No state store '" + name + "' in this task");
    }
    return s;
  }

  Map<String, StoreState> all() {
    return stores;
  }

  void rollback() {
    stores.values().forEach(StoreState::rollback);
  }

  long lateRecords() {
    return stores.values().stream().mapToLong(StoreState::lateRecords).sum();
  }

  /** Entries the stores' TTLs removed since they opened. */
  long expiredEntries() {
    return stores.values().stream().mapToLong(StoreState::expiredEntries).sum();
  }

  /** The changelog topic of store {@code store} of stream {@code stream}. */
  static String changelogTopic(String stream, String store) {
    return stream + "-" + store + "-changelog";
  }

  /** The repartition topic of stream {@code stream} ({@code n}: which one; streams have at most one today). */
  static String repartitionTopic(String stream, int n) {
    return stream + "-repartition-" + n;
  }

  /** In-memory stores for {@code definition} (preview). */
  static TaskStores inMemory(StreamDefinition definition) {
    TaskStores t = new TaskStores();
    if (definition.store() != null) {
      t.add(new StoreState(definition.store(), new io.sluice.streams.state.MemoryKv()));
    }
    return t;
  }

  /** Entries of all stores (estimates for RocksDB). */
  long entries() {
    return stores.values().stream().mapToLong(s -> s.kv().size()).sum();
  }

  @Override
  public void close() {
    stores.values().forEach(StoreState::close);
  }

  static Kv.Change change(byte[] key, byte[] value) {
    return new Kv.Change(key, value);
  }
}
