package io.sluice.broker.acl;

import io.sluice.api.Principal;
import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Decides a caller's requests from the cluster's ACLs ({@link AclMatcher}), as Kafka's authorizer: the broker's own
 * calls ({@link RequestContext#isInternal()}) and {@code super.users} pass; the rest are decided by the ACLs that apply,
 * {@code allow.everyone.if.no.acl.found} when none does. Decisions are cached per principal, host, resource and
 * operation, so a request costs a hash lookup; a change of the ACLs ({@link #update}) starts a new cache with the new
 * bindings in one step, so no decision of the old bindings outlives it. Thread-safe.
 */
public final class Authorizer {
  /** Decisions kept at most: a caller naming many unknown topics must not grow the heap without bound. */
  static final int MAX_CACHED_DECISIONS = 100_000;

  private record Decision(Principal principal, String host, ResourceType type, String name, AclOperation op) {
  }

  private record State(AclMatcher matcher, ConcurrentHashMap<Decision, Boolean> decisions) {
  }

  private final Set<Principal> superUsers;
  private final boolean allowIfNoAcl;
  private volatile State state = new State(AclMatcher.EMPTY, new ConcurrentHashMap<>());

  /**
   * @param superUsers {@code User:name} principals allowed everything
   * @param allowIfNoAcl whether a resource no ACL applies to is open to everyone
   */
  public Authorizer(Set<String> superUsers, boolean allowIfNoAcl) {
    this.superUsers = superUsers.stream().map(Authorizer::principal).collect(Collectors.toUnmodifiableSet());
    this.allowIfNoAcl = allowIfNoAcl;
  }

  /** Kafka's {@code super.users} value: {@code User:alice;User:bob}. */
  public static Set<String> parseSuperUsers(String value) {
    return Arrays.stream(value.split(";")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
  }

  /** Applies a new set of ACLs to every later decision. */
  public void update(AclMatcher matcher) {
    state = new State(matcher, new ConcurrentHashMap<>());
  }

  public AclMatcher matcher() {
    return state.matcher();
  }

  public boolean allowed(RequestContext caller, ResourceType type, String name, AclOperation op) {
    if (caller.isInternal() || isSuperUser(caller)) {
      return true;
    }
    State s = state;
    Decision key = new Decision(caller.principal(), host(caller.clientAddress()), type, name, op);
    Boolean cached = s.decisions().get(key);
    if (cached != null) {
      return cached;
    }
    boolean decided = s.matcher().authorize(caller.principal().toString(), key.host(), type, name, op, allowIfNoAcl);
    if (s.decisions().size() >= MAX_CACHED_DECISIONS) {
      s.decisions().clear();
    }
    s.decisions().put(key, decided);
    return decided;
  }

  /** Whether some ACL allows the caller {@code op} on a resource of {@code type} (or it is internal or super). */
  public boolean allowedOnAny(RequestContext caller, ResourceType type, AclOperation op) {
    return caller.isInternal() || isSuperUser(caller)
        || state.matcher().allowsAny(caller.principal().toString(), host(caller.clientAddress()), type, op);
  }

  /** Fails with the resource type's AUTHORIZATION_FAILED code, naming the operation and the resource. */
  public void check(RequestContext caller, ResourceType type, String name, AclOperation op) {
    if (!allowed(caller, type, name, op)) {
      throw refusal(caller, type, name, op);
    }
  }

  public static SluiceException refusal(RequestContext caller, ResourceType type, String name, AclOperation op) {
    ErrorCode code = switch (type) {
      case TOPIC -> ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      case GROUP -> ErrorCode.GROUP_AUTHORIZATION_FAILED;
      case TRANSACTIONAL_ID -> ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
      default -> ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    };
    String resource = type == ResourceType.CLUSTER ? "the cluster" : type.name().toLowerCase(java.util.Locale.ROOT)
        + " '" + name + "'";
    return new SluiceException(code, caller.principal() + " is not authorized to " + op.displayName() + " "
        + resource);
  }

  /**
   * A {@code super.users} principal, or a broker: only the brokers' shared token authenticates a {@code Broker:}
   * principal over a listener (Connect's workers call their broker's HTTP API with it), and Kafka's inter-broker
   * principal is a super user too.
   */
  private boolean isSuperUser(RequestContext caller) {
    return caller.principal().isBroker() || !superUsers.isEmpty() && superUsers.contains(caller.principal());
  }

  private static Principal principal(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("super.users: '" + text + "' is not a principal (User:name)");
    }
    return new Principal(text.substring(0, colon), text.substring(colon + 1));
  }

  /** The host of a {@code host:port} address (IPv6 hosts hold colons too: the port follows the last one). */
  static String host(String clientAddress) {
    int colon = clientAddress.lastIndexOf(':');
    return colon < 0 ? clientAddress : clientAddress.substring(0, colon);
  }
}
