#!/usr/bin/env python3
"""Regenerates the accountant reference vectors,
crates/tabveil-accountant/tests/data/accountant_reference.json (layout: the README beside it).

Needs a Python with (the versions of the committed file):
    opacus==1.6.0 dp-accounting==0.6.0 prv-accountant==0.2.0 mpmath==1.3.0
(opacus pulls torch, CPU is enough; see CONTRIBUTING.md, ACC_PYTHON). Run from anywhere:

    "$ACC_PYTHON" scripts/accountant/accountant_reference.py [--out FILE] [--subset-of FILE]
        [--sections cases,rdp_ground_truth,noise_multiplier,timings] [--ids 0,1,300]
        [--timeout 300] [--reps 3] [--compare FILE [--tolerance 1e-9]]

--out defaults to the committed file (paths are relative to the repository root, whatever the
working directory); a partial run (--ids, --sections) must name its own --out. The committed
run took 19 minutes on a 2-core machine.

What it computes, for the Poisson-subsampled Gaussian (add/remove one row, sensitivity 1,
sigma = noise multiplier; a segment [q, sigma, steps] with q = 1 is a plain Gaussian):

- cases[]: every case id of the enumeration below, ε at δ from
  Opacus RDP (its 151 default orders), dp_accounting RDP (its 156 orders), Opacus' RDP formula on
  dp_accounting's orders and on a dense grid (1.01…4096), Opacus PRV (upper; lower/estimate in
  opacus_prv_detail), dp_accounting PLD (1e-4, pessimistic connect-the-dots), Opacus GDP (Poisson
  and uniform, CLT: not a bound), the exact ε of a composed Gaussian for q = 1 (mpmath), and for
  the bracket cases the PLD at 1e-5 (pessimistic upper, optimistic lower) and Microsoft's
  prv_accountant. Opacus PRV is skipped when its domain would need more than 4e7 points; each
  expensive call runs in a child process with a timeout, and its failure is recorded in
  `errors` (`timeout: > 300 s`, `error: worker died (EOF)` for a process killed by the
  system, or the exception).
- rdp_ground_truth[]: single-step RDP at one order, 50 digits (mpmath: exact binomial sum at
  integer orders, quadrature at fractional ones), next to Opacus' and dp_accounting's value.
- noise_multiplier[]: calibration (target ε, δ, q, steps): Opacus' get_noise_multiplier (RDP and
  PRV) and the precise root (brentq, xtol 1e-10 / 1e-6), dp_accounting's calibrate_dp_mechanism
  (RDP and PLD, tol 1e-6, brackets from Opacus' RDP answer).
- timings: one ε query at 10^5 steps of the MNIST setting per library (median of --reps), and
  the noise-multiplier searches.

The committed file holds a subset of the enumerated cases (240 of the 300 grid cases, 260 of
the 325 ground-truth triples); `--subset-of FILE` keeps exactly the case ids and ground-truth
(q, σ, order) triples of FILE, so that a rerun can be compared line by line. Timings and
`*_seconds` fields depend on the machine; everything else should agree with the committed
values to the libraries' own precision; `--compare FILE` lists what does not (timings and
*_seconds are left out of the comparison). Checked against the committed file: the cases of ids 0-3, 48, 49, 300,
304, 305, 316 and 317 (every field, brackets and prv_accountant included), all 260
ground-truth rows, and every σ and ε of noise_multiplier and timings agree to 1e-12 relative
or better, except Opacus-PRV's `sigma_precise` (and the ε at it), which differ by up to 1.4e-6
relative: within the xtol 1e-6 of that root search on a stepwise ε(σ).
"""
import argparse
import datetime
import json
import math
import multiprocessing as mp_proc
import os
import platform
import statistics
import sys
import time
import traceback
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(ROOT, 'crates', 'tabveil-accountant', 'tests', 'data',
                           'accountant_reference.json')

