package io.sluice.group;

import io.sluice.api.JoinGroupResult;
import io.sluice.api.SyncGroupResult;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The joins and syncs of member-assigned groups that wait for the rest of their group ({@link Group#joinMember},
 * {@link Group#sync}), and their answers. After every change to such a group, and on every sweep (the rebalance
 * timeouts), {@link #settle} moves the group on and answers whoever may be answered: a completed join phase answers
 * every join once the new generation is written to the offsets topic (so a generation handed out is never handed out
 * again, even by the next coordinator); a stable group answers the syncs; a rebalance fails the parked syncs with
 * REBALANCE_IN_PROGRESS; a member that left or was dropped gets UNKNOWN_MEMBER_ID. Confined to the coordinator context.
 */
final class JoinBarrier {
  private static final System.Logger LOG = System.getLogger(JoinBarrier.class.getName());

  private final GroupCoordinator coordinator;
  /** Group, then member id, then the calls waiting (a member may repeat a join it lost the answer of). */
  private final Map<String, Map<String, List<Promise<JoinGroupResult>>>> joins = new HashMap<>();
  private final Map<String, Map<String, List<Promise<SyncGroupResult>>>> syncs = new HashMap<>();

  JoinBarrier(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  /** Parks a join until the join phase completes; then settles the group. */
  Future<JoinGroupResult> awaitJoin(Group g, String memberId) {
    Promise<JoinGroupResult> p = Promise.promise();
    joins.computeIfAbsent(g.groupId(), k -> new HashMap<>()).computeIfAbsent(memberId, k -> new ArrayList<>()).add(p);
    settle(g);
    return p.future();
  }

  /** Parks a sync until the leader's sync; then settles the group. */
  Future<SyncGroupResult> awaitSync(Group g, String memberId) {
    Promise<SyncGroupResult> p = Promise.promise();
    syncs.computeIfAbsent(g.groupId(), k -> new HashMap<>()).computeIfAbsent(memberId, k -> new ArrayList<>()).add(p);
    settle(g);
    return p.future();
  }

  /** Moves a member-assigned group on as far as it can go now, and answers whoever may be answered. */
  void settle(Group g) {
    List<Member> joined = g.maybeCompleteJoin(coordinator.nowMs());
    if (!joined.isEmpty()) {
      int generation = g.generation();
      coordinator.write(g.groupId(), List.of(OffsetsTopic.groupEntry(g.groupId(), generation, g.protocol())))
          .onComplete(ar -> answerJoins(g, generation, joined, ar.cause()));
    }
    if (g.state() == GroupState.STABLE) {
      Map<String, List<Promise<SyncGroupResult>>> waiting = syncs.remove(g.groupId());
      if (waiting != null) {
        waiting.forEach((id, ps) -> g.member(id).ifPresentOrElse(m -> ps.forEach(p -> p.tryComplete(syncResult(g, m))),
            () -> ps.forEach(p -> p.tryFail(unknown(g, id)))));
      }
    } else if (g.state() == GroupState.PREPARING_REBALANCE) {
      fail(syncs, g.groupId(), id -> true, () -> new SluiceException(ErrorCode.REBALANCE_IN_PROGRESS, "Group '"
          + g.groupId() + "' began another rebalance before its leader sent the assignment; rejoin"));
    }
    failDeparted(g);
  }

  private void answerJoins(Group g, int generation, List<Member> joined, Throwable persistFailure) {
    Map<String, List<Promise<JoinGroupResult>>> waiting = joins.getOrDefault(g.groupId(), Map.of());
    if (persistFailure != null) {
      LOG.log(Level.WARNING, "Group " + g.groupId() + ": writing generation " + generation + " failed: "
          + persistFailure);
      g.requestRebalance();
    }
    for (Member m : joined) {
      List<Promise<JoinGroupResult>> ps = waiting.remove(m.memberId());
      if (ps != null) {
        ps.forEach(p -> {
          if (persistFailure != null || g.generation() != generation) {
            p.tryFail(new SluiceException(ErrorCode.REBALANCE_IN_PROGRESS, "Generation " + generation + " of group '"
                + g.groupId() + "' could not be started (" + (persistFailure != null ? persistFailure.getMessage()
                : "another rebalance began") + "); rejoin"));
          } else {
            p.tryComplete(joinResult(g, m));
          }
        });
      }
    }
    if (persistFailure != null) {
      settle(g);
    }
  }

  /** The answer to a join of a member in the current generation (the leader's lists every member's metadata). */
  static JoinGroupResult joinResult(Group g, Member m) {
    List<JoinGroupResult.MemberMetadata> members = new ArrayList<>();
    if (m.memberId().equals(g.leaderId())) {
      g.members().values().forEach(x -> members.add(new JoinGroupResult.MemberMetadata(x.memberId(), x.clientId(),
          x.metadata(g.protocol()))));
    }
    return new JoinGroupResult(m.memberId(), g.generation(), g.protocolType(), g.protocol(), g.leaderId(), members,
        List.of());
  }

  static SyncGroupResult syncResult(Group g, Member m) {
    return new SyncGroupResult(g.protocolType(), g.protocol(), m.memberAssignment(), List.of());
  }

  /** Fails the waiting calls of members no longer in the group. */
  private void failDeparted(Group g) {
    Predicate<String> gone = id -> g.member(id).isEmpty();
    fail(joins, g.groupId(), gone, null);
    fail(syncs, g.groupId(), gone, null);
  }

  /** Fails every waiting call of the groups {@code inGroups} selects (their coordinator moved away). */
  void dropGroups(Predicate<String> inGroups) {
    for (String groupId : new ArrayList<>(joins.keySet())) {
      if (inGroups.test(groupId)) {
        fail(joins, groupId, id -> true, () -> notCoordinator(groupId));
      }
    }
    for (String groupId : new ArrayList<>(syncs.keySet())) {
      if (inGroups.test(groupId)) {
        fail(syncs, groupId, id -> true, () -> notCoordinator(groupId));
      }
    }
  }

  private static <T> void fail(Map<String, Map<String, List<Promise<T>>>> waiting, String groupId,
      Predicate<String> which, java.util.function.Supplier<SluiceException> error) {
    Map<String, List<Promise<T>>> byMember = waiting.get(groupId);
    if (byMember == null) {
      return;
    }
    byMember.entrySet().removeIf(e -> {
      if (!which.test(e.getKey())) {
        return false;
      }
      e.getValue().forEach(p -> p.tryFail(error != null ? error.get() : unknownMember(groupId, e.getKey())));
      return true;
    });
    if (byMember.isEmpty()) {
      waiting.remove(groupId);
    }
  }

  private static SluiceException unknown(Group g, String memberId) {
    return unknownMember(g.groupId(), memberId);
  }

  private static SluiceException unknownMember(String groupId, String memberId) {
    return new SluiceException(ErrorCode.UNKNOWN_MEMBER_ID, "Member " + memberId + " is no longer in group '"
        + groupId + "' (it left, missed its session timeout, or did not rejoin within the rebalance timeout);"
        + " rejoin with an empty member id");
  }

  private static SluiceException notCoordinator(String groupId) {
    return new SluiceException(ErrorCode.NOT_COORDINATOR, "The coordinator of group '" + groupId + "' moved; find"
        + " the new one and rejoin");
  }
}
