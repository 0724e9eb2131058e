#!/usr/bin/env python3
"""Check the exercise notebooks of a course folder or teacher bundle (``make check-bundle``).

Works without the solutions. For every ``notebooks/*.ipynb``:

- valid notebook format, no outputs, no solution markers (nor anything that resembles one);
- title cell first, a setup cell (tag ``setup``);
- every code cell is valid Python (IPython ``%``/``!`` lines aside), every ``utils`` module it
  imports exists; every figure it shows is in ``img/`` (or attached, for ``attachment:``);
- with ``--run``: the notebook runs in fast mode up to its first exercise placeholder, which
  stops with ``NotImplementedError`` as it should.

The notebook format (markers, placeholder) is ``course_format.py``, shipped beside this script.

    python scripts/check_bundle.py            # static checks (seconds)
    python scripts/check_bundle.py --run      # also execute up to the first placeholder
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
from pathlib import Path

import nbformat

import course_format as fmt  # shipped in the bundle, beside this script

ROOT = Path(__file__).resolve().parent.parent
ATTACHMENT = re.compile(r"attachment:([A-Za-z0-9_.-]+)")
#: A figure as ``make sync`` embeds it: ``data:…;base64,…`` with the title ``"img/NAME"``.
FIGURE_URL = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]*[\"']?\s+(?:title=)?[\"']img/"
                        r"([A-Za-z0-9_.-]+)[\"']")


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _top_level_names(path: Path) -> set[str]:
    """Names a module defines or imports at top level (what ``from module import x`` finds)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def missing_utils_imports(tree: ast.AST, root: Path) -> list[str]:
    """``utils`` modules or names a cell imports that the course folder does not have."""
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            missing += [a.name for a in node.names
                        if a.name.split(".")[0] == "utils" and not _module_file(root, a.name)]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module \
                and node.module.split(".")[0] == "utils":
            module = _module_file(root, node.module)
            if module is None:
                missing.append(node.module)
                continue
            defined = _top_level_names(module)
            missing += [f"{node.module}.{a.name}" for a in node.names
                        if a.name != "*" and a.name not in defined
                        and not _module_file(root, f"{node.module}.{a.name}")]
    return missing


def problems_in(path: Path, root: Path) -> tuple[list[str], int]:
    """German descriptions of what is wrong with one exercise notebook; number of exercises."""
    problems = []
    try:
        nb = fmt.read_notebook(path)
    except fmt.NotebookError as exc:
        return [str(exc)], 0
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"ungültiges Notebook-Format: {exc.message}")
    cells = nb.cells
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.startswith("# "):
        problems.append("Zelle 0 ist keine Titelzelle »# NN · Titel«")
    if not any("setup" in c.metadata.get("tags", []) for c in cells if c.cell_type == "code"):
        problems.append("keine Setup-Zelle (Tag »setup«)")
    exercises = 0
    for index, cell in enumerate(cells):
        where = f"Zelle {index}"
        for number, line in enumerate(cell.source.splitlines(), start=1):
            if fmt.MARKER_LIKE.search(line):
                problems.append(f"{where}, Zeile {number}: Lösungsmarkierung im "
                                f"Aufgaben-Notebook »{line.strip()}«")
        if cell.cell_type == "markdown":
            attached = set(cell.get("attachments", {}))
            for name in sorted(set(ATTACHMENT.findall(cell.source)) - attached):
                problems.append(f"{where}: Abbildung {name} ist nicht angehängt")
            for name in sorted(set(FIGURE_URL.findall(cell.source))):
                if not (root / "img" / name).is_file():
                    problems.append(f"{where}: Abbildung img/{name} fehlt im Kursordner")
        if cell.cell_type != "code":
            continue
        if cell.outputs or cell.execution_count is not None:
            problems.append(f"{where}: enthält Ausgaben – Aufgaben-Notebooks sind leer")
        exercises += cell.source.count(fmt.PLACEHOLDER_MARK)
        source = fmt.python_source(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            problems.append(f"{where}, Zeile {exc.lineno}: kein gültiges Python ({exc.msg})")
            continue
        for module in missing_utils_imports(tree, root):
            problems.append(f"{where}: {module} fehlt im Kursordner")
    return problems, exercises


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--run", action="store_true",
                        help="jedes Notebook bis zur ersten Aufgabe ausführen (Schnellmodus)")
    args = parser.parse_args(argv)
    root = args.folder.resolve().parent
    paths = sorted(args.folder.glob("*.ipynb"))
    if not paths:
        print(f"Keine Notebooks in {args.folder}.", file=sys.stderr)
        return 1
    failed = 0
    for path in paths:
        problems, exercises = problems_in(path, root)
        if args.run and not problems:
            from run_notebook import execute

            env = {"NNKURS_FAST": "1", "NNKURS_NOTEBOOK": path.stem}
            try:
                execute(path, env=env, timeout=900, until_placeholder=True)
            except Exception as exc:  # noqa: BLE001 - report any failure of the run
                message = str(exc).strip().splitlines()
                problems.append("Ausführung bis zur ersten Aufgabe scheitert: "
                                + (message[-1] if message else type(exc).__name__))
        status = "ok" if not problems else "FEHLER"
        print(f"{status:6} {path.name}: {exercises} Aufgabe(n)")
        for problem in problems:
            print(f"         {problem}")
        failed += bool(problems)
    if failed:
        print(f"{failed} von {len(paths)} Notebooks mit Fehlern.", file=sys.stderr)
        return 1
    print(f"Alle {len(paths)} Aufgaben-Notebooks sind sauber"
          + (" und laufen bis zur ersten Aufgabe." if args.run else "."))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
