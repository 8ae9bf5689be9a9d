#!/usr/bin/env python3
"""How high can a one-run audit go against a Gaussian mechanism? (context for issue 15)

For a mechanism that is exactly mu-GDP with (eps, delta) = (EPS, 1e-6), simulate the ideal
white-box attack on m canaries (each score N(mu, 1) if included, N(0, 1) if not: the optimal
likelihood-ratio test of a Gaussian mechanism), and report the one-run lower bound (Steinke,
Nasr & Jagielski 2023, with its delta term) for the best (k+, k-) chosen *after* seeing the
scores — an optimistic ceiling, since a valid audit must fix the rule in advance or pay for
the search. DP-SGD's subsampled Gaussian is close to GDP after many steps.

Run: python3 scripts/audit/gaussian_ceiling.py [EPS ...]   (needs numpy and scipy; ~1 min)
"""

import math
import sys

import numpy as np
import scipy.optimize
import scipy.stats as st


def gdp_delta(mu, eps):
    """delta(eps) of mu-GDP (Dong, Roth & Su 2019)."""
    return st.norm.cdf(-eps / mu + mu / 2) - math.exp(eps) * st.norm.cdf(-eps / mu - mu / 2)


def mu_for(eps, delta):
    return scipy.optimize.brentq(lambda mu: gdp_delta(mu, eps) - delta, 1e-3, 50)


def p_value(m, r, v, eps, delta):
    q = 1 / (1 + math.exp(-eps))
    beta = st.binom.sf(v - 1, r, q)
    i = np.arange(1, v + 1)
    alpha = np.max((st.binom.sf(v - i - 1, r, q) - beta) / i, initial=0.0)
    return min(1.0, beta + 2 * m * delta * alpha)


def bound(m, r, v, delta, significance):
    if v == 0 or p_value(m, r, v, 0, delta) > significance:
        return 0.0
    lo, hi = 0.0, 1.0
    while p_value(m, r, v, hi, delta) <= significance:
        hi *= 2
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p_value(m, r, v, mid, delta) <= significance else (lo, mid)
    return lo


def main():
    epsilons = [float(a) for a in sys.argv[1:]] or [1.0, 3.0, 10.0]
    m, delta, runs = 1000, 1e-6, 10
    rng = np.random.default_rng(0)
    ks = [0, 10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 500]
    for eps in epsilons:
        mu = mu_for(eps, delta)
        best = []
        for _ in range(runs):
            inc = rng.random(m) < 0.5
            order = np.argsort(-(rng.normal(0, 1, m) + mu * inc))
            top = np.concatenate([[0], np.cumsum(inc[order])])
            bottom = np.concatenate([[0], np.cumsum(~inc[order[::-1]])])
            b = max(
                bound(m, kp + km, int(top[kp] + bottom[km]), delta, 0.05)
                for kp in ks for km in ks if 0 < kp + km <= m
            )
            best.append(b)
        print(f"eps {eps}: mu = {mu:.3f}; best one-run bound with m = {m} (rule chosen after "
              f"the fact): mean {np.mean(best):.2f}, max {np.max(best):.2f} over {runs} runs")


if __name__ == "__main__":
    main()
