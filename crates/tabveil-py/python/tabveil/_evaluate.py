"""``tabveil.evaluate``."""

from __future__ import annotations

from typing import Any, Optional

from . import _frames, _tabveil
from ._report import Evaluation


def evaluate(
    real: Any,
    synthetic: Any,
    schema: Any,
    *,
    holdout: Any = None,
    target: Optional[str] = None,
    positive_class: Optional[str] = None,
    sensitive: Optional[str] = None,
    seed: int = 0,
    threads: int = 2,
    null_values: Optional[list] = None,
) -> Evaluation:
    """Judges ``synthetic`` against ``real`` (DataFrames or Arrow tables of ``schema``).

    - quality: SDMetrics 0.32 QualityReport scores (column shapes, column pair trends), equal to
      sdmetrics' own to 1e-15;
    - with ``holdout`` (real rows never used to fit) and a ``target`` (default: the schema's):
      ML utility, train-synthetic-test-real next to train-real-test-real (ROC AUC of
      gradient-boosted trees), and leakage: distance to the closest record, membership and
      attribute inference (``sensitive`` column).

    Returns an :class:`~tabveil.Evaluation` (a dict with ``to_html()``). Not private: it reads
    the real rows. The GIL is released while computing.
    """
    from ._synthesizer import _schema

    native = _tabveil.evaluate(
        _frames.to_arrow(real),
        _frames.to_arrow(synthetic),
        _schema(schema),
        holdout=None if holdout is None else _frames.to_arrow(holdout),
        target=target,
        positive_class=positive_class,
        sensitive=sensitive,
        seed=seed,
        threads=threads,
        null_values=null_values,
    )
    return Evaluation(native)