Q_MNIST = 256 / 60000
GRID_Q = [0.001, Q_MNIST, 0.01, 0.05, 0.2, 1.0]
GRID_SIGMA = [0.5, 0.8, 1.1, 2.0, 5.0]
GRID_STEPS = [1, 100, 1000, 10000, 100000]
DELTAS = [1e-5, 1e-6]
GAUSSIAN_SIGMAS = [0.5, 1.0, 2.0, 5.0, 10.0, 50.0]
HETEROGENEOUS = [
    ('two_phase', [[0.01, 1.0, 500], [0.05, 2.0, 300]]),
    ('decreasing_noise', [[0.01, 2.0, 1000], [0.01, 1.5, 1000], [0.01, 1.0, 1000]]),
    ('stats_then_sgd', [[1.0, 10.0, 1], [Q_MNIST, 1.1, 14063]]),
]
# Compositions that also get the PLD at 1e-5 bracket and prv_accountant (besides all the
# MNIST and heterogeneous cases).
BRACKET_SEGMENTS = [
    [[0.001, 5.0, 100000]], [[Q_MNIST, 1.1, 100000]], [[0.01, 1.1, 1000]],
    [[0.05, 2.0, 10000]], [[0.2, 0.8, 100]], [[1.0, 2.0, 100]],
]
GT_Q = [0.001, Q_MNIST, 0.01, 0.05, 0.2]
GT_SIGMA = [0.5, 0.8, 1.1, 2.0, 5.0]
GT_ORDERS = [1.1, 1.5, 2, 2.5, 4.5, 8, 10.9, 16, 32, 63, 128, 256, 1024]
NM_TARGETS = [0.5, 1.0, 3.0]
NM_Q = [Q_MNIST, 0.05]
NM_STEPS = [1000, 10000]

EPS_ERROR = 0.01          # Opacus PRV default; delta_error = delta / 1000
PRV_MAX_POINTS = 4e7
PLD_INTERVAL = 1e-4
PLD_FINE_INTERVAL = 1e-5

OPACUS_ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
DPACC_ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024]
DENSE_ORDERS = ([round(1 + k / 100, 2) for k in range(1, 1000)] + list(range(11, 257))
                + list(range(288, 4097, 32)))


# ---------------------------------------------------------------------------------------------
# Case enumeration: the ids of the committed file.

def enumerate_cases():
    cases = []
    for q in GRID_Q:
        for s in GRID_SIGMA:
            for t in GRID_STEPS:
                for d in DELTAS:
                    cases.append({'kind': 'grid', 'segments': [[q, s, t]], 'delta': d})
    for t in (14062, 14063):   # 60 epochs at q = 256/60000: floor and ceil of 60/q
        for d in DELTAS:
            cases.append({'kind': 'mnist_abadi', 'segments': [[Q_MNIST, 1.1, t]], 'delta': d,
                          'note': 'q=256/60000, sigma=1.1, 60 epochs'})
    for s in GAUSSIAN_SIGMAS:
        for d in DELTAS:
            cases.append({'kind': 'gaussian_single', 'segments': [[1.0, s, 1]], 'delta': d})
    for name, segs in HETEROGENEOUS:
        for d in DELTAS:
            cases.append({'kind': 'heterogeneous', 'name': name, 'segments': segs, 'delta': d})
    for i, c in enumerate(cases):
        c['id'] = i
    return cases


def wants_bracket(case):
    return case['kind'] in ('mnist_abadi', 'heterogeneous') or case['segments'] in BRACKET_SEGMENTS


# ---------------------------------------------------------------------------------------------
# Library calls.

def opacus_rdp_eps(segments, delta, orders):
    from opacus.accountants.analysis import rdp as oa
    import numpy as np
    rdp = np.zeros(len(orders))
    for q, s, t in segments:
        rdp = rdp + np.array(oa.compute_rdp(q=q, noise_multiplier=s, steps=t, orders=orders))
    eps, best = oa.get_privacy_spent(orders=orders, rdp=rdp, delta=delta)
    return float(eps), float(best)


def dpacc_event(segments):
    from dp_accounting import dp_event as ev
    events = []
    for q, s, t in segments:
        single = ev.GaussianDpEvent(s) if q == 1.0 else ev.PoissonSampledDpEvent(q, ev.GaussianDpEvent(s))
        events.append(ev.SelfComposedDpEvent(single, t))
    return events[0] if len(events) == 1 else ev.ComposedDpEvent(events)


def dpacc_rdp(segments, delta):
    from dp_accounting.rdp import rdp_privacy_accountant as ra
    acc = ra.RdpAccountant(DPACC_ORDERS)
    acc.compose(dpacc_event(segments))
    eps, best = acc.get_epsilon_and_optimal_order(delta)
    excluded = [o for o, r in zip(DPACC_ORDERS, acc._rdp) if math.isinf(r)]
    return float(eps), float(best), excluded


