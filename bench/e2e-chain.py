#!/usr/bin/env python3
"""The thread hand-offs of the slow records of a bench/e2e-tail.sh run, from its scheduler trace (schedN.data).

  e2e-chain.py DIR N [K]   run N of DIR: counts two stalls over the 100 slowest and 500 random records, then prints
                           the hand-off chain of the K (default 3) slowest records during which other processes held
                           under a quarter of the CPUs (every run and wake-up of both JVMs' threads: who woke whom,
                           how long each slept, waited for a CPU and ran)

The two stalls, per record (a path thread is one of bench/e2e-tail.py's PATH_THREADS or Kafka's):
  - waited behind a compiler: a path thread, woken, waited 0.5 ms or more for a CPU while a JIT compiler thread of
    either JVM ran there;
  - woken as its own C2 stopped: a path thread slept 1 ms or more and was woken within 50 us of its own JVM's C2
    compiler thread leaving a CPU (a thread that waited on its own JVM's compiler, not on the other side).
"Behind whose compiler" splits the first by the waiting thread's JVM and the compiler's JVM (a record can count in
several). A stall that the slow records show about as often as the random ones explains nothing.
"""
import bisect, collections, importlib.util, os, random, re, subprocess, sys

spec = importlib.util.spec_from_file_location('tail', os.path.join(os.path.dirname(__file__), 'e2e-tail.py'))
tail = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tail)
PATH = tail.PATH_THREADS + ('data-plane-kafk', 'kafka-producer-')
LINE = re.compile(r'^\s*([\d.]+)\s+\[(\d+)\]\s+(.*?)\[(\d+)(?:/(\d+))?\]\s+(?:([\d.]+)\s+([\d.]+)\s+([\d.]+)|.*awakened: (.*)\[(\d+)(?:/(\d+))?\])')


def trace(d, n):
    """Runs (start, end, cpu, pid, tid, comm, slept, delay) and wake-ups (time, waker, wakee) in CLOCK_MONOTONIC us."""
    text = subprocess.run(['perf', 'sched', 'timehist', '-w', '-i', f'{d}/sched{n}.data'], capture_output=True,
                          text=True).stdout
    runs, wakes = [], []
    for m in map(LINE.match, text.splitlines()):
        if not m:
            continue
        t, cpu, comm, tid, pid = float(m.group(1)) * 1e6, int(m.group(2)), m.group(3).strip(), m.group(4), m.group(5)
        who = (int(pid or tid), int(tid), comm)
        if m.group(9):
            wakes.append((t, who, (int(m.group(11) or m.group(10)), int(m.group(10)), m.group(9).strip())))
        else:
            run = float(m.group(8)) * 1000
            runs.append((t - run, t, cpu, *who, float(m.group(6)) * 1000, float(m.group(7)) * 1000))
    runs.sort()
    return runs, wakes


def stalls(runs, starts, a, b, jvms):
    """The stalls of the record whose send-to-delivery interval is [a, b], as a set of names."""
    found = set()
    for r in runs[bisect.bisect_left(starts, a - 100_000):bisect.bisect_right(starts, b)]:
        start, end, cpu, pid, tid, comm, slept, delay = r
        if pid not in jvms or not comm.startswith(PATH) or not a <= start <= b:
            continue
        woken = start - delay
        if delay >= 500:
            for c in near(runs, starts, woken, start):
                if 'Compiler' in c[5] and c[3] in jvms and c[2] == cpu and c[0] < start and c[1] > woken:
                    found.add('waited behind a compiler')
                    found.add(f"{'broker' if pid == jvms[0] else 'client'} path behind the "
                              f"{'broker' if c[3] == jvms[0] else 'client'}'s compiler")
        if slept >= 1000 and any(c[3] == pid and c[5].startswith('C2 Compiler') and abs(c[1] - woken) <= 50
                                 for c in near(runs, starts, woken - 50, woken + 50)):
            found.add('woken as its own C2 stopped')
    return found


def near(runs, starts, a, b, longest=100_000):
    return (r for r in runs[bisect.bisect_left(starts, a - longest):bisect.bisect_right(starts, b)] if r[1] >= a)


def chain(runs, starts, wakes, a, b, jvms):
    name = lambda p: ('broker ' if p[0] == jvms[0] else 'client ' if p[0] == jvms[1] else 'other ') + f'{p[2]}[{p[1]}]'
    rows = [(w[0], f'{name(w[1])} wakes {name(w[2])}') for w in wakes if a - 100 <= w[0] <= b and
            (w[1][0] in jvms or w[2][0] in jvms)]
    others = collections.Counter()
    for r in near(runs, starts, a - 100, b):
        if r[0] > b:
            continue
        if r[3] in jvms:
            rows.append((r[1], f'{name(r[3:6])} ran {r[1] - r[0]:.0f} us on cpu{r[2]} (slept {r[6]:.0f}, waited for a CPU '
                               f'{r[7]:.0f})'))
        elif not r[5].startswith(('<idle>', 'swapper')):
            others[r[2]] += min(r[1], b) - max(r[0], a)
    for t, text in sorted(rows):
        print(f'   {t - a:8.0f} us  {text}')
    print('   other processes ran', ', '.join(f'{v:.0f} us on cpu{k}' for k, v in sorted(others.items())) or 'nothing')


def main(d, n, k):
    samples = [tuple(map(int, l.split())) for l in open(f'{d}/samples{n}.txt')]
    jvms = tuple(int(open(f'{d}/{f}').read()) for f in ('broker.pid', f'client{n}.pid'))
    offset = int(open(f'{d}/clock-offset{n}').read()) // 1000
    runs, wakes = trace(d, n)
    starts = [r[0] for r in runs]
    window = lambda s: (s[0] - offset, s[0] - offset + s[1])
    slowest = sorted(samples, key=lambda s: -s[1])
    random.seed(1)
    for label, chosen in (('100 slowest', slowest[:100]), ('500 at random', random.sample(samples, 500))):
        counts = collections.Counter(x for s in chosen for x in stalls(runs, starts, *window(s), jvms))
        print(f'{label}:', ', '.join(f'{x} {counts[x]}' for x in ('waited behind a compiler',
                                                                  'woken as its own C2 stopped')))
        print('   behind whose compiler:', ', '.join(f'{x} {v}' for x, v in sorted(counts.items()) if ' path ' in x))
    cpus = os.cpu_count()
    quiet = [s for s in slowest if sum(min(r[1], window(s)[1]) - max(r[0], window(s)[0])
                                       for r in near(runs, starts, *window(s)) if r[3] not in jvms
                                       and not r[5].startswith(('<idle>', 'swapper'))) < cpus * s[1] / 4]
    for s in quiet[:k]:
        a, b = window(s)
        print(f'record of {s[1]} us (stalls: {", ".join(sorted(stalls(runs, starts, a, b, jvms))) or "none"}):')
        chain(runs, starts, wakes, a, b, jvms)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
