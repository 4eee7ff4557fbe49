package io.sluice.broker.policy;

import io.sluice.api.InternalTopics;
import io.sluice.api.RequestContext;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;

/**
 * What a caller may do, decided from its {@link RequestContext} alone, whatever listener the request came through.
 * Today one rule: clients may not write the {@linkplain InternalTopics internal topics} (produce, create, grow,
 * delete), as in Kafka; the broker's own calls ({@link RequestContext#isInternal()}) may. ACLs and quotas will be
 * checked here too. Stateless.
 */
public final class CallerPolicy {
  private CallerPolicy() {
  }

  /** Refuses a client's produce to an internal topic with INVALID_TOPIC_EXCEPTION (Kafka's code for it). */
  public static void checkProduce(RequestContext caller, String topic) {
    if (!caller.isInternal() && InternalTopics.isInternal(topic)) {
      throw new SluiceException(ErrorCode.INVALID_TOPIC_EXCEPTION,
          "Topic '" + topic + "' is internal to the broker: clients cannot produce to it");
    }
  }

  /** Refuses a client's creation, growth or deletion ({@code what}: "created", ...) of an internal topic. */
  public static void checkAlter(RequestContext caller, String topic, String what) {
    if (!caller.isInternal() && InternalTopics.isManaged(topic)) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST,
          "Topic '" + topic + "' is internal to the broker and cannot be " + what + " by a client");
    }
  }
}
