#!/usr/bin/env python3
"""Attributes the slowest records of a bench/e2e-tail.sh run to what both JVMs and the machine were doing.

  e2e-tail.py DIR N       run N of DIR: samplesN.txt against broker.jfr, clientN.jfr and schedN.data (if any)
  e2e-tail.py --jfc FILE  prints FILE (a JDK .jfc) with every compilation and safepoint recorded, no sampling

For the 10 slowest records (the p99.9's), the 100 slowest (the p99's) and 500 at random it counts the records whose
send-to-delivery interval overlaps each JFR event kind of either JVM, and, from the scheduler's trace, which threads
had the machine's CPUs during them: the records' own path, each JVM's JIT compilers or GC and VM threads, or other
processes. A kind that overlaps the slow records about as often as the random ones explains nothing.
"""
import bisect, collections, datetime, json, os, random, re, subprocess, sys

JFR_EVENTS = 'jdk.GCPhasePause,jdk.SafepointBegin,jdk.ExecuteVMOperation,jdk.Compilation,jdk.Deoptimization'
PATH_THREADS = ('vert.x-eventloo', 'sluice-storage-', 'java', 'main')  # client main, both loops, the storage pool


def jfc(default):
    s = open(default).read()
    def setting(event, name, value):
        nonlocal s
        m = re.search(r'<event name="%s">(.*?)</event>' % re.escape(event), s, re.S)
        body = re.sub(r'(<setting name="%s"[^>]*>)[^<]*' % name, r'\g<1>' + value, m.group(1))
        s = s[:m.start(1)] + body + s[m.end(1):]
    for e in ('jdk.Compilation', 'jdk.SafepointBegin', 'jdk.ExecuteVMOperation'):
        setting(e, 'threshold', '0 ms')
    for e in ('jdk.ExecutionSample', 'jdk.NativeMethodSample'):
        setting(e, 'enabled', 'false')
    setting('jdk.ThreadAllocationStatistics', 'period', '1 s')
    return s


def epoch_us(text):
    head, tail = text.replace('Z', '+00:00').split('.', 1)
    cut = re.search(r'[+-]', tail).start()
    base = datetime.datetime.fromisoformat(head + tail[cut:])
    return int(base.timestamp()) * 1_000_000 + int((tail[:cut] + '000000000')[:9]) // 1000


def duration_us(text):
    m = re.fullmatch(r'PT(?:(\d+)M)?([\d.]+)S', text or 'PT0S')
    return (int(m.group(1) or 0) * 60 + float(m.group(2))) * 1e6 if m else 0


def jfr_intervals(path, side):
    if not os.path.exists(path):
        return []  # JFR=0
    out = subprocess.run(['jfr', 'print', '--json', '--events', JFR_EVENTS, path], capture_output=True, text=True,
                         check=True).stdout
    spans = []
    for e in json.loads(out)['recording']['events']:
        v = e['values']
        kind = {'jdk.GCPhasePause': 'GC pause', 'jdk.SafepointBegin': 'safepoint', 'jdk.Deoptimization': 'deopt'}.get(
            e['type'])
        if e['type'] == 'jdk.Compilation':
            kind = 'C2 compile' if v['compileLevel'] == 4 else 'C1 compile'
        elif e['type'] == 'jdk.ExecuteVMOperation':
            if not v.get('safepoint'):
                continue
            kind = 'VM op ' + str(v.get('operation'))
        start = epoch_us(v['startTime'])
        what = ''
        if e['type'] in ('jdk.Compilation', 'jdk.Deoptimization') and v.get('method'):
            what = v['method']['type']['name'].rsplit('/', 1)[-1] + '.' + v['method']['name']
        spans.append((start, start + max(1, duration_us(v.get('duration'))), side + ' ' + kind, what))
    return spans


def scheduler_runs(d, n, broker, client):
    """(start, end, category, the thread's JVM and name or None) of every stretch a thread ran, in CLOCK_MONOTONIC microseconds."""
    text = subprocess.run(['perf', 'sched', 'timehist', '-i', f'{d}/sched{n}.data'], capture_output=True,
                          text=True).stdout
    line = re.compile(r'^\s*([\d.]+)\s+\[\d+\]\s+(.*?)\[(\d+)(?:/(\d+))?\]\s+[\d.]+\s+[\d.]+\s+([\d.]+)')
    runs = []
    for m in map(line.match, text.splitlines()):
        if m:
            end, pid, comm = float(m.group(1)) * 1e6, int(m.group(4) or m.group(3)), m.group(2).strip()
            label = ('broker ' if pid == broker else 'client ') + comm if pid in (broker, client) else None
            runs.append((end - float(m.group(5)) * 1000, end, category(pid, comm, broker, client), label))
    runs.sort()
    return runs


def category(pid, comm, broker, client):
    if pid not in (broker, client):
        return 'idle' if comm.startswith(('<idle>', 'swapper')) else 'other processes'
    side = 'broker ' if pid == broker else 'client '
    if comm.startswith(PATH_THREADS):
        return 'path threads'
    if 'Compile' in comm:
        return side + 'JIT compilers'
    if comm.startswith(('GC Thread', 'G1 ', 'VM Thread')):
        return side + 'GC and VM threads'
    return side + 'other threads'


def overlapping(spans, starts, a, b, longest=300_000):
    for s in spans[bisect.bisect_left(starts, a - longest):bisect.bisect_right(starts, b)]:
        if s[1] > a and s[0] < b:
            yield s