def dpacc_pld(segments, deltas, interval):
    from dp_accounting.pld import pld_privacy_accountant as pa
    t0 = time.perf_counter()
    acc = pa.PLDAccountant(value_discretization_interval=interval)
    acc.compose(dpacc_event(segments))
    eps = [float(acc.get_epsilon(d)) for d in deltas]
    pld = acc._pld
    sizes = [pld._pmf_remove.size] if pld._symmetric else [pld._pmf_remove.size, pld._pmf_add.size]
    return {'eps': eps, 'pmf_sizes': [int(x) for x in sizes],
            'seconds_all_deltas': time.perf_counter() - t0}


def dpacc_pld_bracket(segments, deltas):
    """dp_accounting PLD at 1e-5: pessimistic (upper) and optimistic (lower) estimates."""
    from dp_accounting.pld import privacy_loss_distribution as pld_mod
    t0 = time.perf_counter()
    out = {}
    for name, pessimistic in (('upper', True), ('lower', False)):
        total = None
        for q, s, t in segments:
            one = pld_mod.from_gaussian_mechanism(
                s, pessimistic_estimate=pessimistic, value_discretization_interval=PLD_FINE_INTERVAL,
                sampling_prob=q, use_connect_dots=True).self_compose(t)
            total = one if total is None else total.compose(one)
        out[name] = [float(total.get_epsilon_for_delta(d)) for d in deltas]
    out['seconds_all_deltas'] = time.perf_counter() - t0
    return out


def opacus_prv_domain(segments, delta):
    from opacus.accountants.analysis.prv import compute_safe_domain_size, PoissonSubsampledGaussianPRV
    prvs = [PoissonSubsampledGaussianPRV(q, s) for q, s, _ in segments]
    steps = [t for _, _, t in segments]
    delta_error = delta / 1000
    L = compute_safe_domain_size(prvs=prvs, max_self_compositions=steps, eps_error=EPS_ERROR,
                                 delta_error=delta_error)
    mesh = EPS_ERROR / math.sqrt(sum(steps) * math.log(12 / delta_error) / 2)
    return {'points': 2 * L / mesh, 'L': float(L), 'mesh': float(mesh)}


def opacus_prv(segments, delta):
    from opacus.accountants import PRVAccountant
    t0 = time.perf_counter()
    acc = PRVAccountant()
    acc.history = [(s, q, t) for q, s, t in segments]
    delta_error = delta / 1000
    dprv = acc._get_dprv(eps_error=EPS_ERROR, delta_error=delta_error)
    lower, estimate, upper = dprv.compute_epsilon(delta, delta_error, EPS_ERROR)
    return {'lower': float(lower), 'estimate': float(estimate), 'upper': float(upper),
            'points': int(dprv.domain.size), 'mesh': float(dprv.domain.dt),
            'seconds': time.perf_counter() - t0, 'eps_error': EPS_ERROR,
            'delta_error': delta_error}


def msprv(segments, delta):
    from prv_accountant import PRVAccountant, PoissonSubsampledGaussianMechanism
    t0 = time.perf_counter()
    prvs = [PoissonSubsampledGaussianMechanism(sampling_probability=q, noise_multiplier=s)
            for q, s, _ in segments]
    steps = [t for _, _, t in segments]
    acc = PRVAccountant(prvs=prvs, max_self_compositions=steps, eps_error=EPS_ERROR,
                        delta_error=delta / 1000)
    lower, estimate, upper = acc.compute_epsilon(delta=delta, num_self_compositions=steps)
    return {'lower': float(lower), 'estimate': float(estimate), 'upper': float(upper),
            'seconds': time.perf_counter() - t0}


def opacus_gdp(segments, delta, poisson):
    from opacus.accountants.analysis import gdp as og
    if len(segments) != 1:
        raise ValueError('GaussianAccountant requires constant (q, sigma)')
    q, s, t = segments[0]
    f = og.compute_eps_poisson if poisson else og.compute_eps_uniform
    return float(f(steps=t, noise_multiplier=s, sample_rate=q, delta=delta))


