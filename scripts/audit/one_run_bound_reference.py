#!/usr/bin/env python3
"""Reference values for the one-run audit bound of tabveil-audit (`bound` module).

Steinke, Nasr & Jagielski, "Privacy auditing with one (1) training run" (NeurIPS 2023),
Theorem 3.1 with the delta term of their Proposition 5.x: if an algorithm is (eps, delta)-DP, m
canaries are each included independently with probability 1/2, and an auditor makes r guesses
(abstaining on the rest), then the number V of correct guesses satisfies, for every v,

    P[V >= v] <= f(v) + 2 m delta * max_{i = 1..v} (f(v - i) - f(v)) / i,
    f(v) = P[Binomial(r, e^eps / (1 + e^eps)) >= v].

The lower bound at significance beta is the largest eps whose right-hand side (the p-value) is
at most beta.

This script computes both in multiple-precision arithmetic (mpmath, 40 digits) with no shared
code with the Rust implementation, and cross-checks the p-values against scipy's binomial tail.
It writes `crates/tabveil-audit/tests/data/one_run_bound_reference.json` (or the path given as
the first argument).

Run: python3 scripts/audit/one_run_bound_reference.py [OUT.json]
(needs mpmath and scipy; any recent version; about two minutes)
"""

import json
import math
import os
import sys

import mpmath as mp
import scipy
import scipy.stats

mp.mp.dps = 40


def p_value(m, r, v, eps, delta):
    """The paper's p-value bound, exactly (up to 40 digits)."""
    if v == 0:
        return mp.mpf(1)
    eps = mp.mpf(eps)
    q = 1 / (1 + mp.exp(-eps))
    # pmf(k) by the ratio recurrence from pmf(0) = (1 - q)^r (exact in 40 digits; mpmath's
    # exponent range has no underflow).
    ratio = q / (1 - q)
    pmf = [(1 - q) ** r]
    for k in range(r):
        pmf.append(pmf[-1] * (r - k) / (k + 1) * ratio)
    tail = mp.fsum(pmf[v:])
    alpha = mp.mpf(0)
    run = mp.mpf(0)
    for i in range(1, v + 1):
        run += pmf[v - i]
        alpha = max(alpha, run / i)
    return min(mp.mpf(1), tail + 2 * m * mp.mpf(delta) * alpha)


def lower_bound(m, r, v, delta, beta):
    """Largest eps with p_value <= beta (0 when even eps = 0 is not rejected).

    A scan over a fine grid finds the last grid point that is rejected, then bisection narrows
    the crossing above it to 1e-12."""
    beta = mp.mpf(beta)
    if p_value(m, r, v, 0, delta) > beta:
        return 0.0
    hi = mp.mpf(1)
    while p_value(m, r, v, hi, delta) <= beta:
        hi *= 2
    grid = [hi * k / 200 for k in range(201)]
    rejected = [p_value(m, r, v, g, delta) <= beta for g in grid]
    last = max(k for k, ok in enumerate(rejected) if ok)
    lo, up = grid[last], grid[last + 1]
    for _ in range(60):
        mid = (lo + up) / 2
        if p_value(m, r, v, mid, delta) <= beta:
            lo = mid
        else:
            up = mid
    return float(lo)


def scipy_p_value(m, r, v, eps, delta):
    q = 1 / (1 + math.exp(-eps))
    tail = scipy.stats.binom.sf(v - 1, r, q)
    alpha, run = 0.0, 0.0
    for i in range(1, v + 1):
        run += scipy.stats.binom.pmf(v - i, r, q)
        alpha = max(alpha, run / i)
    return min(1.0, tail + 2 * m * delta * alpha)


# (m, r, v, delta, beta): small and large m, with and without delta, perfect and imperfect
# guessing, a count at chance (bound 0) and a delta term that dominates.
BOUND_CASES = [
    (1000, 100, 90, 1e-6, 0.05),
    (1000, 1000, 1000, 1e-6, 0.05),
    (1000, 500, 500, 0.0, 0.05),
    (1000, 500, 500, 1e-6, 0.05),
    (100, 50, 30, 1e-5, 0.05),
    (1000, 200, 100, 1e-6, 0.05),
    (1000, 20, 20, 1e-6, 0.05),
    (1000, 1000, 700, 1e-6, 0.0025),
    (1000, 100, 95, 1e-3, 0.05),
    (5000, 2000, 1900, 1e-6, 0.01),
    (10, 10, 10, 0.0, 0.05),
    (1000, 300, 250, 1e-6, 0.05 / 24),
]

# (m, r, v, eps, delta): p-values at fixed eps, down to the far tail (log-space matters).
P_CASES = [
    (1000, 100, 90, 1.0, 1e-6),
    (1000, 100, 90, 3.0, 1e-6),
    (1000, 1000, 1000, 2.0, 0.0),
    (1000, 1000, 900, 1.0, 1e-6),
    (1000, 1000, 600, 0.1, 1e-6),
    (100, 50, 30, 0.5, 1e-5),
    (1000, 500, 10, 1.0, 1e-6),
    (5000, 2000, 1900, 2.5, 1e-6),
    (1000, 100, 95, 2.0, 1e-3),
    (1000, 200, 0, 1.0, 1e-6),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "crates", "tabveil-audit", "tests", "data",
                           "one_run_bound_reference.json")
    out = sys.argv[1] if len(sys.argv) > 1 else default
    p_cases = []
    for (m, r, v, eps, delta) in P_CASES:
        exact = p_value(m, r, v, eps, delta)
        sp = scipy_p_value(m, r, v, eps, delta)
        # scipy agrees where its double precision can (tiny tails lose digits there).
        if exact > 1e-250:
            assert abs(float(exact) - sp) <= 1e-9 * float(exact) + 1e-300, (m, r, v, eps, exact, sp)
        p_cases.append({
            "m": m, "r": r, "v": v, "epsilon": eps, "delta": delta,
            "p_value": float(exact),
            "log_p_value": float(mp.log(exact)) if exact > 0 else None,
        })
    bound_cases = []
    for (m, r, v, delta, beta) in BOUND_CASES:
        eps = lower_bound(m, r, v, delta, beta)
        bound_cases.append({
            "m": m, "r": r, "v": v, "delta": delta, "significance": beta,
            "epsilon_lower_bound": eps,
            "p_value_at_bound": float(p_value(m, r, v, eps, delta)),
        })
    doc = {
        "source": "scripts/audit/one_run_bound_reference.py (mpmath %s, 40 digits; p-values "
                  "cross-checked with scipy %s)" % (mp.__version__, scipy.__version__),
        "theorem": "Steinke, Nasr, Jagielski (NeurIPS 2023): P[V >= v] <= f(v) + 2 m delta "
                   "max_i (f(v-i) - f(v))/i, f(v) = P[Bin(r, e^eps/(1+e^eps)) >= v]",
        "p_values": p_cases,
        "bounds": bound_cases,
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
