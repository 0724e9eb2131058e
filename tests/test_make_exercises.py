"""The exercise generator: placeholders, markdown answers, determinism, marker errors, safety."""

from __future__ import annotations

from pathlib import Path

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import make_exercises as mx

ROOT = Path(__file__).resolve().parent.parent


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
        '    raise NotImplementedError("Aufgabe noch offen: Ersetzen Sie diese Zeile durch Ihre '
        'Lösung.")')
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


# --- misspelt markers --------------------------------------------------------------------------

NEAR_MISS_CODE = [
    "    ## BEGIN SOLUTION",             # too few #
    "    #### BEGIN SOLUTION",           # too many #
    "    # BEGIN SOLUTION",
    "    ###BEGIN SOLUTION",             # no blank
    "    ### begin solution",            # wrong case
    "    ### Begin Solution",
    "    ### BEGIN SOLUTIONS",           # plural
    "    ### BEGIN  SOLUTION",           # two blanks
    "    ### BEGIN_SOLUTION",
    "    ### BEGIN SOLUTION # Aufgabe 1",  # trailing comment
    "    ### BEGIN SOLUTION fertig",     # trailing text
    "    x = 1  ### BEGIN SOLUTION",     # marker after code
    "    <!-- BEGIN SOLUTION -->",       # markdown marker in a code cell
    "    BEGIN SOLUTION",
]


@pytest.mark.parametrize("line", NEAR_MISS_CODE)
def test_near_miss_code_marker_is_an_error_with_cell_and_line(line):
    source = f"def relu(x):\n{line}\n    return np.maximum(x, 0)\n    ### END SOLUTION\n"
    nb = new_notebook(cells=[new_markdown_cell("x"), new_code_cell(source)])
    with pytest.raises(mx.MarkerError, match="sieht aus wie eine Lösungsmarkierung") as info:
        mx.make_exercise(nb, "tippfehler.ipynb")
    assert "tippfehler.ipynb, Zelle 1, Zeile 2" in str(info.value)
    assert line.strip() in str(info.value)


@pytest.mark.parametrize("line", ["    ## END SOLUTION", "    ### END SOLUTION  # Ende",
                                  "    ### end solution", "    ### END SOLUTIONS"])
def test_near_miss_end_marker_is_an_error(line):
    source = f"def relu(x):\n    ### BEGIN SOLUTION\n    return x\n{line}\n"
    with pytest.raises(mx.MarkerError, match="Zelle 0, Zeile 4"):
        mx.make_exercise(new_notebook(cells=[new_code_cell(source)]), "t.ipynb")


@pytest.mark.parametrize("line", [
    "<!-- BEGIN SOLUTION ->",      # broken HTML comment
    "<!- BEGIN SOLUTION -->",
    "<!-- BEGIN SOLUTION",
    "<!-- begin solution -->",
    "<!-- BEGIN SOLUTIONS -->",
    "<!-- BEGIN SOLUTION --> Die Antwort",
    "## BEGIN SOLUTION",
    "BEGIN SOLUTION",
])
def test_near_miss_markdown_marker_is_an_error(line):
    source = f"Frage?\n\n{line}\nDie Antwort ist 42.\n<!-- END SOLUTION -->"
    with pytest.raises(mx.MarkerError, match="Zelle 0, Zeile 3"):
        mx.make_exercise(new_notebook(cells=[new_markdown_cell(source)]), "t.ipynb")


def test_marker_in_a_raw_cell_is_an_error():
    nb = new_notebook(cells=[nbformat.v4.new_raw_cell("### BEGIN SOLUTION\ngeheim")])
    with pytest.raises(mx.MarkerError, match="Zelle 0, Zeile 1"):
        mx.make_exercise(nb, "t.ipynb")