def exact_gaussian(segments, delta):
    """Tight ε of a composition of plain Gaussians: μ-GDP with μ = sqrt(Σ T/σ²), mpmath."""
    import mpmath as mp
    mp.mp.dps = 50
    mu = mp.sqrt(sum(mp.mpf(t) / mp.mpf(s) ** 2 for _, s, t in segments))

    def dual(eps):
        return mp.ncdf(-eps / mu + mu / 2) - mp.exp(eps) * mp.ncdf(-eps / mu - mu / 2) - delta
    lo, hi = mp.mpf(0), mp.mpf(1)
    while dual(hi) > 0:        # δ(ε) is decreasing in ε
        lo, hi = hi, hi * 2
    for _ in range(200):       # bisection far below double precision
        mid = (lo + hi) / 2
        if dual(mid) > 0:
            lo = mid
        else:
            hi = mid
    return float(hi)


# ---------------------------------------------------------------------------------------------
# Isolation: expensive calls run in a child process with a timeout.

def _child(conn, fn, args):
    try:
        conn.send(('ok', fn(*args)))
    except Exception as e:  # reported, not raised: the run goes on
        conn.send(('err', f'{type(e).__name__}: {e}'))
    finally:
        conn.close()


def isolated(fn, args, timeout):
    ctx = mp_proc.get_context('fork')
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(child, fn, args))
    p.start()
    child.close()
    if not parent.poll(timeout):
        p.kill()
        p.join()
        return 'err', f'timeout: > {timeout} s'
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = 'err', 'error: worker died (EOF)'
    p.join()
    return status, value


def record(case, eps, errors, name, eps_key, outcome):
    """Stores an isolated PRV-style result: its upper value as `eps[eps_key]` and the whole
    result as `case[name + '_detail']`, or its failure as `errors[name]`."""
    status, value = outcome
    if status == 'ok':
        eps[eps_key] = value['upper']
        case[name + '_detail'] = value
    else:
        errors[name] = value


def rel(a, b):
    if a is None or b is None or not math.isfinite(a) or not math.isfinite(b) or a == 0:
        return None
    return (b - a) / abs(a)


# ---------------------------------------------------------------------------------------------
# Sections.

