"""Broker CPU per 1,000 polls (empty topic) and per 1,000 records (record-batches polls) of a REST consumer instance,
dynamic vs static (group.instance.id), alternating, several pairs. Usage: polls.py URL PID PAIRS"""
import http.client, json, os, sys, time, urllib.parse

url, pid, pairs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
TICK = os.sysconf('SC_CLK_TCK')

def req(method, path, body=None, accept='application/vnd.kafka.json.v2+json'):
    h = {'Accept': accept}
    if body is not None:
        h['Content-Type'] = 'application/vnd.kafka.v2+json'
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise RuntimeError(f'{method} {path}: {r.status} {data[:200]}')
    return data

def cpu():
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK

def instance(group, static):
    s = {'name': 'c', 'format': 'json', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false'}
    if static:
        s['group.instance.id'] = 'pod-0'
    req('POST', f'/consumers/{group}', s)
    return f'/consumers/{group}/instances/c'

def run(i, static):
    kind = 'static' if static else 'dynamic'
    base = instance(f'e-{kind}-{i}', static)
    req('POST', base + '/subscription', {'topics': ['e']})
    for _ in range(20):
        req('GET', base + '/records?timeout=0')
    c0 = cpu()
    n = int(os.environ.get("POLLS", "2000"))
    for _ in range(n):
        req('GET', base + '/records?timeout=0')
    empty = (cpu() - c0) * 1000 / n * 1000  # ms per 1000 polls
    req('DELETE', base + '?group_membership_operation=leave_group')
    base = instance(f't-{kind}-{i}', static)
    req('POST', base + '/subscription', {'topics': ['t']})
    c0 = cpu()
    got = 0
    polls = 0
    while got < 200_000:
        body = req('GET', base + '/records?timeout=1000&max_bytes=1048576',
                   accept='application/vnd.sluice.record-batches')
        polls += 1
        # The batches format carries no count here: read the position from the assignment's lag instead.
        if polls % 5 == 0 or len(body) < 1000:
            req('POST', base + '/offsets')
            lag = json.loads(req('GET', f'/consumer-groups/t-{kind}-{i}/lags'))
            got = lag[0]['next_offset'] or 0 if lag else 0
            if len(body) < 1000 and got >= 200_000:
                break
    recs = (cpu() - c0) * 1000 / 200  # ms per 1000 records
    req('DELETE', base + '?group_membership_operation=leave_group')
    load = open('/proc/loadavg').read().split()[0]
    print(f'{kind:8s} pair {i}: {empty:7.1f} ms CPU per 1000 empty polls, {recs:6.2f} ms CPU per 1000 records '
          f'({polls} polls), load {load}', flush=True)

for i in range(pairs):
    run(i, i % 2 == 1)
    run(i, i % 2 == 0)
