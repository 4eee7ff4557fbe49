package io.sluice.broker.rpc;

import java.io.Serializable;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * One remote call: which method of the served interface and its arguments. Immutable once sent.
 *
 * @param method the method's name and parameter types, as {@link #key(Method)} writes them
 * @param args the arguments, each encodable by {@link RpcCodec}
 */
record Invocation(String method, Object[] args) implements Serializable {

  static String key(Method m) {
    return m.getName() + Arrays.toString(Arrays.stream(m.getParameterTypes()).map(Class::getName).toArray());
  }

  @Override
  public String toString() {
    return method;
  }
}