def run_cases(cases, timeout):
    # Cases come in δ pairs with the same composition: the expensive PLD is composed once.
    by_segments = {}
    for c in cases:
        by_segments.setdefault(json.dumps(c['segments']), []).append(c)
    for key, group in by_segments.items():
        segments = json.loads(key)
        deltas = [c['delta'] for c in group]
        pld_status, pld = isolated(dpacc_pld, (segments, deltas, PLD_INTERVAL), timeout)
        bracket = None
        if any(wants_bracket(c) for c in group):
            bracket = isolated(dpacc_pld_bracket, (segments, deltas), timeout)
        for i, c in enumerate(group):
            eps, errors, skipped, opt = {}, {}, {}, {}
            t0 = time.perf_counter()
            d = c['delta']
            for name, orders_name, orders in (('opacus_rdp', 'opacus_default', OPACUS_ORDERS),
                                              ('opacus_formula_on_dpacc_orders', 'dp_accounting_default', DPACC_ORDERS),
                                              ('opacus_formula_on_dense_orders', 'dense', DENSE_ORDERS)):
                eps[name], opt[name + '_opt_order'] = opacus_rdp_eps(segments, d, orders)
            eps['dpacc_rdp'], opt['dpacc_rdp_opt_order'], excluded = dpacc_rdp(segments, d)
            for name, poisson in (('opacus_gdp', True), ('opacus_gdp_uniform', False)):
                try:
                    eps[name] = opacus_gdp(segments, d, poisson)
                except Exception as e:
                    eps[name] = None
                    errors[name] = f'{type(e).__name__}: {e}'
            if all(q == 1.0 for q, _, _ in segments):
                eps['exact_gaussian'] = exact_gaussian(segments, d)
            c['fast_seconds'] = time.perf_counter() - t0
            c['rdp_orders_used'] = {'opacus_rdp': 'opacus_default', 'dpacc_rdp': 'dp_accounting_default',
                                    'opacus_formula_on_dpacc_orders': 'dp_accounting_default',
                                    'opacus_formula_on_dense_orders': 'dense'}
            if excluded:
                c['dpacc_rdp_orders_excluded_as_inf'] = excluded
            domain = opacus_prv_domain(segments, d)
            c['opacus_prv_domain_estimate'] = domain
            if domain['points'] > PRV_MAX_POINTS:
                skipped['opacus_prv'] = f"domain would need {domain['points']:.3g} points (> {PRV_MAX_POINTS:.0e})"
            else:
                record(c, eps, errors, 'opacus_prv', 'opacus_prv',
                       isolated(opacus_prv, (segments, d), timeout))
            if pld_status == 'ok':
                eps['dpacc_pld'] = pld['eps'][i]
                c['dpacc_pld_detail'] = {'pmf_sizes': pld['pmf_sizes'],
                                         'seconds_all_deltas': pld['seconds_all_deltas'],
                                         'value_discretization_interval': PLD_INTERVAL}
            else:
                eps['dpacc_pld'] = None
                errors['dpacc_pld'] = pld
            if bracket is not None and wants_bracket(c):
                status, value = bracket
                if status == 'ok':
                    c['pld_bracket_1e-5'] = {'lower': value['lower'][i], 'upper': value['upper'][i],
                                             'seconds_all_deltas': value['seconds_all_deltas']}
                else:
                    errors['pld_bracket_1e-5'] = value
                record(c, eps, errors, 'msprv', 'msprv_upper', isolated(msprv, (segments, d), timeout))
            c['eps'] = eps
            c['rdp_opt_orders'] = opt
            c['errors'] = dict(sorted(errors.items()))
            c['skipped'] = skipped
            c['rel_diff'] = {
                'dpacc_rdp_vs_opacus_rdp': rel(eps['opacus_rdp'], eps['dpacc_rdp']),
                'order_grid_effect': rel(eps['opacus_rdp'], eps['opacus_formula_on_dpacc_orders']),
                'rdp_value_effect': rel(eps['opacus_formula_on_dpacc_orders'], eps['dpacc_rdp']),
                'dense_vs_opacus_rdp': rel(eps['opacus_rdp'], eps['opacus_formula_on_dense_orders']),
                'opacus_prv_vs_dpacc_pld': rel(eps.get('dpacc_pld'), eps.get('opacus_prv')),
            }
            print(f"case {c['id']}: {c['segments']} δ={d}: rdp {eps['opacus_rdp']:.6g}, "
                  f"pld {eps.get('dpacc_pld')}", file=sys.stderr)
    return cases


def rdp_true(q, sigma, order):
    """Single-step RDP of the Poisson-subsampled Gaussian, 50 digits."""
    import mpmath as mp
    mp.mp.dps = 50
    q, s, a = mp.mpf(q), mp.mpf(sigma), mp.mpf(order)
    if a == int(a):
        n = int(a)
        total = mp.fsum(mp.binomial(n, k) * (1 - q) ** (n - k) * q ** k * mp.exp((k * k - k) / (2 * s * s))
                        for k in range(n + 1))
        return mp.log(total) / (a - 1)

    def f(z):  # A_α - 1 by quadrature, integrand ≥ 0 (see rdp_ground_truth.py)
        r = mp.exp((2 * z - 1) / (2 * s * s))
        return mp.npdf(z, 0, s) * ((1 - q + q * r) ** a - 1 - a * q * (r - 1))
    z0 = s * s * mp.log(1 / q - 1) + mp.mpf(1) / 2
    pts = sorted({-12 * s, -4 * s, mp.mpf(0), mp.mpf(1) / 2, z0, a, a - 4 * s, a + 4 * s,
                  a + 12 * s, z0 + 4 * s, z0 - 4 * s})
    return mp.log1p(mp.quad(f, [-mp.inf] + pts + [mp.inf], maxdegree=12)) / (a - 1)


def run_ground_truth(keep):
    from opacus.accountants.analysis import rdp as oa
    from dp_accounting.rdp import rdp_privacy_accountant as ra
    from dp_accounting import dp_event as ev
    out = []
    for q in GT_Q:
        for s in GT_SIGMA:
            for a in GT_ORDERS:
                if keep is not None and (q, s, a) not in keep:
                    continue
                true = float(rdp_true(q, s, a))
                op = float(oa.compute_rdp(q=q, noise_multiplier=s, steps=1, orders=[a])[0])
                acc = ra.RdpAccountant([a])
                acc.compose(ev.PoissonSampledDpEvent(q, ev.GaussianDpEvent(s)))
                dp = float(acc._rdp[0])
                out.append({'q': q, 'sigma': s, 'order': a, 'rdp_true': true, 'rdp_opacus': op,
                            'rdp_dpacc': 'inf' if math.isinf(dp) else dp,
                            'rel_err_opacus': rel(true, op),
                            'rel_err_dpacc': None if math.isinf(dp) else rel(true, dp)})
    return out