def main(d, n):
    samples = [tuple(map(int, l.split())) for l in open(f'{d}/samples{n}.txt')]
    broker, client = (int(open(f'{d}/{f}').read()) for f in ('broker.pid', f'client{n}.pid'))
    spans = sorted(jfr_intervals(f'{d}/broker.jfr', 'broker') + jfr_intervals(f'{d}/client{n}.jfr', 'client'))
    starts = [s[0] for s in spans]
    runs, ncpu = [], os.cpu_count()
    if os.path.exists(f'{d}/sched{n}.data'):
        runs = scheduler_runs(d, n, broker, client)
    run_starts = [r[0] for r in runs]
    offset = int(open(f'{d}/clock-offset{n}').read()) // 1000
    lats = sorted(s[1] for s in samples)
    pct = lambda p: lats[min(len(lats) - 1, int(p * len(lats)))]
    print(f'{len(samples)} records; p50 / p99 / p99.9 / max {pct(.5)} / {pct(.99)} / {pct(.999)} / {lats[-1]} us')
    if runs:
        first, last = samples[0][0] - offset, samples[-1][0] + samples[-1][1] - offset
        woken = collections.Counter(r[3] for r in runs if r[3] and first <= r[1] <= last)
        print('thread runs per record in the window:',
              ', '.join(f'{k} {v / len(samples):.2f}' for k, v in woken.most_common() if v >= len(samples) / 50))
    slowest = sorted(range(len(samples)), key=lambda i: -samples[i][1])
    random.seed(1)
    for name, chosen in (('10 slowest (p99.9)', slowest[:10]), ('100 slowest (p99)', slowest[:100]),
                         ('500 at random', random.sample(range(len(samples)), min(500, len(samples))))):
        kinds, cpu, taker = collections.Counter(), collections.Counter(), collections.Counter()
        for i in chosen:
            sent, lat = samples[i]
            kinds.update({s[2] for s in overlapping(spans, starts, sent, sent + lat)} or {'no JFR event'})
            if runs:
                a = sent - offset
                held = collections.Counter()
                for r in overlapping(runs, run_starts, a, a + lat):
                    held[r[2]] += min(r[1], a + lat) - max(r[0], a)
                held['idle'] += max(0, ncpu * lat - sum(held.values()))
                for k, v in held.items():
                    cpu[k] += v / (ncpu * lat) / len(chosen)
                others = {k: v for k, v in held.items() if k not in ('path threads', 'idle')}
                busy = sum(others.values()) >= ncpu * lat / 2
                taker[max(others, key=others.get) if busy else 'CPUs not mostly taken by others'] += 1
        print(f'{name}: overlapping', ', '.join(f'{k} {v}' for k, v in kinds.most_common()))
        busy = compiler_busy(spans, starts, [samples[i] for i in chosen])
        if spans:
            print('   share of their time a C2 compilation ran:', ', '.join(f'{k} {v:.0%}' for k, v in busy.items()))
        if runs:
            print('   CPU time during them:', ', '.join(f'{k} {v:.0%}' for k, v in cpu.most_common() if v >= 0.005))
            print('   records whose CPUs others held half or more, by the largest holder:',
                  ', '.join(f'{k} {v}' for k, v in taker.most_common()))
    if runs:
        quiet_records(samples, offset, runs, run_starts, spans, starts, ncpu)


def compiler_busy(spans, starts, records):
    """The share of the records' summed latency during which each JVM's C2 compiler was compiling (a 2-core
    machine's path threads share both cores with it); the same share over random records says what is usual."""
    busy, total = collections.Counter(), sum(lat for _, lat in records) or 1
    for sent, lat in records:
        for side in ('broker', 'client'):
            cover = [(max(s[0], sent), min(s[1], sent + lat)) for s in overlapping(spans, starts, sent, sent + lat)
                     if s[2] == side + ' C2 compile']
            busy[side] += union(cover)
    return {k: busy[k] / total for k in ('broker', 'client')}


def union(intervals):
    length, end = 0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            length, end = length + b - a, b
        elif b > end:
            length, end = length + b - end, b
    return length


def quiet_records(samples, offset, runs, run_starts, spans, starts, ncpu):
    """The slowest records during which other processes held under a quarter of the CPUs: a loaded machine's
    stand-in for a quiet one's tail."""
    quiet = []
    for sent, lat in samples:
        held, threads = collections.Counter(), collections.Counter()
        for r in overlapping(runs, run_starts, sent - offset, sent - offset + lat):
            span = min(r[1], sent - offset + lat) - max(r[0], sent - offset)
            held[r[2]] += span
            if r[3]:
                threads[r[3]] += span
        if held['other processes'] < ncpu * lat / 4:
            quiet.append((lat, sent, threads))
    quiet.sort(reverse=True)
    print(f'{len(quiet)} records with other processes on under a quarter of the CPUs; the slowest 5 (us, own threads'
          ' that ran during them, us; JFR events):')
    for lat, sent, threads in quiet[:5]:
        events = sorted({s[2] for s in overlapping(spans, starts, sent, sent + lat)})
        print(f'   {lat}:', ', '.join(f'{k} {v:.0f}' for k, v in threads.most_common(4)), '; ', ', '.join(events))
        compiled = sorted((s for s in overlapping(spans, starts, sent, sent + lat) if s[3]), key=lambda s: s[0] - s[1])
        if compiled:
            print('      compiling:', ', '.join(f'{s[2].split()[0]} {s[3]} {(s[1] - s[0]) / 1000:.1f} ms' for s in compiled[:3]))


if __name__ == '__main__':
    if sys.argv[1] == '--jfc':
        sys.stdout.write(jfc(sys.argv[2]))
    else:
        main(sys.argv[1], sys.argv[2])
