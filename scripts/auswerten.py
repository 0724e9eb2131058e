#!/usr/bin/env python3
"""Grade a whole class: run every submitted notebook and collect the self-check verdicts.

    python scripts/auswerten.py ABGABEN [-j 4] [--ausgabe auswertung] [--zeitlimit 300]

``ABGABEN`` holds one folder per student (``abgaben/<name>/*.ipynb``, also an LMS export or
nbgrader's ``submitted/<student>/<assignment>/``) or loose ``.ipynb`` files (the file name is
then the student's name). Which of the course notebooks a file is, is read from its content
(metadata ``nnkurs.notebook``, the ``from utils.checks import nbNN`` line or the title cell
``# NN · …``), never from its name.

Each submission runs in fast mode in a fresh kernel of the course environment (whatever
kernelspec the file names), in its own temporary working directory with a copy of the file,
its own ``HOME`` and a minimal environment, with a time limit per notebook; several run in
parallel (``-j``, default: the number of CPU cores). Errors in cells do not stop a notebook,
and a broken submission (invalid JSON, unknown notebook, endless loop, crashed kernel) does
not stop the batch. The verdicts are read from the machine-readable output
``application/vnd.nnkurs.check+json`` of the self-check cells, never from their text.

Written to ``--ausgabe`` (default ``auswertung/``):

- ``index.html``: overview page (student × exercise per notebook, totals, hints, free-text
  answers side by side), linking each student's executed notebook
  (``ausgefuehrt/<name>/…html``);
- ``NN_<name>.csv`` per notebook (one row per submission, one column per exercise with
  ✅ / ❌ / offen / fehlt / Fehler and the counts), ``aufgaben.csv`` (totals per exercise),
  ``uebersicht.csv`` (solved exercises per student and notebook), ``nicht_auswertbar.csv``.

Not a sandbox: the submitted code runs with the teacher's user rights (see README).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import datetime as _dt
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:   # `utils` (the check modules) also without PYTHONPATH
    sys.path.insert(0, str(ROOT))
MIME = "application/vnd.nnkurs.check+json"
ANSWER_PLACEHOLDER = "*IHRE ANTWORT HIER*"
STATUSES = ("richtig", "falsch", "offen")
#: What a table cell shows for each outcome.
SYMBOL = {"richtig": "✅", "falsch": "❌", "offen": "offen", "fehlt": "fehlt", "Fehler": "Fehler"}
#: The same in the HTML page: ✓ and ✗ show in every font (emoji fonts are not everywhere).
HTML_SYMBOL = {**SYMBOL, "richtig": "✓", "falsch": "✗"}
OUTCOMES = ("richtig", "falsch", "offen", "fehlt", "Fehler")
EXERCISE_HEADING = re.compile(r"^#{2,4}\s*Aufgabe\s+(\d+(?:\.\d+)*)\s*[:–—-]?\s*(.*)$", re.M)
IMPORT_LINE = re.compile(r"from\s+utils\.checks\s+import\s+nb(\d\d)\b")
TITLE_LINE = re.compile(r"^#\s*(\d\d)\s*·", re.M)
SKIP_DIRS = {".ipynb_checkpoints", "__MACOSX", ".git"}


# --- the course: which notebooks, exercises and answer cells exist -------------------------

@dataclass
class Exercise:
    id: str
    title: str
    function: str | None = None  # name of the check function in utils.checks.nbNN


@dataclass
class AnswerCell:
    cell_id: str
    label: str          # e.g. "Frage zu Aufgabe 3.2"
    question: str       # text the student sees before the answer
    prefix: str         # text of the answer cell before the placeholder
    suffix: str         # text of the answer cell after the placeholder


@dataclass
class CourseNotebook:
    number: str
    stem: str
    title: str
    exercises: list[Exercise]
    answers: list[AnswerCell]


def _id_key(exercise_id: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", exercise_id))


def _check_functions(number: str) -> list[Exercise]:
    """Exercises declared in ``utils.checks.nbNN`` (``@exercise(id, title)``), if any."""
    import importlib

    try:
        module = importlib.import_module(f"utils.checks.nb{number}")
    except Exception:  # noqa: BLE001 - a broken check module must not stop the grader
        return []
    from utils.checks import Exercise as CheckExercise

    found = []
    for name, obj in vars(module).items():
        if isinstance(obj, CheckExercise) and not name.startswith("_"):
            found.append(Exercise(str(obj.exercise), str(obj.title), name))
    return found


def load_course(root: Path = ROOT) -> dict[str, CourseNotebook]:
    """The course's exercise notebooks: number → exercises (from the check module, else from
    the ``### Aufgabe N.M`` headings) and free-text answer cells."""
    import nbformat

    course = {}
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        number = path.name[:2]
        nb = nbformat.read(path, as_version=4)
        title_match = re.match(r"#\s*\d\d\s*·\s*(.+)", nb.cells[0].source) if nb.cells else None
        title = title_match.group(1).strip() if title_match else path.stem
        exercises = _check_functions(number)
        if not exercises:
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    for match in EXERCISE_HEADING.finditer(cell.source):
                        exercises.append(Exercise(match.group(1), match.group(2).strip()))
        exercises.sort(key=lambda e: _id_key(e.id))
        # Which check function a cell calls, by the exercise heading above it (old-style
        # checks carry no id of their own).
        calls, heading = {}, ""
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for match in EXERCISE_HEADING.finditer(cell.source):
                    heading = match.group(1)
            elif heading and (m := re.search(r"\bchecks\.(\w+)\s*\(", cell.source)):
                calls.setdefault(heading, m.group(1))
        for e in exercises:
            e.function = e.function or calls.get(e.id)
        answers, heading, previous = [], "", ""
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for match in EXERCISE_HEADING.finditer(cell.source):
                heading = match.group(1)
            if ANSWER_PLACEHOLDER in cell.source:
                prefix, _, suffix = cell.source.partition(ANSWER_PLACEHOLDER)
                question = prefix.strip() or previous.strip()
                label = f"Frage zu Aufgabe {heading}" if heading else "Frage"
                answers.append(AnswerCell(cell.get("id", ""), label, question, prefix, suffix))
            previous = cell.source
        course[number] = CourseNotebook(number, path.stem, title, exercises, answers)
    return course


