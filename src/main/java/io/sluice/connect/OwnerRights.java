package io.sluice.connect;

import io.sluice.api.BrokerService;
import io.sluice.api.Principal;
import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * The rights a connector's units run with: those of the principal who last wrote its config. The units reach the
 * cluster through the worker's client, as the broker, so every topic a task reads, writes or creates is checked here
 * as that principal, whatever chose it (a config, a transformation routing records, a table name). A check is the
 * authorizer's cached decision (a hash lookup, no request); a change of the ACLs starts a new cache, so the next
 * check follows it. With the authorizer off everything is allowed, as the broker. Blocking calls: task threads only.
 */
final class OwnerRights {
  private final WorkerContext worker;
  /** The policed service with the authorizer on; the broker's own otherwise. */
  private final BrokerService via;
  private final RequestContext as;

  private OwnerRights(WorkerContext worker, BrokerService via, RequestContext as) {
    this.worker = worker;
    this.via = via;
    this.as = as;
  }

  /**
   * The rights of connector {@code connector}'s owner. With the authorizer on, one written before owners were
   * recorded has none to run with: it is refused, as Kafka refuses a request it cannot tie to a principal.
   */
  static OwnerRights of(WorkerContext worker, String connector) {
    if (worker.policy() == null) {
      return new OwnerRights(worker, worker.broker(), RequestContext.SELF);
    }
    Principal owner = worker.state().creator(connector);
    if (owner == null) {
      throw new NoOwnerException(connector);
    }
    return new OwnerRights(worker, worker.policy(), new RequestContext(owner, "connect", "", "connect-" + connector));
  }

  /** Null when the owner may {@code op} {@code topic}; else the refusal naming the principal, operation and topic. */
  SluiceException refusal(String topic, AclOperation op) {
    if (worker.policy() == null) {
      return null;
    }
    return failure(via.authorize(as, ResourceType.TOPIC, topic, op));
  }

  void require(String topic, AclOperation op) {
    SluiceException refused = refusal(topic, op);
    if (refused != null) {
      throw refused;
    }
  }

  /**
   * Fails as Kafka's clients fail on TOPIC_AUTHORIZATION_FAILED ({@code TopicAuthorizationException}'s message)
   * unless the owner may {@code op} {@code topic}.
   */
  void requireForTask(String topic, AclOperation op, String task) {
    SluiceException refused = refusal(topic, op);
    if (refused != null) {
      throw new ConnectException("Not authorized to access topics: [" + topic + "]: task " + task + " runs with the"
          + " rights of the principal who last wrote its connector's config, and " + refused.getMessage(), refused);
    }
  }

  /** The topics of {@code topics} the owner may Read (a regex subscription leaves the others out, as Kafka's). */
  List<String> readable(List<String> topics) {
    List<String> allowed = new ArrayList<>();
    topics.stream().filter(t -> refusal(t, AclOperation.READ) == null).forEach(allowed::add);
    return allowed;
  }

  /** Kafka's CreateTopics: Create on the cluster or on the topic, needed only when {@code topic} does not exist. */
  void requireCreateIfMissing(String topic) {
    if (worker.policy() == null || worker.topicExists(topic)) {
      return;
    }
    if (failure(via.authorize(as, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, AclOperation.CREATE)) != null) {
      require(topic, AclOperation.CREATE);
    }
  }

  /**
   * Makes sure a topic a source writes to exists, as the owner's producer would: Write on it, and Create when it must
   * be created ({@code auto.create.topics.enable} allowing it, as a Kafka broker on a producer's metadata request).
   */
  void ensureTopic(String topic) {
    await(via.metadataForProduce(as, topic), "creating topic " + topic);
  }

  /**
   * Creates a topic a source's {@code topic.creation.*} settings describe, as the owner (Create on the cluster or
   * the topic, as Kafka's CreateTopics). One created meanwhile (by another task) is left as it is.
   */
  void createTopic(io.sluice.api.NewTopic topic) {
    await(via.createTopic(as, topic).<Object>map(md -> md).recover(t -> t instanceof SluiceException e
        && e.errorCode() == io.sluice.errors.ErrorCode.TOPIC_ALREADY_EXISTS ? Future.succeededFuture()
        : Future.failedFuture(t)), "creating topic " + topic.name());
  }

  private static SluiceException failure(Future<?> check) {
    try {
      await(check, "an authorization check");
      return null;
    } catch (SluiceException e) {
      return e;
    }
  }

  private static <T> T await(Future<T> f, String what) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while " + what, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Timed out " + what, e);
    }
  }

  /** A connector with no recorded owner while the authorizer is on: it does not run, and restarting it cannot help. */
  static final class NoOwnerException extends ConnectException {
    NoOwnerException(String connector) {
      super("Connector '" + connector + "' has no recorded owner (its config was written before Sluice recorded who"
          + " writes a connector's config), and with the authorizer on a connector runs only with its owner's"
          + " rights: it does not start. Re-submit its config (PUT /connectors/" + connector + "/config) as a"
          + " principal allowed on its topics; it then starts with that principal's rights");
    }
  }
}
