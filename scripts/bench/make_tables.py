#!/usr/bin/env python3
"""Write the evaluation tables of the model benchmarks (standard library only).

    python3 scripts/bench/make_tables.py [--out DIR] [--seed 20261206]

DIR defaults to `target/bench-tables` (relative to the repository root). It receives, for
`adult` (data/adult/train.csv, holdout data/adult/holdout.csv) and `bench` (data/bench_table.csv,
split once into 8 000 training rows and a 2 000-row holdout):

    <name>_full.csv      every training row (adult 26 049, bench 8 000)
    <name>_2000.csv      2 000 training rows drawn without replacement
    <name>_800.csv       800 training rows drawn without replacement
    <name>_holdout.csv   the holdout (for TSTR: train on synthetic, test here)
    <name>_schema.json   the public schema (data/adult/schema.json, data/bench_schema.json)

The subsets are the small tables that most users of DP synthesis hold; every model change is
measured on them as well as on the full tables.
"""
import argparse
import csv
import os
import random
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(path):
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(path, header, rows):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=os.path.join(ROOT, 'target', 'bench-tables'))
    ap.add_argument('--seed', type=int, default=20261206)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)

    header, train = read(os.path.join(ROOT, 'data', 'adult', 'train.csv'))
    _, holdout = read(os.path.join(ROOT, 'data', 'adult', 'holdout.csv'))
    shutil.copy(os.path.join(ROOT, 'data', 'adult', 'schema.json'), os.path.join(a.out, 'adult_schema.json'))
    tables = {'adult': (header, train, holdout)}

    header, rows = read(os.path.join(ROOT, 'data', 'bench_table.csv'))
    order = list(range(len(rows)))
    rng.shuffle(order)
    tables['bench'] = (header, [rows[i] for i in sorted(order[2000:])], [rows[i] for i in sorted(order[:2000])])
    shutil.copy(os.path.join(ROOT, 'data', 'bench_schema.json'), os.path.join(a.out, 'bench_schema.json'))

    for name, (header, train, holdout) in tables.items():
        write(os.path.join(a.out, f'{name}_full.csv'), header, train)
        write(os.path.join(a.out, f'{name}_holdout.csv'), header, holdout)
        for n in (2000, 800):
            pick = sorted(rng.sample(range(len(train)), n))
            write(os.path.join(a.out, f'{name}_{n}.csv'), header, [train[i] for i in pick])
        print(f'{name}: {len(train)} training rows, {len(holdout)} holdout rows -> {a.out}')


if __name__ == '__main__':
    main()
