package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.cluster.faults.Availability;
import io.sluice.cluster.faults.Checker;
import io.sluice.cluster.faults.FinalLog;
import io.sluice.cluster.faults.History;
import io.sluice.cluster.faults.History.Outcome;
import io.sluice.cluster.faults.RunReport;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The randomized fault checker of the reliability notes on three broker JVMs: producers and consumers run while a
 * seeded {@link Nemesis} kills, pauses and tears brokers; after healing, {@link Checker} looks for every anomaly.
 * {@code -Dfaults.seed=} replays a schedule, {@code -Dfaults.seconds=} runs longer than the CI default. A negative
 * control with unclean leader election must show loss, proving the checker can see it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {
  private static final long DEFAULT_SEED = 20_261_122L;
  private static final int DEFAULT_SECONDS = 50;
  private static final int BROKERS = 3;
  private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);

  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  static Path tmp;
  private BrokerCluster cluster;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = CLUSTERS.create(tmp);
    cluster.proxyZooKeeperLinks();
    cluster.startAll(BROKERS);
  }

  @Test
  @Order(1)
  void randomCrashesPausesPartitionsAndTornTailsLoseNoAcknowledgedRecordUnderAcksAll() throws Exception {
    long seed = Long.getLong("faults.seed", DEFAULT_SEED);
    int seconds = Integer.getInteger("faults.seconds", DEFAULT_SECONDS);
    System.out.println("FaultsIT: seed " + seed + ", " + seconds + " s of faults (-Dfaults.seed=, -Dfaults.seconds=)");
    String topic = "faults";
    int partitions = 2;
    createTopic(topic, partitions, BROKERS, Map.of("min.insync.replicas", "2"));
    History history = new History();
    Workload workload = new Workload(cluster, history, topic, partitions, seed);
    workload.startProducers(3, "all");
    workload.startConsumers(2);
    awaitAcks(workload, partitions, 20);

    long faultsStart = history.nanos();
    Nemesis nemesis = new Nemesis(cluster, history, topic, partitions, BROKERS, new Random(seed));
    nemesis.run(TimeUnit.SECONDS.toMillis(seconds));
    AssertionError notHealed = null;
    long healed = -1;
    try {
      nemesis.heal();
      healed = history.nanos();
      awaitAcks(workload, partitions, 20);
    } catch (AssertionError e) {
      notHealed = e; // still check what happened: the report says more than the timeout
      history.healed("NOT HEALED: " + e.getMessage());
    }
    healed = healed < 0 ? history.nanos() : healed;
    workload.stopProducers();

    RunReport report = check("random faults", seed, history, workload, topic, partitions,
        IntStream.rangeClosed(1, BROKERS).boxed().toList(), faultsStart, healed);
    assertThat(report.count(Outcome.OK)).as("acknowledged").isPositive();
    assertThat(report.anomalyCount()).as(report.toString()).isZero();
    if (notHealed != null) {
      throw new AssertionError("The cluster did not heal (seed " + seed + "):\n" + report, notHealed);
    }
  }

  @Test
  @Order(2)
  void uncleanElectionAfterTheIsrShrankLosesAcknowledgedRecordsAndTheCheckerSeesIt() throws Exception {
    String topic = "unclean";
    createTopic(topic, 1, 2, Map.of("min.insync.replicas", "1", "unclean.leader.election.enable", "true"));
    JsonObject partition = cluster.partition(cluster.anyLive(), topic, 0);
    int leaderId = partition.getInteger("leader");
    List<Integer> replicas = partition.getJsonArray("replicas").stream()
        .map(r -> ((JsonObject) r).getInteger("broker")).toList();
    int followerId = replicas.stream().filter(b -> b != leaderId).findFirst().orElseThrow();
    Node bystander = cluster.nodes.values().stream().filter(n -> !replicas.contains(n.id)).findFirst().orElseThrow();
    History history = new History();
    Workload workload = new Workload(cluster, history, topic, 1, DEFAULT_SEED);
    workload.avoid = Set.of(leaderId, followerId); // every request enters through the bystander, which forwards
    workload.startProducers(1, "1");
    workload.startConsumers(1);
    long start = history.nanos();
    awaitAcks(workload, 1, 20);

    cluster.signal(cluster.node(followerId), "STOP");
    history.fault("SIGSTOP follower " + followerId, List.of());
    await("the paused follower leaves the ISR", () -> cluster.inSyncCount(bystander, topic, 0) == 1, 30_000);
    awaitAcks(workload, 1, 30);
    cluster.signal(cluster.node(leaderId), "KILL");
    history.fault("kill -9 leader " + leaderId, List.of(0));
    cluster.signal(cluster.node(followerId), "CONT");
    history.healed("SIGCONT follower " + followerId);
    await("the out-of-sync follower elected uncleanly", () -> cluster.leader(bystander, topic, 0) == followerId,
        60_000);
    awaitAcks(workload, 1, 10);
    cluster.start(leaderId).listening.get(120, TimeUnit.SECONDS);
    history.healed("restarted broker " + leaderId);
    await("both replicas in sync again", () -> cluster.inSyncCount(bystander, topic, 0) == 2, 60_000);
    long healed = history.nanos();
    workload.stopProducers();

    RunReport report = check("negative control: unclean election", DEFAULT_SEED, history, workload, topic, 1,
        replicas, start, healed);
    assertThat(report.count("lost")).as(report.toString()).isPositive();
  }

  private void createTopic(String topic, int partitions, int rf, Map<String, String> configs) throws Exception {
    HttpResponse<byte[]> created = cluster.createTopic(cluster.anyLive(), topic, partitions, rf, configs);
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      await("every replica of " + topic + "-" + p + " in sync",
          () -> cluster.inSyncCount(cluster.anyLive(), topic, partition) == rf);
    }
  }

  private static void awaitAcks(Workload workload, int partitions, int more) {
    for (int p = 0; p < partitions; p++) {
      long target = workload.acked(p) + more;
      int partition = p;
      await(more + " more acknowledgements on partition " + p, () -> workload.acked(partition) >= target, 90_000);
    }
  }

  /** Lets the consumers catch up, reads every replica, runs the checker and prints and saves its report. */
  private RunReport check(String name, long seed, History history, Workload workload, String topic, int partitions,
      List<Integer> replicas, long fromNanos, long toNanos) throws Exception {
    FinalLogReader reader = new FinalLogReader(cluster, topic);
    Map<Integer, FinalLog> logs = new TreeMap<>();
    for (int p = 0; p < partitions; p++) {
      logs.put(p, reader.read(p, replicas));
    }
    Map<Integer, Long> highWatermarks = new TreeMap<>();
    logs.forEach((p, log) -> highWatermarks.put(p, log.highWatermark()));
    try {
      await("consumers read up to the final high watermarks", () -> workload.consumersReached(highWatermarks), 30_000);
    } finally {
      workload.stopConsumers();
    }
    Availability availability = new Availability(history, QUIET_NANOS);
    RunReport report = new RunReport(name, seed, history, new Checker(history, logs).all(),
        availability.unavailableSeconds(List.copyOf(logs.keySet()), fromNanos, toNanos), availability.failovers());
    System.out.println(report);
    Path reports = Files.createDirectories(Path.of("target", "faults"));
    Files.writeString(reports.resolve(name.replaceAll("[^a-z0-9]+", "-") + "-" + seed + ".txt"), report.toString());
    return report;
  }
}
