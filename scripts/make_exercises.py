#!/usr/bin/env python3
"""Generate the exercise notebooks in ``notebooks/`` from the solutions in ``solutions/``.

Rules (after nbgrader; the format itself lives in ``course_format.py``):

- Code cells: every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced,
  indented like its marker, by ``# IHR CODE HIER`` and ``raise NotImplementedError("…")``
  with a German message. A region at top level (not inside a ``def``/``class``) first gets
  ``NAME = None`` for every name it binds, so that the self-check after it reports the
  exercise as open instead of failing with ``NameError``.
- Markdown cells: a region between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
  (or the ``### BEGIN/END SOLUTION`` lines) becomes ``*IHRE ANTWORT HIER*``.
- The badge row (markdown cell tagged ``badges``) links to ``notebooks/`` instead of ``solutions/``.
- Outputs, execution counts and per-cell run metadata are removed; everything else is kept.
  The notebook metadata records that the file was generated (``nn-kurs.generated_from``).
- Unclosed, nested, stray or misspelt markers are an error naming the notebook, cell and line.
- Safety: without solution notebooks (mistyped ``--solutions``, or inside the student bundle)
  nothing is written or deleted; a notebook with solution markers is never overwritten
  (``--exercises`` pointing at ``solutions/``). A notebook in ``notebooks/`` without a
  solution is deleted only if this script generated it.

The output is deterministic: running it twice gives byte-identical files.

    python scripts/make_exercises.py            # write notebooks/
    python scripts/make_exercises.py --check    # exit 1 if notebooks/ is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

import course_format as fmt
from course_format import MarkerError, NotebookError  # noqa: F401 - part of this script's API

ROOT = Path(__file__).resolve().parent.parent


class RefusedError(RuntimeError):
    """Generating would destroy something (message in German); nothing was touched."""


def make_exercise(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The exercise version of one solution notebook (a new object)."""
    nb = nbformat.from_dict(solution)
    imported: set[str] = set()  # modules earlier cells import (never set to None)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, Zelle {index}"
        if cell.cell_type == "code":
            cell.source = fmt.strip_regions(cell.source, markdown=False, where=where,
                                            imported=frozenset(imported))
            imported |= fmt.imported_names(cell.source)
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        elif cell.cell_type == "markdown":
            cell.source = fmt.strip_regions(cell.source, markdown=True, where=where)
            if "badges" in cell.metadata.get("tags", []):  # badge row (sync_notebooks.py)
                cell.source = cell.source.replace("solutions/", "notebooks/")
        else:
            fmt.check_no_markers(cell.source, where=where)
    nb.metadata.pop("widgets", None)
    nb.metadata[fmt.GENERATED_KEY] = {"generated_from": f"solutions/{name}"}
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return fmt.render(nb)


def was_generated(path: Path) -> bool:
    """Whether ``path`` is an exercise notebook this script wrote (its metadata says so)."""
    try:
        nb = fmt.read_notebook(path)
    except NotebookError:
        return False
    return "generated_from" in nb.metadata.get(fmt.GENERATED_KEY, {})


def holds_solutions(path: Path) -> bool:
    """Whether the notebook at ``path`` contains solution markers (a solution notebook)."""
    try:
        nb = fmt.read_notebook(path)
    except NotebookError:
        return False  # broken (e.g. a merge conflict in notebooks/): regenerating repairs it
    return any(fmt.CODE_BEGIN.match(line) or fmt.MD_BEGIN.match(line) for cell in nb.cells
               for line in cell.get("source", "").splitlines())


def build(solutions: Path, exercises: Path) -> dict[Path, str]:
    """Exercise file path → its text, for every solution notebook.

    :class:`RefusedError` when ``solutions`` holds no notebook: generating from nothing would
    empty ``exercises``.
    """
    paths = sorted(solutions.glob("*.ipynb")) if solutions.is_dir() else []
    if not paths:
        where = (f"Den Lösungsordner {solutions} gibt es nicht" if not solutions.is_dir()
                 else f"Der Lösungsordner {solutions} enthält keine Notebooks (*.ipynb)")
        raise RefusedError(
            f"{where}. Aufgaben-Notebooks werden nur aus den "
            "Lösungen erzeugt; im Aufgabenpaket für Studierende gibt es keine – dort ist "
            "`make exercises` nicht nötig. Nichts wurde geschrieben oder gelöscht. "
            "(Falscher Pfad bei --solutions?)")
    return {exercises / path.name: render(make_exercise(fmt.read_notebook(path), path.name))
            for path in paths}


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
    except (RefusedError, NotebookError) as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    overwritten = [p for p in wanted if p.is_file() and holds_solutions(p)]
    if overwritten and not args.check:
        print(f"Fehler: {overwritten[0]} enthält Lösungsmarkierungen – das ist ein "
              "Lösungs-Notebook und wird nicht überschrieben (falscher Pfad bei --exercises?). "
              "Nichts wurde geschrieben oder gelöscht.", file=sys.stderr)
        return 2
    present = set(args.exercises.glob("*.ipynb")) if args.exercises.is_dir() else set()
    stale = sorted(str(p) for p, text in wanted.items()
                   if not p.exists() or p.read_text(encoding="utf-8") != text)
    extra = sorted(p for p in present - set(wanted))
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
    foreign = [p for p in extra if not was_generated(p)]
    args.exercises.mkdir(parents=True, exist_ok=True)
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
    for p in extra:
        if p not in foreign:
            p.unlink()
            print(f"gelöscht (Lösung gibt es nicht mehr): {p}")
    print(f"{len(wanted)} Aufgaben-Notebooks geschrieben, davon {len(stale)} geändert.")
    for p in foreign:
        print(f"Hinweis: {p} hat keine Lösung in {args.solutions} und wurde nicht von "
              "`make exercises` erzeugt – nicht gelöscht. Verschieben oder löschen Sie es "
              "selbst, wenn es nicht in den Kurs gehört.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
