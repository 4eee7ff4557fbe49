package io.sluice.client.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One partition's batches and their state, as the producer ({@link ProducerImpl}) fills them and {@link Sender}
 * sends them. Confined to the producer's context.
 */
final class PartitionQueue {
  final String topic;
  final int partition;
  ProducerBatch open;
  long lingerTimer = -1;
  final ArrayDeque<ProducerBatch> ready = new ArrayDeque<>();
  final List<ProducerBatch> inFlight = new ArrayList<>(4);
  int requestsInFlight;
  long sealed;
  /** Uncompressed bytes of the last batch sealed here (0: none yet): the next batch's first buffer size. */
  int lastBatchBytes;
  int nextSequence;
  boolean recovering;
  /** The open batch has lingered enough and is sealed as soon as the partition may send it. */
  boolean lingerDue;
  long retryTimer = -1;
  Throwable fatal;
  /** The epoch this partition's batches carry; -1: the producer's own (no batch here was refused for good yet). */
  int epoch = -1;
  /**
   * The lowest order of a batch refused for good since the partition last moved to a new epoch (-1: none): the
   * batches after it move to the next epoch, from sequence 0, once every batch before it is finished and nothing
   * is in flight.
   */
  long refusedOrder = -1;
  /**
   * Uncompressed bytes at which the partition's open batch is sealed: {@code batchSizeBytes}, lowered to half a
   * batch the broker refused as too large ({@link SplitBatches}), so later batches are not refused too, and grown
   * back as batches near it are written ({@link GrowingCap}).
   */
  final GrowingCap batchCap;

  PartitionQueue(String topic, int partition, int batchSizeBytes) {
    this.topic = topic;
    this.partition = partition;
    this.batchCap = new GrowingCap(batchSizeBytes);
  }

  /** Whether no batch sealed before {@code order} is waiting or in flight. */
  boolean noneBefore(long order) {
    return !anyBefore(inFlight, order) && !anyBefore(ready, order);
  }

  boolean earlierUnfinished(ProducerBatch b) {
    return !noneBefore(b.order);
  }

  // A loop, not a stream: asked for every batch sent, and a stream's pipeline is objects and compiled code per call.
  private static boolean anyBefore(Iterable<ProducerBatch> batches, long order) {
    for (ProducerBatch x : batches) {
      if (x.order < order) {
        return true;
      }
    }
    return false;
  }

  /** Puts {@code b} into the ready queue at its place in seal order. */
  void insertInOrder(ProducerBatch b) {
    List<ProducerBatch> rest = new ArrayList<>();
    Iterator<ProducerBatch> it = ready.descendingIterator();
    while (it.hasNext()) {
      ProducerBatch x = it.next();
      if (x.order < b.order) {
        break;
      }
      rest.add(0, x);
      it.remove();
    }
    ready.addLast(b);
    ready.addAll(rest);
  }
}
