package io.sluice.streams;

import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.api.acl.TopicReads;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What a client needs on a stream's topics, besides Cluster Describe on the streams API ({@code ManagementGuard}), to
 * see the stream: its store holds what it computed from its source topics, so a store query needs Read on each; its
 * definition and status (expressions over the records, their positions and lags) show what it reads and writes, so
 * describing or listing it needs Describe on each topic it names: its sources and the topics it writes, the broker's
 * own (repartition, changelog, dead-letter) aside. Before, Cluster Describe alone showed every stream's definition.
 * Changing a stream (create, replace, pause, resume, restart, delete) needs, besides Cluster Alter, what Kafka Streams
 * needs of its principal: Read on each topic its tasks read and Write on each they write, the dead-letter topic among
 * them; before, Cluster Alter alone let a client define a stream copying a topic it could not read into one it could.
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

  /** The topics a stream's tasks read: its sources, its repartition topic and its changelog (restored from). */
  static Set<String> reads(StreamDefinition d) {
    Set<String> reads = sources(d);
    java.util.stream.Stream.of(d.repartitionTopic(), d.changelogTopic()).filter(Objects::nonNull).forEach(reads::add);
    return reads;
  }

  /** The topics a stream's tasks write: its outputs (the internal ones among them) and its dead-letter topic. */
  static Set<String> writes(StreamDefinition d) {
    Set<String> writes = new TreeSet<>(d.outputTopics());
    if (d.deadLetterTopic() != null) {
      writes.add(d.deadLetterTopic());
    }
    return writes;
  }

  /** Succeeds when {@code policy} (null: none) allows the caller Read on what {@code d} reads, Write on what it
   * writes. */
  static Future<Void> mayRun(BrokerService policy, RequestContext caller, StreamDefinition d) {
    return policy == null ? Future.succeededFuture() : TopicReads.check(policy, caller, reads(d))
        .compose(v -> TopicReads.check(policy, caller, writes(d), AclOperation.WRITE));
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

  /**
   * What changing a stored stream needs: {@link #mayRun} on its definition, and with {@code deleteTopics} Delete on the
   * topics the broker made for it (its dead-letter topic may be one the client named). One that no longer compiles:
   * Read on the inputs its JSON lists. Compiling is worker work.
   */
  @SuppressWarnings("unchecked")
  static Future<Void> mayChange(StreamsService service, RequestContext caller, StreamStore.Stored stored,
      boolean deleteTopics) {
    BrokerService policy = service.policy();
    if (policy == null) {
      return Future.succeededFuture();
    }
    return service.<Object>blocking(() -> {
      try {
        return service.compile(stored);
      } catch (RuntimeException e) {
        return named(service, stored);
      }
    }).compose(compiled -> {
      if (!(compiled instanceof StreamDefinition d)) {
        return TopicReads.check(policy, caller, (Set<String>) compiled);
      }
      return mayRun(policy, caller, d).compose(v -> deleteTopics
          ? TopicReads.check(policy, caller, owned(d), AclOperation.DELETE) : Future.succeededFuture());
    });
  }

  /** The topics the broker makes for a stream and deletes with it on request: dead-letter, repartition, changelog. */
  static Set<String> owned(StreamDefinition d) {
    Set<String> owned = new TreeSet<>();
    java.util.stream.Stream.of(d.deadLetterTopic(), d.repartitionTopic(), d.changelogTopic())
        .filter(Objects::nonNull).forEach(owned::add);
    return owned;
  }

  /**
   * The stream stored as {@code name}, once {@code check} allows the caller on it. Refused, or unknown to a caller who
   * may not create streams, it fails with one 403 that names neither the stream's topics nor whether it exists, as
   * Kafka answers TOPIC_AUTHORIZATION_FAILED to a describe without Describe whatever exists; before, an unknown name
   * answered 404 and a hidden one 403 naming its first topic. Who holds Cluster Alter is told 404: a create's 409
   * tells them anyway.
   *
   * @param refusal what the caller was refused, the same for unknown and hidden streams ("describe ...")
   */
  static Future<StreamStore.Stored> checked(StreamsService service, RequestContext caller, String name,
      String refusal, Function<StreamStore.Stored, Future<Void>> check) {
    Future<StreamStore.Stored> stored = service.blocking(() -> service.store().get(name));
    BrokerService policy = service.policy();
    if (policy == null) {
      return stored;
    }
    SluiceException refused = new SluiceException(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Not authorized to "
        + refusal.replace("{}", io.sluice.errors.Echo.quoted(name)));
    return stored.recover(t -> !(t instanceof SluiceException e && e.errorCode() == ErrorCode.STREAM_NOT_FOUND)
        ? Future.failedFuture(t)
        : policy.authorize(caller, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, AclOperation.ALTER)
            .transform(ar -> Future.failedFuture(ar.succeeded() ? t : refused)))
        .compose(s -> check.apply(s).transform(ar -> ar.succeeded() ? Future.succeededFuture(s)
            : Future.failedFuture(isRefusal(ar.cause()) ? refused : ar.cause())));
  }

  private static boolean isRefusal(Throwable t) {
    return t instanceof SluiceException e && e.errorCode().httpStatus() == 403;
  }
}
