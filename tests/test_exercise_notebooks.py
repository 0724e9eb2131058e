"""Every exercise notebook runs top to bottom with all exercises open (issue 13 §1).

Executed in fast mode, without strict self-checks (as a student runs it), errors allowed.
The only cells that may raise are

- exercise cells (they hold the placeholder) – and then only the placeholder's
  ``NotImplementedError``;
- cells tagged ``braucht-loesung`` (they say in German that they need the student's own code).

Every other failing cell is named in the failure message. A self-check of an open exercise must
report "offen" (one calm line), never an error. (The solution notebooks are executed completely
by nbval, see ``make test``.)
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLACEHOLDER = "raise NotImplementedError("
NEEDS_SOLUTION = "braucht-loesung"
CHECK_MIME = "application/vnd.nnkurs.check+json"


def run_all_cells(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    env = {**os.environ, "NNKURS_FAST": "1", "NNKURS_STRICT_CHECKS": "0",
           "NNKURS_NOTEBOOK": path.stem, "PYTHONPATH": str(ROOT)}
    env.pop("MPLBACKEND", None)
    env.pop("NNKURS_RESULTS_DIR", None)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    return nb


def unexpected_failures(nb: nbformat.NotebookNode) -> list[str]:
    """A German line for every cell that raised although it may not."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if not errors:
            continue
        ename = errors[0].ename
        if NEEDS_SOLUTION in cell.metadata.get("tags", []):
            continue
        if PLACEHOLDER in cell.source and ename == "NotImplementedError":
            continue
        first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        problems.append(f"Zelle {index} ({first_line[:60]!r}): {ename}: "
                        f"{errors[0].evalue[:200]}")
    return problems


def verdict_statuses(nb: nbformat.NotebookNode) -> list[str]:
    return [o["data"][CHECK_MIME]["status"] for cell in nb.cells if cell.cell_type == "code"
            for o in cell.get("outputs", []) if CHECK_MIME in o.get("data", {})]


def test_there_are_exercise_notebooks():
    assert EXERCISES, "notebooks/ enthält keine Aufgaben-Notebooks"


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_exercise_notebook_runs_with_all_exercises_open(path):
    source = nbformat.read(path, as_version=4)
    assert any(c.cell_type == "code" and PLACEHOLDER in c.source for c in source.cells), \
        f"{path.name} enthält keine Aufgabe"
    nb = run_all_cells(path)
    problems = unexpected_failures(nb)
    assert not problems, f"{path.name}: unerwartete Fehler\n" + "\n".join(problems)
    statuses = verdict_statuses(nb)
    assert statuses, f"{path.name}: keine Selbstkontrolle hat ein Urteil angezeigt"
    assert "falsch" not in statuses, f"{path.name}: eine offene Aufgabe wurde als falsch bewertet"


def test_unexpected_failures_names_the_cell():
    nb = nbformat.v4.new_notebook()
    error = nbformat.v4.new_output("error", ename="NameError", evalue="name 'x' is not defined",
                                   traceback=[])
    placeholder_error = nbformat.v4.new_output("error", ename="NotImplementedError", evalue="",
                                               traceback=[])
    nb.cells = [nbformat.v4.new_code_cell("print(x)", outputs=[error]),
                nbformat.v4.new_code_cell(f"# IHR CODE HIER\n{PLACEHOLDER}'…')",
                                          outputs=[placeholder_error]),
                nbformat.v4.new_code_cell(f"{PLACEHOLDER}'…')\nprint(y)", outputs=[error]),
                nbformat.v4.new_code_cell("train(mein_netz)", outputs=[error],
                                          metadata={"tags": [NEEDS_SOLUTION]})]
    problems = unexpected_failures(nb)
    assert len(problems) == 2
    assert problems[0].startswith("Zelle 0 ('print(x)'): NameError")
    assert problems[1].startswith("Zelle 2")