def test_main_reports_a_near_miss_and_writes_nothing(tmp_path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()
    nb = _solution_notebook()
    nb.cells[0].source = nb.cells[0].source.replace("    ### END SOLUTION", "    ## END SOLUTION")
    nbformat.write(nb, solutions / "01_test.ipynb")
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 2
    assert "01_test.ipynb, Zelle 0, Zeile 4" in capsys.readouterr().err
    assert not exercises.exists()


# --- placeholders of top-level exercises --------------------------------------------------------

TOP_LEVEL = """import numpy as np

### BEGIN SOLUTION
import torch.nn as nn
from math import pi as kreiszahl, tau
weights = np.ones(3)
a, (b, *rest) = 1, (2, 3, 4)
total = 0
total += 1
score: float = 0.5
model.layer = 3
table[0] = 1
def make_model():
    inner = 1
    return inner
class Net:
    attribute = 2
for epoch in range(2):
    loss = epoch
with open(__file__) as handle:
    pass
if (found := 3) > 2:
    chosen = found
weights = weights * 2
### END SOLUTION
print(weights)"""


def test_top_level_region_sets_every_bound_name_to_none_in_order():
    ex = mx.make_exercise(new_notebook(cells=[new_code_cell(TOP_LEVEL)]), "t.ipynb")
    names = ["nn", "kreiszahl", "tau", "weights", "a", "b", "rest", "total", "score",
             "make_model", "Net", "epoch", "loss", "handle", "found", "chosen"]
    assert ex.cells[0].source == "\n".join([
        "import numpy as np", "", *(f"{name} = None" for name in names),
        "# IHR CODE HIER",
        'raise NotImplementedError("Aufgabe noch offen: Ersetzen Sie diese Zeile durch Ihre '
        'Lösung.")',
        "print(weights)"])


def test_modules_imported_by_earlier_cells_are_not_set_to_none():
    cells = [new_code_cell("import numpy as np\nimport torch"),
             new_code_cell("### BEGIN SOLUTION\nimport numpy as np\nimport pandas as pd\n"
                           "x = np.ones(2)\n### END SOLUTION")]
    ex = mx.make_exercise(new_notebook(cells=cells), "t.ipynb")
    assert ex.cells[1].source.splitlines()[:3] == ["pd = None", "x = None", "# IHR CODE HIER"]


def test_region_inside_a_function_gets_no_names_but_one_inside_a_loop_does():
    source = ("def f(x):\n    ### BEGIN SOLUTION\n    y = x\n    return y\n    ### END SOLUTION\n"
              "for step in range(3):\n    ### BEGIN SOLUTION\n    last = step\n"
              "    ### END SOLUTION\n")
    ex = mx.make_exercise(new_notebook(cells=[new_code_cell(source)]), "t.ipynb")
    lines = ex.cells[0].source.splitlines()
    assert "y = None" not in ex.cells[0].source and "    y = None" not in lines
    assert lines[1] == "    # IHR CODE HIER"
    assert lines[3:6] == ["for step in range(3):", "    last = None", "    # IHR CODE HIER"]


def test_top_level_placeholder_makes_the_name_none_for_the_self_check():
    source = "### BEGIN SOLUTION\nresult = 42\n### END SOLUTION"
    ex = mx.make_exercise(new_notebook(cells=[new_code_cell(source)]), "t.ipynb")
    namespace: dict = {}
    with pytest.raises(NotImplementedError, match="Aufgabe noch offen"):
        exec(ex.cells[0].source, namespace)  # noqa: S102 - the generated exercise cell
    assert namespace["result"] is None


def test_top_level_region_with_magic_and_invalid_python():
    ok = "%matplotlib inline\n### BEGIN SOLUTION\nvalue = 1\n### END SOLUTION"
    ex = mx.make_exercise(new_notebook(cells=[new_code_cell(ok)]), "t.ipynb")
    assert "value = None" in ex.cells[0].source
    broken = "### BEGIN SOLUTION\nvalue = (\n### END SOLUTION"
    with pytest.raises(mx.MarkerError, match="kein gültiges Python"):
        mx.make_exercise(new_notebook(cells=[new_code_cell(broken)]), "t.ipynb")


# --- safety: never lose a notebook ----------------------------------------------------------------

def _course(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()
    nbformat.write(_solution_notebook(), solutions / "01_test.ipynb")
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    return solutions, exercises


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("solutions_name", ["loesungen", "leer"])
def test_missing_or_empty_solutions_folder_refuses_and_touches_nothing(tmp_path, capsys,
                                                                        solutions_name):
    _, exercises = _course(tmp_path)
    (exercises / "02_eigenes.ipynb").write_text("{}", encoding="utf-8")
    before = _snapshot(exercises)
    if solutions_name == "leer":
        (tmp_path / "leer").mkdir()
    capsys.readouterr()
    code = mx.main(["--solutions", str(tmp_path / solutions_name), "--exercises", str(exercises)])
    assert code != 0
    err = capsys.readouterr().err
    assert "Nichts wurde geschrieben oder gelöscht" in err and solutions_name in err
    assert _snapshot(exercises) == before


def test_inside_the_student_bundle_refuses(tmp_path, monkeypatch, capsys):
    """The bundle ships make_exercises.py but no solutions/: running it deletes nothing."""
    bundle = tmp_path / "nn-kurs-aufgaben"
    (bundle / "notebooks").mkdir(parents=True)
    (bundle / "notebooks" / "01_x.ipynb").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(mx, "ROOT", bundle)
    monkeypatch.chdir(bundle)
    code = mx.main(["--solutions", str(bundle / "solutions"),
                    "--exercises", str(bundle / "notebooks")])
    assert code == 2 and "im Aufgabenpaket" in capsys.readouterr().err
    assert (bundle / "notebooks" / "01_x.ipynb").read_text() == "{}"


def test_exercises_folder_pointing_at_the_solutions_refuses(tmp_path, capsys):
    solutions, _ = _course(tmp_path)
    before = _snapshot(solutions)
    assert mx.main(["--solutions", str(solutions), "--exercises", str(solutions)]) == 2
    assert "wird nicht überschrieben" in capsys.readouterr().err
    assert _snapshot(solutions) == before


def test_exercise_with_a_leaked_near_miss_marker_is_overwritten(tmp_path):
    """An exercise written by the old generator from a misspelt marker holds that near-miss line
    (and the leaked solution): regenerating from the fixed solution must replace it."""
    solutions, exercises = _course(tmp_path)
    good = (exercises / "01_test.ipynb").read_bytes()
    nb = _solution_notebook()
    nb.cells[0].source = nb.cells[0].source.replace("### ", "## ")
    nb.cells[1].source = nb.cells[1].source.replace("<!-- ", "<!- ")
    nbformat.write(nb, exercises / "01_test.ipynb")
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    assert (exercises / "01_test.ipynb").read_bytes() == good


def test_broken_exercise_notebook_is_repaired_by_regenerating(tmp_path):
    """A merge conflict in notebooks/ is fixed by `make exercises` (CONTRIBUTING)."""
    solutions, exercises = _course(tmp_path)
    good = (exercises / "01_test.ipynb").read_bytes()
    (exercises / "01_test.ipynb").write_text("<<<<<<< HEAD\n{", encoding="utf-8")
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    assert (exercises / "01_test.ipynb").read_bytes() == good


def test_only_generated_notebooks_without_solution_are_deleted(tmp_path, capsys):
    solutions, exercises = _course(tmp_path)
    nbformat.write(_solution_notebook(), solutions / "02_weg.ipynb")
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    foreign = exercises / "03_eigenes.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), foreign)
    (solutions / "02_weg.ipynb").unlink()
    capsys.readouterr()
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    out = capsys.readouterr()
    assert not (exercises / "02_weg.ipynb").exists()  # generated by us: its solution is gone
    assert foreign.is_file() and "nicht gelöscht" in out.err  # not ours: kept
    assert mx.main(["--check", "--solutions", str(solutions), "--exercises", str(exercises)]) == 1


def test_generated_notebooks_say_so_in_their_metadata(tmp_path):
    _, exercises = _course(tmp_path)
    nb = nbformat.read(exercises / "01_test.ipynb", as_version=4)
    assert nb.metadata["nn-kurs"] == {"generated_from": "solutions/01_test.ipynb"}
    assert mx.was_generated(exercises / "01_test.ipynb")


# --- broken notebook files ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ['{"cells": [', "", "[]", "{}", '{"cells": "x", "nbformat": 4}'])
def test_invalid_notebook_json_is_one_german_line_naming_the_file(tmp_path, capsys, text):
    solutions, exercises = _course(tmp_path)
    (solutions / "02_kaputt.ipynb").write_text(text, encoding="utf-8")
    before = _snapshot(exercises)
    capsys.readouterr()
    assert mx.main(["--solutions", str(solutions), "--exercises", str(exercises)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(solutions / "02_kaputt.ipynb") in err and "kein" in err
    assert _snapshot(exercises) == before
    json.dumps(err)  # plain text
