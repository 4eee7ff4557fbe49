package io.sluice.api;

import java.io.Serializable;
import java.util.Objects;

/**
 * Who makes a request, as Kafka's {@code KafkaPrincipal} names it: a type and a name. Every front end gives
 * {@link #ANONYMOUS} until authentication exists; brokers acting on their own behalf (the group coordinator writing
 * its internal topic, a forwarded request's second hop) are {@link #broker}.
 */
public record Principal(String type, String name) implements Serializable {
  public static final String USER_TYPE = "User";
  public static final String BROKER_TYPE = "Broker";
  /** A caller not authenticated: every client today. */
  public static final Principal ANONYMOUS = new Principal(USER_TYPE, "ANONYMOUS");

  public Principal {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(name, "name");
  }

  public static Principal broker(int brokerId) {
    return new Principal(BROKER_TYPE, Integer.toString(brokerId));
  }

  public boolean isBroker() {
    return BROKER_TYPE.equals(type);
  }

  @Override
  public String toString() {
    return type + ":" + name;
  }
}
