"""Privacy accounting for DP-SGD, from notebooks: the same accountants as the library.

All three use add/remove-one-row neighbouring. ``accountant="rdp"`` (default) is Rényi DP of
the Poisson-subsampled Gaussian (exact binomial sums at integer orders, Mironov et al.'s series
at fractional ones, converted by Balle et al. 2020): an upper bound. ``"pld"`` is privacy
loss distributions (Doroshenko et al. 2022, pessimistic): a tighter upper bound. ``"gdp"`` is
the central-limit Gaussian-DP approximation, **not** a bound (comparison only).

>>> from tabveil import accountant
>>> eps = accountant.epsilon(noise_multiplier=1.1, sample_rate=0.01, steps=10_000, delta=1e-5)
>>> sigma = accountant.sigma(epsilon=eps, delta=1e-5, sample_rate=0.01, steps=10_000)
>>> abs(sigma - 1.1) < 1e-3
True
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from . import _tabveil

__all__ = ["epsilon", "sigma", "rdp"]


def epsilon(
    *,
    delta: float,
    noise_multiplier: Optional[float] = None,
    sample_rate: Optional[float] = None,
    steps: Optional[int] = None,
    segments: Optional[Sequence[Tuple[float, float, int]]] = None,
    accountant: str = "rdp",
) -> float:
    """ε at ``delta`` after ``steps`` Poisson-subsampled Gaussian steps (``sample_rate`` = q,
    ``noise_multiplier`` = σ), or after ``segments`` = ``[(q, σ, steps), ...]`` composed. A
    ``sample_rate`` of 1 is the plain Gaussian mechanism."""
    return _tabveil.epsilon(
        delta=delta,
        noise_multiplier=noise_multiplier,
        sample_rate=sample_rate,
        steps=steps,
        segments=None if segments is None else [tuple(s) for s in segments],
        accountant=accountant,
    )


def sigma(
    *, epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str = "rdp"
) -> float:
    """The smallest noise multiplier σ whose ``steps`` steps at ``sample_rate`` spend at most
    ``epsilon`` at ``delta`` (never more: bracketing, then Brent's method)."""
    return _tabveil.sigma(
        epsilon=epsilon, delta=delta, sample_rate=sample_rate, steps=steps, accountant=accountant
    )


def rdp(*, sample_rate: float, noise_multiplier: float, orders: Sequence[float]) -> list:
    """The Rényi DP ε_α of one Poisson-subsampled Gaussian step at each order α in ``orders``."""
    return _tabveil.rdp(
        sample_rate=sample_rate, noise_multiplier=noise_multiplier, orders=list(orders)
    )
