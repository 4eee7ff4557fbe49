package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;

import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.cluster.faults.History;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Applies random faults to a {@link BrokerCluster}, one at a time, each chosen and timed by a seeded {@link Random}
 * (in rounds: each kind once per round, so that even a short run sees every kind)
 * so a seed replays the same schedule (the cluster's answers, and so the targets' roles, may still differ). Every
 * fault is undone before the next one and recorded in the {@link History} with the partitions its target led.
 *
 * <p>Faults: {@code kill -9} then restart of a leader, a follower or the controller; SIGSTOP/SIGCONT shorter than the
 * ZooKeeper session (nothing should move) and longer (the target's session expires: a zombie leader that must be
 * fenced, and that rejoins the cluster in place); and a torn tail, a {@code kill -9} after which the last
 * segment of each partition loses a few bytes before the restart; and a cut of one broker's ZooKeeper link through
 * its {@link TcpProxy} (when the cluster proxies them), shorter or longer than the session. Runs on the calling
 * thread.
 */
final class Nemesis {
  enum Kind { KILL_LEADER, KILL_FOLLOWER, KILL_CONTROLLER, PAUSE_SHORT, PAUSE_LONG, TORN_TAIL, ZOOKEEPER_PARTITION }

  private static final long SESSION_MS = BrokerCluster.SESSION_TIMEOUT_MS;
  private final BrokerCluster cluster;
  private final History history;
  private final String topic;
  private final int partitions;
  private final Random random;
  private final int brokers;
  /** Kinds not yet applied in this round: every kind comes once, in a seeded order, before any comes again. */
  private final List<Kind> bag = new ArrayList<>();

  Nemesis(BrokerCluster cluster, History history, String topic, int partitions, int brokers, Random random) {
    this.cluster = cluster;
    this.history = history;
    this.topic = topic;
    this.partitions = partitions;
    this.brokers = brokers;
    this.random = random;
  }

