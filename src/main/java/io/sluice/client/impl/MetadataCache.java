package io.sluice.client.impl;

import io.sluice.client.ClusterDescription;
import io.sluice.client.ClusterDescription.BrokerInfo;
import io.sluice.client.TopicDescription;
import io.sluice.client.TopicDescription.PartitionInfo;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;

/**
 * The client's view of the cluster: topic descriptions from {@code GET /topics/{t}} and, where the cluster publishes
 * it, broker addresses from {@code GET /cluster} (a 404 there means a cluster without membership publishing: every
 * request then goes to a bootstrap broker, which must serve or forward it).
 *
 * <p>Requests that may go to any broker rotate through the bootstrap list: a broker that did not answer is skipped
 * next time. Concurrent refreshes of one topic share one request.
 *
 * <p><b>Threading:</b> confined to the client's context; every method must be called there.
 */
final class MetadataCache {
  static final long UNKNOWN_LEADER_REFRESH_MS = 200;
  static final long SHUN_MS = 30_000;
  private final Transport transport;
  private final List<URI> bootstrap;
  private final long maxAgeMs;
  private final Map<String, TopicDescription> topics = new HashMap<>();
  private final Map<String, Long> fetchedAtMs = new HashMap<>();
  private final Map<String, Future<TopicDescription>> refreshing = new HashMap<>();
  private Map<Integer, URI> brokerUrls = Map.of();
  private Map<Integer, String> brokerRacks = Map.of();
  private Set<Integer> aliveBrokers = Set.of();
  /** Brokers a rack read found unreachable, with when: reads go to the leader for {@link #SHUN_MS} instead. */
  private final Map<Integer, Long> shunned = new HashMap<>();
  private String clientRack;
  private int controllerId = -1;
  private boolean clusterEndpoint = true;
  private int next;

  MetadataCache(Transport transport, List<URI> bootstrap, long maxAgeMs, boolean followLeaders) {
    this(transport, bootstrap, maxAgeMs);
    this.clusterEndpoint = followLeaders;
  }

  MetadataCache(Transport transport, List<URI> bootstrap, long maxAgeMs) {
    this.transport = transport;
    this.bootstrap = List.copyOf(bootstrap);
    this.maxAgeMs = maxAgeMs;
  }

  /** The cached description if younger than the max age, else a fresh one. */
  Future<TopicDescription> topic(String name) {
    TopicDescription cached = topics.get(name);
    if (cached != null && System.currentTimeMillis() - fetchedAtMs.get(name) < maxAgeMs) {
      return Future.succeededFuture(cached);
    }
    return refresh(name);
  }

  /** The cached description, or null; never fetches. */
  TopicDescription cached(String name) {
    return topics.get(name);
  }

  /** Fetches the topic's description (and the broker list) now. */
  Future<TopicDescription> refresh(String name) {
    Future<TopicDescription> inFlight = refreshing.get(name);
    if (inFlight != null) {
      return inFlight;
    }
    Future<TopicDescription> f = refreshCluster()
        .compose(v -> anyBroker(HttpMethod.GET, "/topics/" + encode(name), null))
        .map(r -> {
          TopicDescription d = parseTopic(r.json());
          topics.put(name, d);
          fetchedAtMs.put(name, System.currentTimeMillis());
          return d;
        })
        .andThen(ar -> refreshing.remove(name));
    refreshing.put(name, f);
    return f;
  }

  /** Refreshes every cached topic (the periodic refresh); failures keep the old copy. */
  void refreshCached() {
    List.copyOf(topics.keySet()).forEach(name -> refresh(name).onFailure(t -> {
      if (ErrorCodes.codeOf(t) == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        forget(name);
      }
    }));
  }

  void forget(String name) {
    topics.remove(name);
    fetchedAtMs.remove(name);
  }

