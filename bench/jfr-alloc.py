#!/usr/bin/env python3
"""jfr-alloc.py FILE.jfr: bytes allocated per thread over a recording (last minus first ThreadAllocationStatistics)."""
import re, subprocess, sys, collections
out = subprocess.run(["jfr", "print", "--events", "jdk.ThreadAllocationStatistics", sys.argv[1]], capture_output=True, text=True).stdout
first, last = {}, {}
unit = {"bytes": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3}
for block in out.split("jdk.ThreadAllocationStatistics {")[1:]:
    a = re.search(r"allocated = ([\d.]+) (bytes|kB|MB|GB)", block); t = re.search(r'thread = "([^"]*)"', block)
    if not a or not t: continue
    v = float(a.group(1)) * unit[a.group(2)]
    first.setdefault(t.group(1), v); last[t.group(1)] = v
tot = 0; per = collections.Counter()
for k in last:
    d = last[k] - first[k]; tot += d; per[re.sub(r"\d+$", "N", k)] += d
print(f"total {tot/1e6:,.1f} MB")
for k, v in per.most_common(10): print(f"  {v/1e6:10,.1f} MB {k}")
