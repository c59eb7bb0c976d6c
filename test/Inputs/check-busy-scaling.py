#!/usr/bin/env python3
"""Checks trit-bench --json figures taken next to a busy competitor: the
generation speed with the most threads is at least 1/MAX_SLOWDOWN of the
speed with one thread. A coarse bound, not a benchmark: it only catches the
cliff where every parallel op waited a scheduler slice for a descheduled
worker (22x slower before the pool took chunks)."""
import argparse
import json
import sys

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("json_file")
parser.add_argument("--max-slowdown", type=float, required=True)
args = parser.parse_args()

with open(args.json_file) as f:
    report = json.load(f)
busy = report.get("busy_threads", 0)
generation = {r["threads"]: r["tps"] for r in report["results"]
              if r["test"].startswith("tg")}
if 1 not in generation or len(generation) < 2:
    sys.exit("need generation figures for 1 thread and more")
most = max(generation)
ratio = generation[1] / generation[most]
print(f"1 thread {generation[1]:.1f} tok/s, {most} threads {generation[most]:.1f}"
      f" tok/s next to {busy} busy: {ratio:.2f}x slower", file=sys.stderr)
if ratio > args.max_slowdown:
    print(f"{most} threads next to {busy} busy: {ratio:.2f}x slower than 1 "
          f"thread (bound {args.max_slowdown:g}x)")
    sys.exit(1)
print(f"{most} threads next to {busy} busy: within {args.max_slowdown:g}x of "
      f"1 thread")
