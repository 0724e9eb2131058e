#!/usr/bin/env python3
"""Write the teacher bundles (``make dist``).

- ``dist/nn-kurs-aufgaben-<version>.zip``: what students get — exercise notebooks, ``utils``,
  ``img``, ``data/README.md``, requirements, environment, a README of its own
  (:data:`BUNDLE_README`: only what is in the bundle and works there, notebook table without
  the solution column), Makefile and the scripts to set up and check it (``make lab``,
  ``make check-bundle``; the notebook format they share is ``course_format.py``).
- ``dist/nn-kurs-loesungen-<version>.zip``: the solution notebooks with their outputs.

Before writing, the exercise files are scanned for anything from the solutions: marker lines
(and anything that resembles one), the lines inside solution regions (code and markdown
answers) that the course shows nowhere else, and outputs. A leak is an error
and no bundle is written. The zips are deterministic (sorted, fixed timestamps).

    python scripts/make_dist.py [--out dist]
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

import course_format as fmt
import make_exercises
import sync_notebooks

ROOT = Path(__file__).resolve().parent.parent
#: Files of the exercise bundle (glob patterns below the repository root).
EXERCISE_FILES = [
    "notebooks/*.ipynb", "utils/**/*.py", "img/*.png", "data/README.md", "requirements.txt",
    "environment.yml", "README.md", "Makefile", "scripts/venv.sh", "scripts/run_notebook.py",
    "scripts/make_exercises.py", "scripts/check_bundle.py", "scripts/course_format.py",
    "scripts/kernel_check.py",
]
SOLUTION_FILES = ["solutions/*.ipynb"]
REQUIRED = {"notebooks/*.ipynb", "utils/**/*.py", "requirements.txt", "environment.yml",
            "README.md", "Makefile", "scripts/check_bundle.py", "scripts/course_format.py"}
#: Shorter normalised lines (``return x``, ``else:``) say nothing about a solution.
MIN_SECRET_LENGTH = 12
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


class LeakError(RuntimeError):
    """The exercise bundle would contain something from the solutions."""


#: A line of the helper package that repeats a solution line on purpose (the exercise text
#: dictates it, e.g. ``Dense(36, activation="relu")``) carries this comment, with the reason.
EXEMPT = "# kein Leck:"


def normalise(line: str) -> str:
    return " ".join(line.split())


def strip_comment(line: str) -> str:
    """``line`` without a trailing ``# comment`` (a ``#`` inside quotes stays)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote and line[index - 1] != "\\":
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def normalise_code(line: str) -> str:
    """A code line for comparison: comments cannot hide (or make) a match."""
    return normalise(strip_comment(line))


def library_lines(utils: Path) -> set[str]:
    """Normalised lines of the helper package, except the self-checks (``utils/checks``).

    The package is course material students read and import: a solution line that is also an
    idiom of, say, ``utils.training.fit`` (``optimizer.zero_grad()``) gives nothing away. The
    self-checks are excluded, because a reference solution hidden there would be a leak.
    """
    lines = set()
    for path in sorted(utils.rglob("*.py")):
        if "checks" not in path.relative_to(utils).parts:
            lines.update(normalise_code(line)
                         for line in path.read_text(encoding="utf-8").splitlines())
    return lines


def solution_lines(solutions: Path, utils: Path | None = None) -> tuple[set[str], set[str]]:
    """``(secret, public)`` normalised lines of all solution notebooks.

    Secret: inside a ``BEGIN/END SOLUTION`` region (code or markdown), at least
    ``MIN_SECRET_LENGTH`` characters, and shown nowhere else in the course: not outside a region
    of any notebook (``model.eval()`` in an explanation) and not in the helper package ``utils``
    (without its self-checks; see :func:`library_lines`). A ``NAME = None`` line is never
    secret: ``make_exercises`` writes such lines as placeholders of top-level exercises.
    A misspelt marker is a :class:`course_format.MarkerError`, as in ``make_exercises``.
    """
    inside_lines, outside_lines = set(), set()
    if utils is not None:
        outside_lines |= library_lines(utils)
    for path in sorted(solutions.glob("*.ipynb")):
        for index, cell in enumerate(fmt.read_notebook(path).cells):
            where = f"{path.name}, Zelle {index}"
            if cell.cell_type not in ("code", "markdown"):
                fmt.check_no_markers(cell.source, where=where)
                continue
            code = cell.cell_type == "code"
            norm = normalise_code if code else normalise
            outside, inside = fmt.split_lines(cell.source, markdown=not code, where=where)
            outside_lines.update(norm(line) for line in outside)
            inside_lines.update(norm(line) for line in inside)
    secret = {line for line in inside_lines - outside_lines
              if len(line) >= MIN_SECRET_LENGTH and not fmt.NONE_PLACEHOLDER.match(line)}
    return secret, outside_lines


