package io.sluice.share;

import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Record;
import io.sluice.share.SharePartition.Acquired;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One member's fetch from a share group: first the records released or timed out (redeliveries, lowest offset
 * first), then new records read from each share-partition's end; when neither gives any, a long poll of every
 * partition that the first one with records ends. Records are acquired only once their read has returned, on the
 * group's context, so a read that is dropped (another partition answered first, the answer was sent) changes
 * nothing; an acquired record the read did not bring back is given back without counting a delivery.
 */
final class ShareFetch {
  private final ShareGroups groups;
  private final ShareReads reads;
  private final String group;
  private final String member;
  private final List<TopicPartition> tps;
  private final int maxRecords;
  private final long maxWaitMs;
  private final List<ShareRecord> out = new ArrayList<>();

  ShareFetch(ShareGroups groups, ShareReads reads, String group, String member, List<TopicPartition> tps,
      int maxRecords, long maxWaitMs) {
    this.groups = groups;
    this.reads = reads;
    this.group = group;
    this.member = member;
    this.tps = tps;
    this.maxRecords = maxRecords;
    this.maxWaitMs = maxWaitMs;
  }

  Future<List<ShareRecord>> run() {
    return redeliveries()
        .compose(v -> remaining() > 0 ? newRecords(0) : Future.<Void>succeededFuture())
        .compose(v -> !out.isEmpty() || maxWaitMs <= 0 ? Future.succeededFuture(List.copyOf(out)) : longPoll());
  }

  private int remaining() {
    return maxRecords - out.size();
  }

  private Future<Void> redeliveries() {
    return groups.withGroup(group, g -> {
      Map<TopicPartition, List<Acquired>> taken = new HashMap<>();
      int left = maxRecords;
      for (TopicPartition tp : tps) {
        SharePartition sp = g.partitions.get(tp);
        List<Acquired> got = sp == null || left <= 0 ? List.of() : sp.acquireAvailable(member, left, groups.nowMs());
        if (!got.isEmpty()) {
          taken.put(tp, got);
          left -= got.size();
        }
      }
      return taken;
    }).compose(taken -> {
      List<Future<Void>> parts = new ArrayList<>();
      taken.forEach((tp, got) -> parts.add(readAcquired(tp, got)));
      return Future.all(parts).mapEmpty();
    });
  }

  /** Reads the records of offsets acquired for redelivery; those the read did not reach are given back. */
  private Future<Void> readAcquired(TopicPartition tp, List<Acquired> got) {
    Map<Long, Integer> counts = new HashMap<>();
    got.forEach(a -> counts.put(a.offset(), a.deliveryCount()));
    return reads.read(tp, got.get(0).offset(), groups.settings().maxBytesPerPartition(), 0)
        .transform(ar -> groups.withGroup(group, g -> {
          List<Record> found = ar.succeeded() ? ar.result().records() : List.of();
          for (Record r : found) {
            Integer count = counts.remove(r.offset());
            if (count != null) {
              out.add(new ShareRecord(tp, r, count));
            }
          }
          SharePartition sp = g.partitions.get(tp);
          sp.undeliver(member, List.copyOf(counts.keySet()));
          if (ar.succeeded()) {
            sp.logStartMoved(ar.result().logStartOffset());
          }
          return (Void) null;
        }));
  }

  /** Reads every partition with room from its end, waiting up to {@code waitMs}, and acquires what each brought. */
  private Future<Void> newRecords(long waitMs) {
    return ends().compose(ends -> {
      List<Future<Void>> parts = new ArrayList<>();
      ends.forEach((tp, end) -> parts.add(reads.read(tp, end, groups.settings().maxBytesPerPartition(), waitMs)
          .compose(read -> acquireNew(tp, read), t -> skipMoved(tp, t))));
      return Future.all(parts).mapEmpty();
    });
  }

  /** The end offset of each share-partition that has room under the in-flight cap. */
  private Future<Map<TopicPartition, Long>> ends() {
    return groups.withGroup(group, g -> {
      Map<TopicPartition, Long> ends = new HashMap<>();
      for (TopicPartition tp : tps) {
        SharePartition sp = g.partitions.get(tp);
        if (sp != null && sp.room() > 0) {
          ends.put(tp, sp.endOffset());
        }
      }
      return ends;
    });
  }

  private Future<Void> acquireNew(TopicPartition tp, ShareReads.Read read) {
    return groups.withGroup(group, g -> {
      acquireFrom(g, tp, read);
      return (Void) null;
    });
  }

  /** Acquires what a read from the share-partition's end brought, up to what the fetch still takes. */
  private void acquireFrom(ShareGroups.Group g, TopicPartition tp, ShareReads.Read read) {
    SharePartition sp = g.partitions.get(tp);
    sp.logStartMoved(read.logStartOffset());
    if (remaining() <= 0) {
      return;
    }
    List<Long> offsets = read.records().stream().map(Record::offset).toList();
    Map<Long, Record> byOffset = new HashMap<>();
    read.records().forEach(r -> byOffset.put(r.offset(), r));
    for (Acquired a : sp.acquireNew(member, offsets, read.nextOffset(), remaining(), groups.nowMs())) {
      out.add(new ShareRecord(tp, byOffset.get(a.offset()), a.deliveryCount()));
    }
  }

  /** The share-partition's end fell below the log's start (retention): it moves there; the fetch goes on. */
  private Future<Void> skipMoved(TopicPartition tp, Throwable t) {
    if (!(t instanceof SluiceException e) || e.errorCode() != ErrorCode.OFFSET_OUT_OF_RANGE) {
      return Future.failedFuture(t);
    }
    return reads.logStart(tp).compose(start -> groups.withGroup(group, g -> {
      g.partitions.get(tp).logStartMoved(start);
      return (Void) null;
    }));
  }

  /**
   * Waits for new records on every partition with room; the first read that brings some ends the fetch (the others'
   * results are dropped unacquired), as does the wait passing with none.
   */
  private Future<List<ShareRecord>> longPoll() {
    Promise<List<ShareRecord>> answer = Promise.promise();
    ends().onFailure(answer::tryFail).onSuccess(ends -> {
      if (ends.isEmpty()) {
        answer.tryComplete(out);
        return;
      }
      List<Future<Void>> parts = new ArrayList<>();
      ends.forEach((tp, end) -> parts.add(reads.read(tp, end, groups.settings().maxBytesPerPartition(), maxWaitMs)
          .compose(read -> read.records().isEmpty() ? Future.<Void>succeededFuture()
              : groups.withGroup(group, g -> {
                // On the group's context: once answered, nothing more is acquired for this fetch.
                if (!answer.future().isComplete()) {
                  acquireFrom(g, tp, read);
                  if (!out.isEmpty()) {
                    answer.complete(List.copyOf(out));
                  }
                }
                return (Void) null;
              }), t -> skipMoved(tp, t))));
      Future.join(parts).onComplete(ar -> groups.withGroup(group, g -> answer.tryComplete(List.copyOf(out))));
    });
    return answer.future();
  }
}