  /**
   * The base URL requests for this partition go to: its leader's if known, else a bootstrap broker. A cached topic
   * whose leader is unknown (the description was fetched mid-election, or from a broker whose metadata lagged) is
   * refreshed in the background, at most every {@link #UNKNOWN_LEADER_REFRESH_MS}: the bootstrap broker forwards
   * the requests meanwhile, and forwarded requests succeed, so no error would ever prompt a refresh.
   */
  URI leaderUrl(String topic, int partition) {
    TopicDescription d = topics.get(topic);
    if (d != null && partition < d.partitionCount()) {
      URI url = brokerUrls.get(d.partitions().get(partition).leader());
      if (url != null) {
        return url;
      }
      if (clusterEndpoint && System.currentTimeMillis() - fetchedAtMs.get(topic) >= UNKNOWN_LEADER_REFRESH_MS) {
        fetchedAtMs.put(topic, System.currentTimeMillis());
        refresh(topic).onFailure(t -> { }); // the cached copy stays; the next request tries again
      }
    }
    return bootstrap.get(Math.floorMod(next, bootstrap.size()));
  }

  /** Sets the client's rack (KIP-392); this cache. */
  MetadataCache clientRack(String rack) {
    this.clientRack = rack;
    return this;
  }

  String clientRack() {
    return clientRack;
  }

  /**
   * The base URL a read of this partition goes to: without a client rack, the leader's ({@link #leaderUrl}); with one,
   * a live broker of that rack holding an in-sync replica (the leader first if it is one), unless it was found
   * unreachable lately; else the leader's. The broker asked decides whether its follower answers.
   */
  URI readUrl(String topic, int partition) {
    TopicDescription d = clientRack == null ? null : topics.get(topic);
    if (d != null && partition < d.partitionCount()) {
      TopicDescription.PartitionInfo p = d.partitions().get(partition);
      List<Integer> candidates = new ArrayList<>(p.inSyncReplicas());
      candidates.remove(Integer.valueOf(p.leader()));
      candidates.add(0, p.leader());
      long now = System.currentTimeMillis();
      for (int id : candidates) {
        Long since = shunned.get(id);
        if (clientRack.equals(brokerRacks.get(id)) && aliveBrokers.contains(id) && brokerUrls.containsKey(id)
            && (since == null || now - since >= SHUN_MS)) {
          return brokerUrls.get(id);
        }
      }
    }
    return leaderUrl(topic, partition);
  }

  /** The bootstrap broker the next any-broker request goes to first. */
  URI bootstrapBroker() {
    return bootstrap.get(Math.floorMod(next, bootstrap.size()));
  }

  /** Called after a request to {@code url} failed to connect: the next any-broker request tries another one. */
  void unreachable(URI url) {
    brokerUrls.forEach((id, u) -> {
      if (u.equals(url)) {
        shunned.put(id, System.currentTimeMillis());
      }
    });
    if (bootstrap.get(Math.floorMod(next, bootstrap.size())).equals(url)) {
      next++;
    }
  }

  ClusterDescription cluster() {
    List<BrokerInfo> brokers = new ArrayList<>();
    if (brokerUrls.isEmpty()) {
      bootstrap.forEach(u -> brokers.add(new BrokerInfo(-1, u)));
    } else {
      brokerUrls.forEach((id, url) -> brokers.add(new BrokerInfo(id, url, brokerRacks.get(id))));
    }
    return new ClusterDescription(brokers, controllerId);
  }

  /** Refreshes the broker list from {@code GET /cluster}; a 404 turns the lookups off for good. */
  Future<Void> refreshCluster() {
    if (!clusterEndpoint) {
      return Future.succeededFuture();
    }
    return anyBroker(HttpMethod.GET, "/cluster", null).<Void>map(r -> {
      parseCluster(r.json());
      return null;
    }).recover(t -> {
      ErrorCode code = ErrorCodes.codeOf(t);
      if (code == ErrorCode.NOT_FOUND || code == ErrorCode.METHOD_NOT_ALLOWED) {
        clusterEndpoint = false;
        return Future.succeededFuture();
      }
      return Future.failedFuture(t);
    });
  }