def opacus_eps_single(accountant, q, steps, delta):
    def f(sigma):
        from opacus.accountants import PRVAccountant, RDPAccountant
        acc = RDPAccountant() if accountant == 'rdp' else PRVAccountant()
        acc.history = [(sigma, q, steps)]
        return acc.get_epsilon(delta=delta)
    return f


def run_noise_multiplier():
    from scipy.optimize import brentq
    from opacus.accountants.utils import get_noise_multiplier
    from dp_accounting import mechanism_calibration as mc, dp_event as ev
    from dp_accounting.rdp import rdp_privacy_accountant as ra
    from dp_accounting.pld import pld_privacy_accountant as pa
    out = []
    for target in NM_TARGETS:
        for q in NM_Q:
            for steps in NM_STEPS:
                delta = 1e-5
                row = {'target_epsilon': target, 'delta': delta, 'q': q, 'steps': steps}
                for name, xtol in (('rdp', 1e-10), ('prv', 1e-6)):
                    eps_of = opacus_eps_single(name, q, steps, delta)
                    t0 = time.perf_counter()
                    sigma = get_noise_multiplier(target_epsilon=target, target_delta=delta,
                                                 sample_rate=q, steps=steps, accountant=name)
                    seconds = time.perf_counter() - t0
                    precise = brentq(lambda s: eps_of(s) - target, sigma / 2, sigma * 2, xtol=xtol)
                    row['opacus_' + name] = {'sigma_opacus': sigma, 'eps_at_sigma_opacus': eps_of(sigma),
                                             'search_seconds': seconds, 'sigma_precise': precise,
                                             'eps_at_sigma_precise': eps_of(precise), 'precise_xtol': xtol}
                base = row['opacus_rdp']['sigma_opacus']
                event = lambda s: ev.SelfComposedDpEvent(ev.PoissonSampledDpEvent(q, ev.GaussianDpEvent(s)), steps)
                for name, make, bracket in (('rdp', lambda: ra.RdpAccountant(DPACC_ORDERS), [base / 2, base * 2]),
                                            ('pld', lambda: pa.PLDAccountant(value_discretization_interval=PLD_INTERVAL),
                                             [base / 2, base * 1.01])):
                    t0 = time.perf_counter()
                    sigma = mc.calibrate_dp_mechanism(make, event, target, delta,
                                                      mc.ExplicitBracketInterval(*bracket), tol=1e-6)
                    seconds = time.perf_counter() - t0
                    acc = make()
                    acc.compose(event(sigma))
                    row['dpacc_calibrate_' + name] = {'sigma': sigma, 'eps_at_sigma': acc.get_epsilon(delta),
                                                      'search_seconds': seconds, 'tol': 1e-6, 'bracket': bracket}
                out.append(row)
                print(f'noise multiplier ε={target} q={q:.4g} T={steps} done', file=sys.stderr)
    return out


def median_ms(fn, reps):
    times, value = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        value = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), value