# --- finding and recognising submissions ----------------------------------------------------

@dataclass
class Submission:
    path: Path
    relpath: str
    student: str
    notebook: str | None = None
    problem: str | None = None     # set when the file cannot be run (German)
    label: str = ""                # unique row label (student, plus file when needed)
    slug: str = ""                 # the student's folder below auswertung/ausgefuehrt/
    page: str = ""                 # executed notebook as HTML, relative to the output folder

    def __post_init__(self):
        self.label = self.label or self.student


_MOODLE_SUFFIX = re.compile(r"_\d+_assignsubmission_\w+?_?$")


def student_name(relpath: Path) -> str:
    """The student a file belongs to: its first folder below ABGABEN, or its file name."""
    if len(relpath.parts) > 1:
        name = relpath.parts[0]
        return _MOODLE_SUFFIX.sub("", name) or name
    return relpath.stem


def find_submissions(folder: Path) -> list[Submission]:
    """All ``.ipynb`` files below ``folder`` (nbgrader's ``submitted/`` is entered)."""
    folder = folder.resolve()
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file():
            found.append(Submission(path, rel.as_posix(), student_name(rel)))
    return found


def recognise(text: str, nb=None) -> str | None:
    """Course notebook number ("01" …) of a notebook, from metadata, import line or title."""
    if nb is not None:
        meta = nb.get("metadata", {}).get("nnkurs", {})
        if isinstance(meta, dict) and re.fullmatch(r"\d\d", str(meta.get("notebook", ""))):
            return str(meta["notebook"])
        for cell in nb.get("cells", []):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            if cell.get("cell_type") == "code" and (m := IMPORT_LINE.search(source)):
                return m.group(1)
        for cell in nb.get("cells", [])[:3]:
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            if cell.get("cell_type") == "markdown" and (m := TITLE_LINE.search(source)):
                return m.group(1)
        return None
    m = IMPORT_LINE.search(text) or re.search(r'"#\s*(\d\d)\s*·', text)
    return m.group(1) if m else None


def inspect(sub: Submission, course: dict[str, CourseNotebook]) -> None:
    """Read ``sub`` and set its notebook number, or a German ``problem``."""
    import nbformat

    try:
        raw = sub.path.read_bytes()
    except OSError as exc:
        sub.problem = f"Datei nicht lesbar ({exc.strerror})."
        return
    text = raw.decode("utf-8", errors="replace")
    try:
        json.loads(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure: not a notebook
        where = f" (Zeile {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        sub.problem = f"Keine gültige Notebook-Datei: Der JSON-Inhalt ist beschädigt{where}."
        # Still put the row into the right table when the text shows which notebook it was.
        number = recognise(text)
        sub.notebook = number if number in course else None
        return
    number = recognise(text, nb)
    if number is None:
        sub.problem = ("Kein Notebook dieses Kurses erkannt (weder Titel noch Import der "
                       "Selbstkontrollen).")
    elif number not in course:
        sub.problem = f"Notebook {number} gibt es in diesem Kurs nicht."
        number = None
    sub.notebook = number


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9ÄÖÜäöüß._-]+", "_", text).strip("._") or "abgabe"
    return slug[:80]


