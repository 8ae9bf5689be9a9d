#!/usr/bin/env python3
"""Mean ± sd over seeds of marginal_seeds.sh runs, one column pair per run folder, AIM's single
run beside (from the first folder that has it).

    python3 scripts/bench/summarize_seeds.py RUN [RUN …]   # RUN: an OUT of marginal_seeds.sh
"""
import collections
import glob
import os
import statistics as st
import sys


def load(run):
    ours, aim = collections.defaultdict(list), {}
    for path in sorted(glob.glob(os.path.join(run, 's*', 'results.tsv'))):
        with open(path) as f:
            for line in f.read().splitlines()[1:]:
                table, _, syn, eps, quality, _, _, tstr = line.split('\t')[:8]
                num = lambda v: float('nan') if v == 'NA' else float(v)
                if syn == 'marginal':
                    ours[(table, eps)].append((num(quality), num(tstr)))
                elif syn == 'aim':
                    aim[(table, eps)] = (num(quality), num(tstr))
    return ours, aim


def order(key):
    table, eps = key
    kind, _, size = table.partition('_')
    return kind, int(size) if size.isdigit() else 1 << 60, float(eps)


def mean_sd(values):
    sd = st.stdev(values) if len(values) > 1 else 0.0
    return f'{st.mean(values):.3f} ± {sd:.3f}'


def main(runs):
    loaded = [load(r) for r in runs]
    aim = {}
    for _, a in loaded:
        for k, v in a.items():
            aim.setdefault(k, v)
    keys = sorted({k for ours, _ in loaded for k in ours}, key=order)
    head = ['table', 'ε', 'AIM quality', 'AIM TSTR']
    for r in runs:
        name = os.path.basename(os.path.normpath(r))
        head += [f'{name} quality', f'{name} TSTR', 'seeds']
    print('| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for k in keys:
        a = aim.get(k)
        row = [k[0], k[1]] + ([f'{a[0]:.3f}', f'{a[1]:.3f}'] if a else ['—', '—'])
        for ours, _ in loaded:
            v = ours.get(k, [])
            row += [mean_sd([x[0] for x in v]), mean_sd([x[1] for x in v]), str(len(v))] if v else ['—', '—', '0']
        print('| ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
