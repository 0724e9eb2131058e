#!/usr/bin/env python3
"""Run the solution notebooks in full mode and print one table of what they recorded.

Each notebook runs in a fresh kernel with ``NNKURS_RESULTS_DIR`` set; the figures it records
with :func:`utils.results.record` are collected with the wall time, the machine's load during
the run and the device. With several seeds (``NNKURS_SEED``, see
:func:`utils.config.seed_offset`) each notebook runs once per seed and the table shows the
minimum, median and maximum of every figure, and whether its target held in every run.

    python scripts/bench.py                       # all notebooks, seed 0
    python scripts/bench.py --only 02 05          # some notebooks (prefix of the file name)
    python scripts/bench.py --seeds 0 1 2         # three runs per notebook
    python scripts/bench.py --check               # exit 1 if a run misses a target
    python scripts/bench.py --save                # store the outputs of the seed-0 runs
    python scripts/bench.py --report              # only print the table of stored runs

Results go to ``$NNKURS_RESULTS_DIR/seed-<k>/`` (default ``build/results``), one JSON file per
notebook plus ``<notebook>.run.json`` (seconds, load, device, time); ``--report`` rebuilds the
table from everything stored there, so runs made in several sittings end up in one table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

import nbformat

# Run as a script, this folder is on sys.path already; the course folder (for `utils`) is not
# unless PYTHONPATH says so (the Makefile does).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run_notebook import ROOT, execute  # noqa: E402
from utils import results  # noqa: E402


def device_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
        if torch.backends.mps.is_available():
            return "Apple MPS"
    except ImportError:
        pass
    return f"CPU {platform.machine()}, {os.cpu_count()} Kerne"


class LoadSampler:
    """Samples the 1-minute load average every few seconds while a notebook runs."""

    def __init__(self, every: float = 5.0):
        self.every, self.samples = every, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float]:
        return {"load_mean": statistics.fmean(self.samples), "load_max": max(self.samples)}


def run_one(path: Path, seed: int, out: Path, *, fast: bool, save: bool) -> str | None:
    """Run one notebook with one seed; returns an error text or None."""
    folder = out / f"seed-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (folder / f"{path.stem}.json", folder / f"{path.stem}.run.json"):
        stale.unlink(missing_ok=True)
    env = {"NNKURS_FAST": "1" if fast else "0", "NNKURS_NOTEBOOK": path.stem,
           "NNKURS_RESULTS_DIR": str(folder), "NNKURS_SEED": str(seed)}
    print(f"==> {path.name}, Startwert-Verschiebung {seed} …", flush=True)
    error = None
    with LoadSampler() as load:
        start = time.perf_counter()
        try:
            nb, _, _ = execute(path, env=env)
        except Exception as exc:  # noqa: BLE001 - reported in the table, run goes on
            error = f"{type(exc).__name__}: {str(exc)[-800:]}"
        seconds = time.perf_counter() - start
    run = {"seconds": seconds, **load.summary(), "device": device_name(), "fast": fast,
           "stamp": time.strftime("%Y-%m-%d %H:%M"), "error": error}
    (folder / f"{path.stem}.run.json").write_text(json.dumps(run, ensure_ascii=False), "utf-8")
    if error is None and save and seed == 0:
        nbformat.write(nb, path)
    return error


def collect(out: Path, stems: list[str] | None = None,
            seeds: list[int] | None = None) -> list[dict]:
    """One row per (notebook, figure) over the stored seeds, plus one row per notebook's run time.

    ``stems`` and ``seeds`` (optional) restrict the table to these notebooks and seeds.
    """
    runs: dict[str, dict[int, dict]] = {}
    figures: dict[tuple[str, str], dict] = {}
    for folder in sorted(out.glob("seed-*"), key=lambda p: int(p.name.split("-", 1)[1])):
        seed = int(folder.name.split("-", 1)[1])
        if seeds is not None and seed not in seeds:
            continue
        recorded = results.load(folder)
        for run_file in sorted(folder.glob("*.run.json")):
            stem = run_file.name[: -len(".run.json")]
            if stems and stem not in stems:
                continue
            runs.setdefault(stem, {})[seed] = json.loads(run_file.read_text("utf-8"))
            for e in recorded.get(stem, []):
                row = figures.setdefault((stem, e["name"]), {
                    "notebook": stem, "name": e["name"], "unit": e["unit"],
                    "target": results._describe_target(e["at_least"], e["at_most"]),
                    "values": {}, "met": {}})
                row["values"][seed] = e["value"]
                row["met"][seed] = e["met"]
    rows = []
    for stem in sorted(runs):
        seeds_run = runs[stem]
        rows.append({"notebook": stem, "name": "Laufzeit des Notebooks", "unit": "s", "target": "",
                     "values": {s: r["seconds"] for s, r in seeds_run.items()}, "met": {},
                     "load": {s: (r["load_mean"], r["load_max"]) for s, r in seeds_run.items()},
                     "errors": {s: r["error"] for s, r in seeds_run.items() if r["error"]},
                     "device": sorted({r["device"] for r in seeds_run.values()})})
        rows += [r for (nb, _), r in figures.items() if nb == stem]
    return rows


def table(rows: list[dict]) -> str:
    """A Markdown table: per figure the value of each seed, min / median / max and the target."""
    seeds = sorted({s for r in rows for s in r["values"]})
    header = ["Notebook", "Kennzahl", *[f"Startwert {s}" for s in seeds], "Min", "Median", "Max",
              "Ziel", "Status"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        values = [r["values"][s] for s in seeds if s in r["values"]]
        cells = []
        for s in seeds:
            if s not in r["values"]:
                cells.append("–")
            elif "load" in r:
                mean, peak = r["load"][s]
                cells.append(f"{r['values'][s]:.0f} (Last {mean:.1f}, max {peak:.1f})")
            else:
                cells.append(f"{r['values'][s]:.4g}")
        stats = [f"{v:.4g}" for v in (min(values), statistics.median(values), max(values))]
        if r.get("errors"):
            status = "FEHLER bei Startwert " + ", ".join(map(str, r["errors"]))
        elif r["target"]:
            missed = [s for s, ok in r["met"].items() if not ok]
            status = "ok" if not missed else "VERFEHLT bei Startwert " + ", ".join(map(str, missed))
        else:
            status = ""
        name = f"{r['name']} [{r['unit']}]" if r["unit"] else r["name"]
        lines.append("| " + " | ".join([r["notebook"][:2], name, *cells, *stats, r["target"],
                                        status]) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="Präfixe der Notebook-Namen")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0],
                        help="Startwert-Verschiebungen (NNKURS_SEED), je ein Lauf")
    parser.add_argument("--check", action="store_true", help="Exit 1 bei verfehltem Ziel")
    parser.add_argument("--save", action="store_true",
                        help="Ausgaben der Läufe mit Startwert 0 in solutions/ speichern")
    parser.add_argument("--fast", action="store_true", help="Schnellmodus (zum Testen)")
    parser.add_argument("--report", action="store_true",
                        help="nichts ausführen, nur die Tabelle der gespeicherten Läufe ausgeben")
    args = parser.parse_args()

    out = Path(os.environ.get("NNKURS_RESULTS_DIR") or ROOT / "build" / "results")
    out.mkdir(parents=True, exist_ok=True)
    notebooks = sorted((ROOT / "solutions").glob("*.ipynb"))
    if args.only:
        notebooks = [p for p in notebooks if any(p.name.startswith(o) for o in args.only)]
    failures = []
    if not args.report:
        for seed in args.seeds:
            for path in notebooks:
                error = run_one(path, seed, out, fast=args.fast, save=args.save)
                if error:
                    failures.append(f"{path.name} (Startwert {seed}): {error}")
    # after runs: only this run's notebooks and seeds; --report: everything stored (or --only)
    rows = collect(out, [p.stem for p in notebooks] if (args.only or not args.report) else None,
                   None if args.report else args.seeds)
    for r in rows:
        for s, ok in r["met"].items():
            if not ok:
                failures.append(f"{r['notebook']}: {r['name']} = {r['values'][s]:.4g} "
                                f"(Ziel {r['target']}, Startwert {s})")
    devices = sorted({d for r in rows for d in r.get("device", [])}) or [device_name()]
    mode = "Schnellmodus" if args.fast else "voller Modus"
    head = f"nn-kurs bench ({mode}, {time.strftime('%Y-%m-%d %H:%M')}, {', '.join(devices)})"
    text = f"{head}\n\n{table(rows)}\n"
    print("\n" + text)
    (out / "bench.md").write_text(text, encoding="utf-8")
    (out / "bench.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    for line in failures:
        print(f"Problem: {line}", file=sys.stderr)
    errors = any(r.get("errors") for r in rows)
    return 1 if (failures and args.check) or errors else 0


if __name__ == "__main__":
    sys.exit(main())
