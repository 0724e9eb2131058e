#!/usr/bin/env python3
"""Run the solution notebooks in full mode and print one table of what they recorded.

Each notebook runs in a fresh kernel with ``NNKURS_RESULTS_DIR`` set; the figures it records
with :func:`utils.results.record` are collected with the wall time and the device.

    python scripts/bench.py                    # all notebooks
    python scripts/bench.py --only 02 05       # some notebooks (prefix of the file name)
    python scripts/bench.py --check            # exit 1 if a notebook misses a target
    python scripts/bench.py --save             # also store the executed notebooks' outputs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="Präfixe der Notebook-Namen")
    parser.add_argument("--check", action="store_true", help="Exit 1 bei verfehltem Ziel")
    parser.add_argument("--save", action="store_true", help="Ausgaben in solutions/ speichern")
    parser.add_argument("--fast", action="store_true", help="Schnellmodus (zum Testen)")
    args = parser.parse_args()

    out = Path(os.environ.get("NNKURS_RESULTS_DIR") or ROOT / "build" / "results")
    out.mkdir(parents=True, exist_ok=True)
    notebooks = sorted((ROOT / "solutions").glob("*.ipynb"))
    if args.only:
        notebooks = [p for p in notebooks if any(p.name.startswith(o) for o in args.only)]
    device = device_name()
    rows, failures = [], []
    for path in notebooks:
        (out / f"{path.stem}.json").unlink(missing_ok=True)
        env = {"NNKURS_FAST": "1" if args.fast else "0", "NNKURS_NOTEBOOK": path.stem,
               "NNKURS_RESULTS_DIR": str(out)}
        print(f"==> {path.name} …", flush=True)
        try:
            nb, seconds, _ = execute(path, env=env)
        except Exception as exc:  # noqa: BLE001 - reported in the table, run goes on
            failures.append(f"{path.name}: {type(exc).__name__}: {str(exc)[-800:]}")
            rows.append((path.stem, "FEHLER", "", "", "", "", device))
            continue
        if args.save:
            nbformat.write(nb, path)
        entries = results.load(out).get(path.stem, [])
        if not entries:
            rows.append((path.stem, "(nichts aufgezeichnet)", "", "", "", f"{seconds:.0f}", device))
        for e in entries:
            target = results._describe_target(e["at_least"], e["at_most"])
            status = "" if not target else ("ok" if e["met"] else "VERFEHLT")
            if target and not e["met"]:
                failures.append(f"{path.name}: {e['name']} = {e['value']:.4g} (Ziel {target})")
            rows.append((path.stem, e["name"], f"{e['value']:.4g} {e['unit']}".strip(), target,
                         status, f"{seconds:.0f}", device))
    header = ("Notebook", "Kennzahl", "Wert", "Ziel", "", "Laufzeit [s]", "Gerät")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [header, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    table = "\n".join(lines)
    mode = "Schnellmodus" if args.fast else "voller Modus"
    stamp = time.strftime("%Y-%m-%d %H:%M")
    print(f"\nnn-kurs bench ({mode}, {stamp}, {device})\n{table}")
    (out / "bench.txt").write_text(f"{mode}, {stamp}, {device}\n{table}\n", encoding="utf-8")
    (out / "bench.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    for line in failures:
        print(f"Problem: {line}", file=sys.stderr)
    return 1 if (failures and args.check) or any(r[1] == "FEHLER" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
