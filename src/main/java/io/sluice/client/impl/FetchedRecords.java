package io.sluice.client.impl;

import io.sluice.client.ConsumerRecord;
import io.sluice.record.AbortedBatches;
import io.sluice.record.Header;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The records of one partition's fetched batches at or after an offset (control batches skipped), decoded one at a
 * time as they are iterated. A reader hands out a fetch of several MB as a stream; decoding it whole first kept every
 * record of every partition's fetch alive at once (six partitions: 150 to 230 MB live after young collections, and
 * pauses to match), while a lazy walk keeps alive only the records in flight. The batches' framing is checked when
 * this is built, so a cut answer fails before any of its records is handed out; a broken record inside a batch fails
 * the iteration ({@code CorruptRecordException}) after the records before it.
 */
final class FetchedRecords implements Iterable<ConsumerRecord> {
  private final String topic;
  private final int partition;
  private final long from;
  private final AbortedBatches aborted;
  private final List<RecordBatch> batches;
  /** Run once the walk has read every batch; null when nobody waits for that. */
  private Runnable read;
  /** True when {@code read} was given: one walk only. */
  private final boolean once;
  private boolean walked;

  FetchedRecords(String topic, int partition, ByteBuffer bytes, long from) {
    this(topic, partition, bytes, from, null);
  }

  /**
   * Records whose bytes are reused once read ({@link AnswerArrays}): {@code read} runs when the walk has read the last
   * batch, and there is only one walk, since nothing of {@code bytes} may be read after it.
   */
  FetchedRecords(String topic, int partition, ByteBuffer bytes, long from, Runnable read) {
    this(topic, partition, bytes, from, read, null);
  }

  /**
   * @param aborted a read_committed read's filter (Kafka's consumer algorithm over the answer's aborted transactions),
   *     null for read_uncommitted: control batches only are skipped
   */
  FetchedRecords(String topic, int partition, ByteBuffer bytes, long from, Runnable read, AbortedBatches aborted) {
    this.aborted = aborted;
    this.topic = topic;
    this.partition = partition;
    this.from = from;
    this.batches = bytes.hasRemaining() ? RecordBatches.split(bytes) : List.of();
    this.read = read;
    this.once = read != null;
  }

  @Override
  public Iterator<ConsumerRecord> iterator() {
    if (once && walked) {
      throw new IllegalStateException("a fetch's records are walked once: its answer's memory is reused after");
    }
    walked = true;
    return new Walk(false);
  }

  /**
   * The first record at or after {@code from}, or null: decoded apart from the walk (a group poll's re-read check
   * needs its offset before the records are handed out), so it neither counts as the one walk nor runs {@code read}.
   */
  ConsumerRecord first() {
    Walk peek = new Walk(true);
    return peek.hasNext() ? peek.next() : null;
  }

  private void walkEnded() {
    Runnable r = read;
    read = null;
    if (r != null) {
      r.run();
    }
  }

  private final class Walk implements Iterator<ConsumerRecord> {
    private final boolean peek;
    private int batch;
    private Iterator<ConsumerRecord> records = Collections.emptyIterator();

    Walk(boolean peek) {
      this.peek = peek;
    }

    @Override
    public boolean hasNext() {
      while (!records.hasNext()) {
        if (batch >= batches.size()) {
          if (!peek) {
            walkEnded();
          }
          return false;
        }
        RecordBatch b = batches.get(batch++);
        // The filter sees every batch in order, those before from too: they may open an aborted transaction.
        boolean skip = aborted != null ? aborted.skip(b) : b.isControlBatch();
        if (b.lastOffset() >= from && !skip) {
          records = b.iterator(from, this::make);
        }
      }
      return true;
    }

    private ConsumerRecord make(long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) {
      return new ConsumerRecord(topic, partition, offset, timestamp, key, value, headers);
    }

    @Override
    public ConsumerRecord next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return records.next();
    }
  }
}
