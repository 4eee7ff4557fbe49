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
import java.util.ArrayList;
import java.util.List;
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
 * reason instead of leaving the other broker waiting. Byte arrays and heap buffers of {@link #BLOB_MIN_BYTES} or more
 * (a forwarded produce's batches, a forwarded fetch's answer) are not written into the object stream but beside it
 * ({@link Wire}): a 100 KB batch then costs a third of the allocation and half the CPU of a trip through the stream.
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

  /**
   * A message already encoded by {@link #serialize}: encoding errors surface where the message is made. Large byte
   * arrays and buffers (batches, mostly) are not copied into the object stream but travel beside it as blobs, each
   * written once into the event bus's frame and read once out of it; the stream holds their indexes.
   *
   * @param stream the object stream, with {@link Blob} stand-ins for the blobs
   * @param blobs the blobs' bytes, by reference until the message is written (their owners must not change them)
   */
  record Wire(byte[] stream, List<ByteBuffer> blobs) {
  }

  /** Arrays and buffers of this size or more travel as blobs. */
  static final int BLOB_MIN_BYTES = 1024;

  /** Encodes {@code o}; throws {@link IllegalArgumentException} naming what cannot cross. */
  static Wire serialize(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    List<ByteBuffer> blobs = new ArrayList<>(1);
    try (ObjectOutputStream out = new Out(bytes, blobs)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot encode " + o + " for another broker: " + e, e);
    }
    return new Wire(bytes.toByteArray(), blobs);
  }

  /** Decodes what {@link #serialize} wrote, refusing classes outside the allowed ones. */
  static Object deserialize(Wire wire) {
    try (ObjectInputStream in = new In(new ByteArrayInputStream(wire.stream()), wire.blobs())) {
      in.setObjectInputFilter(FILTER);
      return in.readObject();
    } catch (InvalidClassException e) {
      throw new IllegalStateException("Refused class " + REFUSED.get() + " in a message from another broker", e);
    } catch (IOException | ClassNotFoundException | RuntimeException e) {
      throw new IllegalStateException("Cannot decode a message from another broker", e);
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, Wire w) {
    buffer.appendInt(w.stream().length).appendBytes(w.stream()).appendInt(w.blobs().size());
    for (ByteBuffer blob : w.blobs()) {
      buffer.appendInt(blob.remaining()).appendBytes(blob.array(), blob.arrayOffset() + blob.position(),
          blob.remaining());
    }
  }

  @Override
  public Wire decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    byte[] stream = buffer.getBytes(pos + 4, pos + 4 + length);
    int at = pos + 4 + length;
    int count = buffer.getInt(at);
    at += 4;
    List<ByteBuffer> blobs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int size = buffer.getInt(at);
      blobs.add(ByteBuffer.wrap(buffer.getBytes(at + 4, at + 4 + size)));
      at += 4 + size;
    }
    return new Wire(stream, blobs);
  }

  /** Delivered in this Vert.x: the blobs are copied, so sender and receiver never share bytes. */
  @Override
  public Wire transform(Wire w) {
    List<ByteBuffer> copies = new ArrayList<>(w.blobs().size());
    for (ByteBuffer blob : w.blobs()) {
      byte[] copy = new byte[blob.remaining()];
      blob.duplicate().get(copy);
      copies.add(ByteBuffer.wrap(copy));
    }
    return new Wire(w.stream(), copies);
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

  /** Stands for the message's blob {@code index}: a byte array, or a {@link ByteBuffer}'s remaining bytes. */
  private record Blob(int index, boolean buffer) implements Serializable {
  }

  private record OptionalLongValue(boolean present, long value) implements Serializable {
  }

  private record Json(String text, boolean array) implements Serializable {
  }

  private static final class Out extends ObjectOutputStream {
    private final List<ByteBuffer> blobs;

    Out(OutputStream out, List<ByteBuffer> blobs) throws IOException {
      super(out);
      this.blobs = blobs;
      enableReplaceObject(true);
    }

    @Override
    protected Object replaceObject(Object o) {
      if (o instanceof byte[] a && a.length >= BLOB_MIN_BYTES) {
        blobs.add(ByteBuffer.wrap(a));
        return new Blob(blobs.size() - 1, false);
      }
      if (o instanceof ByteBuffer b && b.remaining() >= BLOB_MIN_BYTES && b.hasArray()) {
        blobs.add(b.duplicate());
        return new Blob(blobs.size() - 1, true);
      }
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
    private final List<ByteBuffer> blobs;

    In(ByteArrayInputStream in, List<ByteBuffer> blobs) throws IOException {
      super(in);
      this.blobs = blobs;
      enableResolveObject(true);
    }

    @Override
    protected Object resolveObject(Object o) {
      if (o instanceof Blob b) {
        ByteBuffer blob = blobs.get(b.index()).duplicate();
        if (b.buffer()) {
          return blob;
        }
        boolean whole = blob.hasArray() && blob.arrayOffset() == 0 && blob.position() == 0
            && blob.remaining() == blob.array().length;
        if (whole) {
          return blob.array();
        }
        byte[] copy = new byte[blob.remaining()];
        blob.get(copy);
        return copy;
      }
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
