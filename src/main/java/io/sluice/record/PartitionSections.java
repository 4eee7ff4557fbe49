package io.sluice.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The framing of the multi-partition binary requests and answers: one section per partition, back to back,
 * big-endian, so that one HTTP request carries many partitions' record batches (as a Kafka produce or fetch request
 * does) instead of one request per partition.
 *
 * <pre>
 * produce request section (POST /batches):
 *   int16 topic length | topic UTF-8 | int32 partition | int32 length N | N bytes: v2 record batches back to back
 *
 * fetch answer section (POST /fetch), version 0 (a read_uncommitted request, the default):
 *   int16 topic length | topic UTF-8 | int32 partition | int16 error code (0: none) | int64 high watermark
 *   | int64 log start offset | int64 next offset | int16 message length | message UTF-8 | int32 length N | N bytes
 *
 * fetch answer section, version 1 (only a request with isolation_level read_committed gets it, so a reader of
 * version 0 never sees it): version 0's up to the message, then
 *   int64 last stable offset (-1 with an error) | int32 count A | A times (int64 producer id | int64 first offset)
 *   | int32 length N | N bytes
 *   (the aborted transactions overlapping the batches, Kafka's FetchResponse.AbortedTransactions)
 *
 * group poll answer section (GET /consumers/{g}/instances/{i}/records, application/vnd.sluice.record-batches):
 *   int16 topic length | topic UTF-8 | int32 partition | int64 from offset | int64 next offset | int32 length N
 *   | N bytes: the stored v2 batches (the first may start before the from offset; control batches included)
 * </pre>
 *
 * A partition appears at most once in a request. Parsing checks the framing only (lengths, names, duplicates) and
 * throws {@link IllegalArgumentException} naming the section and what was wrong; the batches themselves are
 * checked by whoever appends or decodes them. Plain Java, no state: callable from any thread.
 */
public final class PartitionSections {
  /** Kafka's limit on a topic name's length; longer names cannot exist, so their sections are malformed. */
  public static final int MAX_TOPIC_BYTES = 249;

  private PartitionSections() {
  }

  /** One partition's part of a produce request: its batches are a view into the request body. */
  public record ProduceSection(String topic, int partition, ByteBuffer batches) {
  }

  /**
   * One partition's part of a fetch answer; {@code errorCode} 0 means none, and then batches may be empty. A
   * version 0 section has {@code lastStableOffset} -1 and no aborted transactions.
   */
  public record FetchSection(String topic, int partition, short errorCode, String message, long highWatermark,
      long logStartOffset, long nextOffset, ByteBuffer batches, long lastStableOffset,
      List<AbortedTransaction> abortedTransactions) {
    /** A version 0 section. */
    public FetchSection(String topic, int partition, short errorCode, String message, long highWatermark,
        long logStartOffset, long nextOffset, ByteBuffer batches) {
      this(topic, partition, errorCode, message, highWatermark, logStartOffset, nextOffset, batches, -1, List.of());
    }
  }

  /** The bytes of a produce section's header; the caller appends {@code batchBytes} of batches after it. */
  public static byte[] produceHeader(String topic, int partition, int batchBytes) {
    byte[] name = topicBytes(topic);
    return ByteBuffer.allocate(2 + name.length + 8).putShort((short) name.length).put(name).putInt(partition)
        .putInt(batchBytes).array();
  }

  /** The bytes of a fetch answer section's header; the caller appends {@code batchBytes} of batches after it. */
  public static byte[] fetchHeader(String topic, int partition, short errorCode, String message, long highWatermark,
      long logStartOffset, long nextOffset, int batchBytes) {
    byte[] name = topicBytes(topic);
    byte[] text = message == null ? new byte[0] : truncate(message.getBytes(StandardCharsets.UTF_8));
    return ByteBuffer.allocate(2 + name.length + 4 + 2 + 24 + 2 + text.length + 4).putShort((short) name.length)
        .put(name).putInt(partition).putShort(errorCode).putLong(highWatermark).putLong(logStartOffset)
        .putLong(nextOffset).putShort((short) text.length).put(text).putInt(batchBytes).array();
  }

  /**
   * The bytes of a version 1 fetch answer section's header (read_committed); the caller appends {@code batchBytes}
   * of batches after it. Only the producer id and first offset of each aborted transaction go on the wire.
   */
  public static byte[] fetchHeaderV1(String topic, int partition, short errorCode, String message,
      long highWatermark, long logStartOffset, long nextOffset, long lastStableOffset,
      List<AbortedTransaction> aborted, int batchBytes) {
    byte[] v0 = fetchHeader(topic, partition, errorCode, message, highWatermark, logStartOffset, nextOffset,
        batchBytes);
    ByteBuffer out = ByteBuffer.allocate(v0.length + 12 + 16 * aborted.size());
    out.put(v0, 0, v0.length - 4).putLong(lastStableOffset).putInt(aborted.size());
    for (AbortedTransaction a : aborted) {
      out.putLong(a.producerId()).putLong(a.firstOffset());
    }
    return out.putInt(batchBytes).array();
  }

  /** One partition's part of a group poll's answer: records before {@code fromOffset} are not the reader's. */
  public record PollSection(String topic, int partition, long fromOffset, long nextOffset, ByteBuffer batches) {
  }

  /** The bytes of a poll answer section's header; the caller appends {@code batchBytes} of batches after it. */
  public static byte[] pollHeader(String topic, int partition, long fromOffset, long nextOffset, int batchBytes) {
    byte[] name = topicBytes(topic);
    return ByteBuffer.allocate(2 + name.length + 4 + 16 + 4).putShort((short) name.length).put(name)
        .putInt(partition).putLong(fromOffset).putLong(nextOffset).putInt(batchBytes).array();
  }

  /**
   * The sections of a group poll's answer, in order.
   *
   * @throws IllegalArgumentException if a section is cut short
   */
  public static List<PollSection> parsePoll(ByteBuffer body) {
    ByteBuffer in = body.duplicate();
    List<PollSection> sections = new ArrayList<>();
    while (in.hasRemaining()) {
      int index = sections.size();
      String topic = readTopic(in, index);
      int partition = readInt(in, index, "partition");
      need(in, 16, index, "offsets");
      long from = in.getLong();
      long next = in.getLong();
      int length = readInt(in, index, "length");
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("Section " + index + " (" + topic + "-" + partition + ") claims "
            + length + " bytes of batches but " + in.remaining() + " remain");
      }
      ByteBuffer batches = in.slice(in.position(), length);
      in.position(in.position() + length);
      sections.add(new PollSection(topic, partition, from, next, batches));
    }
    return sections;
  }

  /**
   * The sections of a produce request body, in order.
   *
   * @throws IllegalArgumentException if the body is empty, a section is cut short or names a partition twice
   */
  public static List<ProduceSection> parseProduce(ByteBuffer body) {
    ByteBuffer in = body.duplicate();
    List<ProduceSection> sections = new ArrayList<>();
    Set<String> seen = null; // made at a second section: most requests carry one, and then need no set
    while (in.hasRemaining()) {
      int index = sections.size();
      String topic = readTopic(in, index);
      int partition = readInt(in, index, "partition");
      int length = readInt(in, index, "length");
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("Section " + index + " (" + topic + "-" + partition + ") claims "
            + length + " bytes of batches but " + in.remaining() + " remain");
      }
      if (index > 0 && seen == null) {
        seen = new HashSet<>();
        seen.add(sections.get(0).topic() + "\u0000" + sections.get(0).partition());
      }
      if (seen != null && !seen.add(topic + "\u0000" + partition)) {
        throw new IllegalArgumentException("Section " + index + " names " + topic + "-" + partition
            + " again: a partition may appear once per request");
      }
      ByteBuffer batches = in.slice(in.position(), length);
      in.position(in.position() + length);
      sections.add(new ProduceSection(topic, partition, batches));
    }
    if (sections.isEmpty()) {
      throw new IllegalArgumentException("The body must hold at least one partition section");
    }
    return sections;
  }

  /**
   * The sections of a fetch answer, in order.
   *
   * @throws IllegalArgumentException if a section is cut short
   */
  public static List<FetchSection> parseFetch(ByteBuffer body) {
    return parseFetch(body, 0);
  }

  /**
   * The sections of a fetch answer of layout {@code version} (0, or 1: with the last stable offset and aborted
   * transactions, the answer to a read_committed request), in order.
   *
   * @throws IllegalArgumentException if a section is cut short
   */
  public static List<FetchSection> parseFetch(ByteBuffer body, int version) {
    ByteBuffer in = body.duplicate();
    List<FetchSection> sections = new ArrayList<>();
    while (in.hasRemaining()) {
      int index = sections.size();
      String topic = readTopic(in, index);
      int partition = readInt(in, index, "partition");
      need(in, 2 + 24 + 2, index, "header");
      short errorCode = in.getShort();
      long highWatermark = in.getLong();
      long logStartOffset = in.getLong();
      long nextOffset = in.getLong();
      int messageLength = Short.toUnsignedInt(in.getShort());
      need(in, messageLength, index, "message");
      byte[] message = new byte[messageLength];
      in.get(message);
      long lastStableOffset = -1;
      List<AbortedTransaction> aborted = List.of();
      if (version >= 1) {
        need(in, 12, index, "last stable offset");
        lastStableOffset = in.getLong();
        aborted = readAborted(in, index);
      }
      int length = readInt(in, index, "length");
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("Section " + index + " claims " + length + " bytes of batches but "
            + in.remaining() + " remain");
      }
      ByteBuffer batches = in.slice(in.position(), length);
      in.position(in.position() + length);
      sections.add(new FetchSection(topic, partition, errorCode, new String(message, StandardCharsets.UTF_8),
          highWatermark, logStartOffset, nextOffset, batches, lastStableOffset, aborted));
    }
    return sections;
  }

  /** A version 1 section's aborted transactions (their last offsets are not on the wire: -1). */
  private static List<AbortedTransaction> readAborted(ByteBuffer in, int index) {
    int count = in.getInt();
    if (count < 0 || (long) count * 16 > in.remaining()) {
      throw new IllegalArgumentException("Section " + index + " claims " + count + " aborted transactions but "
          + in.remaining() + " bytes remain");
    }
    List<AbortedTransaction> aborted = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      aborted.add(new AbortedTransaction(in.getLong(), in.getLong(), -1, -1));
    }
    return aborted;
  }

  private static String readTopic(ByteBuffer in, int index) {
    need(in, 2, index, "topic length");
    int length = in.getShort();
    if (length <= 0 || length > MAX_TOPIC_BYTES) {
      throw new IllegalArgumentException("Section " + index + " has a topic of " + length + " bytes; a topic name"
          + " has 1 to " + MAX_TOPIC_BYTES);
    }
    need(in, length, index, "topic");
    byte[] name = new byte[length];
    in.get(name);
    if (ascii(name)) { // every legal topic name: no decoder on the produce and poll paths
      return new String(name, StandardCharsets.US_ASCII);
    }
    try {
      // Strict: a lenient decode turned malformed bytes into U+FFFD, so two different names read as one.
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(name)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("Section " + index + " has a topic that is not valid UTF-8");
    }
  }

  private static boolean ascii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private static int readInt(ByteBuffer in, int index, String what) {
    need(in, 4, index, what);
    return in.getInt();
  }

  private static void need(ByteBuffer in, int bytes, int index, String what) {
    if (in.remaining() < bytes) {
      throw new IllegalArgumentException("Section " + index + " is cut short in its " + what + " ("
          + in.remaining() + " bytes left, " + bytes + " needed)");
    }
  }

  private static byte[] topicBytes(String topic) {
    byte[] name = topic.getBytes(StandardCharsets.UTF_8);
    if (name.length == 0 || name.length > MAX_TOPIC_BYTES) {
      throw new IllegalArgumentException("A topic name has 1 to " + MAX_TOPIC_BYTES + " bytes: " + topic);
    }
    return name;
  }

  private static byte[] truncate(byte[] text) {
    return text.length <= Short.MAX_VALUE ? text : java.util.Arrays.copyOf(text, Short.MAX_VALUE);
  }
}
