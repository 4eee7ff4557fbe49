package io.sluice.broker.rpc;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Encodes {@link Invocation}s and {@link Reply}s between brokers with Java serialization of the contract's records
 * (every value type of {@code io.sluice.api} is a {@link Serializable} record, so a record crosses through its
 * canonical constructor and its checks run again on arrival).
 *
 * <p>Only known classes are read back: the contract ({@code io.sluice.*}), Java's value and collection types,
 * enums, arrays of primitives. Anything else is refused ({@link ObjectInputFilter}), so a message from the event
 * bus can never make this broker build an arbitrary class. A few values that are not serializable travel as a
 * stand-in: a {@link ByteBuffer} as its remaining bytes, {@link OptionalLong}, Vert.x JSON as its text and
 * {@link Buffer} as its bytes, a sorted map or set with a comparator as an insertion-ordered copy. Messages are
 * encoded when they are made ({@link #serialize}), so a value that cannot cross fails the call at once with its
 * reason instead of leaving the other broker waiting.
 *
 * <p>Sender and receiver must run the same Sluice version (as for every other inter-broker format).
 */
final class RpcCodec implements MessageCodec<RpcCodec.Wire, RpcCodec.Wire> {
  private final String name;
  /**
   * Packages whose classes may be read (not their subpackages): values, collections, patterns; and the types the
   * stand-ins resolve to (the filter sees those too; none of them is serializable, so no stream can carry one).
   */
  private static final Set<String> ALLOWED_PACKAGES = Set.of("java.lang", "java.util", "java.util.regex",
      "java.time", "java.math", "java.nio", "io.vertx.core.json", "io.vertx.core.buffer.impl");
  /** The class the filter refused last on this thread, for the error message. */
  private static final ThreadLocal<String> REFUSED = new ThreadLocal<>();
  private static final ObjectInputFilter FILTER = info -> {
    Class<?> c = info.serialClass();
    if (c == null) {
      return ObjectInputFilter.Status.UNDECIDED;
    }
    while (c.isArray()) {
      c = c.getComponentType();
    }
    if (c.isPrimitive() || c.isEnum() || c.getName().startsWith("io.sluice.")
        || ALLOWED_PACKAGES.contains(c.getPackageName())) {
      return ObjectInputFilter.Status.ALLOWED;
    }
    REFUSED.set(c.getName());
    return ObjectInputFilter.Status.REJECTED;
  };

  RpcCodec(String name) {
    this.name = name;
  }

  /** A message already encoded by {@link #serialize}: encoding errors surface where the message is made. */
  record Wire(byte[] bytes) {
  }

  /** Encodes {@code o}; throws {@link IllegalArgumentException} naming what cannot cross. */
  static byte[] serialize(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (ObjectOutputStream out = new Out(bytes)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot encode " + o + " for another broker: " + e, e);
    }
    return bytes.toByteArray();
  }

  /** Decodes what {@link #serialize} wrote, refusing classes outside the allowed ones. */
  static Object deserialize(byte[] bytes) {
    try (ObjectInputStream in = new In(new ByteArrayInputStream(bytes))) {
      in.setObjectInputFilter(FILTER);
      return in.readObject();
    } catch (InvalidClassException e) {
      throw new IllegalStateException("Refused class " + REFUSED.get() + " in a message from another broker", e);
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("Cannot decode a message from another broker", e);
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, Wire w) {
    buffer.appendInt(w.bytes().length).appendBytes(w.bytes());
  }

  @Override
  public Wire decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new Wire(buffer.getBytes(pos + 4, pos + 4 + length));
  }

  @Override
  public Wire transform(Wire w) {
    return w;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  /** Stand-ins for values Java cannot serialize. */
  private record Bytes(byte[] bytes, boolean vertxBuffer) implements Serializable {
  }

  private record OptionalLongValue(boolean present, long value) implements Serializable {
  }

  private record Json(String text, boolean array) implements Serializable {
  }

  private static final class Out extends ObjectOutputStream {
    Out(OutputStream out) throws IOException {
      super(out);
      enableReplaceObject(true);
    }

    @Override
    protected Object replaceObject(Object o) {
      if (o instanceof ByteBuffer b) {
        byte[] copy = new byte[b.remaining()];
        b.duplicate().get(copy);
        return new Bytes(copy, false);
      }
      if (o instanceof Buffer b) {
        return new Bytes(b.getBytes(), true);
      }
      if (o instanceof OptionalLong l) {
        return new OptionalLongValue(l.isPresent(), l.orElse(0));
      }
      if (o instanceof JsonObject j) {
        return new Json(j.encode(), false);
      }
      if (o instanceof JsonArray j) {
        return new Json(j.encode(), true);
      }
      // A sorted map or set's comparator is often a lambda, which cannot cross: send the entries in their order.
      if (o instanceof java.util.SortedMap<?, ?> m && m.comparator() != null) {
        return new java.util.LinkedHashMap<>(m);
      }
      if (o instanceof java.util.SortedSet<?> set && set.comparator() != null) {
        return new java.util.LinkedHashSet<>(set);
      }
      return o;
    }
  }

  private static final class In extends ObjectInputStream {
    In(ByteArrayInputStream in) throws IOException {
      super(in);
      enableResolveObject(true);
    }

    @Override
    protected Object resolveObject(Object o) {
      if (o instanceof Bytes b) {
        return b.vertxBuffer() ? Buffer.buffer(b.bytes()) : ByteBuffer.wrap(b.bytes());
      }
      if (o instanceof OptionalLongValue l) {
        return l.present() ? OptionalLong.of(l.value()) : OptionalLong.empty();
      }
      if (o instanceof Json j) {
        return j.array() ? new JsonArray(j.text()) : new JsonObject(j.text());
      }
      return o;
    }
  }
}