def find_leaks(files: dict[str, bytes], secret: set[str]) -> list[str]:
    """Every solution trace in ``files`` (bundle path → content), as German messages.

    Code is compared without comments; a line of a ``.py`` file marked with :data:`EXEMPT`
    is a reviewed exception (never in a notebook). In a notebook every line that resembles a
    marker is a leak; in other text files a line that starts like one (they may mention the
    markers inline).
    """
    leaks = []
    for name, content in sorted(files.items()):
        if name.endswith(".ipynb"):
            nb = fmt.reads_notebook(content.decode("utf-8"), name)
            chunks = []
            for index, cell in enumerate(nb.cells):
                chunks.append((f"{name}, Zelle {index}", cell.source, cell.cell_type == "code",
                               False, fmt.MARKER_LIKE.search))
                if cell.get("outputs") or cell.get("execution_count") is not None:
                    leaks.append(f"{name}, Zelle {index}: Ausgabe oder Ausführungszähler")
        elif name.endswith((".py", ".sh")) or "." not in name:
            chunks = [(name, content.decode("utf-8"), True, True, fmt.MARKER_LIKE_LINE.match)]
        elif name.endswith((".md", ".txt", ".yml", ".toml")):
            chunks = [(name, content.decode("utf-8"), False, False, fmt.MARKER_LIKE_LINE.match)]
        else:
            continue
        for where, text, code, may_exempt, marker_like in chunks:
            for number, line in enumerate(text.splitlines(), start=1):
                if marker_like(line):
                    leaks.append(f"{where}, Zeile {number}: Lösungsmarkierung »{line.strip()}«")
                elif may_exempt and EXEMPT in line:
                    continue
                elif (normalise_code(line) if code else normalise(line)) in secret:
                    leaks.append(f"{where}, Zeile {number}: Lösungszeile »{line.strip()}«")
    return leaks


def collect(root: Path, patterns: list[str], required: set[str] = frozenset()) -> dict[str, bytes]:
    """Bundle path → content for every file matching ``patterns`` (no caches)."""
    files = {}
    for pattern in patterns:
        matches = [p for p in sorted(root.glob(pattern))
                   if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints"
                   not in p.parts]
        if not matches and pattern in required:
            raise FileNotFoundError(f"für das Paket fehlt: {pattern}")
        if not matches:
            print(f"Hinweis: {pattern} fehlt, wird nicht eingepackt.", file=sys.stderr)
        for path in matches:
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


