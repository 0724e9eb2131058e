"""The exercise generator: placeholders, markdown answers, determinism, marker errors."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import make_exercises as mx  # noqa: E402


def _solution_notebook():
    code = new_code_cell(
        "def relu(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    return np.maximum(x, 0)\n"
        "    ### END SOLUTION\n",
        execution_count=3,
        outputs=[new_output("stream", name="stdout", text="geheim\n")],
    )
    answer = new_markdown_cell("Frage?\n\n<!-- BEGIN SOLUTION -->\nDie Antwort ist 42.\n"
                               "<!-- END SOLUTION -->\n\nNoch ein Satz.")
    plain = new_code_cell("print('bleibt')", execution_count=4)
    return new_notebook(cells=[code, answer, plain])


def test_code_region_becomes_placeholder_with_indentation():
    ex = mx.make_exercise(_solution_notebook(), "t.ipynb")
    assert ex.cells[0].source == (
        "def relu(x):\n    # IHR CODE HIER\n"
        '    raise NotImplementedError("Ersetzen Sie diese Zeile durch Ihre Lösung.")')
    assert ex.cells[0].outputs == [] and ex.cells[0].execution_count is None


def test_markdown_answer_becomes_prompt_and_rest_is_kept():
    ex = mx.make_exercise(_solution_notebook(), "t.ipynb")
    assert "42" not in ex.cells[1].source
    assert ex.cells[1].source == "Frage?\n\n*IHRE ANTWORT HIER*\n\nNoch ein Satz."
    assert ex.cells[2].source == "print('bleibt')" and ex.cells[2].execution_count is None


def test_solution_is_not_modified():
    solution = _solution_notebook()
    mx.make_exercise(solution, "t.ipynb")
    assert "np.maximum" in solution.cells[0].source and solution.cells[0].outputs


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1\n", "nie geschlossen"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "innerhalb"),
    ("x = 1\n### END SOLUTION\n", "ohne BEGIN"),
])
def test_broken_markers_name_notebook_and_cell(source, message):
    nb = new_notebook(cells=[new_markdown_cell("x"), new_code_cell(source)])
    with pytest.raises(mx.MarkerError, match=message) as info:
        mx.make_exercise(nb, "kaputt.ipynb")
    assert "kaputt.ipynb, Zelle 1" in str(info.value)


def test_generation_is_deterministic_and_check_detects_staleness(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()
    nbformat.write(_solution_notebook(), solutions / "01_test.ipynb")
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    first = (exercises / "01_test.ipynb").read_bytes()
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    assert (exercises / "01_test.ipynb").read_bytes() == first
    assert mx.main(["--check", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    (exercises / "01_test.ipynb").write_text(first.decode() + " ", encoding="utf-8")
    assert mx.main(["--check", "--solutions", str(solutions), "--exercises", str(exercises)]) == 1


def test_repository_exercises_are_current():
    assert mx.main(["--check"]) == 0
