"""utils.results: printing, JSON per notebook, targets."""

from __future__ import annotations

import json

from utils import results


def test_record_prints_and_writes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NNKURS_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("NNKURS_NOTEBOOK", "02_test")
    monkeypatch.setenv("NNKURS_FAST", "0")
    assert results.record("test_accuracy", 0.981, at_least=0.98) == 0.981
    results.record("train_seconds", 75.0, unit="s", at_most=60)
    out = capsys.readouterr().out
    assert "Ergebnis test_accuracy: 0.981 (Ziel ≥ 0.98)" in out
    assert "Achtung: Das Ziel ≤ 60 wurde nicht erreicht." in out
    entries = json.loads((tmp_path / "02_test.json").read_text(encoding="utf-8"))
    assert [(e["name"], e["met"]) for e in entries] == [("test_accuracy", True),
                                                        ("train_seconds", False)]
    assert results.load(tmp_path)["02_test"][1]["unit"] == "s"


def test_record_without_directory_only_prints(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("NNKURS_RESULTS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    results.record("x", 1)
    assert "Ergebnis x: 1" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_missed_target_is_not_alarming_in_fast_mode(monkeypatch, capsys):
    monkeypatch.setenv("NNKURS_FAST", "1")
    results.record("acc", 0.5, at_least=0.9)
    assert "Achtung" not in capsys.readouterr().out


def test_timer_records_seconds(tmp_path, monkeypatch):
    monkeypatch.setenv("NNKURS_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("NNKURS_NOTEBOOK", "t")
    with results.timer("seconds"):
        sum(range(1000))
    (entry,) = results.load(tmp_path)["t"]
    assert entry["unit"] == "s" and 0 <= entry["value"] < 5
