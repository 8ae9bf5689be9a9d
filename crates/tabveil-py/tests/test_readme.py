"""The README's Python snippet, exactly as written there."""

import contextlib
import io
import re

from conftest import REPO


def snippet():
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README.md has no python block"
    return blocks[0]


def test_the_readme_snippet_runs_and_prints_epsilon_and_quality():
    code = snippet()
    assert len(code.strip().splitlines()) <= 5
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue()
    match = re.search(r"ε = ([0-9.]+), quality = ([0-9.]+)", printed)
    assert match, printed
    assert 0 < float(match.group(1)) <= 3.0
    assert 0.5 < float(match.group(2)) <= 1.0
