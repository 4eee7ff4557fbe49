package io.sluice.connect;

import io.sluice.api.BrokerService;
import io.sluice.api.InternalTopics;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPattern;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.api.acl.TopicReads;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * What a client needs on a connector's topics, besides the Cluster Describe or Alter {@code ManagementGuard} asks:
 * a connector's tasks run as the broker, so before, Cluster Alter alone let a client create a sink copying a topic it
 * could not read to wherever the sink writes, or a source writing a topic it could not write. As Kafka Connect's
 * workers need of their principal, creating a connector, replacing its config, pausing, resuming, stopping,
 * restarting it, resetting its offsets or topics and deleting it need Read on each topic a sink reads ({@code topics},
 * or each topic {@code topics.regex} matches now) and Write on each it writes (a source's {@code topic}, the
 * dead-letter topic, and Create on a sink's dead-letter topic that does not exist yet); seeing its config, status,
 * tasks or offsets needs Describe on each topic it names. With no policy (the authorizer off) everything is allowed.
 * What the config names is checked here; what its tasks touch while they run (a topic chosen by a transformation or
 * by the data, a right taken since) is checked by {@link OwnerRights}.
 */
final class ConnectAccess {
  /** The config key the bundled sources (load generator, file stream) write to. */
  static final String SOURCE_TOPIC = "topic";

  private ConnectAccess() {
  }

  /** The topics a sink's config names for it to read ({@code topics}); a source's: none. */
  static Set<String> reads(Map<String, String> config, boolean sink) {
    Set<String> reads = new TreeSet<>();
    if (sink) {
      reads.addAll(ConnectorConfigs.parseList(config.get(ConnectorConfigs.TOPICS)));
    }
    reads.removeIf(String::isBlank);
    return reads;
  }

  /** The topics a config names for the connector to write: a source's {@code topic}, the dead-letter topic. */
  static Set<String> writes(Map<String, String> config, boolean sink) {
    Set<String> writes = new TreeSet<>();
    if (!sink) {
      writes.add(config.getOrDefault(SOURCE_TOPIC, "").trim());
    }
    writes.add(config.getOrDefault(ConnectorConfigs.DLQ_TOPIC, "").trim());
    writes.removeIf(String::isBlank);
    return writes;
  }

  /**
   * A connector naming a topic the broker keeps (its own or Connect's): it would read or write broker state as the
   * broker (a source writing {@code __consumer_offsets} corrupted groups).
   */
  static void refuseInternal(Map<String, String> config, boolean sink) {
    Set<String> named = reads(config, sink);
    named.addAll(writes(config, sink));
    for (String topic : named) {
      if (InternalTopics.isManaged(topic)) {
        throw new SluiceException(ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic '" + topic + "' is internal to the"
            + " broker: a connector may not read or write it");
      }
    }
  }

  /**
   * Succeeds when {@code policy} (null: none) allows the caller Read on what the connector reads, the topics now
   * matching its {@code topics.regex} ({@code topics}: every topic, as the broker lists them) among them, and Write
   * on what it writes.
   */
  static Future<Void> mayRun(BrokerService policy, RequestContext caller, Map<String, String> config, boolean sink,
      Supplier<Future<List<String>>> topics) {
    if (policy == null) {
      return Future.succeededFuture();
    }
    String regex = sink ? config.getOrDefault(ConnectorConfigs.TOPICS_REGEX, "") : "";
    Future<Set<String>> reads = regex.isBlank() ? Future.succeededFuture(reads(config, sink))
        : topics.get().map(all -> matching(regex, all));
    return reads.compose(r -> TopicReads.check(policy, caller, r))
        .compose(v -> TopicReads.check(policy, caller, writes(config, sink), AclOperation.WRITE));
  }

  /**
   * Succeeds when {@code policy} (null: none) allows the caller to create a sink's dead letter queue, or it exists:
   * its tasks create it at the first failed record as the connector's owner ({@link OwnerRights}), so the config is
   * refused now rather than the task later. Create on the cluster or on the topic, as Kafka's CreateTopics.
   */
  static Future<Void> mayCreateDeadLetterTopic(BrokerService policy, RequestContext caller,
      Map<String, String> config, boolean sink, Supplier<Future<List<String>>> topics) {
    String dlq = config.getOrDefault(ConnectorConfigs.DLQ_TOPIC, "").trim();
    if (policy == null || !sink || dlq.isEmpty()) {
      return Future.succeededFuture();
    }
    return topics.get().compose(all -> all.contains(dlq) ? Future.succeededFuture()
        : policy.authorize(caller, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, AclOperation.CREATE)
            .recover(t -> isRefusal(t) ? policy.authorize(caller, ResourceType.TOPIC, dlq, AclOperation.CREATE)
                : Future.failedFuture(t)));
  }

  /** The topics of {@code all} that {@code regex} matches, the broker's own aside (as a consumer's subscription). */
  static Set<String> matching(String regex, List<String> all) {
    com.google.re2j.Pattern p = TopicPattern.compile(regex);
    Set<String> matched = new TreeSet<>();
    all.stream().filter(t -> !InternalTopics.isManaged(t) && p.matcher(t).matches()).forEach(matched::add);
    return matched;
  }

  /** Succeeds when {@code policy} (null: none) allows the caller Describe on each topic the config names. */
  static Future<Void> mayDescribe(BrokerService policy, RequestContext caller, Map<String, String> config,
      boolean sink) {
    if (policy == null) {
      return Future.succeededFuture();
    }
    Set<String> named = reads(config, sink);
    named.addAll(writes(config, sink));
    return TopicReads.check(policy, caller, named, AclOperation.DESCRIBE);
  }

  /**
   * Lets the request on connector {@code name} through once {@code check} allows the caller on its config ({@code
   * config}: null when unknown). Refused, or unknown to a caller who may not create connectors, it fails with one 403
   * that names neither the connector's topics nor whether it exists, as {@code StreamAccess} answers for streams;
   * who holds Cluster Alter is told 404 by the route (a create's 409 would tell them anyway).
   *
   * @param refusal what the caller was refused, the same for unknown and hidden connectors ("describe")
   */
  static Future<Void> checked(BrokerService policy, RequestContext caller, String name, Map<String, String> config,
      String refusal, Supplier<Future<Void>> check) {
    if (policy == null) {
      return Future.succeededFuture();
    }
    SluiceException refused = new SluiceException(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Not authorized to "
        + refusal + " connector " + io.sluice.errors.Echo.quoted(name));
    Future<Void> allowed = config != null ? check.get()
        : policy.authorize(caller, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, AclOperation.ALTER);
    return allowed.transform(ar -> ar.succeeded() ? Future.succeededFuture()
        : Future.failedFuture(isRefusal(ar.cause()) ? refused : ar.cause()));
  }

  private static boolean isRefusal(Throwable t) {
    return t instanceof SluiceException e && e.errorCode().httpStatus() == 403;
  }
}
