"""scripts/course_format.py: the notebook format every tool shares."""

from __future__ import annotations

import course_format as fmt
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell


@pytest.mark.parametrize("line, markdown, kind", [
    ("### BEGIN SOLUTION", False, "begin"),
    ("        ### END SOLUTION  ", False, "end"),
    ("<!-- BEGIN SOLUTION -->", True, "begin"),
    ("<!--END SOLUTION-->", True, "end"),
    ("### END SOLUTION", True, "end"),
    ("x = 1  # Lösung folgt", False, None),
    ('print("BEGIN SOLUTION")', False, None),
    ("Am Ende steht die Lösung.", True, None),
])
def test_exact_markers_and_ordinary_lines(line, markdown, kind):
    assert fmt.marker_kind(line, markdown=markdown) == kind


@pytest.mark.parametrize("line", ["## BEGIN SOLUTION", "### Begin Solution", "###BEGIN SOLUTION",
                                  "### BEGIN SOLUTION # x", "<!-- BEGIN SOLUTION --> x",
                                  "<!-- BEGIN SOLUTION ->", "BEGIN_SOLUTION", "# END SOLUTIONS"])
def test_near_misses_are_errors_in_code_and_markdown(line):
    for markdown in (False, True):
        with pytest.raises(fmt.MarkerError, match="sieht aus wie eine Lösungsmarkierung"):
            fmt.marker_kind(line, markdown=markdown)


def test_tag_aware_helpers():
    exercise = new_code_cell("def f():\n    # IHR CODE HIER\n    " + fmt.CODE_PLACEHOLDER[1])
    tagged = new_code_cell("train(mein_netz)", metadata={"tags": [fmt.NEEDS_SOLUTION_TAG]})
    plain = new_code_cell("print(1)")
    text = new_markdown_cell(fmt.PLACEHOLDER_MARK)
    assert fmt.NEEDS_SOLUTION_TAG == "braucht-loesung"
    assert [fmt.is_exercise_cell(c) for c in (exercise, tagged, plain, text)] == [
        True, False, False, False]
    assert [fmt.needs_solution(c) for c in (exercise, tagged, plain, text)] == [
        False, True, False, False]
    assert [fmt.may_fail_while_open(c) for c in (exercise, tagged, plain, text)] == [
        True, True, False, False]


def test_reads_notebook_names_the_file_in_one_german_line():
    with pytest.raises(fmt.NotebookError) as info:
        fmt.reads_notebook('{"cells": [}', "solutions/01_x.ipynb")
    message = str(info.value)
    assert message.startswith("solutions/01_x.ipynb: kein gültiges Notebook – JSON-Fehler in "
                              "Zeile 1, Spalte 12")
    assert "\n" not in message


def test_render_is_deterministic_and_round_trips(tmp_path):
    nb = fmt.reads_notebook('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
                            "x")
    text = fmt.render(nb)
    assert text.endswith("}\n") and fmt.render(fmt.reads_notebook(text, "x")) == text
    path = tmp_path / "n.ipynb"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(fmt.NotebookError, match="UTF-8"):
        fmt.read_notebook(path)
