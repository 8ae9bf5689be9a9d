#!/usr/bin/env python3
"""The bounds rule of private discovery, simulated on the real columns (standard library only).

  simulate_bounds.py [SIGMA] [REPS]

Re-implements the post-processing of the numeric release (the public log grid, 8 cells per
decade over ±10⁹; the noise floor of 0.001 expected spurious cells; the 0.5 %/99.5 % tail
cells) and compares, over REPS noise draws (default 20) at noise multiplier SIGMA (default
26.5: the bounds σ of an inline discovery at ε = 3, share 0.3, on 15 columns), the share of
rows clipped and the bounds of three rules: `pad` (one cell further out, before thin tails),
`pad+thin` (the rule in the code: also widened over thin tails) and `thin` (no padding).
Tables: data/adult/train.csv and, from TABLES (default target/bench-tables, made by
scripts/bench/make_tables.py), bench_full.csv.
"""
import os
import csv, math, random, bisect, statistics, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLES = os.environ.get('TABLES', os.path.join(ROOT, 'target', 'bench-tables'))
from statistics import NormalDist
def grid(per=8, mn=-3, mx=9):
    steps=(mx-mn)*per
    pos=[10**(mn+k/per) for k in range(steps+1)]
    return [-e for e in reversed(pos)]+pos
E=grid(); L=len(E)-1
def cell(x):
    a=bisect.bisect_right(E,x); return min(max(a-1,0),L-1)
def tail_bounds(c, tail, pad=True):
    tot=sum(x for x in c if x>0)
    if tot<=0: return None
    cut=tail*tot; acc=0; lo=hi=None
    for i,x in enumerate(c):
        acc+=max(x,0)
        if acc>cut: lo=i; break
    acc=0
    for i in range(L-1,-1,-1):
        acc+=max(c[i],0)
        if acc>cut: hi=i; break
    if pad: lo=max(lo-1,0); hi=min(hi+1,L-1)
    return lo,hi
def thin(cells, keep, s):
    t=sum(cells)
    if not cells or t<3*s*math.sqrt(len(cells)): return None
    acc=0
    for k,x in enumerate(cells):
        acc+=x
        if acc>=t-keep: return k+1
    return len(cells)
def bounds(vals, s, tail=0.005, pad=True, thin_on=False, rng=random):
    ex=[0.0]*L
    for v in vals: ex[cell(v)]+=1
    raw=[x+rng.gauss(0,s) for x in ex]
    fl=s*NormalDist().inv_cdf(1-0.001/L)
    f=[x if x>=fl else 0 for x in raw]
    r=tail_bounds(f,tail,pad)
    if r is None: return None
    lo,hi=r; lo_e,hi_e=E[lo],E[hi+1]
    if thin_on:
        tot=sum(x for x in f if x>0)
        first=next(i for i,x in enumerate(f) if x>0); last=max(i for i,x in enumerate(f) if x>0)
        k=thin([raw[i] for i in range(first-1,max(first-8,0)-1,-1)], tail*tot, s)
        if k: lo_e=min(lo_e,E[first-k])
        k=thin([raw[i] for i in range(last+1,min(last+9,L))], tail*tot, s)
        if k: hi_e=max(hi_e,E[last+k+1])
    return lo_e,hi_e
def col(path,name):
    out=[]
    for r in csv.DictReader(open(path)):
        v=r[name].strip()
        if v not in ('','?'):
            try: out.append(float(v))
            except: pass
    return out
tables={'adult':(os.path.join(ROOT, 'data', 'adult', 'train.csv'),['age','fnlwgt','education_num','capital_gain','capital_loss','hours_per_week']),
 'bench':(os.path.join(TABLES, 'bench_full.csv'),['age','income','balance','duration','score','ratio'])}
s=float(sys.argv[1]) if len(sys.argv)>1 else 26.5
reps=int(sys.argv[2]) if len(sys.argv)>2 else 20
rng=random.Random(1)
for t,(p,cols) in tables.items():
    for c in cols:
        v=col(p,c); n=len(v)
        line=f"{t:5} {c:15} true [{min(v):g}, {max(v):g}]"
        for name,kw in [('pad',dict(pad=True)),('pad+thin',dict(pad=True,thin_on=True)),('thin',dict(pad=False,thin_on=True))]:
            clip=[];wid=[];bs=[]
            for rep in range(reps):
                b=bounds(v,s,rng=rng,**kw)
                lo,hi=b
                clip.append(sum(1 for x in v if x<lo or x>hi)/n)
                bs.append(b)
            med=sorted(bs)[len(bs)//2]
            line+=f" | {name}: clip {statistics.mean(clip)*100:.2f}% max {max(clip)*100:.2f}% e.g.[{med[0]:.3g},{med[1]:.3g}]"
        print(line)
