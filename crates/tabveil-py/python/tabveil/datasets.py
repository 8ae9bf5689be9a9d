"""Demo data shipped inside the package.

The UCI Adult (Census Income) data, Becker & Kohavi (1996), CC BY 4.0: 26 049 training rows
and a holdout of real rows never used for training, with its public schema. See
:func:`adult_license` for the provenance and licence.
"""

from __future__ import annotations

from typing import Any

from . import _frames, _tabveil

__all__ = ["adult", "adult_schema", "adult_license"]


def adult(split: str = "train", *, output: str = "pandas") -> Any:
    """The Adult rows of ``split`` (``"train"`` or ``"holdout"``) as a pandas DataFrame
    (categoricals, nullable integers), or ``output="arrow"`` / ``"polars"``."""
    return _frames.from_arrow(_tabveil.adult(split), output)


def adult_schema() -> "_tabveil.Schema":
    """The public schema of the Adult data (bounds and categories from the codebook)."""
    return _tabveil.adult_schema()


def adult_license() -> str:
    """Provenance and licence of the Adult data (CC BY 4.0)."""
    return _tabveil.adult_license()
