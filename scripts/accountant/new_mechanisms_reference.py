#!/usr/bin/env python3
"""Independent reference values for the accountant's newer mechanisms (issues 12, 14, 16).

Needs: mpmath (tested with mpmath 1.3.0). Usage:

    python3 scripts/accountant/new_mechanisms_reference.py [OUT]

OUT defaults to crates/tabveil-accountant/tests/data/new_mechanisms_reference.json (relative
to the repository root, found from this file's location). Everything is computed from the
definitions, at 50 digits, without any of tabveil's code:

* discrete Gaussian (Canonne, Kamath & Steinke 2020): the exact (epsilon, delta) of k releases
  of an integer query of sensitivity 1 with N_Z(0, sigma^2) noise. The privacy loss of k
  releases depends only on the sum S of the k noise values, so
  delta(eps) = sum_s max(0, Q_k(s - k) - e^eps Q_k(s)), with Q_k the k-fold convolution of the
  discrete Gaussian pmf (support |y| <= 14 sigma + 6, mass beyond < 1e-40).
* exponential mechanism as an eps-bounded-range mechanism (Dong, Durfee & Rogers 2020): the
  least pair dominating every eps-BR mechanism has privacy-loss density
  e^{eps/2} e^{y/2} / (2(e^eps - 1)) on [-eps, eps]; k copies composed have density
  c^k e^{s/2} (2 eps)^k g_k(s), g_k the density of a sum of k uniforms on [-eps, eps]
  (Irwin-Hall), because the product of the e^{y_i/2} depends only on the sum.
  delta(eps') = integral of (1 - e^{eps' - s}) over s > eps'. For one run this is the exact
  worst case over the class; for k runs it is an upper bound (`epsilon_dominating_pair`).
  A lower bound on the true worst case (`epsilon_grr_lower`): k runs of one generalised
  randomised response GRR_t (itself eps-BR; losses (1-t)eps and -t eps), composed exactly
  (binomial), maximised over t in {0.05, 0.10, ..., 0.95}.
* RDP of a ledger of Gaussian and exponential-mechanism releases: per order,
  sum count * alpha / (2 sigma^2) + sum count * min(alpha eps^2 / 8, eps), converted by Balle et
  al. (2020) over tabveil's default orders (Opacus' 151, plus 11 and round(64 * 2^(k/4)),
  k = 0..24); and the pure zCDP value with rho = sum count / (2 sigma^2) + sum count eps^2 / 8.
* Gaussian thresholding (Desfontaines et al. 2022): delta_tau = Phi((1 - tau) / sigma) per run,
  additive delta 1 - prod (1 - delta_tau)^count; epsilon at delta minus it, by RDP and by the
  exact mu-GDP of the Gaussian parts.

epsilon(delta) is found by bisection to 1e-13 relative (the function is monotone).
"""
import json
import os
import sys

import mpmath as mp

mp.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', '..', 'crates', 'tabveil-accountant', 'tests', 'data',
                           'new_mechanisms_reference.json')


def solve_epsilon(delta_of, delta, hi=mp.mpf(1)):
    """The smallest eps >= 0 with delta_of(eps) <= delta (delta_of decreasing)."""
    delta = mp.mpf(delta)
    if delta_of(mp.mpf(0)) <= delta:
        return mp.mpf(0)
    while delta_of(hi) > delta:
        hi *= 2
    lo = mp.mpf(0)
    for _ in range(200):
        mid = (lo + hi) / 2
        if delta_of(mid) > delta:
            lo = mid
        else:
            hi = mid
        if hi - lo < mp.mpf('1e-15') * hi:
            break
    return hi


# ---------------------------------------------------------------------------------------------
# discrete Gaussian

def dg_pmf(sigma):
    sigma = mp.mpf(sigma)
    reach = int(mp.ceil(14 * sigma)) + 6
    weights = [mp.exp(-mp.mpf(y) ** 2 / (2 * sigma ** 2)) for y in range(-reach, reach + 1)]
    z = mp.fsum(weights)
    return reach, [w / z for w in weights]


