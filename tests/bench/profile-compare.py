#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compares two kernels' step profiles (scripts/bench --profile).

    profile-compare.py REFERENCE.out PROJECT.out [--step STEP [--below FRAME] [--depth N]]

Each file is a guest's output of tests/bench/region-steps.sh with PROFILE set: "@@STEP TAG STEP NS"
lines (stepw) and "@@FOLD STEP FRAME..." lines (tests/tools/ksample: one kernel sample taken
during a step's write(2), leaf first). Without --step: per step, the median time on each kernel
and their ratio, the samples each kernel had in the step, the share of them saving a stack trace
(arch_stack_walk: KASAN, kmemleak, lockdep), and the module frames such a trace walks through on
average (a module frame costs the unwinder a module-tree and ORC lookup that a frame of the
kernel image does not). With --step: where that step's samples differ, as call paths of DEPTH
frames (default 3) below the first FRAME of each sample (default the sysfs write,
kernfs_fop_write_iter), per kernel, largest difference first.
"""
import argparse
import collections
import re
import statistics


def load(path):
    steps = collections.defaultdict(list)
    folds = collections.defaultdict(list)
    with open(path, errors="replace") as f:
        for line in f:
            p = line.split()
            # The first cycle is the unsampled warm-up.
            if line.startswith("@@STEP ") and len(p) == 4 and not p[1].endswith(":1"):
                steps[p[2]].append(int(p[3]))
            elif line.startswith("@@FOLD ") and len(p) > 2:
                folds[p[1]].append(p[2:])
    return steps, folds


def is_module(frame):
    return frame.endswith("]") and "[" in frame


def short(frame):
    """A Rust v0 symbol as its identifiers (crate names and disambiguators dropped)."""
    name, _, mod = frame.partition("[")
    if name.startswith("_R"):
        idents, i = [], 0
        while i < len(name):
            if name[i] in "BsC" and i + 1 < len(name) and name[i + 1] != "_":
                # A back-reference, disambiguator or crate hash: base 62 up to "_".
                i = name.find("_", i) + 1 or len(name)
                continue
            m = re.match(r"\d+", name[i:])
            if not m:
                i += 1
                continue
            n, i = int(m.group()), i + len(m.group())
            ident, i = name[i:i + n], i + n
            if len(ident) > 1 and ident not in ("cxl_region", "dax_cxl", "kernel", "core"):
                idents.append(ident)
        name = "::".join(idents)[:70]
    return name + ("[" + mod if mod else "")


def overview(ref, proj):
    ctl = [statistics.median(proj[0][s]) / statistics.median(ref[0][s])
           for s in ref[0] if s.startswith("dpa_") and s in proj[0]]
    if ctl:
        print(f"control steps (dpa_*, C on both kernels): ratios {min(ctl):.2f}-{max(ctl):.2f}, "
              "the boots' difference in speed")
    print(f"{'step':12} {'ref us':>8} {'proj us':>8} {'ratio':>6} {'samples':>13} "
          f"{'stack traces':>13} {'module frames':>14}")
    for step in ref[0]:
        if step not in proj[0]:
            continue
        a, b = statistics.median(ref[0][step]), statistics.median(proj[0][step])
        cols = []
        for folds in (ref[1].get(step, []), proj[1].get(step, [])):
            walks = [s for s in folds if "arch_stack_walk" in s]
            mods = sum(sum(map(is_module, s)) for s in walks) / len(walks) if walks else 0.0
            cols.append((len(folds), len(walks), mods))
        print(f"{step:12} {a / 1000:8.0f} {b / 1000:8.0f} {b / a:6.2f} "
              f"{cols[0][0]:6d} {cols[1][0]:6d} {cols[0][1]:6d} {cols[1][1]:6d} "
              f"{cols[0][2]:6.2f} {cols[1][2]:6.2f}")


def paths(folds, below, depth):
    c = collections.Counter()
    for s in folds:
        root_first = s[::-1]
        if below in root_first:
            i = root_first.index(below)
            c[" > ".join(short(x) for x in root_first[i + 1:i + 1 + depth])] += 1
        else:
            c["(not below " + below + ")"] += 1
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("project")
    ap.add_argument("--step")
    ap.add_argument("--below", default="kernfs_fop_write_iter")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    ref, proj = load(args.reference), load(args.project)
    if not args.step:
        overview(ref, proj)
        return
    a = paths(ref[1].get(args.step, []), args.below, args.depth)
    b = paths(proj[1].get(args.step, []), args.below, args.depth)
    print(f"{args.step}: samples reference {sum(a.values())}, project {sum(b.values())}")
    for k in sorted(set(a) | set(b), key=lambda k: -abs(b[k] - a[k]))[:args.top]:
        print(f"{a[k]:6d} {b[k]:6d} {b[k] - a[k]:+6d}  {k}")


if __name__ == "__main__":
    main()