  /**
   * Sends a request to the bootstrap brokers in turn until one answers; an error answer (as opposed to no answer)
   * ends the attempts with that error. JSON in, JSON out.
   */
  Future<Transport.Response> anyBroker(HttpMethod method, String path, JsonObject body) {
    return anyBroker(method, path, body == null ? null : "application/json", "application/json",
        body == null ? null : body.toBuffer());
  }

  /**
   * As {@link #anyBroker(HttpMethod, String, JsonObject)} with the caller's media types (either may be null) and
   * body bytes: for requests whose answer is not plain JSON, such as a consumer instance's poll.
   */
  Future<Transport.Response> anyBroker(HttpMethod method, String path, String contentType, String accept,
      Buffer body) {
    Promise<Transport.Response> result = Promise.promise();
    tryBroker(new Request(method, path, contentType, accept, body), 0, result);
    return result.future();
  }

  /** One request as {@link #anyBroker} resends it to the next broker. */
  private record Request(HttpMethod method, String path, String contentType, String accept, Buffer body) {
  }

  private void tryBroker(Request r, int attempt, Promise<Transport.Response> result) {
    URI url = bootstrap.get(Math.floorMod(next, bootstrap.size()));
    transport.send(r.method(), url, r.path(), r.contentType(), r.accept(), r.body())
        .onSuccess(result::complete)
        .onFailure(t -> {
          if (ErrorCodes.codeOf(t) == ErrorCode.NETWORK_EXCEPTION && attempt + 1 < bootstrap.size()) {
            unreachable(url);
            tryBroker(r, attempt + 1, result);
          } else {
            result.fail(t);
          }
        });
  }

  private void parseCluster(JsonObject json) {
    Map<Integer, URI> urls = new LinkedHashMap<>();
    Map<Integer, String> racks = new HashMap<>();
    Set<Integer> alive = new HashSet<>();
    JsonArray brokers = json.getJsonArray("brokers", new JsonArray());
    for (int i = 0; i < brokers.size(); i++) {
      JsonObject b = brokers.getJsonObject(i);
      Integer id = b.getInteger("id", b.getInteger("broker_id"));
      String url = b.getString("url");
      if (url == null && b.getString("host") != null) {
        // The cluster's brokers speak what the bootstrap broker speaks (http.ssl.enable is set cluster-wide).
        url = bootstrap.get(0).getScheme() + "://" + b.getString("host") + ":" + b.getInteger("port");
      }
      if (id != null && url != null) {
        urls.put(id, URI.create(url));
      }
      if (id != null && b.getString("rack") != null) {
        racks.put(id, b.getString("rack"));
      }
      if (id != null && b.getBoolean("alive", true)) {
        alive.add(id);
      }
    }
    brokerUrls = urls;
    brokerRacks = racks;
    aliveBrokers = alive;
    controllerId = json.getInteger("controller", json.getInteger("controller_id", -1));
  }

  static TopicDescription parseTopic(JsonObject json) {
    Map<String, String> configs = new HashMap<>();
    json.getJsonObject("configs", new JsonObject()).forEach(e -> configs.put(e.getKey(), String.valueOf(e.getValue())));
    List<PartitionInfo> partitions = new ArrayList<>();
    JsonArray ps = json.getJsonArray("partitions", new JsonArray());
    for (int i = 0; i < ps.size(); i++) {
      JsonObject p = ps.getJsonObject(i);
      List<Integer> replicas = new ArrayList<>();
      List<Integer> isr = new ArrayList<>();
      JsonArray rs = p.getJsonArray("replicas", new JsonArray());
      for (int r = 0; r < rs.size(); r++) {
        JsonObject replica = rs.getJsonObject(r);
        replicas.add(replica.getInteger("broker"));
        if (replica.getBoolean("in_sync", false)) {
          isr.add(replica.getInteger("broker"));
        }
      }
      partitions.add(new PartitionInfo(p.getInteger("partition"), p.getInteger("leader", -1), replicas, isr));
    }
    partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    return new TopicDescription(json.getString("name"), configs, partitions);
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static SluiceException unknownPartition(String topic, int partition, int count) {
    return new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + topic + "' has " + count
        + " partition(s); there is no partition " + partition);
  }
}
