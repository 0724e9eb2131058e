"""utils.progress: the stored output of a progress display is its final state."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from utils.progress import Progress

ROOT = Path(__file__).resolve().parent.parent


def test_outside_a_notebook_prints_the_final_line(capsys):
    with Progress(3, "Training", "Epochen") as bar:
        for _ in range(3):
            bar.update(1, loss="0.5")
    out = capsys.readouterr().out
    assert out.startswith("Training: 3/3 Epochen (") and out.rstrip().endswith("– loss 0.5")


def test_disabled_shows_nothing(capsys):
    with Progress(3, enabled=False) as bar:
        bar.update(3)
    assert capsys.readouterr().out == ""


@pytest.mark.notebook
def test_stored_notebook_output_is_the_final_state():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from utils.progress import Progress\n"
        "with Progress(15, 'Training', 'Epochen') as bar:\n"
        "    for epoch in range(15):\n"
        "        bar.update(1, loss=f'{1 / (epoch + 1):.4f}')\n")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    NotebookClient(nb, timeout=120, kernel_name="python3").execute(env=env)
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1, outputs
    data = outputs[0]["data"]
    assert data["text/plain"].startswith("Training: 15/15 Epochen (")
    assert data["text/plain"].endswith("– loss 0.0667")
    assert '<progress value="15" max="15">' in data["text/html"]
    assert not any("widget" in key for key in data)
