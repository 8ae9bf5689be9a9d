"""``tabveil.Synthesizer``: fit a model privately on a DataFrame, then sample and report."""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Mapping, Optional, Union

from . import _frames, _tabveil
from ._report import PrivacyReport
from .errors import ConfigError, FitCancelled, NotPrivateWarning

Callback = Callable[[dict], Optional[bool]]


class Synthesizer:
    """A synthesizer of tabular data: CTGAN, TVAE or any model of the library, trained with
    differential privacy (DP-SGD, every preprocessing statistic on the same ledger) or, with
    ``non_private=True``, exactly as SDV trains it (no privacy guarantee at all).

    >>> synth = Synthesizer("ctgan", epsilon=3.0, delta=1e-6, epochs=30)  # doctest: +SKIP
    >>> synth.fit(df, schema=schema).sample(1000)                           # doctest: +SKIP

    Parameters:
        model: the model's name, e.g. ``"ctgan"`` or ``"tvae"``; passed to the library, which
            knows every model it has.
        epsilon, delta: the privacy budget of the whole pipeline (required together, no
            defaults), under add/remove-one-row neighbouring.
        non_private: train without differential privacy instead.
        epochs, batch_size: the training schedule (SDV's defaults: 300 and 500).
        seed: seed of everything that is not privacy randomness (initialisation, sampling of
            conditions, generation).
        clipping_norm, preprocessing_share, accountant: private settings (``1.0``, ``0.1``,
            ``"rdp"``; ``"pld"`` is tighter and slower).
        dangerous_noise_seed: fixes the privacy noise, for tests and research only; the
            guarantee then rests on the seed staying secret, and the report says so.
        discover_schema: a share in (0, 1) of ``epsilon`` and ``delta``: :meth:`fit` then
            discovers privately what the schema leaves out — categories (Gaussian
            thresholding: values held by too few rows go to an ``"(other)"`` category), bounds
            (noisy tail quantiles over public cells), nullability — so the schema needs only
            column names and kinds, or nothing at all. Every model supports it (CTGAN, TVAE,
            the marginal model): the fit composes the discovery's releases first, so the whole
            run spends at most (``epsilon``, ``delta``) by the accountant, on one ledger. The
            discovered schema is :attr:`schema` after the fit.
        target: the column whose relationships with the others matter most (a prediction
            target): the marginal model weighs the marginals that contain it (default: the
            schema's ``target``, if any); refused for a model that takes no target.
        memory_limit: the memory a fit may need, in bytes (e.g. ``8 * 2**30``), or ``"none"``
            for no check; default: the machine's memory. A plan whose model needs more, whatever
            the data (the marginal model's junction tree for the domain sizes), is refused
            before any data is read (``E-MODEL-TOO-WIDE``).
        progress: ``True`` draws a tqdm bar (terminal or notebook) when tqdm is installed,
            ``False`` draws none; ``"auto"`` (default) draws one when tqdm is installed.
        callback: called with a dict per preprocessed column (``event="preprocessing"``) and per
            epoch (``event="epoch"``: ``epoch``, ``epochs``, ``epsilon``, ``losses``); returning
            ``False`` cancels the fit (:class:`~tabveil.errors.FitCancelled`).
    """

    def __init__(
        self,
        model: str = "ctgan",
        *,
        epsilon: Optional[float] = None,
        delta: Optional[float] = None,
        non_private: bool = False,
        epochs: Optional[int] = None,
        batch_size: Optional[int] = None,
        seed: Optional[int] = None,
        clipping_norm: Optional[float] = None,
        preprocessing_share: Optional[float] = None,
        accountant: Optional[str] = None,
        dangerous_noise_seed: Optional[int] = None,
        discover_schema: Optional[float] = None,
        target: Optional[str] = None,
        memory_limit: Union[int, str, None] = None,
        progress: Union[bool, str] = "auto",
        callback: Optional[Callback] = None,
    ) -> None:
        self._settings = dict(
            epsilon=epsilon,
            delta=delta,
            non_private=non_private,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            clipping_norm=clipping_norm,
            preprocessing_share=preprocessing_share,
            accountant=accountant,
            dangerous_noise_seed=dangerous_noise_seed,
            discover_schema=discover_schema,
            target=target,
            memory_limit=memory_limit,
        )
        self._model = model
        self._config = _tabveil.Config(model, **self._settings)
        self._fitted: Optional[Any] = None
        self.progress = progress
        self.callback = callback

    # ------------------------------------------------------------------ fit

    def validate(self, schema: Any, n_rows: int) -> dict:
        """Every finding of the validator (codes, fixes) and the training plan for a table of
        ``schema`` with ``n_rows`` rows. Reads no data and spends no privacy."""
        return self._config.validate(_schema(schema), int(n_rows))

    def fit(
        self,
        data: Any,
        schema: Any = None,
        *,
        null_values: Optional[list] = None,
        out_of_bounds: str = "error",
        extra_columns: str = "error",
    ) -> "Synthesizer":
        """Fits the model on ``data`` and returns ``self``.

        ``data`` is a pandas or polars DataFrame or a pyarrow Table, read through Arrow and
        checked against ``schema`` (a :class:`~tabveil.Schema`, a dict, JSON text or a path)
        with the rules of the CSV reader: ``null_values`` are text cells read as missing,
        ``out_of_bounds`` is ``"error"`` or ``"clip"``, ``extra_columns`` ``"error"`` or
        ``"ignore"``. Without a schema, a non-private fit infers one from the data; a private
        fit refuses, since bounds and categories read from the data are not private — unless
        the synthesizer was built with ``discover_schema``: the schema (optional) then
        declares what is public and the rest is discovered privately, the whole run within
        the budget (``null_values`` are then read as missing by the discovery too).

        The GIL is released while fitting. Ctrl-C cancels the fit after the current step and
        raises :class:`~tabveil.errors.FitCancelled` with the releases made so far.

        Raises: :class:`~tabveil.errors.PlanRejected` (nothing read, nothing spent),
        :class:`~tabveil.errors.DataError`, :class:`~tabveil.errors.FitFailedAfterReleases`,
        :class:`~tabveil.errors.FitCancelled`.
        """
        if self._config.discovers_schema:
            schema = None if schema is None else _schema(schema)
        else:
            if schema is None:
                if self._config.is_private:
                    raise ConfigError(
                        "a private fit needs a public schema (bounds and categories you "
                        "vouch for): pass schema=..., or discover it privately with "
                        "discover_schema=SHARE; tabveil.infer_schema(df) drafts one, not "
                        "private"
                    )
                schema = infer_schema(data, warn=False)
            schema = _schema(schema)
        arrow = _frames.to_arrow(data)
        with _Progress(self.progress, self.callback, self._config.training_config()) as cb:
            try:
                fitted, notes = self._config.fit(
                    arrow,
                    schema,
                    null_values=null_values,
                    out_of_bounds=out_of_bounds,
                    extra_columns=extra_columns,
                    callback=cb,
                )
            except FitCancelled as e:
                if e.fitted is not None:
                    e.synthesizer = self._with_fitted(e.fitted)
                raise
        for note in notes:
            category = NotPrivateWarning if "not private" in note else UserWarning
            warnings.warn(note, category, stacklevel=2)
        self._fitted = fitted
        return self

    # --------------------------------------------------------------- sample

    def sample(
        self,
        n: int,
        *,
        conditions: Optional[Mapping[str, Any]] = None,
        seed: int = 0,
        output: str = "pandas",
    ) -> Any:
        """``n`` synthetic rows (post-processing: costs no privacy), reproducible from ``seed``.

        ``conditions`` maps categorical or boolean columns to the value every row must take
        (``None`` for missing). ``output`` is ``"pandas"`` (default: ``Int64``/``int64``,
        ``category``, ``datetime64[s]``, ``boolean``/``bool``, ``float64`` dtypes),
        ``"arrow"`` (a pyarrow Table) or ``"polars"``. The GIL is released while generating.
        """
        fitted = self._require_fitted()
        if n < 1:
            raise ConfigError("sample(n): n must be at least 1")
        conds = None
        if conditions:
            conds = [(str(k), _label(v)) for k, v in conditions.items()]
        table = fitted.sample(int(n), seed=int(seed), conditions=conds)
        return _frames.from_arrow(table, output)

    # -------------------------------------------------------------- inspect

    @property
    def model(self) -> str:
        """The model's name."""
        return self._config.model

    @property
    def is_private(self) -> bool:
        """True for a differentially private synthesizer."""
        return self._config.is_private

    @property
    def is_fitted(self) -> bool:
        """True once fitted (or loaded)."""
        return self._fitted is not None

    @property
    def epsilon_spent(self) -> Optional[float]:
        """ε spent by the whole pipeline at the fit's δ, recomputed from the ledger
        (``None`` without privacy)."""
        return self._require_fitted().epsilon_spent

    @property
    def ledger(self) -> Optional[dict]:
        """The privacy ledger: every release of the fit, in order (``None`` without privacy)."""
        return self._require_fitted().ledger

    @property
    def schema(self) -> "_tabveil.Schema":
        """The schema the model was fitted on."""
        return self._require_fitted().schema

    @property
    def summary(self) -> dict:
        """Why the fit stopped, epochs and steps done, and the private plan (N̂, σ, q)."""
        return self._require_fitted().summary()

    @property
    def warnings(self) -> list:
        """The validator's warnings kept with the model (finding dicts)."""
        return self._require_fitted().warnings()

    def report(self) -> PrivacyReport:
        """The privacy report (``to_dict``, ``to_markdown``, ``to_html``; shown as HTML in
        notebooks). Every number is recomputed from the ledger."""
        return PrivacyReport(self._require_fitted())

    # -------------------------------------------------------- save and load

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Saves the model into the directory ``path``: the same files as ``tabveil fit
        --out``, so the command line can sample from it and vice versa."""
        self._require_fitted().save(os.fspath(path))

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Synthesizer":
        """Loads a model directory written by :meth:`save` or by ``tabveil fit``."""
        fitted = _tabveil.Fitted.load(os.fspath(path))
        return cls._from_fitted(fitted)

    def __getstate__(self) -> dict:
        return {
            "model": self._model,
            "settings": self._settings,
            "progress": self.progress,
            "fitted": None if self._fitted is None else self._fitted.to_bytes(),
        }

    def __setstate__(self, state: dict) -> None:
        self._model = state["model"]
        self._settings = state["settings"]
        self._config = _tabveil.Config(self._model, **self._settings)
        self.progress = state["progress"]
        self.callback = None
        blob = state["fitted"]
        self._fitted = None if blob is None else _tabveil.Fitted.from_bytes(blob)

    def __repr__(self) -> str:
        state = "fitted" if self._fitted is not None else "not fitted"
        privacy = "private" if self.is_private else "NON-PRIVATE"
        return f"Synthesizer(model={self.model!r}, {privacy}, {state})"

    # -------------------------------------------------------------- helpers

    @classmethod
    def _from_fitted(cls, fitted: Any) -> "Synthesizer":
        # {"model": {"kind": ..., the model's settings, "privacy": {...}}}; a model without a
        # DP-SGD schedule (the marginal model) has no epochs or batch size.
        config = fitted.training_config()["model"]
        privacy = config["privacy"]
        self = cls.__new__(cls)
        schedule = {k: config[k] for k in ("epochs", "batch_size") if k in config}
        if privacy["mode"] == "dp":
            settings = dict(epsilon=privacy["epsilon"], delta=privacy["delta"], **schedule)
        else:
            settings = dict(non_private=True, **schedule)
        if config.get("target") is not None:
            settings["target"] = config["target"]
        self._model = fitted.model
        self._settings = settings
        self._config = _tabveil.Config(fitted.model, **settings)
        self._fitted = fitted
        self.progress = "auto"
        self.callback = None
        return self

    def _with_fitted(self, fitted: Any) -> "Synthesizer":
        other = Synthesizer.__new__(Synthesizer)
        other.__dict__.update(self.__dict__)
        other._fitted = fitted
        return other

    def _require_fitted(self) -> Any:
        if self._fitted is None:
            raise ConfigError("the synthesizer is not fitted: call fit(data, schema=...) first")
        return self._fitted


def _label(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _schema(schema: Any) -> "_tabveil.Schema":
    if isinstance(schema, _tabveil.Schema):
        return schema
    if isinstance(schema, os.PathLike):
        schema = os.fspath(schema)
    return _tabveil.Schema(schema)


def infer_schema(
    data: Any, name: str = "table", *, null_values: Optional[list] = None, warn: bool = True
) -> "_tabveil.Schema":
    """A draft schema read from ``data`` (pandas, polars or Arrow): kinds, nullability,
    integer-ness, and bounds and categories **read from the data**.

    Those bounds and categories are exact values of the data and can reveal individual rows: a
    loud :class:`~tabveil.errors.NotPrivateWarning` says so. Review the schema and replace them
    with public knowledge (a codebook, known ranges) before any private use.
    """
    schema, warning, columns = _tabveil.infer_schema(
        _frames.to_arrow(data), name, null_values=null_values
    )
    if warn and columns:
        warnings.warn(warning, NotPrivateWarning, stacklevel=2)
    return schema


class _Progress:
    """tqdm (when installed and wanted) and the user's callback, as one native callback."""

    def __init__(self, progress: Union[bool, str], callback: Optional[Callback], config: dict):
        self.callback = callback
        self.bar = None
        self.epochs = config.get("epochs")
        if progress is True or progress == "auto":
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=self.epochs, desc="fit", unit="epoch", leave=False)
            elif progress is True:
                warnings.warn("progress=True needs tqdm (pip install tqdm)", stacklevel=3)

    def __enter__(self) -> Callback:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, event: dict) -> bool:
        if self.bar is not None:
            if event["event"] == "preprocessing":
                self.bar.set_description(f"preprocessing {event['done']}/{event['total']}")
            elif event["event"] == "epoch":
                self.bar.set_description("fit")
                if event.get("epsilon") is not None:
                    self.bar.set_postfix(epsilon=f"{event['epsilon']:.3f}")
                self.bar.update(1)
        if self.callback is not None:
            return self.callback(event) is not False
        return True


def read_table(
    data: Any,
    schema: Any,
    *,
    null_values: Optional[list] = None,
    out_of_bounds: str = "error",
    extra_columns: str = "error",
    output: str = "pandas",
) -> Any:
    """``data`` read against ``schema`` exactly as :meth:`Synthesizer.fit` reads it, and given
    back typed by the schema (see :meth:`Synthesizer.sample` for the dtypes): a check of a
    DataFrame before a fit, with the same :class:`~tabveil.errors.DataError` (column, row)."""
    table, notes = _tabveil.read_table(
        _frames.to_arrow(data),
        _schema(schema),
        null_values=null_values,
        out_of_bounds=out_of_bounds,
        extra_columns=extra_columns,
    )
    for note in notes:
        category = NotPrivateWarning if "not private" in note else UserWarning
        warnings.warn(note, category, stacklevel=2)
    return _frames.from_arrow(table, output)
