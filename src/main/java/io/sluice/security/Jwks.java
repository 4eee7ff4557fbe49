package io.sluice.security;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The identity provider's signing keys, read from its JWKS URL (https, http or file) at the start and every
 * {@code refreshMs}, as Kafka's {@code RefreshingHttpsJwks}: a reading that fails is tried again after a backoff
 * doubling from {@code backoffMs} to {@code backoffMaxMs}, and meanwhile the last good keys stay in use (a provider
 * that is down does not lock everyone out). A token signed by a key id not in the set asks for a reading at once
 * ({@link #refreshFor}), at most once per key id per {@value #MISSING_KID_INTERVAL_MS} ms, so a provider's key
 * rotation is followed at its first token, and a flood of made-up key ids costs one reading each a minute at most.
 */
final class Jwks {
  private static final Logger LOG = System.getLogger(Jwks.class.getName());
  static final long MISSING_KID_INTERVAL_MS = 60_000;
  /** Key ids remembered as asked for at most (Kafka's MISSING_KEY_ID_CACHE_MAX_ENTRIES). */
  private static final int MAX_MISSING_KIDS = 16;
  private static final int MAX_KID_CHARS = 1_000;
  private static final int MAX_JWKS_BYTES = 1 << 20;
  /** A whole reading's bound: connecting, the answer and its parse (the connect and idle timeouts are 10 s each). */
  static final long READING_TIMEOUT_MS = 15_000;

  /** Verifiers of one reading: the keys' ids, and the library's verifier over them all. */
  record Keys(Set<String> kids, JWTAuth verifier) {
  }

  private final Vertx vertx;
  private final URI url;
  private final long refreshMs;
  private final long backoffMs;
  private final long backoffMaxMs;
  private final long readingTimeoutMs;
  private final HttpClient http;
  private final Map<String, Long> missingAskedAt = new LinkedHashMap<>();
  private volatile Keys keys;
  private Future<Keys> reading;
  private long timer = -1;
  private volatile boolean stopped;

  Jwks(Vertx vertx, String url, long refreshMs, long backoffMs, long backoffMaxMs) {
    this(vertx, url, refreshMs, backoffMs, backoffMaxMs, READING_TIMEOUT_MS);
  }

  /** With a reading bounded at {@code readingTimeoutMs} as a whole (tests: a reading that never ends). */
  Jwks(Vertx vertx, String url, long refreshMs, long backoffMs, long backoffMaxMs, long readingTimeoutMs) {
    this.vertx = vertx;
    this.readingTimeoutMs = readingTimeoutMs;
    this.url = URI.create(url);
    this.refreshMs = refreshMs;
    this.backoffMs = backoffMs;
    this.backoffMaxMs = backoffMaxMs;
    // A connection per reading (they are hourly): a kept-alive one was seen to stall the next reading until its
    // idle timeout in tests.
    this.http = this.url.getScheme().startsWith("http") ? vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout(10_000).setKeepAlive(false)) : null;
  }

  /**
   * Reads the keys a first time. A failed first reading does not fail the broker's start (a provider down at that
   * moment would keep every broker of the cluster down with it): it is tried again in the background, and bearer
   * tokens are refused, naming the JWKS, until a reading succeeds.
   */
  Future<Void> start() {
    return read(backoffMs).<Void>mapEmpty().otherwiseEmpty();
  }

  /** The keys of the last good reading; null before the first. */
  Keys keys() {
    return keys;
  }

  String url() {
    return url.toString();
  }

  /**
   * A reading for a token signed by {@code kid}, which the keys do not hold: read again at once unless that key id
   * asked for one within the last {@value #MISSING_KID_INTERVAL_MS} ms; else the keys as they are.
   */
  synchronized Future<Keys> refreshFor(String kid) {
    long now = System.currentTimeMillis();
    String id = kid == null ? "" : kid.length() > MAX_KID_CHARS ? kid.substring(0, MAX_KID_CHARS) : kid;
    Long asked = missingAskedAt.get(id);
    if (asked != null && now - asked < MISSING_KID_INTERVAL_MS) {
      return reading != null ? reading : Future.succeededFuture(keys);
    }
    missingAskedAt.remove(id);
    missingAskedAt.put(id, now);
    if (missingAskedAt.size() > MAX_MISSING_KIDS) {
      missingAskedAt.remove(missingAskedAt.keySet().iterator().next());
    }
    return reading != null ? reading : readOnce();
  }

  void stop() {
    stopped = true;
    synchronized (this) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
    if (http != null) {
      http.close();
    }
  }

  /** One reading; on failure another after {@code backoff} (doubled up to the maximum), then every refresh. */
  private Future<Keys> read(long backoff) {
    Future<Keys> once = readOnce();
    once.onComplete(ar -> schedule(ar.succeeded() ? refreshMs : backoff,
        ar.succeeded() ? backoffMs : Math.min(backoffMaxMs, backoff * 2)));
    return once;
  }

  private synchronized void schedule(long delay, long nextBackoff) {
    if (!stopped) {
      timer = vertx.setTimer(delay, id -> read(nextBackoff));
    }
  }

  private synchronized Future<Keys> readOnce() {
    if (reading != null) {
      return reading;
    }
    // Bounded as a whole: a reading that never ends would hold every later one (they join it) and every token
    // signed by a new key id waiting on it.
    Promise<Keys> done = Promise.promise();
    Future<Keys> r = done.future();
    reading = r;
    fetch().map(this::parse).timeout(readingTimeoutMs, TimeUnit.MILLISECONDS).onComplete(ar -> {
      synchronized (this) {
        if (reading == r) {
          reading = null;
        }
      }
      if (ar.succeeded()) {
        keys = ar.result();
      } else {
        LOG.log(Level.WARNING, "Reading the JWKS at " + url + " failed (the last good keys stay in use): "
            + ar.cause().getMessage());
      }
      done.handle(ar);
    });
    return r;
  }

  private Future<Buffer> fetch() {
    if (http == null) {
      return vertx.fileSystem().readFile(Path.of(url).toString());
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url.toString())
        .setIdleTimeout(10_000).putHeader("Accept", "application/json");
    // The answer is read in a stage of send()'s own future, never of one composed after it: see answer().
    return http.request(options).compose(req -> req.send().compose(Jwks::answer));
  }

  /**
   * The body of a JWKS answer. Vert.x 5.0.7 loses a body asked for after the response ended (its {@code body()} then
   * never completes: eclipse-vertx/vert.x#6038, fixed after 5.0.7), and a stage composed after {@code send()}'s
   * future, rather than on it, may run after the end when the request was made off a Vert.x thread: the reading then
   * hung for its whole bound against a provider that had answered.
   */
  private static Future<Buffer> answer(HttpClientResponse resp) {
    if (resp.statusCode() != 200) {
      // the body read, so that the connection serves the next reading
      return resp.body().transform(ar -> Future.failedFuture("HTTP " + resp.statusCode()));
    }
    String length = resp.getHeader("Content-Length");
    if (length != null && Long.parseLong(length.trim()) > MAX_JWKS_BYTES) {
      return Future.failedFuture("the JWKS is larger than " + MAX_JWKS_BYTES + " bytes");
    }
    return resp.body();
  }

  /**
   * The usable signing keys of a JWKS document: a key the library cannot use (an encryption key, an unknown type)
   * is left out, as Kafka's resolver skips it; a document without one usable key is a failed reading.
   */
  private Keys parse(Buffer body) {
    JsonArray all = new JsonObject(body).getJsonArray("keys");
    if (all == null) {
      throw new IllegalArgumentException("the JWKS has no \"keys\" array");
    }
    List<JsonObject> usable = new ArrayList<>();
    for (Object o : all) {
      if (o instanceof JsonObject key && !"enc".equals(key.getString("use")) && usable(key)) {
        usable.add(key);
      }
    }
    if (usable.isEmpty()) {
      throw new IllegalArgumentException("the JWKS has no usable signing key");
    }
    Set<String> kids = usable.stream().map(k -> k.getString("kid", "")).collect(Collectors.toUnmodifiableSet());
    return new Keys(kids, verifier(vertx, usable));
  }

  private boolean usable(JsonObject key) {
    try {
      verifier(vertx, List.of(key));
      return true;
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, "A JWKS key left out (" + key.getString("kid") + "): " + e.getMessage());
      return false;
    }
  }

  /**
   * The library's verifier over {@code keys}: signatures only; the claims (exp, nbf, aud, iss) are checked by
   * {@link OAuthBearer}, which names which one failed.
   */
  static JWTAuth verifier(Vertx vertx, List<JsonObject> keys) {
    return JWTAuth.create(vertx, new JWTAuthOptions().setJwks(new ArrayList<>(keys))
        .setJWTOptions(new JWTOptions().setIgnoreExpiration(true)));
  }
}
