package io.sluice.bench;

import io.sluice.api.Acks;
import io.sluice.api.Batches;
import io.sluice.api.RequestContext;
import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.ProduceResult;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.config.BrokerConfig;
import io.sluice.metrics.MetricsService;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The cost metrics add to each produce and fetch, apart from everything else: the same calls through a broker service
 * that answers at once, bare and wrapped by {@link MetricsService#meter}, alternating, on one thread. Whole-broker
 * throughput on a shared machine swings far more than this cost, so the figure to compare with a request's service
 * time is this one. Prints nanoseconds per request.
 *
 * <pre>java -cp target/sluice.jar io.sluice.bench.MetricsOverheadBench [--requests N] [--records-per-batch N]</pre>
 */
public final class MetricsOverheadBench {
  private MetricsOverheadBench() {
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs args = new BenchArgs(argv);
    int requests = args.integer("requests", 5_000_000);
    int perBatch = args.integer("records-per-batch", 1000);
    Vertx vertx = Vertx.vertx();
    try {
      BrokerService bare = instant(batchBytes(perBatch));
      MetricsService metrics = new MetricsService(vertx, BrokerConfig.defaults(), new MetricsService.Sources(1,
          () -> MetadataSnapshot.EMPTY, List::of, () -> false));
      BrokerService metered = metrics.meter(bare);
      ByteBuffer batch = batchBytes(perBatch);
      TopicPartition[] tps = new TopicPartition[6];
      for (int i = 0; i < tps.length; i++) {
        tps[i] = new TopicPartition("bench", i);
      }
      for (int round = 1; round <= 5; round++) {
        double bareNs = run(bare, batch, tps, requests);
        double meteredNs = run(metered, batch, tps, requests);
        System.out.printf("round %d: produce+fetch pair bare %.0f ns, with metrics %.0f ns, metrics add %.0f ns"
            + " per pair (%d records per batch)%n", round, bareNs, meteredNs, meteredNs - bareNs, perBatch);
      }
      metrics.close();
    } finally {
      vertx.close().await();
    }
  }

  private static double run(BrokerService service, ByteBuffer batch, TopicPartition[] tps, int requests) {
    long start = System.nanoTime();
    long sink = 0;
    for (int i = 0; i < requests; i++) {
      TopicPartition tp = tps[i % tps.length];
      sink += service.produce(RequestContext.SELF, tp, batch.duplicate(), Acks.LEADER).result().batchBaseOffsets().size();
      sink += service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1 << 20, 1, 0)).result().sizeInBytes();
    }
    if (sink == 42) {
      System.out.println();
    }
    return (System.nanoTime() - start) / (double) requests;
  }

  private static ByteBuffer batchBytes(int records) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE);
    for (int i = 0; i < records; i++) {
      b.append(i, null, new byte[100], List.of());
    }
    return b.build();
  }

  /** A broker service whose produce and fetch answer at once (the fetch with {@code batch}); nothing else works. */
  private static BrokerService instant(ByteBuffer batch) {
    byte[] bytes = new byte[batch.remaining()];
    batch.duplicate().get(bytes);
    Future<ProduceResult> produced = Future.succeededFuture(new ProduceResult(List.of(0L), -1L));
    return (BrokerService) Proxy.newProxyInstance(BrokerService.class.getClassLoader(),
        new Class<?>[] {BrokerService.class}, (proxy, method, a) -> switch (method.getName()) {
          case "produce" -> produced;
          case "fetch" -> Future.succeededFuture(new FetchResult(((FetchRequest) a[1]).tp(), 0, 0,
              ((FetchRequest) a[1]).offset() + 1, Batches.wrap(bytes)));
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }
}
