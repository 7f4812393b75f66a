#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Compares the "@@G" lines of tests/bench/graph-steps.sh on the reference and project bench
# kernels: per step, the traced functions called a different number of times first (COUNT), then
# those whose time differs most, with their calls per cycle (time under the graph tracer is
# inflated and noisy: the counts are the finding).  graph-compare.py REF.out PROJ.out CYCLES
import sys, collections
def load(p):
    d = collections.defaultdict(lambda: [0, 0.0])
    for l in open(p, errors='replace'):
        l = l.replace('\r', '')
        i = l.find('@@G ')
        if i < 0: continue
        w = l[i:].split()
        if len(w) != 5: continue
        _, s, f, n, t = w
        d[(s, f)][0] += int(n); d[(s, f)][1] += float(t)
    return d
r, p = load(sys.argv[1]), load(sys.argv[2])
cycles = int(sys.argv[3]) if len(sys.argv) > 3 else 6
for step in ('create', 'ways', 'granularity', 'attach', 'decommit', 'detach', 'delete'):
    keys = {f for (s, f) in set(r) | set(p) if s == step}
    tr = r.get((step, 'dev_attr_store'), [0, 0])[1] / cycles
    tp = p.get((step, 'dev_attr_store'), [0, 0])[1] / cycles
    print(f"== {step}: dev_attr_store reference {tr:.1f} us, project {tp:.1f} us per call ({tp / tr if tr else 0:.2f})")
    rows = []
    for f in keys:
        a = r.get((step, f), [0, 0]); b = p.get((step, f), [0, 0])
        rows.append((abs(b[1] - a[1]), f, a[0] / cycles, b[0] / cycles, a[1] / cycles, b[1] / cycles))
    rows.sort(key=lambda x: (x[2] != x[3], x[0]), reverse=True)
    for _, f, an, bn, at, bt in rows[:25]:
        mark = '  COUNT' if an != bn else ''
        print(f"  {f:45s} calls {an:6.1f} {bn:6.1f}  us {at:9.1f} {bt:9.1f}{mark}")
