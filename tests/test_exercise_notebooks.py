"""Every exercise notebook runs in a fresh kernel up to its first placeholder, without error.

If the placeholder cell itself stops, it must be with ``NotImplementedError`` – that is what
a student sees first (a cell that only defines a function with a placeholder runs through). (The solution notebooks are executed completely by nbval, see ``make test``.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from run_notebook import execute, first_placeholder  # noqa: E402

EXERCISES = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_exercise_notebooks():
    assert EXERCISES, "notebooks/ enthält keine Aufgaben-Notebooks"


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_exercise_runs_until_first_placeholder(path):
    nb = nbformat.read(path, as_version=4)
    assert first_placeholder(nb) is not None, f"{path.name} enthält keine Aufgabe"
    # execute() re-raises any error other than NotImplementedError in the placeholder cell.
    executed, _, _ = execute(path, env={"NNKURS_FAST": "1"}, timeout=600, until_placeholder=True)
    errors = [o for cell in executed.cells[:-1] if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors
