package io.sluice.connect;

import io.sluice.api.RequestContext;
import io.sluice.client.Producer;
import io.sluice.client.SluiceClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.api.BrokerService;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.json.JsonObject;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What every connector and task runner on this broker shares: the worker's id as Kafka Connect reports it ({@code
 * host:port} of the REST API), the plugins, the client (on the broker's own HTTP port), the worker's producer for
 * the internal topics and dead letter queues, the cluster's connector state, and the largest tasks.max it runs
 * (connect.max.tasks.per.connector), where the FileStream connectors may read and write, and the cluster's config
 * lock (a connector's task configs are written under it, as the REST API's config changes are); the policed
 * service (null with the authorizer off) that holds a connector to its creator's rights; and whether source
 * connectors create their topics with their {@code topic.creation.*} settings (topic.creation.enable); and the
 * plugins' metrics (KIP-877), shown in {@code meters}.
 */
record WorkerContext(String workerId, Plugins plugins, SluiceClient client, Producer producer, ConnectState state,
    BrokerService broker, MeterRegistry meters, int maxTasksPerConnector, FileConnectorPaths filePaths,
    ConfigLock configLock, BrokerService policy, boolean topicCreationEnabled, PluginMeters pluginMeters) {
  private static final System.Logger LOG = System.getLogger(WorkerContext.class.getName());

  /**
   * Fails a task of a FileStream connector whose file is not allowed, before it opens it: its config may have been
   * written under an older connect.file.allowed.paths, or a symlink swapped in since it was validated.
   */
  void requireAllowedFile(String connectorClass, Map<String, String> taskConfig) {
    String refusal = filePaths.refusal(connectorClass, taskConfig);
    if (refusal != null) {
      throw new org.apache.kafka.connect.errors.ConnectException(refusal);
    }
  }

  /**
   * Whether this broker's metadata still holds {@code topic} (a lookup in its snapshot, no request). Only a topic
   * the broker says does not exist counts as gone: any other failure answers true, so nothing is dropped on a doubt.
   */
  boolean topicExists(String topic) {
    try {
      broker.describeTopic(RequestContext.SELF, topic).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      return !(e.getCause() instanceof SluiceException s && s.errorCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    } catch (TimeoutException e) {
      return true;
    }
  }

  /** Records a connector's ({@code task} -1) or a task's state, as Kafka Connect's status shape. */
  void writeStatus(String connector, int task, String state, String trace) {
    JsonObject status = new JsonObject().put("state", state).put("worker_id", workerId);
    if (trace != null) {
      status.put("trace", trace);
    }
    String key = task < 0 ? ConnectState.connectorStatusKey(connector) : ConnectState.taskStatusKey(connector, task);
    this.state.status.write(key, status.encode()).subscribe().with(o -> { }, f -> { });
  }

  /**
   * Records that a connector used a topic (Kafka's KIP-558 active topics), once per topic; true if it wrote the
   * record now.
   */
  boolean recordActiveTopic(String connector, int task, String topic) {
    String key = ConnectState.topicKey(topic, connector);
    if (state.status.get(key) != null) {
      return false;
    }
    JsonObject value = new JsonObject().put("topic", new JsonObject().put("name", topic)
        .put("connector", connector).put("task", connector + "-" + task)
        .put("discoverTimestamp", System.currentTimeMillis()));
    state.status.write(key, value.encode()).subscribe().with(o -> { }, f -> { });
    return true;
  }

  /**
   * After units of a deleted connector ({@code tasks}: their task numbers, -1 the connector) have stopped: tombstones
   * their statuses and the active topics they or their connector recorded, as Kafka Connect's status store does on a
   * deletion. The delete tombstoned them already, but a unit still running until this broker saw the deletion could
   * write them again (RUNNING, FAILED, a topic it read), and they then stayed in the compacted status topic, shown to
   * a connector created again under the name until its own units wrote theirs. One round under the config lock, read
   * to the end, and only while the connector does not exist (one created again meanwhile writes its own); blocks the
   * calling (scheduler) thread. The tombstones go through the producer the units' writes went through, so they land
   * after them.
   */
  void forgetDeletedUnits(String connector, List<Integer> tasks, Set<String> topicsRecorded) {
    try {
      configLock.holding(() -> Future.fromCompletionStage(state.configs.readToEnd().subscribeAsCompletionStage())
          .compose(x -> {
            if (state.config(connector) != null) {
              return Future.succeededFuture();
            }
            Set<String> topics = new TreeSet<>(topicsRecorded);
            topics.addAll(state.activeTopics(connector));
            List<Uni<Long>> writes = new ArrayList<>();
            tasks.forEach(task -> writes.add(state.status.write(task < 0 ? ConnectState.connectorStatusKey(connector)
                : ConnectState.taskStatusKey(connector, task), null)));
            topics.forEach(t -> writes.add(state.status.write(ConnectState.topicKey(t, connector), null)));
            return Future.fromCompletionStage(Uni.join().all(writes).andFailFast().subscribeAsCompletionStage())
                .mapEmpty();
          })).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, "The statuses of deleted connector " + connector + " were not cleared: "
          + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
