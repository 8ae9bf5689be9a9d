#!/usr/bin/env python3
"""Extra ground truth for the RDP of the Poisson-subsampled Gaussian, by direct quadrature.

Needs: a Python with mpmath (tested with mpmath 1.3.0; `$ACC_PYTHON` of CONTRIBUTING.md or any
python3 with mpmath): `"$ACC_PYTHON" scripts/accountant/rdp_ground_truth.py`.
Writes crates/tabveil-accountant/tests/data/rdp_quadrature.json.

A_alpha = E_{z ~ N(0, s^2)} [(1 - q + q r(z))^alpha],  r(z) = exp((2z - 1) / (2 s^2)),
RDP = log(A_alpha) / (alpha - 1).  To keep tiny values exact we integrate
A_alpha - 1 = E[(1 - q + q r)^alpha - 1 - alpha q (r - 1)]  (E[r] = 1, the integrand is >= 0),
at 40 digits, with the integration range split where the integrand changes shape.
The check at the end compares with the 50-digit values of accountant_reference.json.
"""
import json
import os
import sys

import mpmath as mp

mp.mp.dps = 40
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', '..', 'crates', 'tabveil-accountant', 'tests', 'data')


def rdp(q, sigma, alpha):
    q, s, a = mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha)
    s2 = s * s

    def f(z):
        r = mp.exp((2 * z - 1) / (2 * s2))
        g = (1 - q + q * r) ** a - 1 - a * q * (r - 1)
        return mp.npdf(z, 0, s) * g

    z0 = s2 * mp.log(1 / q - 1) + mp.mpf(1) / 2 if q < 1 else mp.mpf(0)
    pts = sorted({-12 * s, -4 * s, mp.mpf(0), mp.mpf(1) / 2, z0, a, a - 4 * s, a + 4 * s,
                  a + 12 * s, z0 + 4 * s, z0 - 4 * s})
    pts = [-mp.inf] + pts + [mp.inf]
    am1 = mp.quad(f, pts, maxdegree=10)
    return mp.log1p(am1) / (a - 1)


def main():
    ref = json.load(open(os.path.join(DATA, 'accountant_reference.json')))
    worst = 0
    for g in ref['rdp_ground_truth'][::7]:
        v = rdp(g['q'], g['sigma'], g['order'])
        e = abs((v - g['rdp_true']) / g['rdp_true'])
        worst = max(worst, e)
    print('check vs accountant_reference.json rdp_true: worst rel', mp.nstr(worst, 3), file=sys.stderr)
    assert worst < 1e-14, worst
    cases = []
    for q in [1e-4, 0.01, 0.5, 0.999]:
        for sigma in [0.4, 1.1, 5.0, 100.0]:
            for alpha in [1.05, 1.5, 2, 2.5, 5.7, 10.9, 12, 33.3, 64, 256, 1024]:
                v = rdp(q, sigma, alpha)
                cases.append({'q': q, 'sigma': sigma, 'order': alpha, 'rdp': float(v)})
                print(q, sigma, alpha, mp.nstr(v, 17), file=sys.stderr)
    out = {'generator': 'scripts/accountant/rdp_ground_truth.py (mpmath %s, 40 digits, quadrature)' % mp.__version__,
           'cases': cases}
    with open(os.path.join(DATA, 'rdp_quadrature.json'), 'w') as fh:
        json.dump(out, fh, indent=1)


if __name__ == '__main__':
    main()
