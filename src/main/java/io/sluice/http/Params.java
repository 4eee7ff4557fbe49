package io.sluice.http;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.api.TopicPartition;
import io.vertx.ext.web.RoutingContext;

/** Reads path and query parameters; a value that does not parse is a 400 MALFORMED_REQUEST naming it. */
final class Params {
  private Params() {
  }

  static String topic(RoutingContext ctx) {
    return ctx.pathParam("topic");
  }

  static int partition(RoutingContext ctx) {
    return (int) parseLong("partition", ctx.pathParam("partition"), 0, Integer.MAX_VALUE);
  }

  static TopicPartition topicPartition(RoutingContext ctx) {
    return new TopicPartition(topic(ctx), partition(ctx));
  }

  /** A query parameter as a long in [min, max], or {@code defaultValue} when it is absent. */
  static long queryLong(RoutingContext ctx, String name, long defaultValue, long min, long max) {
    String value = ctx.request().getParam(name);
    return value == null ? defaultValue : parseLong(name, value, min, max);
  }

  /** A required query parameter as a long in [min, max]. */
  static long requiredQueryLong(RoutingContext ctx, String name, long min, long max) {
    String value = ctx.request().getParam(name);
    if (value == null) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Query parameter " + Echo.quoted(name) + " is required");
    }
    return parseLong(name, value, min, max);
  }

  /**
   * Kafka's {@code isolation.level} as a query parameter {@code isolation_level}: {@code read_committed} (or Kafka's
   * wire value 1) or {@code read_uncommitted} (0, the default, as Kafka's consumer's).
   */
  static boolean readCommitted(RoutingContext ctx) {
    return isolationLevel("isolation_level", ctx.request().getParam("isolation_level"));
  }

  /** Whether {@code value} of {@code name} says read_committed; null is read_uncommitted. */
  static boolean isolationLevel(String name, String value) {
    if (value == null) {
      return false;
    }
    return switch (value.trim()) {
      case "read_committed", "1" -> true;
      case "read_uncommitted", "0" -> false;
      default -> throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, Echo.quoted(name) + " must be read_committed"
          + " or read_uncommitted (Kafka's 1 or 0), got " + Echo.quoted(value));
    };
  }

  static long parseLong(String name, String value, long min, long max) {
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, Echo.quoted(name) + " must be an integer, got "
          + Echo.quoted(value));
    }
    if (parsed < min || parsed > max) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST,
          Echo.quoted(name) + " must be in [" + min + ", " + max + "], got " + parsed);
    }
    return parsed;
  }
}
