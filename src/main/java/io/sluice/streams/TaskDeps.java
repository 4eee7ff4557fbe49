package io.sluice.streams;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.sluice.streams.state.StateMemory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;

/**
 * What every stream task of a broker shares: the broker's own service (unpoliced; fetches of partitions led here are
 * local reads, writes go to their leaders), the context tasks' loops run on, the {@code sluice-streams} pool, the
 * store, the limits, the registry the tasks' meters go to, and the directory and shared memory of the tasks' state
 * stores.
 */
record TaskDeps(int brokerId, BrokerService cluster, Context context, WorkerExecutor pool, StreamStore store,
    long commitIntervalMs, int maxOutputsPerRecord, long maxBytesPerRecord, MeterRegistry meters, java.nio.file.Path stateDir,
    StateMemory stateMemory) {

  RequestContext caller() {
    return RequestContext.internal(brokerId);
  }

  /** Runs {@code work} on the pool (unordered: each task has one step in flight at a time). */
  <T> Future<T> blocking(Callable<T> work) {
    return pool.executeBlocking(work, false);
  }
}