def run_timings(reps):
    import numpy as np
    from opacus.accountants import GaussianAccountant, PRVAccountant, RDPAccountant
    from opacus.accountants.analysis import rdp as oa
    from opacus.accountants.utils import get_noise_multiplier
    from dp_accounting import mechanism_calibration as mc, dp_event as ev
    from dp_accounting.rdp import rdp_privacy_accountant as ra
    from dp_accounting.pld import pld_privacy_accountant as pa
    q, sigma, steps, delta = Q_MNIST, 1.1, 100000, 1e-5
    segments = [[q, sigma, steps]]

    def opacus(cls):
        acc = cls()
        acc.history = [(sigma, q, steps)]
        return acc.get_epsilon(delta=delta)

    def dpacc(make):
        acc = make()
        acc.compose(dpacc_event(segments))
        return acc.get_epsilon(delta)
    rdp_vec = np.array(oa.compute_rdp(q=q, noise_multiplier=sigma, steps=steps, orders=OPACUS_ORDERS))
    queries = {
        'opacus_rdp': lambda: opacus(RDPAccountant),
        'dpacc_rdp': lambda: dpacc(lambda: ra.RdpAccountant(DPACC_ORDERS)),
        'opacus_gdp': lambda: opacus(GaussianAccountant),
        'opacus_prv': lambda: opacus(PRVAccountant),
        'dpacc_pld': lambda: dpacc(lambda: pa.PLDAccountant(value_discretization_interval=PLD_INTERVAL)),
        'msprv': lambda: msprv(segments, delta)['upper'],
        'rdp_conversion_only': lambda: oa.get_privacy_spent(orders=OPACUS_ORDERS, rdp=rdp_vec, delta=delta)[0],
    }
    eq = {}
    for name, fn in queries.items():
        ms, value = median_ms(fn, reps)
        eq[name] = {'ms': ms, 'eps': float(value)}
    by_q = {str(qq): median_ms(lambda: oa.compute_rdp(q=qq, noise_multiplier=sigma, steps=steps,
                                                      orders=OPACUS_ORDERS), reps)[0]
            for qq in (0.001, Q_MNIST, 0.05, 0.2)}
    search = {}
    for t in (10000, 100000):
        for name in ('rdp', 'prv'):
            ms, s = median_ms(lambda: get_noise_multiplier(target_epsilon=3.0, target_delta=delta,
                                                           sample_rate=q, steps=t, accountant=name), 1)
            search[f'opacus_get_noise_multiplier_{name}_steps{t}'] = {'ms': ms, 'sigma': s}
        base = search[f'opacus_get_noise_multiplier_rdp_steps{t}']['sigma']
        event = lambda s: ev.SelfComposedDpEvent(ev.PoissonSampledDpEvent(q, ev.GaussianDpEvent(s)), t)
        for name, make, bracket in (('rdp', lambda: ra.RdpAccountant(DPACC_ORDERS), [base / 2, base * 2]),
                                    ('pld', lambda: pa.PLDAccountant(value_discretization_interval=PLD_INTERVAL),
                                     [base / 2, base * 1.01])):
            ms, s = median_ms(lambda: mc.calibrate_dp_mechanism(make, event, 3.0, delta,
                                                                mc.ExplicitBracketInterval(*bracket), tol=1e-6), 1)
            search[f'dpacc_calibrate_{name}_steps{t}'] = {'ms': ms, 'sigma': s}
    return {'case': {'q': q, 'sigma': sigma, 'steps': steps, 'delta': delta}, 'unit': 'ms', 'reps': reps,
            'epsilon_query_ms': eq, 'opacus_rdp_vector_ms_by_q': by_q,
            'noise_search_ms': {'target_epsilon': 3.0, 'delta': delta, 'q': q, 'results': search}}


def differences(new, ref, path=''):
    """(path, relative difference or description) of every value of `new` that differs from
    `ref`, timing fields left out."""
    out = []
    if isinstance(new, dict) and isinstance(ref, dict):
        for k in sorted(set(new) | set(ref)):
            if 'seconds' in k or k in ('ms', 'opacus_rdp_vector_ms_by_q', 'generated_at', 'versions',
                                       'generator', 'limits'):
                continue
            if k not in new or k not in ref:
                out.append((f'{path}/{k}', 'only in ' + ('the reference' if k not in new else 'the new file')))
            else:
                out += differences(new[k], ref[k], f'{path}/{k}')
    elif isinstance(new, list) and isinstance(ref, list) and len(new) == len(ref):
        for i, (x, y) in enumerate(zip(new, ref)):
            out += differences(x, y, f'{path}[{i}]')
    elif isinstance(new, (int, float)) and isinstance(ref, (int, float)) and not isinstance(new, bool):
        if new != ref:
            out.append((path, abs(new - ref) / max(abs(ref), 1e-300)))
    elif new != ref:
        out.append((path, f'{str(new)[:40]} vs {str(ref)[:40]}'))
    return out


