package io.sluice.broker.rpc;

import io.sluice.broker.replication.ErrorCodes;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;

/**
 * What every broker-to-broker request/reply forwarding shares ({@link ForwardingBrokerService} for partitions,
 * {@code io.sluice.consumer.RoutingConsumerService} for consumer groups): errors travel as the {@link ErrorCode}'s
 * number in the reply's failure code and come back as the same code; an unreachable target becomes a retriable code
 * of the caller's choice; a timeout becomes REQUEST_TIMED_OUT. Stateless.
 */
public final class Forwarding {
  private Forwarding() {
  }

  /** The failure to report for {@code t}, an event-bus request to broker {@code target} failing. */
  public static Throwable translate(Throwable t, int target, ErrorCode unreachable) {
    if (!(t instanceof ReplyException re)) {
      return t;
    }
    return switch (re.failureType()) {
      case RECIPIENT_FAILURE -> new SluiceException(ErrorCodes.byCode(re.failureCode()), re.getMessage());
      case TIMEOUT -> new SluiceException(ErrorCode.REQUEST_TIMED_OUT, "Broker " + target
          + " did not answer the forwarded request in time");
      default -> new SluiceException(unreachable, "Broker " + target + " cannot be reached: " + re.getMessage());
    };
  }

  /** Whether {@code t} says the target had no handler: the request was not delivered, so it did not run. */
  public static boolean notDelivered(Throwable t) {
    return t instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS;
  }

  /** Fails {@code msg} with {@code t}'s error code (UNKNOWN_SERVER_ERROR for anything not a SluiceException). */
  public static void replyFailure(Message<?> msg, Throwable t) {
    ErrorCode code = t instanceof SluiceException se ? se.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR;
    msg.fail(code.code(), String.valueOf(t.getMessage()));
  }

}
