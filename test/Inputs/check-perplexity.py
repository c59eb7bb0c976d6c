#!/usr/bin/env python3
"""Checks trit-perplexity's result against the NumPy reference's and a bound.

Usage: check-perplexity.py COMPILED_OUTPUT REFERENCE_OUTPUT --max-rel R --bound B
The compiled output holds "Final estimate: PPL = X +/- E"; the reference's
"PPL = Y". Requires |X - Y| <= R * Y (the same arithmetic up to float
rounding and the rare flipped int8 code) and X < B (a regression bound).
"""
import argparse
import re
import sys

p = argparse.ArgumentParser()
p.add_argument("compiled")
p.add_argument("reference")
p.add_argument("--max-rel", type=float, required=True)
p.add_argument("--bound", type=float, required=True)
a = p.parse_args()
x = float(re.search(r"Final estimate: PPL = ([0-9.]+)", open(a.compiled).read()).group(1))
y = float(re.search(r"PPL = ([0-9.]+)", open(a.reference).read()).group(1))
rel = abs(x - y) / y
print("compiled %.4f, reference %.4f, relative difference %.2g, bound %g" % (x, y, rel, a.bound))
if rel > a.max_rel:
    sys.exit("the compiled model's perplexity differs from the reference's")
if x >= a.bound:
    sys.exit("perplexity %.4f is not below the recorded bound %g" % (x, a.bound))
print("perplexity ok")
