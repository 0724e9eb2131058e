"""scripts/run_notebook.py: executed notebooks keep their figures and their placeholder stop."""

from __future__ import annotations

from pathlib import Path

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import run_notebook
from run_notebook import execute, kernel_env

ROOT = Path(__file__).resolve().parent.parent


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


def test_kernel_env_adds_settings_without_touching_the_process_environment(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", "/anderswo")
    before = dict(os.environ)
    env = kernel_env({"NNKURS_FAST": "1", "NNKURS_NOTEBOOK": 3})
    assert dict(os.environ) == before
    assert env["NNKURS_FAST"] == "1" and env["NNKURS_NOTEBOOK"] == "3"
    assert "MPLBACKEND" not in env
    assert env["PYTHONPATH"].split(os.pathsep) == [str(run_notebook.ROOT), "/anderswo"]
    assert kernel_env({}, base={"A": "1"}) == {"A": "1", "PYTHONPATH": str(run_notebook.ROOT)}


@pytest.mark.notebook
def test_settings_reach_the_kernel_and_the_environment_stays_as_it_was(tmp_path, monkeypatch):
    monkeypatch.setenv("NNKURS_FAST", "0")
    before = dict(os.environ)
    path = _write(tmp_path, "import os\nprint(os.environ['NNKURS_FAST'], "
                            "os.environ['NNKURS_NOTEBOOK'])")
    nb, _, _ = execute(path, env={"NNKURS_FAST": "1", "NNKURS_NOTEBOOK": "probe"}, timeout=120)
    assert nb.cells[0].outputs[0]["text"] == "1 probe\n"
    assert dict(os.environ) == before


def test_broken_notebook_is_one_german_line(tmp_path, capsys):
    path = tmp_path / "kaputt.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    assert run_notebook.main([str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and "kein gültiges Notebook" in err
