"""Tests for ``scripts/auswerten.py`` (``make auswerten``): grading a folder of submissions.

The fast tests feed the parser hand-made notebooks and run results. The slow ones (marked
``notebook``) build a class from the course's own notebook 01 — the solution without outputs,
the untouched exercise notebook, planted wrong answers, a broken file, an unknown kernelspec, a
kernel that dies, an endless loop, two students' files with the same name — run the grader
once and check its CSV cell by cell. Exercise ids come from the course at test time.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
import auswerten  # noqa: E402

MIME = auswerten.MIME
# One pytest-xdist worker for the whole file: the class is graded once (module fixture).
pytestmark = pytest.mark.xdist_group("auswerten")


def _verdict_output(exercise: str, status: str, hint: str = "", notebook: str = "01"):
    return nbformat.v4.new_output("display_data", data={
        "text/plain": f"Aufgabe {exercise}: {status}",
        MIME: {"notebook": notebook, "exercise": exercise, "title": "T", "status": status,
               "hint": hint, "message": "…"}})


def _result(verdicts=(), cells=(), status="ok", message="", markdown=None) -> dict:
    return {"status": status, "message": message, "seconds": 1.0, "verdicts": list(verdicts),
            "cells": list(cells), "markdown": markdown or {}}


def _course() -> auswerten.CourseNotebook:
    return auswerten.CourseNotebook(
        "01", "01_test", "Test",
        [auswerten.Exercise("1.1", "Eins", "eins"), auswerten.Exercise("1.2", "Zwei", "zwei"),
         auswerten.Exercise("2", "Drei", "drei")],
        [auswerten.AnswerCell("antwort", "Frage zu Aufgabe 2", "Warum?", "**Frage:** Warum?\n\n",
                              "")])


def _sub(name="anna") -> auswerten.Submission:
    return auswerten.Submission(Path(f"{name}.ipynb"), f"{name}.ipynb", name, "01")


# --- fast: parsing, recognition, layout -------------------------------------------------------

def test_verdicts_are_read_from_the_mime_part_not_from_text(tmp_path):
    """A hand-made executed notebook: the parser keeps MIME verdicts (last one per exercise
    wins, other notebooks' verdicts are ignored) and never reads the printed text."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("checks.eins(x)")
    cell.outputs = [_verdict_output("1.1", "falsch", "Form stimmt nicht"),
                    _verdict_output("1.1", "richtig"),
                    _verdict_output("1.2", "richtig", notebook="03"),
                    nbformat.v4.new_output("stream", text="✅ Richtig! Aufgabe 1.2\n")]
    nb.cells = [cell]
    payloads = [o["data"][MIME] for o in cell.outputs if "data" in o]
    result = _result(verdicts=[{**p, "cell": 0} for p in payloads],
                     cells=[{"index": 0, "source": cell.source, "error": None, "executed": True}])
    row = auswerten.grade(_sub(), _course(), result)
    assert row.cells["1.1"] == ("richtig", "")
    assert row.cells["1.2"][0] == "fehlt"   # the printed ✅ and the nb03 verdict do not count
    assert row.cells["2"][0] == "fehlt"


def test_missing_verdicts_are_explained():
    """No verdict: NameError in the check cell → offen, other error → Fehler, cell deleted →
    fehlt, notebook stopped (time limit) → Fehler with the reason."""
    cells = [{"index": 3, "source": "checks.eins(a)",
              "error": ["NameError", "name 'a' is not defined"]},
             {"index": 5, "source": "checks.zwei(b)", "error": ["ValueError", "kaputt"]}]
    row = auswerten.grade(_sub(), _course(), _result(cells=cells))
    assert row.cells["1.1"] == ("offen", "Prüfzelle: name 'a' is not defined")
    assert row.cells["1.2"] == ("Fehler", "Prüfzelle: ValueError: kaputt")
    assert row.cells["2"] == ("fehlt", "Die Prüfzelle fehlt im Notebook.")
    stopped = auswerten.grade(_sub(), _course(), _result(
        cells=[{"index": 1, "source": "checks.drei(c)", "error": None}], status="Zeitlimit",
        message="Zeitlimit von 5 s überschritten (Endlosschleife?)."))
    assert stopped.cells["2"] == ("Fehler", "Zeitlimit von 5 s überschritten (Endlosschleife?).")
    broken = _sub()
    broken.problem = "Keine gültige Notebook-Datei."
    row = auswerten.grade(broken, _course(), None)
    assert row.status == "nicht ausführbar"
    assert {v for v, _ in row.cells.values()} == {"Fehler"}


def test_free_text_answers_are_cut_out_of_the_answer_cell():
    course = _course()
    answer = course.answers[0]
    row = auswerten.grade(_sub(), course, _result(markdown={
        "antwort": "**Frage:** Warum?\n\nWeil die Sigmoid-Funktion sättigt."}))
    assert row.answers["antwort"] == "Weil die Sigmoid-Funktion sättigt."
    assert auswerten._answer(answer, {"antwort": "**Frage:** Warum?\n\n*IHRE ANTWORT HIER*"}) == ""
    assert auswerten._answer(answer, {}) is None
    # A notebook whose cell ids were lost: found by the question text instead.
    assert auswerten._answer(answer, {"x": "**Frage:** Warum?\n\nDarum."}) == "Darum."


def test_notebook_is_recognised_by_content_not_name():
    nb = nbformat.v4.new_notebook()
    assert auswerten.recognise("", nb) is None
    nb.cells = [nbformat.v4.new_markdown_cell("# 04 · Keras\n\nText")]
    assert auswerten.recognise("", nb) == "04"
    nb.cells.append(nbformat.v4.new_code_cell("from utils.checks import nb03 as checks"))
    assert auswerten.recognise("", nb) == "03"      # the import beats the title
    nb.metadata["nnkurs"] = {"notebook": "05"}
    assert auswerten.recognise("", nb) == "05"      # metadata beats both
    # A broken file: the raw text still tells which notebook it was.
    assert auswerten.recognise('{"cells": [{"source": "from utils.checks import nb06 as c') == "06"


def test_course_exercises_and_answer_cells_come_from_the_course():
    course = auswerten.load_course()
    assert sorted(course) == ["01", "02", "03", "04", "05", "06"]
    for number, nb in course.items():
        assert nb.exercises, number
        ids = [e.id for e in nb.exercises]
        assert len(ids) == len(set(ids)), number
        cells = nbformat.read(ROOT / "notebooks" / f"{nb.stem}.ipynb", as_version=4).cells
        headings = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        for exercise_id in ids:
            assert re.search(rf"Aufgabe {re.escape(exercise_id)}\b", headings), \
                (number, exercise_id)
    assert course["01"].answers, "notebook 01 has a free-text question"


def test_layouts_and_same_file_names(tmp_path):
    """Student folders, nbgrader's submitted/<student>/<assignment>/, Moodle folder names,
    loose files; checkpoints are skipped; equal file names stay apart."""
    for rel in ["anna/abgabe.ipynb", "ben/abgabe.ipynb", "lose_datei.ipynb",
                "Müller Max_12345_assignsubmission_file_/nb.ipynb",
                "anna/.ipynb_checkpoints/abgabe-checkpoint.ipynb"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    subs = auswerten.find_submissions(tmp_path)
    assert sorted(s.student for s in subs) == ["Müller Max", "anna", "ben", "lose_datei"]
    nbgrader = tmp_path / "kurs"
    (nbgrader / "submitted" / "carla" / "ps1").mkdir(parents=True)
    (nbgrader / "submitted" / "carla" / "ps1" / "01.ipynb").write_text("{}")
    assert [s.student for s in auswerten.find_submissions(nbgrader)] == ["carla"]
    twice = [auswerten.Submission(Path("p1/abgabe.ipynb"), "x/p1/abgabe.ipynb", "x", "01"),
             auswerten.Submission(Path("p2/abgabe.ipynb"), "x/p2/abgabe.ipynb", "x", "01"),
             auswerten.Submission(Path("abgabe.ipynb"), "x/abgabe.ipynb", "x", "02"),
             auswerten.Submission(Path("abgabe.ipynb"), "X/abgabe.ipynb", "X", "01")]
    auswerten.label_submissions(twice)
    assert [s.label for s in twice] == ["x (x/p1/abgabe.ipynb)", "x (x/p2/abgabe.ipynb)", "x", "X"]
    assert [s.slug for s in twice] == ["x", "x", "x", "X_2"]   # one folder per student
    assert len({s.page.lower() for s in twice}) == 4


def test_kernel_environment_is_minimal(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "geheim")
    env = auswerten.kernel_env(tmp_path, fast=True, threads=1)
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == str(tmp_path) and env["NNKURS_FAST"] == "1"
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "MPLCONFIGDIR", "PYTHONPATH", "NNKURS_FAST",
                        "NNKURS_STRICT_CHECKS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                        "TF_NUM_INTRAOP_THREADS", "TF_CPP_MIN_LOG_LEVEL",
                        "PYDEVD_DISABLE_FILE_VALIDATION", "PYTHONDONTWRITEBYTECODE", "LANG",
                        "LC_ALL", "TZ", "NNKURS_DATA_DIR"}


# --- slow: a whole class made from notebook 01 -------------------------------------------------

def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _clean(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _index_calling(nb, function: str) -> int:
    hits = [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and re.search(rf"\bchecks\.{function}\s*\(", c.source)]
    assert hits, f"no cell calls checks.{function}"
    return hits[0]


def _replace_line(nb, pattern: str, new: str) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(pattern, cell.source, re.M):
            cell.source = re.sub(pattern, new, cell.source, count=1, flags=re.M)
            return
    raise AssertionError(f"no line matches {pattern!r}")


def _sha(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


COURSE = auswerten.load_course()
NB01 = COURSE["01"]
IDS = [e.id for e in NB01.exercises]
FUNCTIONS = {e.id: e.function for e in NB01.exercises}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build a class of notebook-01 submissions and grade it once (two at a time)."""
    base = tmp_path_factory.mktemp("klasse")
    abgaben = base / "abgaben"
    solution = _clean(_read(ROOT / "solutions" / f"{NB01.stem}.ipynb"))
    exercise = _read(ROOT / "notebooks" / f"{NB01.stem}.ipynb")

    def put(rel: str, nb) -> None:
        (abgaben / rel).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, abgaben / rel)

    anna = _clean(_read(ROOT / "solutions" / f"{NB01.stem}.ipynb"))
    anna.cells.insert(4, nbformat.v4.new_code_cell(
        'import os\nprint("GEHEIM:", os.environ.get("NNKURS_TEST_GEHEIMNIS"))\n'
        'print("ORT:", os.getcwd())'))
    put("anna/abgabe.ipynb", anna)
    ben = _clean(_read(ROOT / "solutions" / f"{NB01.stem}.ipynb"))   # same file name as anna's
    _replace_line(ben, r"^x_new = .*$", "x_new = torch.from_numpy(x_test[0]).flatten().float()")
    _replace_line(ben, r"^h_small = .*$", "h_small = x_new @ w_small")
    put("ben/abgabe.ipynb", ben)
    put("carla/01_tensoroperationen.ipynb", exercise)
    dora = _clean(_read(ROOT / "solutions" / f"{NB01.stem}.ipynb"))
    dora.metadata["kernelspec"] = {"name": "gibt-es-nicht", "display_name": "Unbekannt",
                                   "language": "python"}
    del dora.cells[_index_calling(dora, FUNCTIONS[IDS[-1]])]
    answer = NB01.answers[0]
    cell = next(c for c in dora.cells if c.get("id") == answer.cell_id)
    cell.source = answer.prefix + "Meine Antwort: Die Sigmoid-Funktion ist gesättigt."
    put("dora/mein notebook.ipynb", dora)
    text = nbformat.writes(solution)
    (abgaben / "emil").mkdir()
    (abgaben / "emil" / "abgabe.ipynb").write_text(text[: len(text) // 2], encoding="utf-8")
    finn = _clean(_read(ROOT / "solutions" / f"{NB01.stem}.ipynb"))
    finn.cells.insert(_index_calling(finn, FUNCTIONS[IDS[0]]) + 1,
                      nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    put("finn/abgabe.ipynb", finn)
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_markdown_cell("# Einkaufsliste")]
    put("notiz.ipynb", other)
    before = _sha(abgaben)

    out = base / "auswertung"
    env = {**os.environ, "NNKURS_TEST_GEHEIMNIS": "streng-geheim", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "auswerten.py"), str(abgaben),
                          "-o", str(out), "-j", "2", "--zeitlimit", "600"],
                         capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert _sha(abgaben) == before, "the grader changed a submission"

    # The endless loop gets its own short time limit.
    loop_dir = base / "schleife"
    greta = _clean(_read(ROOT / "solutions" / f"{NB01.stem}.ipynb"))
    greta.cells.insert(3, nbformat.v4.new_code_cell("while True:\n    pass"))
    (loop_dir / "greta").mkdir(parents=True)
    nbformat.write(greta, loop_dir / "greta" / "abgabe.ipynb")
    start = time.monotonic()
    loop = subprocess.run([sys.executable, str(ROOT / "scripts" / "auswerten.py"), str(loop_dir),
                           "-o", str(base / "auswertung-schleife"), "--zeitlimit", "10"],
                          capture_output=True, text=True, env=env, timeout=300)
    loop_seconds = time.monotonic() - start
    assert loop.returncode == 0, loop.stderr[-3000:]
    return {"out": out, "stdout": run.stdout, "loop_out": base / "auswertung-schleife",
            "loop_seconds": loop_seconds}


def _csv(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def _hints(out: Path) -> dict[tuple, str]:
    with (out / "hinweise.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {(r["Name"], r["Aufgabe"]): r["Hinweis"] for r in csv.DictReader(handle)}


@pytest.mark.notebook
def test_class_table_cell_by_cell(graded):
    rows = _csv(graded["out"] / f"{NB01.stem}.csv")
    assert sorted(rows) == ["anna", "ben", "carla", "dora", "emil", "finn"]
    col = {i: f"Aufgabe {i}" for i in IDS}
    n = len(IDS)

    def cells(name):
        return [rows[name][col[i]] for i in IDS]

    # the solution without outputs: everything right
    assert rows["anna"]["Status"] == "ok" and cells("anna") == ["✅"] * n
    assert rows["anna"]["richtig"] == str(n) and rows["anna"]["falsch"] == "0"
    # planted wrong answers in the first two exercises, the rest untouched
    assert cells("ben") == ["❌", "❌"] + ["✅"] * (n - 2)
    assert rows["ben"]["falsch"] == "2" and rows["ben"]["richtig"] == str(n - 2)
    # the untouched exercise notebook: all open, nothing wrong
    assert cells("carla") == ["offen"] * n and rows["carla"]["falsch"] == "0"
    # unknown kernelspec runs anyway; the deleted check cell makes its exercise "fehlt"
    assert rows["dora"]["Status"] == "ok" and cells("dora") == ["✅"] * (n - 1) + ["fehlt"]
    assert rows["dora"]["Datei"] == "dora/mein notebook.ipynb"
    # invalid JSON: still in the notebook-01 table (its text names the notebook), not run
    assert rows["emil"]["Status"] == "nicht ausführbar" and cells("emil") == ["Fehler"] * n
    # a cell that kills the kernel: what ran before it counts
    assert rows["finn"]["Status"] == "Kernel abgestürzt"
    assert cells("finn") == ["✅"] + ["Fehler"] * (n - 1)


@pytest.mark.notebook
def test_hints_answers_and_unassigned_files(graded):
    out = graded["out"]
    hints = _hints(out)
    assert "255" in hints[("ben", IDS[0])]          # not divided by 255
    assert "ReLU" in hints[("ben", IDS[1])]         # activation function forgotten
    assert ("anna", IDS[0]) not in hints
    assert "abgestürzt" in hints[("finn", IDS[1])]
    with (out / "antworten.csv").open(encoding="utf-8-sig", newline="") as handle:
        answers = {}  # each person's answer to the notebook's first question
        for r in csv.DictReader(handle):
            if r["Frage"] == NB01.answers[0].label:
                answers.setdefault(r["Name"], r["Antwort"])
    assert answers["dora"] == "Meine Antwort: Die Sigmoid-Funktion ist gesättigt."
    assert answers["carla"] == ""
    unassigned = _csv(out / "nicht_auswertbar.csv")
    assert list(unassigned) == ["notiz"] and "Kein Notebook" in unassigned["notiz"]["Grund"]
    tasks = list(csv.DictReader((out / "aufgaben.csv").open(encoding="utf-8-sig")))
    first = next(t for t in tasks if t["Aufgabe"] == IDS[0])
    counts = (first["richtig"], first["falsch"], first["offen"], first["Fehler"])
    assert counts == ("3", "1", "1", "1")
    overview = _csv(out / "uebersicht.csv")
    assert overview["anna"]["01 richtig"] == str(len(IDS))
    assert graded["stdout"].strip().splitlines()[-1].startswith("7 Abgaben von 7 Personen")


@pytest.mark.notebook
def test_html_pages_and_isolation(graded):
    out = graded["out"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Auswertung der Abgaben" in page and "Meine Antwort" in page
    links = re.findall(r"href='(ausgefuehrt/[^']+\.html)'", page)
    assert len(links) == 5 and all((out / link).is_file() for link in links)
    anna = next(link for link in links if "/anna/" in link)
    ben = next(link for link in links if "/ben/" in link)
    anna_html = (out / anna).read_text(encoding="utf-8")
    assert "❌" not in anna_html and "❌" in (out / ben).read_text(encoding="utf-8")
    # the kernel neither sees the teacher's environment nor runs in the submission's folder
    assert "GEHEIM: None" in anna_html
    assert re.search(r"ORT: \S*nnkurs-abgabe-", anna_html)


@pytest.mark.notebook
def test_endless_loop_hits_the_time_limit(graded):
    rows = _csv(graded["loop_out"] / f"{NB01.stem}.csv")
    assert rows["greta"]["Status"] == "Zeitlimit"
    assert [rows["greta"][f"Aufgabe {i}"] for i in IDS] == ["Fehler"] * len(IDS)
    assert graded["loop_seconds"] < 120
