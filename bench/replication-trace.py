#!/usr/bin/env python3
"""Where an acks=all produce's time goes at RF 3, hop by hop (docs/benchmarks.md, issue 16, twenty-third session).

The brokers must run a jar built with bench/replication-trace.patch applied (`git apply bench/replication-trace.patch`
in a scratch worktree: it is a measuring tool, never merged): each broker then writes its replication events, with System.nanoTime() stamps, to
DIR/sluice-trace-PID.txt. nanoTime is CLOCK_MONOTONIC, one clock for every process of a host, so the three brokers'
stamps compare. Run bench/replication.sh with JVM_OPTS=-Dsluice.trace.dir=DIR on that jar, then:

  bench/replication-trace.py DIR [LAST]     LAST: only the last LAST replicated topics (a REPS=N run's measured ones)

Brokers are told apart by their trace file's pid, in start order (replication.sh starts broker 1, 2, 3 in turn).
Events: LA (leader append done; carries when the produce reached the partition and when its storage task began),
LF (a follower's fetch on the leader's partition context), LR (its answer built), FR (the answer on the follower's
partition context), FW (the follower's write done), FF (its next fetch sent), LK (the acks=all produce committed).
"""
import collections
import glob
import statistics
import sys


def load(directory):
    files = sorted(glob.glob(directory + '/sluice-trace-*.txt'), key=lambda f: int(f.rsplit('-', 1)[1].split('.')[0]))
    events = {}
    for broker, name in enumerate(files, 1):
        by_kind = collections.defaultdict(lambda: collections.defaultdict(list))
        with open(name) as f:
            for line in f:
                p = line.split()
                if len(p) == 6:
                    by_kind[p[1]][p[2]].append((int(p[0]), int(p[3]), int(p[4]), int(p[5])))
        events[broker] = by_kind
    return events


def first(events, pred, after):
    return next((e for e in events if e[0] >= after and pred(e)), None)


def last_before(events, pred, before):
    found = None
    for e in events:
        if e[0] > before:
            break
        if pred(e):
            found = e
    return found


def topic(tp):
    return tp.rsplit('-', 1)[0]


def rounds(ev, keep):
    """Per leader append of a kept topic: its hops, and per follower the round that carried it."""
    st = collections.defaultdict(list)
    for leader in ev:
        for tp, appends in ev[leader]['LA'].items():
            if topic(tp) not in keep:
                continue
            for (t_a, end, t0, t1) in appends:
                st['leader: produce at the partition -> its storage task starts'].append(t1 - t0)
                st['leader: storage task -> append done on the partition context'].append(t_a - t1)
                ack = first(ev[leader]['LK'][tp], lambda e: e[1] == end, t_a)
                if not ack:
                    continue
                st['leader: append done -> committed (acks=all answered)'].append(ack[0] - t_a)
                st['leader: produce at the partition -> committed'].append(ack[0] - t0)
                arrivals = []
                for f in ev:
                    if f == leader or tp not in ev[f]['FW']:
                        continue
                    fw = first(ev[f]['FW'][tp], lambda e: e[1] >= end, t_a)
                    fr = fw and last_before(ev[f]['FR'][tp], lambda e: e[2] > 0 and e[1] < end, fw[0])
                    lr = fr and last_before(ev[leader]['LR'][tp],
                                            lambda e: e[1] == f and e[3] > 0 and e[2] == fr[1], fr[0])
                    ff = fw and first(ev[f]['FF'][tp], lambda e: e[1] >= end, fw[0])
                    lf = ff and first(ev[leader]['LF'][tp], lambda e: e[1] == f and e[2] >= end, ff[0])
                    if not (fr and lr and ff and lf):
                        st['(rounds not matched)'].append(1)
                        continue
                    st['a leader: append done -> follower\'s answer built'].append(lr[0] - t_a)
                    st['b answer built -> on the follower\'s partition context'].append(fr[0] - lr[0])
                    st['c follower: write (storage task and hand-offs)'].append(fw[0] - fr[0])
                    st['d follower: write done -> next fetch sent'].append(ff[0] - fw[0])
                    st['e next fetch sent -> on the leader\'s partition context'].append(lf[0] - ff[0])
                    st['  a..e: append done -> follower\'s fetch past it'].append(lf[0] - t_a)
                    arrivals.append(lf[0])
                if len(arrivals) == 2:
                    st['f later follower\'s fetch -> committed'].append(ack[0] - max(arrivals))
                    st['g the later follower behind the earlier by'].append(abs(arrivals[0] - arrivals[1]))
    return st


def arrivals(ev, keep):
    behind = at_end = 0
    for b in ev:
        for tp, fetches in ev[b]['LF'].items():
            if topic(tp) in keep:
                for (_, _, offset, log_end) in fetches:
                    if offset < log_end:
                        behind += 1
                    else:
                        at_end += 1
    return behind, at_end


def main():
    ev = load(sys.argv[1])
    replicated = sorted({topic(tp) for b in ev for tp in ev[b]['FW']})
    keep = set(replicated[-int(sys.argv[2]):] if len(sys.argv) > 2 else replicated)
    print(f'{len(ev)} brokers; replicated topics {len(replicated)}, analysed {sorted(keep)}')
    st = rounds(ev, keep)
    for k in sorted(st):
        v = sorted(st[k])
        if k.startswith('('):
            print(f'{k}: {len(v)}')
            continue
        q = lambda x: v[min(len(v) - 1, int(x * len(v)))] / 1000
        print(f'{k:60s} n={len(v):6d}  p50 {q(.5):9.1f}  p90 {q(.9):9.1f}  p99 {q(.99):9.1f}  '
              f'mean {statistics.mean(v) / 1000:9.1f} us')
    behind, at_end = arrivals(ev, keep)
    print(f'follower fetches arriving behind the leader\'s log end (answered at once, mostly by a read of the log): '
          f'{behind}; at its end (parked until the next append): {at_end}')


if __name__ == '__main__':
    main()