def compare(out, ref_path, tolerance):
    """Prints what differs from the file at `ref_path` by more than `tolerance` (relative),
    matching cases by id and ground-truth rows by (q, σ, order)."""
    ref = json.load(open(ref_path))
    ref_cases = {c['id']: c for c in ref.get('cases', [])}
    ref_gt = {(g['q'], g['sigma'], g['order']): g for g in ref.get('rdp_ground_truth', [])}
    found = []
    for c in out.get('cases', []):
        if c['id'] in ref_cases:
            found += differences(c, ref_cases[c['id']], f"cases[id={c['id']}]")
    for g in out.get('rdp_ground_truth', []):
        key = (g['q'], g['sigma'], g['order'])
        if key in ref_gt:
            found += differences(g, ref_gt[key], f'rdp_ground_truth{key}')
    for name in ('noise_multiplier', 'timings'):
        if name in out and name in ref:
            found += differences(out[name], ref[name], name)
    found = [(p, d) for p, d in found if not isinstance(d, float) or d > tolerance]
    for p, d in found:
        print(f'differs: {p}: {d:.2e}' if isinstance(d, float) else f'differs: {p}: {d}', file=sys.stderr)
    print(f'{len(found)} values differ from {ref_path} by more than {tolerance:g} (relative)', file=sys.stderr)


def versions():
    out = {'python': platform.python_version()}
    for pkg in ('opacus', 'dp-accounting', 'prv-accountant', 'torch', 'numpy', 'scipy', 'mpmath'):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT, help='output JSON (default: the committed file)')
    ap.add_argument('--subset-of', default=None,
                    help='keep only the case ids and ground-truth triples of this JSON file')
    ap.add_argument('--sections', default='cases,rdp_ground_truth,noise_multiplier,timings')
    ap.add_argument('--ids', default=None, help='comma-separated case ids (default: all)')
    ap.add_argument('--timeout', type=float, default=300, help='seconds per isolated call')
    ap.add_argument('--reps', type=int, default=3, help='repetitions of each timing')
    ap.add_argument('--compare', default=None,
                    help='after writing, list the values that differ from this JSON file')
    ap.add_argument('--tolerance', type=float, default=1e-9,
                    help='relative difference --compare reports (default 1e-9)')
    a = ap.parse_args()
    sections = set(a.sections.split(','))
    partial = a.ids is not None or sections != {'cases', 'rdp_ground_truth', 'noise_multiplier', 'timings'}
    if partial and os.path.abspath(a.out) == os.path.abspath(DEFAULT_OUT):
        ap.error('a partial run (--ids or --sections) would overwrite the committed file: give --out')
    started = time.time()

    cases = enumerate_cases()
    keep_gt = None
    if a.subset_of:
        ref = json.load(open(a.subset_of))
        ids = {c['id'] for c in ref.get('cases', [])}
        cases = [c for c in cases if c['id'] in ids]
        keep_gt = {(g['q'], g['sigma'], g['order']) for g in ref.get('rdp_ground_truth', [])}
    if a.ids:
        wanted = {int(x) for x in a.ids.split(',')}
        cases = [c for c in cases if c['id'] in wanted]

    out = {'meta': {
        'generated_at': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S%z'),
        'total_seconds': None,
        'versions': versions(),
        'generator': 'scripts/accountant/accountant_reference.py',
        'conventions': {
            'neighbouring': 'add/remove-one (Poisson sampling); sensitivity 1; sigma = noise multiplier',
            'segments': '[q, sigma, steps] in order of execution',
            'q_mnist': Q_MNIST,
        },
        'rdp_orders': {'opacus_default': OPACUS_ORDERS, 'dp_accounting_default': DPACC_ORDERS,
                       'dense': DENSE_ORDERS},
        'limits': {'prv_max_points': PRV_MAX_POINTS, 'task_timeout_s': a.timeout},
    }}
    if 'cases' in sections:
        out['cases'] = run_cases(cases, a.timeout)
    if 'noise_multiplier' in sections:
        out['noise_multiplier'] = run_noise_multiplier()
    if 'rdp_ground_truth' in sections:
        out['rdp_ground_truth'] = run_ground_truth(keep_gt)
    if 'timings' in sections:
        out['timings'] = run_timings(a.reps)
    out['meta']['total_seconds'] = time.time() - started
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, 'w') as fh:
        json.dump(out, fh, indent=0, allow_nan=True)
        fh.write('\n')
    print(f'wrote {a.out} in {out["meta"]["total_seconds"]:.0f} s', file=sys.stderr)
    if a.compare:
        compare(out, a.compare, a.tolerance)


if __name__ == '__main__':
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
