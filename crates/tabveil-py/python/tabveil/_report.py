"""``PrivacyReport`` and ``Evaluation``: what a fit spent, and how good its rows are."""

from __future__ import annotations

import json
from typing import Any


class PrivacyReport:
    """The privacy report of a fit: the (ε, δ) of the whole pipeline, the ledger, the plan,
    and what the guarantee means. Every number is recomputed from the ledger; in private mode
    the row count shown is the differentially private estimate N̂, never the true count.

    Render it with :meth:`to_dict`, :meth:`to_json`, :meth:`to_markdown` or :meth:`to_html`;
    a notebook shows the HTML page.
    """

    def __init__(self, fitted: Any) -> None:
        self._fitted = fitted

    def to_json(self) -> str:
        """The report as JSON text (the ``tabveil report --format json`` schema)."""
        return self._fitted.report_json()

    def to_dict(self) -> dict:
        """The report as a dict."""
        return json.loads(self.to_json())

    def to_markdown(self) -> str:
        """The report as Markdown."""
        return self._fitted.report_markdown()

    def to_html(self) -> str:
        """The report as a self-contained HTML page (with an SVG ε(δ) curve)."""
        return self._fitted.report_html()

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"<PrivacyReport: {self.to_markdown().splitlines()[0].lstrip('# ')}>"


class Evaluation(dict):
    """The evaluation of a synthetic table: a dict (``quality``, ``ml``, ``privacy``, …: the
    JSON of ``tabveil evaluate --json``) with :meth:`to_html`, :meth:`summary` and an HTML view
    in notebooks.

    It compares with the real rows and is **not private**: do not publish it as if it were.
    """

    def __init__(self, native: Any) -> None:
        super().__init__(native.to_dict())
        self._native = native

    def to_dict(self) -> dict:
        """The evaluation as a plain dict."""
        return dict(self)

    def to_html(self) -> str:
        """A self-contained HTML page with plots."""
        return self._native.to_html()

    def summary(self) -> str:
        """The readable summary of ``tabveil evaluate``."""
        return self._native.summary()

    def _repr_html_(self) -> str:
        return self.to_html()
