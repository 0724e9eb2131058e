"""scripts/bench.py: the seed table built from stored runs (no notebook is executed here)."""

import json

import bench

from utils import config


def store(out, seed, stem, seconds, entries, error=None):
    folder = out / f"seed-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps(entries), "utf-8")
    run = {"seconds": seconds, "load_mean": 1.5, "load_max": 2.0, "device": "CPU x", "fast": False,
           "stamp": "2026-12-02 20:00", "error": error}
    (folder / f"{stem}.run.json").write_text(json.dumps(run), "utf-8")


def entry(name, value, at_least=None):
    return {"name": name, "value": value, "unit": "", "at_least": at_least, "at_most": None,
            "met": at_least is None or value >= at_least, "fast": False}


def test_table_shows_min_median_max_and_the_seed_that_missed(tmp_path):
    for seed, acc in ((0, 0.95), (1, 0.93), (2, 0.96)):
        store(tmp_path, seed, "05_x", 800 + seed, [entry("ResNet: Testgenauigkeit", acc, 0.94)])
    rows = bench.collect(tmp_path)
    assert [r["name"] for r in rows] == ["Laufzeit des Notebooks", "ResNet: Testgenauigkeit"]
    text = bench.table(rows)
    line = next(l for l in text.splitlines() if "ResNet" in l)
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2:8] == ["0.95", "0.93", "0.96", "0.93", "0.95", "0.96"]
    assert cells[-1] == "VERFEHLT bei Startwert 1"
    runtime = next(l for l in text.splitlines() if "Laufzeit" in l)
    assert "800 (Last 1.5, max 2.0)" in runtime


def test_all_seeds_met_is_ok_and_a_failed_run_is_named(tmp_path):
    store(tmp_path, 0, "02_y", 10, [entry("Testgenauigkeit", 0.99, 0.98)])
    store(tmp_path, 1, "02_y", 11, [entry("Testgenauigkeit", 0.985, 0.98)])
    store(tmp_path, 0, "03_z", 5, [], error="CellExecutionError: boom")
    text = bench.table(bench.collect(tmp_path))
    assert next(l for l in text.splitlines() if "Testgenauigkeit" in l).rstrip(" |").endswith("ok")
    assert "FEHLER bei Startwert 0" in text
    assert bench.table(bench.collect(tmp_path, ["02_y"])).count("\n") == 3  # header, rule, 2 rows
    only_seed_1 = bench.collect(tmp_path, ["02_y"], seeds=[1])
    assert [r["values"] for r in only_seed_1] == [{1: 11}, {1: 0.985}]


def test_seed_offset_shifts_every_seed(monkeypatch):
    monkeypatch.delenv("NNKURS_SEED", raising=False)
    assert config.seed_everything(42) == 42
    assert "NNKURS_SEED" not in config.mode_summary()
    monkeypatch.setenv("NNKURS_SEED", "2")
    assert config.seed_everything(42) == 44
    assert "NNKURS_SEED=2" in config.mode_summary()
    monkeypatch.setenv("NNKURS_SEED", "zwei")
    try:
        config.seed_everything(0)
    except ValueError as exc:
        assert "ganze Zahl" in str(exc)
    else:
        raise AssertionError("NNKURS_SEED=zwei was accepted")
