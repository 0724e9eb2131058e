"""scripts/make_figures.py draws every img/*.png, deterministically and at notebook width."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

import make_figures  # noqa: E402


def test_figures_are_generated_and_current(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert make_figures.main(["--out", str(first)]) == 0
    assert make_figures.main(["--out", str(second), "neuron"]) == 0
    names = sorted(p.name for p in first.glob("*.png"))
    assert names == sorted(f"{name}.png" for name in make_figures.FIGURES)
    assert (second / "neuron.png").read_bytes() == (first / "neuron.png").read_bytes()
    # every committed figure is made by the script (no hand-drawn or stale PNG in img/)
    assert sorted(p.name for p in (ROOT / "img").glob("*.png")) == names
    for name in names:
        drawn = np.asarray(Image.open(first / name).convert("RGB"))
        committed = np.asarray(Image.open(ROOT / "img" / name).convert("RGB"))
        assert drawn.shape[1] == 900, f"{name}: {drawn.shape[1]} px breit"
        assert 250 <= drawn.shape[0] <= 700, f"{name}: {drawn.shape[0]} px hoch"
        assert np.array_equal(drawn, committed), f"img/{name} ist veraltet: `make figures`"


def test_unknown_figure_is_an_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        make_figures.main(["--out", str(tmp_path), "gibt_es_nicht"])
    assert exc.value.code == 2
    assert "unbekannte Abbildung" in capsys.readouterr().err
