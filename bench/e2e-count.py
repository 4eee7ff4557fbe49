#!/usr/bin/env python3
"""Counts what the JIT compilers of both JVMs of a bench/e2e-count.sh run did, window by window (issue 16).

  e2e-count.py DIR [TOP]   DIR holds broker.jfr, client.jfr and samples.txt (the client's --samples)

Windows: "warm-up" from the client JVM's first recorded event to the first measured send, "measured" from there to the
last measured record's delivery. Per JVM and window: C1 and C2 compilations (count, summed compile time), the C2 time
by package (the first three name parts), and the bytes the JVM's threads allocated (jdk.ThreadAllocationStatistics,
sampled each second, so the window's edges are rounded to a second). Counted figures, not timed ones: they hold on a
loaded machine, where the latencies do not.
"""
import collections, json, subprocess, sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
from importlib import import_module

tail = import_module('e2e-tail')


def events(path, kinds):
    out = subprocess.run(['jfr', 'print', '--json', '--events', kinds, path], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)['recording']['events']


def package(method):
    t = method.get('type', {}).get('name', '?') if isinstance(method, dict) else '?'
    return '.'.join(t.replace('/', '.').split('.')[:3])


def compilations(path):
    rows = []
    for e in events(path, 'jdk.Compilation'):
        v = e['values']
        start = tail.epoch_us(v['startTime'])
        m = v.get('method') or {}
        name = package(m) + ' ' + (m.get('type', {}).get('name', '?') + '.' + m.get('name', '?'))
        rows.append((start, v['compileLevel'], tail.duration_us(v.get('duration')), name))
    return rows


def allocated(path):
    """(time, total bytes allocated by all threads so far) at each sample, from per-thread cumulative counters."""
    per_time = collections.defaultdict(dict)
    for e in events(path, 'jdk.ThreadAllocationStatistics'):
        v = e['values']
        tid = (v.get('thread') or {}).get('javaThreadId')
        per_time[tail.epoch_us(v['startTime']) // 1_000_000][tid] = v['allocated']
    last, series = {}, []
    for t in sorted(per_time):
        last.update(per_time[t])
        series.append((t * 1_000_000, sum(last.values())))
    return series


def at(series, t):
    before = [b for s, b in series if s <= t]
    return before[-1] if before else 0


def main(d, top=12):
    samples = [tuple(map(int, l.split())) for l in open(d + '/samples.txt')]
    first, end = samples[0][0], max(s + lat for s, lat in samples)
    client = compilations(d + '/client.jfr')
    start = min(r[0] for r in client)
    n = len(samples)
    for side in ('broker', 'client'):
        rows = compilations(d + '/' + side + '.jfr') if side == 'broker' else client
        alloc = allocated(d + '/' + side + '.jfr')
        for label, a, b in (('warm-up', start, first), ('measured', first, end)):
            w = [r for r in rows if a <= r[0] < b]
            c1 = [r for r in w if r[1] < 4]
            c2 = [r for r in w if r[1] == 4]
            print('%s %-8s C1 %4d (%5.2f s)  C2 %4d (%5.2f s)  allocated %.0f MB' % (
                side, label, len(c1), sum(r[2] for r in c1) / 1e6, len(c2), sum(r[2] for r in c2) / 1e6,
                (at(alloc, b) - at(alloc, a)) / 1e6), end='')
            print('  (%.0f B/record)' % ((at(alloc, b) - at(alloc, a)) / n) if label == 'measured' else '')
            if label == 'measured':
                by = collections.Counter()
                count = collections.Counter()
                for r in c2:
                    by[r[3].split(' ')[0]] += r[2]
                    count[r[3].split(' ')[0]] += 1
                for p, us in by.most_common(top):
                    print('    C2 %-28s %4d methods %5.2f s' % (p, count[p], us / 1e6))
        with open(d + '/' + side + '-c2-measured.txt', 'w') as f:
            for r in sorted((r for r in rows if first <= r[0] < end and r[1] == 4), key=lambda r: -r[2]):
                f.write('%8.1f ms %s\n' % (r[2] / 1e3, r[3].split(' ', 1)[1]))


if __name__ == '__main__':
    main(sys.argv[1], *(int(x) for x in sys.argv[2:3]))
