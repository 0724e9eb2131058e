"""Figures a notebook computes (accuracy, ROC-AUC, seconds), recorded for ``make bench``.

:func:`record` prints the figure for the reader and, when ``NNKURS_RESULTS_DIR`` is set
(``make bench`` and ``make test-full`` set it), appends it to ``<dir>/<notebook>.json``.
The notebook's name comes from ``NNKURS_NOTEBOOK`` (set by the runner), otherwise from the
``notebook`` argument. A target (``at_least`` / ``at_most``) is stored with the value, and in
full mode a missed target is reported in German right away.

Verwendet in den Notebooks 01–06.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from utils.config import is_fast


def record(name: str, value: float, *, unit: str = "", at_least: float | None = None,
           at_most: float | None = None, notebook: str | None = None) -> float:
    """Print ``value`` and store it under ``name``; returns ``value`` unchanged."""
    value = float(value)
    met = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    target = _describe_target(at_least, at_most)
    shown = f"{value:.4g} {unit}".strip()
    print(f"Ergebnis {name}: {shown}" + (f" (Ziel {target})" if target else ""))
    if target and not met and not is_fast():
        print(f"  Achtung: Das Ziel {target} wurde nicht erreicht.")
    directory = os.environ.get("NNKURS_RESULTS_DIR")
    if directory:
        notebook = os.environ.get("NNKURS_NOTEBOOK") or notebook or "notebook"
        path = Path(directory) / f"{notebook}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        entries.append({
            "name": name, "value": value, "unit": unit, "at_least": at_least,
            "at_most": at_most, "met": met, "fast": is_fast(),
        })
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(entries, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    return value


@contextmanager
def timer(name: str, **kwargs):
    """Measure the wall time of a ``with`` block and :func:`record` it in seconds."""
    start = time.perf_counter()
    yield
    record(name, time.perf_counter() - start, unit="s", **kwargs)


def load(directory: str | os.PathLike) -> dict[str, list[dict]]:
    """All recorded results below ``directory``: notebook name → list of entries."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(Path(directory).glob("*.json"))}


def _describe_target(at_least, at_most) -> str:
    parts = []
    if at_least is not None:
        parts.append(f"≥ {at_least:g}")
    if at_most is not None:
        parts.append(f"≤ {at_most:g}")
    return " und ".join(parts)