def convolve(a, b):
    out = [mp.mpf(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        if x == 0:
            continue
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def dg_delta_function(sigma, count):
    reach, pmf = dg_pmf(sigma)
    q = pmf
    for _ in range(count - 1):
        q = convolve(q, pmf)
    offset = reach * count  # q[i] is P[S = i - offset]

    def delta_of(eps):
        e = mp.exp(eps)
        total = mp.mpf(0)
        # P_k(s) = Q_k(s - count): index i of P is index i - count of Q.
        for i in range(len(q) + count):
            p = q[i - count] if 0 <= i - count < len(q) else mp.mpf(0)
            qq = q[i] if i < len(q) else mp.mpf(0)
            d = p - e * qq
            if d > 0:
                total += d
        return total

    return delta_of


def gaussian_exact_epsilon(mu, delta):
    mu = mp.mpf(mu)

    def delta_of(eps):
        return mp.ncdf(-eps / mu + mu / 2) - mp.exp(eps) * mp.ncdf(-eps / mu - mu / 2)

    return solve_epsilon(delta_of, delta)


def discrete_gaussian_cases():
    cases = []
    for sigma in [0.9, 2.5, 7.0]:
        for count in [1, 3, 12]:
            if sigma == 7.0 and count == 12:
                count = 6  # keeps the convolution quick
            delta_of = dg_delta_function(sigma, count)
            for delta in [1e-5, 1e-9]:
                eps = solve_epsilon(delta_of, delta)
                cases.append({
                    'sigma': sigma,
                    'count': count,
                    'delta': delta,
                    'epsilon_exact': float(eps),
                    'epsilon_continuous_gaussian': float(
                        gaussian_exact_epsilon(mp.sqrt(count) / sigma, delta)),
                })
                print('dg', sigma, count, delta, float(eps), file=sys.stderr)
    return cases


# ---------------------------------------------------------------------------------------------
# bounded range (exponential mechanism)

def irwin_hall_density(k, x):
    """Density of the sum of k independent U(0, 1) at x."""
    if x <= 0 or x >= k:
        return mp.mpf(0)
    total = mp.mpf(0)
    for j in range(int(mp.floor(x)) + 1):
        total += (-1) ** j * mp.binomial(k, j) * (x - j) ** (k - 1)
    return total / mp.factorial(k - 1)


def br_delta_function(eps_run, count):
    e = mp.mpf(eps_run)
    c = mp.exp(e / 2) / (2 * mp.expm1(e))

    def density(s):
        # sum of count uniforms on [-e, e]: g(s) = f_IH((s + count e)/(2e)) / (2e)
        g = irwin_hall_density(count, (s + count * e) / (2 * e)) / (2 * e)
        return c ** count * mp.exp(s / 2) * (2 * e) ** count * g

    breaks = [-count * e + 2 * e * j for j in range(count + 1)]

    def delta_of(eps):
        lo = max(eps, -count * e)
        if lo >= count * e:
            return mp.mpf(0)
        pts = [lo] + [b for b in breaks if lo < b < count * e] + [count * e]
        return mp.quad(lambda s: (1 - mp.exp(eps - s)) * density(s), pts)

    return delta_of


def grr_delta_function(eps_run, count, t):
    e, t = mp.mpf(eps_run), mp.mpf(t)
    p = (mp.exp(e) - mp.exp((1 - t) * e)) / mp.expm1(e)  # P(first outcome) under P
    terms = [(mp.binomial(count, j) * p ** j * (1 - p) ** (count - j),
              j * (1 - t) * e - (count - j) * t * e) for j in range(count + 1)]

    def delta_of(eps):
        return mp.fsum(w * (1 - mp.exp(eps - loss)) for w, loss in terms if loss > eps)

    return delta_of


def bounded_range_cases():
    cases = []
    for eps_run in [0.1, 0.5, 1.0]:
        for count in [1, 5, 20]:
            delta_of = br_delta_function(eps_run, count)
            for delta in [1e-5]:
                eps = solve_epsilon(delta_of, delta)
                lower = max(solve_epsilon(grr_delta_function(eps_run, count, t / 20), delta)
                            for t in range(1, 20))
                cases.append({
                    'epsilon_run': eps_run,
                    'count': count,
                    'delta': delta,
                    'epsilon_dominating_pair': float(eps),
                    'epsilon_grr_lower': float(lower),
                })
                print('br', eps_run, count, float(eps), float(lower), file=sys.stderr)
    return cases


# ---------------------------------------------------------------------------------------------
# RDP of mixed ledgers

def default_orders():
    orders = [1 + x / 10 for x in range(1, 100)] + [float(a) for a in range(12, 64)] + [11.0]
    for k in range(25):
        orders.append(float(round(64 * 2 ** (k / 4))))
    return sorted(set(orders))


def balle(rdp, alpha, delta):
    a = mp.mpf(alpha)
    return rdp + mp.log((a - 1) / a) - (mp.log(delta) + mp.log(a)) / (a - 1)


def rdp_epsilon(gaussians, ems, delta, cap=True):
    best = mp.inf
    for alpha in default_orders():
        a = mp.mpf(alpha)
        rdp = mp.mpf(0)
        for sigma, count in gaussians:
            rdp += count * a / (2 * mp.mpf(sigma) ** 2)
        for eps_run, count in ems:
            e = mp.mpf(eps_run)
            per = a * e * e / 8
            rdp += count * (min(per, e) if cap else per)
        best = min(best, balle(rdp, alpha, mp.mpf(delta)))
    return max(best, mp.mpf(0))


def rdp_ledger_cases():
    cases = []
    for gaussians, ems, delta in [
        ([(5.0, 15)], [(0.1, 40)], 1e-6),
        ([(20.0, 3)], [(0.5, 10)], 1e-5),
        ([(2.0, 1)], [(0.05, 200)], 1e-8),
        ([(8.0, 15), (3.0, 2)], [(1.0, 3), (0.2, 25)], 1e-6),
    ]:
        rho = mp.fsum(c / (2 * mp.mpf(s) ** 2) for s, c in gaussians) + \
            mp.fsum(c * mp.mpf(e) ** 2 / 8 for e, c in ems)
        cases.append({
            'gaussians': [[s, c] for s, c in gaussians],
            'exponential_mechanisms': [[e, c] for e, c in ems],
            'delta': delta,
            'rho': float(rho),
            'epsilon_rdp': float(rdp_epsilon(gaussians, ems, delta)),
            'epsilon_zcdp_on_orders': float(rdp_epsilon(gaussians, ems, delta, cap=False)),
        })
    return cases


# ---------------------------------------------------------------------------------------------
# Gaussian thresholding

def threshold_cases():
    cases = []
    for thresholds, gaussians, delta in [
        ([(3.0, 20.0, 5)], [(5.0, 10)], 1e-6),
        ([(10.0, 60.0, 15)], [], 1e-5),
        ([(2.0, 12.0, 3), (4.0, 25.0, 2)], [(30.0, 1)], 1e-7),
    ]:
        log_keep = mp.mpf(0)
        for sigma, tau, count in thresholds:
            d = mp.ncdf((1 - mp.mpf(tau)) / sigma)
            log_keep += count * mp.log1p(-d)
        additive = -mp.expm1(log_keep)
        rest = mp.mpf(delta) - additive
        parts = [(s, c) for s, _, c in thresholds] + gaussians
        mu = mp.sqrt(mp.fsum(c / mp.mpf(s) ** 2 for s, c in parts))
        cases.append({
            'thresholds': [[s, t, c] for s, t, c in thresholds],
            'gaussians': [[s, c] for s, c in gaussians],
            'delta': delta,
            'additive_delta': float(additive),
            'epsilon_rdp': float(rdp_epsilon(parts, [], rest)),
            'epsilon_exact_gaussian_part': float(gaussian_exact_epsilon(mu, rest)),
        })
    return cases


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    data = {
        'generator': 'scripts/accountant/new_mechanisms_reference.py',
        'mpmath': mp.__version__,
        'discrete_gaussian': discrete_gaussian_cases(),
        'bounded_range': bounded_range_cases(),
        'rdp_ledgers': rdp_ledger_cases(),
        'gaussian_thresholds': threshold_cases(),
    }
    with open(out, 'w') as f:
        json.dump(data, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
