package io.sluice.security;

import io.sluice.api.Authentication;
import io.sluice.api.Principal;
import io.sluice.api.RequestContext;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.config.OAuthBearerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.security.ScramCredential.Mechanism;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * {@link Authentication} over SCRAM credentials in ZooKeeper ({@link CredentialStore}). PBKDF2 runs on the
 * {@value #POOL} worker pool, never on an event loop. A failed attempt is answered after {@value #FAILURE_DELAY_MS}
 * ms, and one client address's failures one after another at that pace, so guessing passwords is slow; an unknown
 * user is checked against a {@link Decoy} like most users' credentials, so it costs what a wrong password costs. At
 * most {@code authentication.max.pending.verifications} checks wait for the pool ({@link VerificationQueue}); a
 * user who logged in since the start passes without PBKDF2 ({@link RecentLogins}), so a flood does not shut it out.
 *
 * <p>Brokers' own HTTP clients (the connect worker's, the metrics' cluster view) authenticate as
 * {@code __broker-<id>} with a random token every broker reads from ZooKeeper ({@code /security/broker_token}): no
 * PBKDF2, principal {@code Broker:<id>}.
 */
public final class ScramAuthentication implements Authentication, BrokerComponent {
  static final String POOL = "sluice-authn";
  static final String BROKER_TOKEN = "/security/broker_token";
  static final String BROKER_USER_PREFIX = "__broker-";
  static final long FAILURE_DELAY_MS = 100;
  static final int DEFAULT_ITERATIONS = 4096;
  private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9._@+-]{1,255}");
  private static final int MAX_PASSWORD_CHARS = 1024;
  private static final Object BROKER_CREDENTIAL = new Object();

  private final Vertx vertx;
  private final boolean enabled;
  private final boolean basic;
  private final OAuthBearer bearer;
  private final Set<Principal> superUsers;
  private final CredentialStore store;
  private final CuratorFramework zk;
  private final FailurePace pace = new FailurePace(FAILURE_DELAY_MS);
  private final RecentLogins recent = new RecentLogins();
  private final int maxPendingVerifications;
  private WorkerExecutor pool;
  private VerificationQueue verifications;
  private volatile Decoyed decoy;
  private volatile byte[] brokerToken;
  /**
   * The users' first reading ({@link #load}): at the start with authentication on; with it off at the users API's
   * first call, so a broker that authenticates no one follows no znodes and waits for none as it starts.
   */
  private Future<Void> loaded;

  /** The decoy made when the users were at {@code version}. */
  private record Decoyed(long version, ScramCredential credential) {
  }

  /**
   * {@code zk}: a client in Sluice's namespace; {@code methods}: {@code authentication.method}'s; {@code bearer}:
   * the bearer tokens' validator, null unless {@code methods} has OAUTHBEARER; {@code superUsers}: Kafka's
   * {@code super.users} value; {@code maxPendingVerifications}: password checks waiting for the pool at most.
   */
  public ScramAuthentication(Vertx vertx, CuratorFramework zk, Set<OAuthBearerConfig.Method> methods,
      OAuthBearer bearer, String superUsers, int maxPendingVerifications) {
    this.vertx = vertx;
    this.maxPendingVerifications = maxPendingVerifications;
    this.zk = zk;
    // The brokers' own clients log in with Basic and the brokers' token whatever the users' methods are.
    this.enabled = !methods.isEmpty();
    this.basic = methods.contains(OAuthBearerConfig.Method.BASIC);
    this.bearer = bearer;
    this.superUsers = parseSuperUsers(superUsers);
    this.store = new CredentialStore(zk);
  }

  /** {@code User:alice;User:bob} as Kafka's {@code super.users} reads it. */
  static Set<Principal> parseSuperUsers(String value) {
    Set<Principal> set = new HashSet<>();
    for (String entry : value == null ? new String[0] : value.split(";")) {
      String e = entry.trim();
      int colon = e.indexOf(':');
      if (!e.isEmpty()) {
        if (colon <= 0 || colon == e.length() - 1) {
          throw new IllegalArgumentException("super.users entry '" + e + "' is not TYPE:NAME (User:alice)");
        }
        set.add(new Principal(e.substring(0, colon), e.substring(colon + 1)));
      }
    }
    return Set.copyOf(set);
  }

  @Override
  public String name() {
    return "authentication";
  }

  /** With authentication on, loads the users and the brokers' token before the listeners serve. */
  @Override
  public Future<Void> start() {
    pool = vertx.createSharedWorkerExecutor(POOL, 2);
    verifications = new VerificationQueue(pool, maxPendingVerifications);
    if (!enabled) {
      return Future.succeededFuture();
    }
    return load().compose(v -> pool.executeBlocking(() -> {
      brokerToken = readOrCreateBrokerToken();
      return null;
    }, false)).compose(v -> bearer == null ? Future.succeededFuture() : bearer.start());
  }

  /** The users read once; a failed reading is tried again at the next call. */
  private synchronized Future<Void> load() {
    if (loaded == null) {
      Future<Void> reading = pool.executeBlocking(() -> {
        try {
          store.start();
        } catch (Exception | Error e) {
          store.close();
          throw e;
        }
        return null;
      }, false);
      reading.onFailure(t -> forget(reading));
      loaded = reading;
    }
    return loaded;
  }

  private synchronized void forget(Future<Void> failed) {
    if (loaded == failed) {
      loaded = null;
    }
  }

  @Override
  public Future<Void> stop() {
    if (bearer != null) {
      bearer.stop();
    }
    store.close();
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  /** The user name and password this broker's own HTTP clients send; null while authentication is off. */
  public String[] brokerCredentials(int brokerId) {
    byte[] token = brokerToken;
    return enabled && token != null
        ? new String[] {BROKER_USER_PREFIX + brokerId, new String(token, StandardCharsets.US_ASCII)} : null;
  }

  @Override
  public boolean enabled() {
    return enabled;
  }

  @Override
  public boolean basic() {
    return basic;
  }

  @Override
  public boolean bearer() {
    return bearer != null;
  }

  @Override
  public Future<Verified> verifyBearer(String token) {
    return bearer == null ? Authentication.super.verifyBearer(token) : bearer.verify(token);
  }

  @Override
  public Future<Verified> verify(String user, String password, String clientAddress) {
    if (user.startsWith(BROKER_USER_PREFIX)) {
      Verified broker = verifyBroker(user, password);
      return broker != null ? Future.succeededFuture(broker) : failLater(clientAddress);
    }
    if (!basic) {
      return Future.failedFuture(new SluiceException(ErrorCode.SASL_AUTHENTICATION_FAILED, "HTTP Basic is not"
          + " accepted by this broker (authentication.method has no BASIC): send Authorization: Bearer <token>"));
    }
    CredentialStore.User known = store.get(user);
    if (known != null && recent.matches(user, password, known)) {
      return Future.succeededFuture(new Verified(new Principal(Principal.USER_TYPE, user), known));
    }
    return verifications.submit(() -> check(user, password))
        .compose(v -> v != null ? Future.succeededFuture(v) : failLater(clientAddress));
  }

  private Verified check(String user, String password) {
    CredentialStore.User stored = store.get(user);
    ScramCredential credential = stored == null ? null : stored.credentials().values().stream().findFirst()
        .orElse(null);
    boolean matches = (credential != null ? credential : decoy()).matches(password);
    if (credential == null || !matches) {
      return null;
    }
    recent.remember(user, password, stored);
    return new Verified(new Principal(Principal.USER_TYPE, user), stored);
  }

  private Verified verifyBroker(String user, String password) {
    byte[] token = brokerToken;
    if (token == null || !MessageDigest.isEqual(token, password.getBytes(StandardCharsets.US_ASCII))) {
      return null;
    }
    try {
      return new Verified(Principal.broker(Integer.parseInt(user.substring(BROKER_USER_PREFIX.length()))),
          BROKER_CREDENTIAL);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private <T> Future<T> failLater(String clientAddress) {
    Promise<T> failed = Promise.promise();
    vertx.setTimer(pace.delayFor(host(clientAddress)), id -> failed.fail(new SluiceException(
        ErrorCode.SASL_AUTHENTICATION_FAILED, "Authentication failed: unknown user or wrong password")));
    return failed.future();
  }

  private static String host(String address) {
    int colon = address.lastIndexOf(':');
    return colon > 0 ? address.substring(0, colon) : address;
  }

  /** What an unknown user's password is checked against: like most users' credentials, remade as they change. */
  ScramCredential decoy() {
    long version = store.version();
    Decoyed d = decoy;
    if (d == null || d.version() != version) {
      d = new Decoyed(version, Decoy.like(store.all().values(), DEFAULT_ITERATIONS));
      decoy = d;
    }
    return d.credential();
  }

  @Override
  public long expiresAtMs(Verified verified) {
    return verified.credential() instanceof OAuthBearer.Token token ? token.expiresAtMs() : Long.MAX_VALUE;
  }

  @Override
  public boolean current(Verified verified) {
    if (verified.credential() instanceof OAuthBearer.Token token) {
      return token.current();
    }
    return verified.credential() == BROKER_CREDENTIAL
        || store.get(verified.principal().name()) == verified.credential();
  }

  @Override
  public Future<List<UserCredentials>> describe(RequestContext caller) {
    return admin(caller).map(v -> {
      List<UserCredentials> all = new ArrayList<>();
      store.all().forEach((name, user) -> all.add(new UserCredentials(name, user.credentials().values().stream()
          .map(c -> new CredentialInfo(c.mechanism().wireName, c.iterations())).toList())));
      return all;
    });
  }

  @Override
  public Future<Boolean> upsert(RequestContext caller, String user, String mechanism, int iterations,
      String password) {
    return admin(caller).compose(v -> {
      Mechanism m = validate(user, mechanism, iterations, password);
      return pool.executeBlocking(() -> set(store, user, m, iterations, password), false);
    });
  }

  @Override
  public Future<Void> delete(RequestContext caller, String user, String mechanism) {
    return admin(caller).compose(v -> {
      Mechanism m = mechanism == null ? null : mechanism(mechanism);
      CredentialStore.User stored = store.get(user);
      if (stored == null || (m != null && !stored.credentials().containsKey(m))) {
        throw new SluiceException(ErrorCode.USER_NOT_FOUND, "User '" + user + "' has no "
            + (m == null ? "credentials" : mechanism + " credential"));
      }
      return pool.executeBlocking(() -> {
        store.update(user, current -> {
          if (m == null) {
            current.clear();
          } else {
            current.remove(m);
          }
          return current;
        });
        return null;
      }, false);
    });
  }

  /** Checks a credential change's arguments; the mechanism named. */
  static Mechanism validate(String user, String mechanism, int iterations, String password) {
    Mechanism m = mechanism(mechanism);
    validateUser(user);
    if (iterations < Mechanism.MIN_ITERATIONS || iterations > Mechanism.MAX_ITERATIONS) {
      throw invalid("'iterations' must be between " + Mechanism.MIN_ITERATIONS + " and "
          + Mechanism.MAX_ITERATIONS + ", got " + iterations);
    }
    if (password == null || password.isEmpty() || password.length() > MAX_PASSWORD_CHARS) {
      throw invalid("'password' must be 1 to " + MAX_PASSWORD_CHARS + " characters");
    }
    return m;
  }

  /** Salts, hashes and stores the credential (PBKDF2 and ZooKeeper: blocks). True when the user is new. */
  static boolean set(CredentialStore store, String user, Mechanism m, int iterations, String password)
      throws Exception {
    ScramCredential credential = ScramCredential.create(m, password, iterations);
    return !store.update(user, current -> {
      current.put(m, credential);
      return current;
    });
  }

  /** Only super users manage credentials while authentication is on; with it off everyone may (the bootstrap). */
  private Future<Void> admin(RequestContext caller) {
    if (enabled && !caller.principal().isBroker() && !superUsers.contains(caller.principal())) {
      return Future.failedFuture(new SluiceException(ErrorCode.USER_ADMIN_DENIED, caller.principal()
          + " may not manage users' credentials: only super.users may"));
    }
    return load();
  }

  static Mechanism mechanism(String name) {
    Mechanism m = Mechanism.named(name);
    if (m == null) {
      throw invalid("Unknown mechanism '" + name + "': SCRAM-SHA-256 or SCRAM-SHA-512");
    }
    return m;
  }

  private static void validateUser(String user) {
    if (user == null || !USER_NAME.matcher(user).matches() || user.startsWith("__")) {
      throw invalid("A user name is 1 to 255 of [A-Za-z0-9._@+-], not starting with '__' (brokers' own)");
    }
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_USER_CREDENTIAL, message);
  }

  private byte[] readOrCreateBrokerToken() throws Exception {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    try {
      zk.create().creatingParentsIfNeeded().forPath(BROKER_TOKEN,
          Base64.getUrlEncoder().withoutPadding().encode(random));
    } catch (KeeperException.NodeExistsException ignored) {
      // another broker made it first: every broker uses the first one
    }
    return zk.getData().forPath(BROKER_TOKEN);
  }

  /** The users, for tests. */
  Map<String, CredentialStore.User> users() {
    return store.all();
  }
}
