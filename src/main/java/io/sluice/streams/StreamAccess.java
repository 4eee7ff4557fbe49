package io.sluice.streams;

import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.TopicReads;
import io.vertx.core.Future;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a client needs on a stream's topics, besides Cluster Describe on the streams API ({@code ManagementGuard}), to
 * see the stream: its store holds what it computed from its source topics, so a store query needs Read on each; its
 * definition and status (expressions over the records, their positions and lags) show what it reads and writes, so
 * describing or listing it needs Describe on each topic it names: its sources and the topics it writes, the broker's
 * own (repartition, changelog, dead-letter) aside. Before, Cluster Describe alone showed every stream's definition.
 * With no policy (the authorizer off) everything is allowed.
 */
final class StreamAccess {
  private StreamAccess() {
  }

  /** The inputs and a join's other side: the topics whose records the stream's store is computed from. */
  static Set<String> sources(StreamDefinition d) {
    Set<String> sources = new TreeSet<>(d.inputs());
    if (d.join() != null && d.join().right() != null) {
      sources.add(d.join().right());
    }
    return sources;
  }

  /** The topics a definition names: its sources and the topics it writes, but the broker's own ones. */
  static Set<String> named(StreamDefinition d) {
    Set<String> named = sources(d);
    named.addAll(d.outputTopics());
    java.util.stream.Stream.of(d.repartitionTopic(), d.changelogTopic(), d.deadLetterTopic())
        .filter(java.util.Objects::nonNull).forEach(named::remove);
    return named;
  }

  /** Succeeds when {@code policy} (null: none) allows the caller Read on every source of {@code d}. */
  static Future<Void> mayRead(BrokerService policy, RequestContext caller, StreamDefinition d) {
    return policy == null ? Future.succeededFuture() : TopicReads.check(policy, caller, sources(d));
  }

  /**
   * The topics a stored definition names; when it no longer compiles (a definition of an older version), the inputs
   * its JSON lists, so it can still be described (and fixed) by those who may see them.
   */
  static Set<String> named(StreamsService service, StreamStore.Stored stored) {
    try {
      return named(service.compile(stored));
    } catch (RuntimeException e) {
      Set<String> inputs = new TreeSet<>();
      Object listed = stored.definition().getValue("inputs");
      if (listed instanceof io.vertx.core.json.JsonArray a) {
        a.forEach(t -> inputs.add(String.valueOf(t)));
      }
      return inputs;
    }
  }

  /** Succeeds when {@code policy} (null: none) allows the caller Describe on every topic of {@code named}. */
  static Future<Void> mayDescribe(BrokerService policy, RequestContext caller, Set<String> named) {
    return policy == null ? Future.succeededFuture()
        : TopicReads.check(policy, caller, named, AclOperation.DESCRIBE);
  }
}