def label_submissions(subs: list[Submission]) -> None:
    """Unique row labels and folder names, also when two students' files share a name."""
    seen: dict[tuple, int] = {}
    for sub in subs:
        seen[(sub.student, sub.notebook)] = seen.get((sub.student, sub.notebook), 0) + 1
    folders: dict[str, str] = {}       # student → folder name (unique, case-insensitive)
    pages: set[str] = set()
    for sub in subs:
        duplicate = seen[(sub.student, sub.notebook)] > 1
        sub.label = f"{sub.student} ({sub.relpath})" if duplicate else sub.student
        if sub.student not in folders:
            base = _slug(sub.student)
            slug, n = base, 1
            while slug.lower() in {f.lower() for f in folders.values()}:
                n += 1
                slug = f"{base}_{n}"
            folders[sub.student] = slug
        base = f"{folders[sub.student]}/{sub.notebook or 'xx'}_{_slug(sub.path.stem)}"
        page, n = base, 1
        while page.lower() in pages:
            n += 1
            page = f"{base}_{n}"
        pages.add(page.lower())
        sub.slug, sub.page = folders[sub.student], f"ausgefuehrt/{page}.html"


# --- running one submission (in its own process) ---------------------------------------------

def kernel_env(home: Path, *, fast: bool, threads: int) -> dict[str, str]:
    """The minimal environment of a submission's kernel: nothing of the teacher's secrets."""
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "TMPDIR": str(home),
        "MPLCONFIGDIR": str(home / "matplotlib"),
        "PYTHONPATH": str(ROOT),
        "NNKURS_FAST": "1" if fast else "0",
        "NNKURS_STRICT_CHECKS": "0",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("LANG", "LC_ALL", "TZ", "NNKURS_DATA_DIR"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    if "NNKURS_DATA_DIR" in env:
        env["NNKURS_DATA_DIR"] = str(Path(env["NNKURS_DATA_DIR"]).expanduser().resolve())
    return env


def _kernel_manager(spec_dir: Path):
    """A kernel manager for the course's Python (this interpreter), whatever the file names."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    kernel = spec_dir / "kernels" / "nnkurs-auswertung"
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (nn-kurs)", "language": "python"}), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir / "kernels")])
    return AsyncKernelManager(kernel_name="nnkurs-auswertung", kernel_spec_manager=specs)


def run_submission(path: Path, html_out: Path, *, limit: float, fast: bool = True,
                   threads: int = 1, mpl_cache: Path | None = None) -> dict:
    """Execute a copy of ``path``; write its HTML to ``html_out``; return outputs as a dict.

    Result: ``status`` ("ok", "Zeitlimit", "Kernel abgestürzt", "Fehler"), ``message``,
    ``seconds``, ``verdicts`` (list of MIME payloads in order), ``cells`` (per code cell: its
    source and, if it failed, the error name and value) and ``markdown`` (id → source).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    start = time.monotonic()
    deadline = start + limit
    with tempfile.TemporaryDirectory(prefix="nnkurs-abgabe-") as tmp:
        tmp = Path(tmp)
        work, home = tmp / "arbeit", tmp / "home"
        work.mkdir()
        (home / "matplotlib").mkdir(parents=True)
        if mpl_cache is not None:
            for cached in mpl_cache.glob("fontlist-*.json"):
                shutil.copy(cached, home / "matplotlib" / cached.name)
        copy = work / "abgabe.ipynb"
        shutil.copyfile(path, copy)
        # The notebook's setup cell looks for the course folder (with `utils`) from its
        # working directory upwards: a link lets it find the course without running inside it.
        (work / "utils").symlink_to(ROOT / "utils", target_is_directory=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.read(copy, as_version=4)
        for cell in nb.cells:   # stored outputs (and verdicts) of the student never count
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        client = NotebookClient(
            nb, km=_kernel_manager(tmp), allow_errors=True, interrupt_on_timeout=False,
            timeout_func=lambda cell: max(1, int(deadline - time.monotonic()) + 1),
            startup_timeout=120, record_timing=False,
            resources={"metadata": {"path": str(work)}})
        status, message = "ok", ""
        try:
            client.execute(env=kernel_env(home, fast=fast, threads=threads), cwd=str(work))
        except CellTimeoutError:
            status = "Zeitlimit"
            message = f"Zeitlimit von {limit:g} s überschritten (Endlosschleife?)."
        except DeadKernelError:
            status = "Kernel abgestürzt"
            message = "Der Kernel ist während der Ausführung abgestürzt oder wurde beendet."
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            status = "Fehler"
            message = f"Ausführung abgebrochen: {type(exc).__name__}: {exc}"[:500]
        finally:
            try:
                client._cleanup_kernel()
            except Exception:  # noqa: BLE001
                pass
    seconds = time.monotonic() - start
    verdicts, cells, markdown = [], [], {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            markdown[cell.get("id") or f"index-{index}"] = cell.source
            continue
        if cell.cell_type != "code":
            continue
        error = None
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME in data:
                payload = data[MIME]
                if isinstance(payload, str):
                    try:
                        payload = json.loads(payload)
                    except json.JSONDecodeError:
                        continue
                if isinstance(payload, dict):
                    verdicts.append({**payload, "cell": index})
            if output.get("output_type") == "error":
                error = [output.get("ename", ""), str(output.get("evalue", ""))[:300]]
        cells.append({"index": index, "source": cell.source, "error": error,
                      "executed": cell.get("execution_count") is not None or bool(cell.outputs)})
    write_html(nb, html_out)
    return {"status": status, "message": message, "seconds": round(seconds, 1),
            "verdicts": verdicts, "cells": cells, "markdown": markdown}


def write_html(nb, target: Path) -> None:
    """The executed notebook as one self-contained HTML page (student HTML sanitized)."""
    from nbconvert import HTMLExporter

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        body, _ = HTMLExporter(sanitize_html=True).from_notebook_node(nb)
    except Exception as exc:  # noqa: BLE001 - the table matters more than the page
        body = (f"<p>Das Notebook konnte nicht als HTML dargestellt werden: "
                f"{html.escape(str(exc))}</p>")
    target.write_text(body, encoding="utf-8")


# --- outcome of one submission ---------------------------------------------------------------

@dataclass
class Row:
    sub: Submission
    status: str
    message: str = ""
    seconds: float = 0.0
    cells: dict = field(default_factory=dict)     # exercise id → (outcome, hint)
    answers: dict = field(default_factory=dict)   # answer cell id → text or None
    html: str = ""                                 # link relative to the output folder

    def count(self, outcome: str) -> int:
        return sum(1 for value, _ in self.cells.values() if value == outcome)


def grade(sub: Submission, nb: CourseNotebook, result: dict | None) -> Row:
    """Turn the raw run ``result`` into one outcome per exercise of ``nb``."""
    if result is None or sub.problem:
        row = Row(sub, "nicht ausführbar", sub.problem or "")
        row.cells = {e.id: ("Fehler", row.message) for e in nb.exercises}
        return row
    row = Row(sub, result["status"], result["message"], result["seconds"])
    verdicts = {}
    for payload in result["verdicts"]:
        if str(payload.get("notebook", nb.number)) != nb.number:
            continue
        exercise_id = str(payload.get("exercise", ""))
        status = payload.get("status")
        if status in STATUSES and exercise_id:
            verdicts[exercise_id] = payload  # the last verdict of an exercise counts
    ids = [e.id for e in nb.exercises] + sorted(set(verdicts) - {e.id for e in nb.exercises},
                                                key=_id_key)
    functions = {e.id: e.function for e in nb.exercises}
    for exercise_id in ids:
        if exercise_id in verdicts:
            payload = verdicts[exercise_id]
            row.cells[exercise_id] = (payload["status"], str(payload.get("hint") or ""))
            continue
        row.cells[exercise_id] = _missing(result, functions.get(exercise_id), row)
    for answer in nb.answers:
        row.answers[answer.cell_id] = _answer(answer, result["markdown"])
    return row


def _missing(result: dict, function: str | None, row: Row) -> tuple[str, str]:
    """Outcome of an exercise without a verdict: why is it missing?"""
    call = re.compile(rf"\bchecks\.{re.escape(function)}\s*\(") if function else None
    cell = next((c for c in result["cells"] if call and call.search(c["source"])), None)
    if cell is not None and cell["error"]:
        ename, evalue = cell["error"]
        if ename == "NameError":   # the checked name was never defined: not done yet
            return "offen", f"Prüfzelle: {evalue}"
        return "Fehler", f"Prüfzelle: {ename}: {evalue}"
    if row.status != "ok":
        return "Fehler", row.message
    if call is not None and cell is None:
        return "fehlt", "Die Prüfzelle fehlt im Notebook."
    return "fehlt", "Keine Selbstkontrolle ausgegeben (Prüfzelle gelöscht oder verändert?)."


def _answer(answer: AnswerCell, markdown: dict) -> str | None:
    """The student's free-text answer (``None``: cell missing, ``""``: not answered)."""
    source = markdown.get(answer.cell_id)
    if source is None and answer.prefix.strip():
        source = next((s for s in markdown.values()
                       if s.startswith(answer.prefix.strip()[:60])), None)
    if source is None:
        return None
    text = source
    if answer.prefix and text.startswith(answer.prefix):
        text = text[len(answer.prefix):]
    if answer.suffix.strip() and text.endswith(answer.suffix):
        text = text[: -len(answer.suffix)]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S).strip()   # e.g. solution markers
    return "" if text in ("", ANSWER_PLACEHOLDER) else text


# --- writing CSV and HTML --------------------------------------------------------------------

def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    # utf-8 with BOM: spreadsheet programs then show ✅ and umlauts correctly
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def notebook_columns(nb: CourseNotebook, rows: list[Row]) -> list[str]:
    ids = [e.id for e in nb.exercises]
    extra = {i for row in rows for i in row.cells} - set(ids)
    return ids + sorted(extra, key=_id_key)


def write_outputs(out: Path, course: dict[str, CourseNotebook], tables: dict[str, list[Row]],
                  unassigned: list[Row], summary: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    exercise_rows, students = [], {}
    for number, rows in tables.items():
        nb = course[number]
        ids = notebook_columns(nb, rows)
        header = (["Name", "Datei", "Status"] + [f"Aufgabe {i}" for i in ids]
                  + ["richtig", "falsch", "offen", "fehlt", "Fehler", "Sekunden"])
        body = [[r.sub.label, r.sub.relpath, r.status]
                + [SYMBOL[r.cells.get(i, ("fehlt", ""))[0]] for i in ids]
                + [r.count(o) for o in OUTCOMES] + [r.seconds] for r in rows]
        write_csv(out / f"{nb.stem}.csv", header, body)
        titles = {e.id: e.title for e in nb.exercises}
        for i in ids:
            counts = [sum(1 for r in rows if r.cells.get(i, ("fehlt",))[0] == o) for o in OUTCOMES]
            exercise_rows.append([number, i, titles.get(i, "")] + counts)
        for r in rows:
            students.setdefault(r.sub.student, {})[number] = (r.count("richtig"), len(ids))
    write_csv(out / "aufgaben.csv", ["Notebook", "Aufgabe", "Titel", "richtig", "falsch", "offen",
                                     "fehlt", "Fehler"], exercise_rows)
    numbers = list(tables)
    overview = []
    for student in sorted(students, key=str.lower):
        values = [students[student].get(n, ("", ""))[0] for n in numbers]
        solved = sum(v for v in values if v != "")
        total = sum(students[student][n][1] for n in numbers if n in students[student])
        overview.append([student] + values + [solved, total])
    write_csv(out / "uebersicht.csv",
              ["Name"] + [f"{n} richtig" for n in numbers] + ["richtig gesamt", "Aufgaben gesamt"],
              overview)
    hints, answers = [], []
    for number, rows in tables.items():
        for r in rows:
            for i, (outcome, hint) in r.cells.items():
                if outcome != "richtig":
                    hints.append([number, r.sub.label, i, SYMBOL[outcome], hint])
            for answer in course[number].answers:
                text = r.answers.get(answer.cell_id)
                answers.append([number, answer.label, r.sub.label,
                                "(Antwortzelle fehlt)" if text is None else text])
    write_csv(out / "hinweise.csv", ["Notebook", "Name", "Aufgabe", "Ergebnis", "Hinweis"], hints)
    write_csv(out / "antworten.csv", ["Notebook", "Frage", "Name", "Antwort"], answers)
    write_csv(out / "nicht_auswertbar.csv", ["Name", "Datei", "Grund"],
              [[r.sub.student, r.sub.relpath, r.message] for r in unassigned])
    (out / "index.html").write_text(
        render_html(course, tables, unassigned, students, summary), encoding="utf-8")


CSS = """
:root { --ok:#e3f4e8; --ok-t:#17692f; --bad:#fbe4e4; --bad-t:#a1252b; --open:#f1f2f4;
  --open-t:#5b6270; --err:#fff0d6; --err-t:#8a5300; --line:#dde1e6; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#1f2328;
  margin: 0; background:#f7f8fa; }
header { background:#1f3a5f; color:#fff; padding: 18px 32px; }
header h1 { margin:0; font-size: 22px; font-weight: 600; }
header p { margin: 4px 0 0; opacity: .85; }
main { padding: 8px 32px 40px; max-width: 1400px; }
section { background:#fff; border:1px solid var(--line); border-radius: 8px; padding: 4px 20px 16px;
  margin: 20px 0; }
h2 { font-size: 18px; margin: 16px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: center; }
th { background:#f0f2f5; font-weight: 600; }
td.name, th.name { text-align: left; white-space: nowrap; }
td.c-richtig { background: var(--ok); color: var(--ok-t); font-weight: 700; }
small.t { display:block; font-weight: 400; color:#5b6270; max-width: 150px; margin: 0 auto;
  line-height: 1.25; }
td.c-falsch { background: var(--bad); color: var(--bad-t); font-weight: 700; }
td.c-offen { background: var(--open); color: var(--open-t); }
td.c-fehlt, td.c-Fehler { background: var(--err); color: var(--err-t); }
td[title] { cursor: help; }
tr.sum td { background:#f0f2f5; font-weight: 600; }
.status { font-size: 13px; color: var(--err-t); }
.legend span { display:inline-block; padding: 1px 8px; border-radius: 4px; margin-right: 6px; }
.bar { display:inline-block; width: 90px; height: 8px; background: var(--open); border-radius: 4px;
  vertical-align: middle; margin-left: 6px; overflow: hidden; }
.bar i { display:block; height:100%; background:#2e9e52; }
details { margin: 6px 0; }
summary { cursor: pointer; color:#1f3a5f; }
.hints li { margin: 2px 0; }
.answer { white-space: pre-wrap; text-align: left; max-width: 900px; }
.question { white-space: pre-wrap; background:#f7f8fa; border-left: 3px solid #1f3a5f;
  padding: 6px 10px; color:#444; }
a { color:#1f5fa8; }
.muted { color:#6b7280; }
"""


def _html_text(text: str) -> str:
    return text.replace("✅", "✓").replace("❌", "✗")


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def render_html(course, tables, unassigned, students, summary) -> str:
    now = _dt.datetime.now().strftime("%d.%m.%Y, %H:%M")
    parts = [f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'>"
             f"<title>Auswertung der Abgaben</title><style>{CSS}</style></head><body>"
             f"<header><h1>Auswertung der Abgaben</h1><p>{_e(_html_text(summary))} · "
             f"erstellt am {now}</p>"
             "</header><main>"]
    parts.append("<p class='legend'>Legende: <span style='background:var(--ok)'>✓ richtig"
                 "</span><span style='background:var(--bad)'>✗ falsch</span><span "
                 "style='background:var(--open)'>offen: noch nicht bearbeitet</span><span "
                 "style='background:var(--err)'>fehlt / Fehler: Prüfzelle fehlt, Fehler oder "
                 "Zeitlimit</span> Fahren Sie mit der Maus über eine Zelle für den Hinweis.</p>")
    numbers = list(tables)
    if numbers:
        parts.append("<section><h2>Überblick: gelöste Aufgaben</h2><table><tr>"
                     "<th class='name'>Name</th>"
                     + "".join(f"<th>{n} · {_e(course[n].title)}</th>" for n in numbers)
                     + "<th>gesamt</th></tr>")
        for student in sorted(students, key=str.lower):
            cells, solved, total = [], 0, 0
            for n in numbers:
                if n in students[student]:
                    s, t = students[student][n]
                    solved, total = solved + s, total + t
                    width = round(100 * s / t) if t else 0
                    cells.append(f"<td>{s} / {t}<span class='bar'><i style='width:{width}%'>"
                                 "</i></span></td>")
                else:
                    cells.append("<td class='muted'>–</td>")
            parts.append(f"<tr><td class='name'>{_e(student)}</td>{''.join(cells)}"
                         f"<td><b>{solved} / {total}</b></td></tr>")
        parts.append("</table></section>")
    for number, rows in tables.items():
        parts.append(_notebook_section(course[number], rows))
    if unassigned:
        parts.append("<section><h2>Nicht auswertbar</h2><table><tr><th class='name'>Name</th>"
                     "<th class='name'>Datei</th><th class='name'>Grund</th></tr>")
        for r in unassigned:
            parts.append(f"<tr><td class='name'>{_e(r.sub.student)}</td><td class='name'>"
                         f"{_e(r.sub.relpath)}</td><td class='name'>{_e(r.message)}</td></tr>")
        parts.append("</table></section>")
    parts.append("<p class='muted'>Erstellt mit <code>make auswerten</code>. Die Urteile stammen "
                 "aus den Selbstkontrollen im Notebook (Schnellmodus); Freitext-Antworten werden "
                 "nicht automatisch bewertet.</p></main></body></html>")
    return "\n".join(parts)


def _notebook_section(nb: CourseNotebook, rows: list[Row]) -> str:
    ids = notebook_columns(nb, rows)
    titles = {e.id: e.title for e in nb.exercises}
    out = [f"<section id='nb{nb.number}'><h2>{nb.number} · {_e(nb.title)}</h2>"
           f"<p class='muted'>{len(rows)} Abgabe(n) · Tabelle auch als "
           f"<a href='{_e(nb.stem)}.csv'>"
           f"{_e(nb.stem)}.csv</a></p><table><tr><th class='name'>Name</th>"]
    out += [f"<th title='{_e(titles.get(i, ''))}'>Aufgabe {_e(i)}<br><small class='t'>"
            f"{_e(titles.get(i, ''))}</small></th>" for i in ids]
    out.append("<th>✓</th><th>✗</th><th>offen</th><th>fehlt/<br>Fehler</th></tr>")
    hints = []
    for r in rows:
        name = (f"<a href='{_e(r.html)}'>{_e(r.sub.label)}</a>" if r.html else _e(r.sub.label))
        status = "" if r.status == "ok" else f"<br><span class='status'>{_e(r.status)}</span>"
        out.append(f"<tr><td class='name' title='{_e(r.sub.relpath)}'>{name}{status}</td>")
        for i in ids:
            outcome, hint = r.cells.get(i, ("fehlt", ""))
            tip = f" title='{_e(hint)}'" if hint else ""
            out.append(f"<td class='c-{outcome}'{tip}>{HTML_SYMBOL[outcome]}</td>")
            if outcome != "richtig" and hint:
                hints.append(f"<li><b>{_e(r.sub.label)}</b>, Aufgabe {_e(i)} "
                             f"({HTML_SYMBOL[outcome]}): {_e(hint)}</li>")
        out.append(f"<td>{r.count('richtig')}</td><td>{r.count('falsch')}</td>"
                   f"<td>{r.count('offen')}</td>"
                   f"<td>{r.count('fehlt') + r.count('Fehler')}</td></tr>")
    out.append("<tr class='sum'><td class='name'>✓ je Aufgabe</td>")
    for i in ids:
        solved = sum(1 for r in rows if r.cells.get(i, ("fehlt",))[0] == "richtig")
        out.append(f"<td>{solved} / {len(rows)}</td>")
    out.append("<td colspan='4'></td></tr></table>")
    if hints:
        out.append(f"<details><summary>Hinweise der Selbstkontrollen ({len(hints)})</summary>"
                   f"<ul class='hints'>{''.join(hints)}</ul></details>")
    for answer in nb.answers:
        out.append(f"<h3>{_e(answer.label)} (Freitext, nicht automatisch bewertet)</h3>"
                   f"<details><summary>Aufgabentext</summary><div class='question'>"
                   f"{_e(answer.question)}</div></details><table><tr><th class='name'>Name</th>"
                   "<th class='name'>Antwort</th></tr>")
        for r in rows:
            text = r.answers.get(answer.cell_id)
            shown = ("<span class='muted'>(Antwortzelle fehlt)</span>" if text is None else
                     "<span class='muted'>(keine Antwort)</span>" if text == "" else _e(text))
            out.append(f"<tr><td class='name'>{_e(r.sub.label)}</td>"
                       f"<td class='answer'>{shown}</td></tr>")
        out.append("</table>")
    out.append("</section>")
    return "".join(out)


# --- the batch -------------------------------------------------------------------------------

def _run_in_subprocess(sub: Submission, html_out: Path, args, threads: int,
                       mpl_cache: Path | None) -> dict | None:
    """Run one submission in a separate Python process (a crash there costs only this file)."""
    job = {"path": str(sub.path), "html": str(html_out), "limit": args.zeitlimit,
           "fast": not args.voll, "threads": threads,
           "mpl_cache": str(mpl_cache) if mpl_cache else None}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--einzeln", json.dumps(job)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        stdout, stderr = proc.communicate(timeout=args.zeitlimit + 180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"status": "Zeitlimit", "message": "Ausführung hängt und wurde abgebrochen.",
                "seconds": args.zeitlimit, "verdicts": [], "cells": [], "markdown": {}}
    lines = stdout.decode("utf-8", errors="replace").strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        return {"status": "Fehler", "message": f"Auswertung fehlgeschlagen: {tail[0][:300]}",
                "seconds": 0.0, "verdicts": [], "cells": [], "markdown": {}}


def _warm_matplotlib(cache: Path) -> Path | None:
    """Build matplotlib's font cache once, copied into every kernel's fresh home."""
    try:
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], timeout=120,
                       env={**os.environ, "MPLCONFIGDIR": str(cache)}, capture_output=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Abgaben einer Klasse ausführen und die Selbstkontrollen auswerten.")
    parser.add_argument("abgaben", type=Path, nargs="?",
                        help="Ordner mit einem Unterordner je Person (oder losen .ipynb-Dateien)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="so viele Abgaben gleichzeitig (Standard: Anzahl der CPU-Kerne)")
    parser.add_argument("-o", "--ausgabe", type=Path, default=Path("auswertung"),
                        help="Ordner für Tabellen und Übersicht (Standard: auswertung/)")
    parser.add_argument("--zeitlimit", type=float, default=300,
                        help="Sekunden je Notebook (Standard: 300)")
    parser.add_argument("--voll", action="store_true",
                        help="voller Modus statt Schnellmodus (langsam)")
    parser.add_argument("--einzeln", help=argparse.SUPPRESS)   # internal: one submission
    args = parser.parse_args(argv)

    if args.einzeln:
        job = json.loads(args.einzeln)
        result = run_submission(Path(job["path"]), Path(job["html"]), limit=job["limit"],
                                fast=job["fast"], threads=job["threads"],
                                mpl_cache=Path(job["mpl_cache"]) if job["mpl_cache"] else None)
        sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False) + "\n")
        return 0

    if args.abgaben is None or not args.abgaben.is_dir():
        print(f"Fehler: Ordner mit Abgaben nicht gefunden: {args.abgaben}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    start = time.monotonic()
    course = load_course()
    subs = find_submissions(args.abgaben)
    if not subs:
        print(f"Keine .ipynb-Dateien in {args.abgaben} gefunden.", file=sys.stderr)
        return 1
    for sub in subs:
        inspect(sub, course)
    label_submissions(subs)
    out = args.ausgabe.resolve()
    jobs = max(1, args.jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    runnable = [s for s in subs if not s.problem]
    results: dict[int, dict | None] = {}
    with tempfile.TemporaryDirectory(prefix="nnkurs-auswertung-") as tmp:
        mpl_cache = _warm_matplotlib(Path(tmp) / "matplotlib") if runnable else None
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool, \
                tqdm(total=len(runnable), desc="Auswertung", unit="Abgabe",
                     file=sys.stderr) as bar:
            futures = {}
            for i, sub in enumerate(subs):
                if sub.problem:
                    continue
                html_out = out / sub.page
                futures[pool.submit(_run_in_subprocess, sub, html_out, args, threads,
                                    mpl_cache)] = i
            for future in concurrent.futures.as_completed(futures):
                i = futures[future]
                try:
                    results[i] = future.result()
                except Exception as exc:  # noqa: BLE001 - one file never stops the batch
                    results[i] = {"status": "Fehler", "message": str(exc)[:300], "seconds": 0,
                                  "verdicts": [], "cells": [], "markdown": {}}
                bar.set_postfix_str(subs[i].label[:30])
                bar.update()
    tables: dict[str, list[Row]] = {}
    unassigned: list[Row] = []
    for i, sub in enumerate(subs):
        if sub.notebook is None:
            unassigned.append(Row(sub, "nicht auswertbar", sub.problem or ""))
            continue
        row = grade(sub, course[sub.notebook], results.get(i))
        if i in results:
            row.html = sub.page
        tables.setdefault(sub.notebook, []).append(row)
    tables = {n: sorted(tables[n], key=lambda r: r.sub.label.lower()) for n in sorted(tables)}
    all_rows = [r for rows in tables.values() for r in rows]
    totals = {o: sum(r.count(o) for r in all_rows) for o in OUTCOMES}
    minutes, seconds = divmod(int(time.monotonic() - start), 60)
    students = {s.student for s in subs}
    summary = (f"{len(subs)} Abgaben von {len(students)} Personen in {minutes}:{seconds:02d} min: "
               f"{totals['richtig']} ✅, {totals['falsch']} ❌, {totals['offen']} offen, "
               f"{totals['fehlt'] + totals['Fehler']} fehlt/Fehler"
               + (f"; {len(unassigned)} Datei(en) nicht auswertbar" if unassigned else "")
               + (f"; {sum(1 for r in all_rows if r.status != 'ok')} mit Problemen"
                  if any(r.status != "ok" for r in all_rows) else ""))
    write_outputs(out, course, tables, unassigned, summary)
    print(f"{summary}. Übersicht: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