#: README of the exercise bundle (German, for students): only what the bundle holds and what
#: works in it (no solutions/, no `make test` or `make exercises`, which need the solutions).
BUNDLE_README = """\
# nn-kurs – Neuronale Netze praktisch (Aufgaben, Version {version})

Ein deutschsprachiger Kurs zum Selbermachen: Jedes Thema ist ein Jupyter-Notebook mit Theorie,
Praxis und Aufgaben. Zu jeder Aufgabe gibt es direkt danach eine **Selbstkontrolle**, die Ihnen
sagt, ob Ihre Lösung stimmt – ohne die Lösung zu verraten.

{begin}
{end}

## Loslegen

Sie brauchen Python 3.11, `make` und `git` (Linux, macOS oder WSL) sowie etwa 9 GB freien
Speicherplatz für die Python-Umgebung. Im entpackten Ordner genügt:

```bash
make lab    # richtet .venv ein (beim ersten Mal einige Minuten) und öffnet JupyterLab
```

JupyterLab startet aus der Umgebung `.venv` und öffnet den Ordner `notebooks/`; die Notebooks
laufen im Kernel „Python 3 (ipykernel)“ dieser Umgebung (es wird nichts benutzerweit
registriert). Arbeiten Sie die Notebooks in ihrer Reihenfolge durch. Eine offene Aufgabe
meldet beim Ausführen `NotImplementedError: Ersetzen Sie diese Zeile durch Ihre Lösung.` –
ersetzen Sie die Zeilen unter `# IHR CODE HIER` durch Ihre Lösung.

Ohne eigene Installation geht es auch mit Google Colab oder Binder (Links in der Tabelle oben).
Colab bringt eigene Paketversionen mit (nicht die aus `requirements.txt`); die erste Code-Zelle
lädt dort den Kurs und installiert nur, was fehlt.

## Inhalt

| Ordner | Inhalt |
|---|---|
| `notebooks/` | die Aufgaben-Notebooks – hier arbeiten Sie |
| `utils/` | das Hilfspaket der Notebooks: Daten, Grafiken, Trainingsschleife, Selbstkontrollen |
| `img/` | die Abbildungen (in den Notebooks auch eingebettet, sie erscheinen ohne Internet) |
| `data/` | Zwischenspeicher für die Datensätze (siehe [data/README.md](data/README.md)) |

Die Datensätze (MNIST, Fashion-MNIST, Tox21) lädt `utils` beim ersten Gebrauch von der
offiziellen Quelle und prüft sie mit Prüfsummen. Mit `NNKURS_FAST=1` rechnen die Notebooks mit
kleinen Teilmengen und wenigen Epochen.

## Befehle

| Befehl | Wirkung |
|---|---|
| `make lab` | Umgebung einrichten und JupyterLab öffnen |
| `make install` | nur die Umgebung `.venv` einrichten |
| `make check-bundle` | die Aufgaben-Notebooks prüfen; mit `RUN=1` zusätzlich bis zur ersten Aufgabe ausführen |
| `make clean` | Zwischenstände und `.venv` entfernen |
"""


def exercise_files(root: Path) -> dict[str, bytes]:
    """Contents of the exercise bundle, with :data:`BUNDLE_README` as its README."""
    files = collect(root, EXERCISE_FILES, REQUIRED)
    config = sync_notebooks.load_config(root)
    titles = {}
    for path in sorted((root / "solutions").glob("*.ipynb")):
        titles[path.name] = sync_notebooks.title_of(fmt.read_notebook(path), path.name)
    readme = BUNDLE_README.format(version=config["version"], begin=sync_notebooks.TABLE_BEGIN,
                                  end=sync_notebooks.TABLE_END)
    table = sync_notebooks.notebook_table(config, titles, solutions=False)
    files["README.md"] = sync_notebooks.replace_table(readme, table).encode("utf-8")
    return files


def write_zip(path: Path, prefix: str, files: dict[str, bytes]) -> None:
    """A deterministic zip: sorted entries below ``prefix/``, fixed time stamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
            archive.writestr(info, files[name], compresslevel=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def build(root: Path = ROOT, out: Path | None = None, *, check: bool = True) -> list[Path]:
    """Write both bundles into ``out`` (default ``root/dist``); returns their paths.

    ``check=False`` skips the leak scan and the freshness check (tests use it to prove that
    their own scan catches a planted leak).
    """
    out = out or root / "dist"
    version = sync_notebooks.load_config(root)["version"]
    exercises = exercise_files(root)
    if check:
        leaks = find_leaks(exercises, solution_lines(root / "solutions", root / "utils")[0])
        if leaks:
            raise LeakError("Das Aufgabenpaket enthielte Lösungen:\n  " + "\n  ".join(leaks))
        wanted = make_exercises.build(root / "solutions", root / "notebooks")
        stale = [p.name for p, text in wanted.items()
                 if exercises.get(f"notebooks/{p.name}") != text.encode("utf-8")]
        if stale or len(wanted) != sum(n.startswith("notebooks/") for n in exercises):
            raise LeakError("notebooks/ ist nicht aktuell (`make exercises`): " + ", ".join(stale))
    paths = []
    for kind, files in (("aufgaben", exercises), ("loesungen", collect(root, SOLUTION_FILES))):
        name = f"nn-kurs-{kind}-{version}"
        paths.append(out / f"{name}.zip")
        write_zip(paths[-1], name, files)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Zielordner (Standard: dist/)")
    args = parser.parse_args(argv)
    try:
        paths = build(ROOT, args.out)
    except (LeakError, FileNotFoundError, fmt.MarkerError, fmt.NotebookError,
            make_exercises.RefusedError, sync_notebooks.SyncError) as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            count = len(archive.namelist())
        print(f"{path.relative_to(ROOT) if ROOT in path.parents else path}: "
              f"{count} Dateien, {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
