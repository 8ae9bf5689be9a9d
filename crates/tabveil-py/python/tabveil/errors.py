"""The exceptions and warnings of tabveil.

Every exception raised by tabveil derives from :class:`TabveilError`, except
:class:`FitCancelled`, which derives from :class:`KeyboardInterrupt` so that Ctrl-C still
stops a script. Their attributes carry the structured parts of the error: the validator's
finding codes, the column and row of a bad value, the privacy ledger of a fit that had already
released statistics of the data when it stopped.
"""

from __future__ import annotations

from typing import Any, Optional


class TabveilError(Exception):
    """Base class of tabveil's errors."""


class ConfigError(TabveilError, ValueError):
    """A setting is missing or out of range (``parameter`` names it; for a setting of the
    transformer, ``kind`` and ``column`` say which, as on :class:`DataError`)."""

    parameter: Optional[str] = None
    kind: Optional[str] = None
    column: Optional[str] = None


class DataError(TabveilError, ValueError):
    """The data or the schema is invalid: the base of :class:`SchemaError`, :class:`ReadError`
    and :class:`TransformError`.

    Attributes: ``kind`` (a stable name such as ``"OutOfBounds"``, ``"UnknownCategory"``,
    ``"NullInNonNullable"``, ``"ArrowType"``), ``column`` and ``row`` (0-based, counted over the
    whole table) when they apply, ``line`` for a file position.
    """

    kind: Optional[str] = None
    column: Optional[str] = None
    row: Optional[int] = None
    line: Optional[int] = None


class SchemaError(DataError):
    """The schema is invalid (``column`` names the column at fault when there is one)."""


class ReadError(DataError):
    """The data does not fit the schema: a bad value (``column``, and ``row`` — or ``line`` in
    a file), a missing or undeclared column, a column of the wrong Arrow type."""


class TransformError(DataError):
    """The transformer, the private preprocessing or a condition could not be applied (e.g. a
    condition on a column that cannot be conditioned on)."""


class PlanRejected(TabveilError, ValueError):
    """The validator refused the training plan before anything was read from the data and
    before any privacy was spent.

    ``codes`` lists the blocking finding codes (e.g. ``"E-DELTA-TOO-LARGE"``); ``findings`` has
    every finding as a dict with ``code``, ``severity``, ``field``, ``reason`` and ``fix``.
    """

    codes: list = []
    findings: Optional[list] = None


class FitFailedAfterReleases(TabveilError):
    """A private fit failed after it had released statistics of the data.

    ``ledger`` records those releases: they count against the data's privacy budget. Account
    for them before fitting the same data again.
    """

    ledger: Optional[dict] = None


class FitCancelled(KeyboardInterrupt):
    """The fit was cancelled (Ctrl-C, or the progress callback returned ``False``).

    ``ledger`` holds every release made before the cancellation (``None`` if none was made) and
    ``epsilon_spent`` their cost. When training had started, ``synthesizer`` is the model as it
    stood after the last step: usable, and its ledger is exact. ``__cause__`` is the exception
    that cancelled the fit, if any.
    """

    ledger: Optional[dict] = None
    epsilon_spent: Optional[float] = None
    fitted: Any = None
    synthesizer: Any = None


class ConditionError(TabveilError, ValueError):
    """Conditional sampling cannot be done (unknown column or value, conditions too rare)."""


class ModelError(TabveilError):
    """The model failed (e.g. a numerical failure)."""


class ModelFileError(TabveilError):
    """A saved model is damaged, or was written by another version of tabveil."""


class FileError(TabveilError, OSError):
    """A file could not be read or written (``filename`` names it)."""


class NotPrivateWarning(UserWarning):
    """A schema was read from the data: its bounds and categories are not private."""
