"""scripts/run_notebook.py: executed notebooks keep their figures and their placeholder stop."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent

from run_notebook import execute


def _write(tmp_path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
def test_figures_survive_a_non_interactive_backend_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = _write(tmp_path, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    nb, _, _ = execute(path, timeout=120)
    outputs = nb.cells[0].outputs
    assert any("image/png" in o.get("data", {}) for o in outputs), outputs


@pytest.mark.notebook
def test_until_placeholder_stops_at_the_first_placeholder(tmp_path):
    path = _write(tmp_path, "x = 1",
                  '# IHR CODE HIER\nraise NotImplementedError("Ersetzen Sie diese Zeile.")',
                  "raise RuntimeError('darf nicht laufen')")
    nb, _, stop = execute(path, timeout=120, until_placeholder=True)
    assert len(nb.cells) == 2 and stop is not None