  /** Applies faults for about {@code durationMs}, each after a quiet time of 1 to 3 s. */
  void run(long durationMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMs);
    while (System.nanoTime() < deadline) {
      sleep(1_000 + random.nextInt(2_000));
      if (bag.isEmpty()) {
        bag.addAll(List.of(Kind.values()));
        java.util.Collections.shuffle(bag, random);
      }
      apply(bag.remove(0));
    }
  }

  private void apply(Kind kind) throws Exception {
    switch (kind) {
      case KILL_LEADER -> killAndRestart(leaderOfSomePartition(), "leader", false);
      case KILL_FOLLOWER -> killAndRestart(follower(), "follower", false);
      case KILL_CONTROLLER -> killAndRestart(cluster.controller(cluster.anyLive()), "controller", false);
      case TORN_TAIL -> killAndRestart(1 + random.nextInt(brokers), "random", true);
      case PAUSE_SHORT -> pause(1 + random.nextInt(brokers), 500 + random.nextInt((int) SESSION_MS / 2));
      case PAUSE_LONG -> pause(random.nextInt(3) < 2 ? leaderOfSomePartition() : follower(),
          SESSION_MS + 2_000 + random.nextInt(3_000));
      case ZOOKEEPER_PARTITION -> cutZooKeeperLink(random.nextInt(3) < 2 ? leaderOfSomePartition()
          : 1 + random.nextInt(brokers), random.nextBoolean() ? 500 + random.nextInt((int) SESSION_MS / 3)
          : SESSION_MS + 2_000 + random.nextInt(3_000));
      default -> throw new IllegalStateException(kind.name());
    }
  }

  private void killAndRestart(int id, String role, boolean tearTail) throws Exception {
    if (id <= 0) {
      return;
    }
    long downMs = 500 + random.nextInt((int) SESSION_MS + 2_000);
    int tornBytes = 1 + random.nextInt(40);
    String roles = roles(id);
    List<Integer> led = led(id);
    cluster.signal(cluster.node(id), "KILL");
    history.fault("kill -9 broker " + id + " (" + role + "; " + roles + ")", led);
    cluster.node(id).process.waitFor(30, TimeUnit.SECONDS);
    if (tearTail) {
      history.fault("tear tails on broker " + id + ": " + cluster.tearTails(id, topic, tornBytes), List.of());
    }
    sleep(downMs);
    cluster.start(id).listening.get(120, TimeUnit.SECONDS);
    history.healed("restarted broker " + id + " after " + downMs + " ms");
    cluster.awaitAlive(brokers);
  }

  private void pause(int id, long pauseMs) throws Exception {
    if (id <= 0) {
      return;
    }
    Node node = cluster.node(id);
    long rejoinsBefore = node.rejoins();
    String roles = roles(id);
    List<Integer> led = led(id); // asked before the stop: a stopped broker answers nothing
    cluster.signal(node, "STOP");
    history.fault("SIGSTOP broker " + id + " for " + pauseMs + " ms (" + roles + ")", led);
    sleep(pauseMs);
    cluster.signal(node, "CONT");
    history.healed("SIGCONT broker " + id);
    if (pauseMs > SESSION_MS + 1_000) {
      // The session expired while it was stopped: it fences itself and rejoins the cluster in place.
      await("broker " + id + " rejoined after its lost session", () -> node.rejoins() > rejoinsBefore, 60_000);
    }
    cluster.awaitAlive(brokers);
  }

  /**
   * Cuts the target's ZooKeeper link while its HTTP and event-bus links stay up: a longer cut than the session makes
   * a zombie that still answers clients and peers until it notices, fences itself and rejoins in place.
   */
  private void cutZooKeeperLink(int id, long cutMs) throws Exception {
    TcpProxy link = cluster.zookeeperLinks.get(id);
    if (id <= 0 || link == null) {
      return;
    }
    Node node = cluster.node(id);
    long rejoinsBefore = node.rejoins();
    String roles = roles(id);
    List<Integer> led = led(id);
    link.cut();
    history.fault("cut broker " + id + "'s ZooKeeper link for " + cutMs + " ms (" + roles + ")", led);
    sleep(cutMs);
    link.heal();
    history.healed("healed broker " + id + "'s ZooKeeper link");
    if (cutMs > SESSION_MS + 1_000) {
      await("broker " + id + " rejoined after its lost session", () -> node.rejoins() > rejoinsBefore, 60_000);
    }
    cluster.awaitAlive(brokers);
  }

  /** Restarts dead brokers and waits until all are alive and every partition's ISR is full. */
  void heal() throws Exception {
    for (int id = 1; id <= brokers; id++) {
      if (!cluster.node(id).process.isAlive()) {
        cluster.start(id).listening.get(120, TimeUnit.SECONDS);
        history.healed("final heal: restarted broker " + id);
      }
    }
    cluster.awaitAlive(brokers);
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      await("partition " + p + "'s ISR full after healing",
          () -> cluster.inSyncCount(cluster.anyLive(), topic, partition) == brokers, 120_000);
    }
    history.healed("healed: all brokers alive, every ISR full");
  }

  private int leaderOfSomePartition() {
    return cluster.leader(cluster.anyLive(), topic, random.nextInt(partitions));
  }

  /** A broker leading no partition if there is one, else a random broker that does not lead partition 0. */
  private int follower() {
    List<Integer> leaders = IntStream.range(0, partitions).mapToObj(p -> cluster.leader(cluster.anyLive(), topic, p))
        .toList();
    List<Integer> idle = IntStream.rangeClosed(1, brokers).boxed().filter(b -> !leaders.contains(b)).toList();
    if (!idle.isEmpty()) {
      return idle.get(random.nextInt(idle.size()));
    }
    List<Integer> others = IntStream.rangeClosed(1, brokers).boxed().filter(b -> !b.equals(leaders.get(0))).toList();
    return others.get(random.nextInt(others.size()));
  }

  private List<Integer> led(int id) {
    List<Integer> led = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      if (cluster.leader(cluster.anyLive(), topic, p) == id) {
        led.add(p);
      }
    }
    return led;
  }

  private String roles(int id) {
    return "leads " + led(id) + (cluster.controller(cluster.anyLive()) == id ? ", controller" : "");
  }

  private static void sleep(long ms) throws InterruptedException {
    Thread.sleep(ms); // the fault's duration or the quiet time between faults, drawn from the seed
  }
}
