package io.sluice.broker.rpc;

import io.sluice.broker.rpc.Forwarding;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.MessageConsumer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Typed request/reply between brokers over the clustered event bus, for any interface whose methods answer a
 * {@link Future}: a broker {@linkplain #serve serves} an implementation at an address; another
 * {@linkplain #call calls} a method on it by writing the call as code ({@code rpc.call(address, timeoutMs,
 * service -> service.offsets(caller, tp))}), which records the method and arguments and sends them. A new remote
 * operation is therefore one method on the interface.
 *
 * <p>Failures keep their {@link ErrorCode} (the reply's failure code, see {@link Forwarding}); a method that throws
 * instead of failing its future is answered the same way. Timeouts are the caller's per call; the event bus does not
 * fail a request whose target died, so callers that care watch the metadata (as {@code ForwardingBrokerService}
 * does). One instance per Vert.x; thread-safe.
 */
public final class BrokerRpc {
  private final Vertx vertx;

  private BrokerRpc(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The calls of {@code vertx}; registers the message codecs the first time. */
  public static synchronized BrokerRpc on(Vertx vertx) {
    register(vertx, RpcCodec.Wire.class, "sluice-rpc");
    return new BrokerRpc(vertx);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <T> void register(Vertx vertx, Class<T> type, String name) {
    try {
      vertx.eventBus().registerDefaultCodec(type, (MessageCodec) new RpcCodec(name));
    } catch (IllegalStateException alreadyRegistered) {
      // Another service on this Vert.x registered it first.
    }
  }

  /**
   * Serves {@code impl}'s methods of {@code iface} at {@code address} (a dotted event-bus address). {@code beforeReply}
   * may turn a result into what can cross (e.g. read a file region into memory, off the event loop).
   */
  public <T> Future<MessageConsumer<?>> serve(String address, Class<T> iface, T impl,
      Function<Object, Future<Object>> beforeReply) {
    Map<String, Method> methods = new HashMap<>();
    for (Method m : iface.getMethods()) {
      methods.put(Invocation.key(m), m);
    }
    MessageConsumer<RpcCodec.Wire> consumer = vertx.eventBus().consumer(address,
        msg -> invoke(methods, impl, msg, beforeReply));
    return consumer.completion().map(v -> consumer);
  }

  private static void invoke(Map<String, Method> methods, Object impl, Message<RpcCodec.Wire> msg,
      Function<Object, Future<Object>> beforeReply) {
    Future<Object> result;
    try {
      Invocation inv = (Invocation) RpcCodec.deserialize(msg.body());
      Method m = methods.get(inv.method());
      if (m == null) {
        throw new SluiceException(ErrorCode.INVALID_REQUEST, "No remote operation " + inv.method());
      }
      @SuppressWarnings("unchecked")
      Future<Object> answer = (Future<Object>) m.invoke(impl, inv.args());
      result = answer.compose(beforeReply);
    } catch (InvocationTargetException e) {
      result = Future.failedFuture(e.getCause());
    } catch (ReflectiveOperationException | RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onSuccess(value -> {
      RpcCodec.Wire reply;
      try {
        reply = RpcCodec.serialize(new Reply(value));
      } catch (RuntimeException e) {
        Forwarding.replyFailure(msg, e);
        return;
      }
      msg.reply(reply);
    }).onFailure(t -> Forwarding.replyFailure(msg, t));
  }

  /**
   * The name of the method a call's message body invokes ({@link #call}), for an event-bus interceptor that counts or
   * logs the calls between brokers; empty for any other body (a reply, another message). Decodes the call: not for a
   * hot path.
   */
  public static java.util.Optional<String> calledMethod(Object body) {
    if (body instanceof RpcCodec.Wire w && RpcCodec.deserialize(w) instanceof Invocation inv) {
      return java.util.Optional.of(inv.method().substring(0, inv.method().indexOf('[')));
    }
    return java.util.Optional.empty();
  }

  /**
   * Calls one method of the {@code iface} served at {@code address}: {@code invocation} must call exactly one method
   * on the object it is given and return its future. Fails with the remote failure's code, or with the event bus's
   * {@code ReplyException} (no handler, timeout) for the caller to translate.
   */
  public <T, R> Future<R> call(String address, Class<T> iface, long timeoutMs, Function<T, Future<R>> invocation) {
    Recorder recorder = new Recorder();
    T proxy = iface.cast(Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface}, recorder));
    invocation.apply(proxy);
    Objects.requireNonNull(recorder.invocation, "the invocation called no method of " + iface.getName());
    RpcCodec.Wire request;
    try {
      request = RpcCodec.serialize(recorder.invocation);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Promise<R> result = Promise.promise();
    vertx.eventBus().<RpcCodec.Wire>request(address, request,
            new DeliveryOptions().setSendTimeout(timeoutMs))
        .onComplete(ar -> {
          if (ar.failed()) {
            result.fail(ar.cause());
            return;
          }
          try {
            @SuppressWarnings("unchecked")
            R value = (R) ((Reply) RpcCodec.deserialize(ar.result().body())).value();
            result.complete(value);
          } catch (RuntimeException e) {
            result.fail(e);
          }
        });
    return result.future();
  }

  /** Records the one call made on the proxy. */
  private static final class Recorder implements java.lang.reflect.InvocationHandler {
    Invocation invocation;

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) {
      if (method.getDeclaringClass() == Object.class) {
        throw new UnsupportedOperationException(method.getName() + " on a remote call recorder");
      }
      if (invocation != null) {
        throw new IllegalStateException("a remote call makes exactly one call, not also " + method.getName());
      }
      invocation = new Invocation(Invocation.key(method), args == null ? new Object[0] : args);
      // What the caller's lambda returns is ignored: the real answer comes back over the event bus.
      return Future.succeededFuture();
    }
  }
}
