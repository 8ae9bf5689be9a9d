#!/usr/bin/env python3
"""Reference values for tabveil-data's Bayesian Gaussian mixture (mode-specific normalisation).

Fits scikit-learn's BayesianGaussianMixture with exactly the settings SDV's CTGAN uses through
RDT's ClusterBasedNormalizer (ctgan 0.12.1 / rdt 2.0.0):
  n_components=10, weight_concentration_prior_type='dirichlet_process',
  weight_concentration_prior=0.001, random_state=0, and sklearn's defaults
  (covariance_type='full', max_iter=100, tol=1e-3, reg_covar=1e-6, init_params='kmeans',
  n_init=1, mean_precision_prior=1, mean_prior=mean(x), degrees_of_freedom_prior=1,
  covariance_prior=var(x, ddof=1)); modes kept where weights_ > 0.005.
on continuous columns of the bundled adult training split, and writes
crates/tabveil-data/tests/data/bgm_reference.json.

Besides the fitted parameters it stores the k-means centres sklearn used to initialise (its
labels are the nearest centre), so the Rust EM can be started from the very same
responsibilities and compared tightly, and predict_proba at a few probe values.

Needs: a Python with scikit-learn 1.9.1, numpy, pandas; installed with ctgan 0.12.1
(`$SDV_PYTHON`, default python3; see CONTRIBUTING.md).
Run from the repository root:
  "$SDV_PYTHON" scripts/data/bgm_reference.py
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import KMeans
from sklearn.mixture import BayesianGaussianMixture

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
TRAIN = os.path.join(ROOT, 'data', 'adult', 'train.csv')
OUT = os.path.join(ROOT, 'crates', 'tabveil-data', 'tests', 'data', 'bgm_reference.json')
COLUMNS = ['age', 'fnlwgt', 'hours_per_week', 'capital_gain']


def main():
    df = pd.read_csv(TRAIN)
    out = {
        'generator': 'scripts/data/bgm_reference.py',
        'versions': {'python': sys.version.split()[0], 'scikit-learn': sklearn.__version__,
                     'numpy': np.__version__, 'pandas': pd.__version__},
        'settings': {'n_components': 10, 'weight_concentration_prior': 0.001,
                     'max_iter': 100, 'tol': 1e-3, 'reg_covar': 1e-6, 'random_state': 0,
                     'weight_threshold': 0.005},
        'columns': {},
    }
    for name in COLUMNS:
        x = df[name].to_numpy(dtype=np.float64).reshape(-1, 1)
        bgm = BayesianGaussianMixture(
            n_components=10,
            weight_concentration_prior_type='dirichlet_process',
            weight_concentration_prior=0.001,
            random_state=0,
        )
        bgm.fit(x)
        # The same KMeans call sklearn makes inside _initialize_parameters (same random state
        # stream: check_random_state(0) is consumed first by KMeans).
        km = KMeans(n_clusters=10, n_init=1, random_state=np.random.RandomState(0)).fit(x)
        probes = np.quantile(x[:, 0], [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
        proba = bgm.predict_proba(probes.reshape(-1, 1))
        out['columns'][name] = {
            'n_rows': int(x.shape[0]),
            'kmeans_centres': km.cluster_centers_[:, 0].tolist(),
            'weights': bgm.weights_.tolist(),
            'means': bgm.means_[:, 0].tolist(),
            'covariances': bgm.covariances_[:, 0, 0].tolist(),
            'n_iter': int(bgm.n_iter_),
            'converged': bool(bgm.converged_),
            'lower_bound': float(bgm.lower_bound_),
            'valid': (bgm.weights_ > 0.005).tolist(),
            'mean_prior': float(bgm.mean_prior_[0]),
            'covariance_prior': float(np.atleast_2d(bgm.covariance_prior_)[0, 0]),
            'probes': probes.tolist(),
            'predict_proba': proba.tolist(),
        }
        print(name, 'modes kept:', int((bgm.weights_ > 0.005).sum()), 'n_iter', bgm.n_iter_)
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1)
    print('wrote', OUT)


if __name__ == '__main__':
    main()
