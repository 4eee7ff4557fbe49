package io.sluice.api;

import java.io.Serializable;
import java.util.Objects;

/**
 * Who asks, and through what: the first argument of every call on the contract ({@link BrokerService},
 * {@link ConsumerService}), so that rules about callers (which topics a client may write; later ACLs and quotas)
 * are applied once, at the seam, whatever protocol the request came in by.
 *
 * <p>It travels with a forwarded request, so the broker that runs it knows the original caller.
 *
 * @param principal the authenticated caller ({@link Principal#ANONYMOUS} until authentication exists)
 * @param listener the name of the listener the request came through ({@code http}), or {@value #INTERNAL_LISTENER}
 *     for the broker's own calls
 * @param clientAddress the client's {@code host:port} as the listener saw it; empty for internal calls
 * @param clientId the client's own name for itself (HTTP: the {@value #CLIENT_ID_HEADER} header, else the
 *     {@code User-Agent}); empty when it gave none
 */
public record RequestContext(Principal principal, String listener, String clientAddress, String clientId)
    implements Serializable {
  public static final String INTERNAL_LISTENER = "internal";
  public static final String CLIENT_ID_HEADER = "Sluice-Client-Id";

  /** The broker's own calls when no broker id is at hand (the group coordinator writing its internal topic). */
  public static final RequestContext SELF = new RequestContext(new Principal(Principal.BROKER_TYPE, "self"),
      INTERNAL_LISTENER, "", "broker");

  public RequestContext {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(listener, "listener");
    clientAddress = clientAddress == null ? "" : clientAddress;
    clientId = clientId == null ? "" : clientId;
  }

  /** A client's request through {@code listener}, not authenticated. */
  public static RequestContext anonymous(String listener, String clientAddress, String clientId) {
    return new RequestContext(Principal.ANONYMOUS, listener, clientAddress, clientId);
  }

  /** A call broker {@code brokerId} makes on its own behalf (its group coordinator, its tools). */
  public static RequestContext internal(int brokerId) {
    return new RequestContext(Principal.broker(brokerId), INTERNAL_LISTENER, "", "broker-" + brokerId);
  }

  /** Whether the broker itself asks: rules for clients do not apply. */
  public boolean isInternal() {
    return principal.isBroker() && INTERNAL_LISTENER.equals(listener);
  }
}
