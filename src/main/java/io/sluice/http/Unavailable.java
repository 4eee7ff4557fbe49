package io.sluice.http;

import io.sluice.api.ConsumerService;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;

/** Stand-ins for optional services an API was started without: every call fails with 503 SERVICE_UNAVAILABLE. */
final class Unavailable {
  private Unavailable() {
  }

  static ConsumerService consumers() {
    return (ConsumerService) Proxy.newProxyInstance(ConsumerService.class.getClassLoader(),
        new Class<?>[] {ConsumerService.class}, (proxy, method, args) -> switch (method.getName()) {
          case "toString" -> "Unavailable.consumers";
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> Future.failedFuture(new SluiceException(ErrorCode.SERVICE_UNAVAILABLE,
              "Consumer groups are not enabled on this server"));
        });
  }
}
