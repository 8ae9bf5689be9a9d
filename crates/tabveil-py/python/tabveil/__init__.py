"""tabveil: differentially private synthetic tabular data.

DP-CTGAN and DP-TVAE (and every model of the Rust library) trained with DP-SGD on a pandas or
polars DataFrame or a pyarrow Table, with privacy accounting that covers the whole pipeline,
preprocessing included, and an honest privacy report.

>>> import tabveil
>>> real, schema = tabveil.datasets.adult(), tabveil.datasets.adult_schema()  # doctest: +SKIP
>>> synth = tabveil.Synthesizer("ctgan", epsilon=3.0, delta=1e-6, epochs=10)  # doctest: +SKIP
>>> synth.fit(real, schema=schema).sample(1000)                               # doctest: +SKIP

- :class:`Synthesizer`: fit, sample (post-processing), report, save and load;
- :class:`Schema` and :func:`infer_schema` (not private: it warns); :func:`read_table` checks
  a DataFrame against a schema as ``fit`` does;
- :func:`evaluate`: SDMetrics-compatible quality, ML utility and leakage;
- :mod:`tabveil.accountant`: ε, σ and RDP of DP-SGD histories;
- :mod:`tabveil.datasets`: the bundled UCI Adult data;
- :mod:`tabveil.errors`: the exceptions, with finding codes and ledgers.
"""

from . import accountant, datasets, errors
from ._evaluate import evaluate
from ._report import Evaluation, PrivacyReport
from ._synthesizer import Synthesizer, infer_schema, read_table
from ._tabveil import Schema, __version__
from .errors import NotPrivateWarning

__all__ = [
    "Synthesizer",
    "Schema",
    "infer_schema",
    "read_table",
    "evaluate",
    "Evaluation",
    "PrivacyReport",
    "NotPrivateWarning",
    "accountant",
    "datasets",
    "errors",
    "__version__",
]
