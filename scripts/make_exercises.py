#!/usr/bin/env python3
"""Generate the exercise notebooks in ``notebooks/`` from the solutions in ``solutions/``.

Rules (after nbgrader):

- Code cells: every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced,
  indented like its marker, by ``# IHR CODE HIER`` and ``raise NotImplementedError("…")``
  with a German message.
- Markdown cells: a region between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
  (or the ``### BEGIN/END SOLUTION`` lines) becomes ``*IHRE ANTWORT HIER*``.
- Outputs, execution counts and per-cell run metadata are removed; everything else is kept.
- Unclosed, nested or stray markers are an error naming the notebook and the cell.

The output is deterministic: running it twice gives byte-identical files.

    python scripts/make_exercises.py            # write notebooks/
    python scripts/make_exercises.py --check    # exit 1 if notebooks/ is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CODE_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
CODE_END = re.compile(r"^\s*### END SOLUTION\s*$")
MD_BEGIN = re.compile(r"^\s*(<!--\s*BEGIN SOLUTION\s*-->|### BEGIN SOLUTION)\s*$")
MD_END = re.compile(r"^\s*(<!--\s*END SOLUTION\s*-->|### END SOLUTION)\s*$")
CODE_PLACEHOLDER = ("# IHR CODE HIER",
                    'raise NotImplementedError("Ersetzen Sie diese Zeile durch Ihre Lösung.")')
MD_PLACEHOLDER = "*IHRE ANTWORT HIER*"
PLACEHOLDER_MARK = "raise NotImplementedError("


class MarkerError(ValueError):
    """A solution marker is unclosed, nested or stray."""


def strip_regions(source: str, *, markdown: bool, where: str) -> str:
    """Replace every solution region in ``source`` by the German placeholder."""
    begin, end = (MD_BEGIN, MD_END) if markdown else (CODE_BEGIN, CODE_END)
    out: list[str] = []
    inside_since: int | None = None
    for number, line in enumerate(source.splitlines(), start=1):
        if begin.match(line):
            if inside_since is not None:
                raise MarkerError(f"{where}, Zeile {number}: BEGIN SOLUTION innerhalb einer "
                                  f"Lösung (geöffnet in Zeile {inside_since}).")
            inside_since = number
            if markdown:
                out.append(MD_PLACEHOLDER)
            else:
                indent = CODE_BEGIN.match(line).group(1)
                out.extend(indent + text for text in CODE_PLACEHOLDER)
        elif end.match(line):
            if inside_since is None:
                raise MarkerError(f"{where}, Zeile {number}: END SOLUTION ohne BEGIN SOLUTION.")
            inside_since = None
        elif inside_since is None:
            out.append(line)
    if inside_since is not None:
        raise MarkerError(f"{where}: BEGIN SOLUTION in Zeile {inside_since} wird nie geschlossen.")
    return "\n".join(out)


def make_exercise(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The exercise version of one solution notebook (a new object)."""
    nb = nbformat.from_dict(solution)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, Zelle {index}"
        if cell.cell_type == "code":
            cell.source = strip_regions(cell.source, markdown=False, where=where)
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        elif cell.cell_type == "markdown":
            cell.source = strip_regions(cell.source, markdown=True, where=where)
    nb.metadata.pop("widgets", None)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def build(solutions: Path, exercises: Path) -> dict[Path, str]:
    """Exercise file path → its text, for every solution notebook."""
    result = {}
    for path in sorted(solutions.glob("*.ipynb")):
        solution = nbformat.read(path, as_version=4)
        result[exercises / path.name] = render(make_exercise(solution, path.name))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="nur prüfen, nichts schreiben")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--exercises", type=Path, default=ROOT / "notebooks")
    args = parser.parse_args(argv)
    try:
        wanted = build(args.solutions, args.exercises)
    except MarkerError as exc:
        print(f"Fehler in den Lösungsmarkierungen: {exc}", file=sys.stderr)
        return 2
    present = set(args.exercises.glob("*.ipynb"))
    stale = sorted(str(p) for p, text in wanted.items()
                   if not p.exists() or p.read_text(encoding="utf-8") != text)
    extra = sorted(str(p) for p in present - set(wanted))
    if args.check:
        if stale or extra:
            print("notebooks/ ist nicht aktuell – bitte `make exercises` ausführen und committen:",
                  file=sys.stderr)
            for p in stale:
                print(f"  veraltet: {p}", file=sys.stderr)
            for p in extra:
                print(f"  ohne Lösung: {p}", file=sys.stderr)
            return 1
        print(f"notebooks/ ist aktuell ({len(wanted)} Notebooks).")
        return 0
    args.exercises.mkdir(parents=True, exist_ok=True)
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
    for p in extra:
        Path(p).unlink()
    print(f"{len(wanted)} Aufgaben-Notebooks geschrieben, davon {len(stale)} geändert.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
