"""The teacher bundles (scripts/make_dist.py): the exercise bundle never contains solutions.

Every test unpacks a real zip. The scan is independent of make_exercises: it takes every line
inside a solution region of solutions/*.ipynb (code and markdown answers) and looks for it in
every text file of the bundle. Two courses are checked: a small synthetic one (always, so the
tooling is tested before any notebook exists) and this repository (when it has notebooks).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import check_bundle
import course_format
import make_dist
import make_exercises
import nbformat
import pytest
import sync_notebooks

ROOT = Path(__file__).resolve().parent.parent

SECRET_CODE = "    return np.maximum(values, 0.0) * scale"
SECRET_ANSWER = "Die Verzerrung verschiebt die Schwelle des Neurons."


def unpack(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        archive.extractall(into)
    prefix = {name.split("/")[0] for name in names}
    assert prefix == {path.stem}, f"alles in einem Ordner {path.stem}/"
    return into / path.stem


def read_tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def synthetic_solution() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · Probe\nEin Notebook nur für die Tests."),
        nbformat.v4.new_code_cell("", metadata={"tags": ["setup"]}),
        nbformat.v4.new_code_cell("import numpy as np\nimport utils\n"
                                  "from utils.checks import run_check"),
        nbformat.v4.new_markdown_cell("![*Abbildung 1:* Ein Neuron](attachment:neuron.png)"),
        nbformat.v4.new_code_cell("def relu(values, scale=1.0):\n    ### BEGIN SOLUTION\n"
                                  f"{SECRET_CODE}\n    ### END SOLUTION\n\nprint(relu(1.0))"),
        nbformat.v4.new_markdown_cell("Was bewirkt die Verzerrung?\n\n<!-- BEGIN SOLUTION -->\n"
                                      f"{SECRET_ANSWER}\n<!-- END SOLUTION -->"),
    ]
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", text="1.0\n")]
    nb.cells[4].execution_count = 3
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"c{number}"
    return nb


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A copy of the course's tooling with one synthetic solution notebook, synced."""
    course = tmp_path_factory.mktemp("kurs")
    for name in ("course.toml", "requirements.txt", "environment.yml", "Makefile"):
        shutil.copy(ROOT / name, course / name)
    for folder in ("scripts", "utils", "img"):
        shutil.copytree(ROOT / folder, course / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (course / "README.md").write_text(
        f"# Kurs\n\n{sync_notebooks.TABLE_BEGIN}\n{sync_notebooks.TABLE_END}\n", "utf-8")
    (course / "data").mkdir()
    (course / "data" / "README.md").write_text("# Datensätze\n", "utf-8")
    (course / "solutions").mkdir()
    nbformat.write(synthetic_solution(), course / "solutions" / "01_probe.ipynb")
    assert sync_notebooks.main(["--root", str(course)]) == 0
    exercises = make_exercises.build(course / "solutions", course / "notebooks")
    (course / "notebooks").mkdir()
    for path, text in exercises.items():
        path.write_text(text, encoding="utf-8")
    return course


def build_and_unpack(course: Path, into: Path, *, check: bool) -> tuple[Path, Path]:
    exercises_zip, solutions_zip = make_dist.build(course, into / "dist", check=check)
    return unpack(exercises_zip, into / "aufgaben"), unpack(solutions_zip, into / "loesungen")


def assert_no_solutions(bundle: Path, solutions: Path) -> None:
    """The leak test: nothing of the solutions is in the unpacked exercise bundle."""
    secret, _ = make_dist.solution_lines(solutions, bundle / "utils")
    files = read_tree(bundle)
    leaks = make_dist.find_leaks(files, secret)
    hint = ("\n(Eine Selbstkontrolle in utils/checks darf keine Lösungszeile wörtlich "
            "wiederholen: anders berechnen, die Eigenschaft prüfen oder – wenn der Aufgabentext "
            "die Zeile vorgibt – mit »# kein Leck: Grund« markieren.)"
            if any(leak.startswith("utils/") for leak in leaks) else "")
    assert not leaks, "Lösungen im Aufgabenpaket:\n" + "\n".join(leaks) + hint
    assert not any(name.startswith(("solutions/", "tests/")) for name in files)
    for name in files:
        if name.endswith(".ipynb"):
            nb = nbformat.reads(files[name].decode("utf-8"), as_version=4)
            for cell in nb.cells:
                assert not cell.get("outputs") and cell.get("execution_count") is None, name
    readme = files["README.md"].decode("utf-8")
    linked = re.findall(r"solutions/[\w.-]+\.ipynb", readme)
    assert not linked, f"README des Aufgabenpakets verlinkt Lösungen: {linked}"
    # the bundle's README is true for the bundle: no solutions folder, no commands that need it,
    # every folder and script it names is in the bundle
    for absent in ("solutions/", "make test", "make exercises", "make dist"):
        assert absent not in readme, f"README des Aufgabenpakets nennt {absent}"
    for folder in re.findall(r"`(\w+)/`", readme):
        assert any(name.startswith(f"{folder}/") for name in files), folder
    makefile = files["Makefile"].decode("utf-8")
    for target in re.findall(r"`make ([\w-]+)", readme):
        assert re.search(rf"^(?:[\w-]+ )*{target}(?: [\w-]+)*:", makefile, re.MULTILINE), target


def run_bundle_check(bundle: Path) -> subprocess.CompletedProcess:
    """`make check-bundle` inside the unpacked bundle, with this repository's environment.

    Without a `make`-managed .venv here (no stamp), `make` would install one: then the bundle's
    script runs directly with this interpreter.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MAKEFLAGS")}
    if (ROOT / ".venv" / ".nn-kurs-requirements.sha256").is_file() and shutil.which("make"):
        if not (bundle / ".venv").exists():
            (bundle / ".venv").symlink_to((ROOT / ".venv").resolve())
        command = ["make", "--no-print-directory", "check-bundle"]
    else:
        command = [sys.executable, "scripts/check_bundle.py"]
    return subprocess.run(command, cwd=bundle, env=env, capture_output=True, text=True,
                          timeout=120)


def test_synthetic_bundle_has_exercises_but_no_solutions(synthetic, tmp_path):
    bundle, solutions = build_and_unpack(synthetic, tmp_path, check=True)
    files = read_tree(bundle)
    for name in ("notebooks/01_probe.ipynb", "utils/__init__.py", "utils/checks/__init__.py",
                 "img/neuron.png", "requirements.txt", "environment.yml", "README.md",
                 "Makefile", "scripts/check_bundle.py", "scripts/venv.sh"):
        assert name in files, name
    exercise = nbformat.reads(files["notebooks/01_probe.ipynb"].decode(), as_version=4)
    assert "raise NotImplementedError(" in exercise.cells[5].source
    assert "*IHRE ANTWORT HIER*" in exercise.cells[6].source
    assert '"img/neuron.png")' in exercise.cells[4].source  # embedded figure
    assert_no_solutions(bundle, synthetic / "solutions")
    solution = (solutions / "solutions" / "01_probe.ipynb").read_text("utf-8")
    assert SECRET_CODE.strip() in solution and SECRET_ANSWER in solution


def test_comments_do_not_hide_a_leak_and_exemptions_are_explicit():
    secret = {make_dist.normalise_code(SECRET_CODE)}
    files = {"utils/checks/nb01.py": f"{SECRET_CODE}  # harmlos?\n".encode(),
             "utils/checks/nb02.py": f"{SECRET_CODE}  {make_dist.EXEMPT} Aufgabentext\n".encode(),
             "README.md": f"Text\n{SECRET_CODE}\n".encode()}
    leaks = make_dist.find_leaks(files, secret)
    assert [leak.split(",")[0] for leak in leaks] == ["README.md", "utils/checks/nb01.py"]


@pytest.mark.parametrize("plant", ["code", "answer", "marker", "output"])
def test_leak_test_catches_a_planted_solution(synthetic, tmp_path, plant):
    """Plant a leak into an exercise of a copy: the scan (and make_dist) must refuse it."""
    course = tmp_path / "kurs"
    shutil.copytree(synthetic, course)
    path = course / "notebooks" / "01_probe.ipynb"
    nb = nbformat.read(path, as_version=4)
    if plant == "code":
        source = nb.cells[5].source.splitlines()
        nb.cells[5].source = "\n".join(SECRET_CODE if "NotImplementedError" in line else line
                                       for line in source)
    elif plant == "answer":
        nb.cells[6].source += "\n" + SECRET_ANSWER
    elif plant == "marker":
        nb.cells[5].source += "\n    ### END SOLUTION"
    else:
        nb.cells[5].outputs = [nbformat.v4.new_output("stream", text="1.0\n")]
    nbformat.write(nb, path)
    bundle, _ = build_and_unpack(course, tmp_path, check=False)
    with pytest.raises(AssertionError, match="Lösungen im Aufgabenpaket"):
        assert_no_solutions(bundle, course / "solutions")
    with pytest.raises(make_dist.LeakError):
        make_dist.build(course, tmp_path / "refused", check=True)
    assert not (tmp_path / "refused").exists()


def test_public_lines_are_not_leaks(tmp_path):
    """A line the notebook also shows outside a region, or a trivial one, is not secret."""
    nb = synthetic_solution()
    nb.cells.append(nbformat.v4.new_code_cell(f"def shown(values, scale):\n{SECRET_CODE}"))
    nb.cells[4].source = nb.cells[4].source.replace(SECRET_CODE, SECRET_CODE + "\n    return x")
    nbformat.write(nb, tmp_path / "01.ipynb")
    secret, public = make_dist.solution_lines(tmp_path)
    assert secret == {SECRET_ANSWER}
    assert make_dist.normalise(SECRET_CODE) in public
    # a line of the helper package is course material; a line of a self-check is not
    utils = tmp_path / "utils"
    (utils / "checks").mkdir(parents=True)
    (utils / "training.py").write_text(f"def fit():\n    {SECRET_ANSWER}\n", encoding="utf-8")
    (utils / "checks" / "nb01.py").write_text(f"# {SECRET_CODE}\n{SECRET_CODE}\n", "utf-8")
    nb.cells.pop()
    nbformat.write(nb, tmp_path / "01.ipynb")
    secret, _ = make_dist.solution_lines(tmp_path, utils)
    assert secret == {make_dist.normalise(SECRET_CODE)}


def test_synthetic_bundle_checks_itself(synthetic, tmp_path):
    bundle, _ = build_and_unpack(synthetic, tmp_path, check=True)
    result = run_bundle_check(bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok     01_probe.ipynb: 1 Aufgabe(n)" in result.stdout
    # the check is not a rubber stamp: an output left in an exercise makes it fail
    path = bundle / "notebooks" / "01_probe.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[5].outputs = [nbformat.v4.new_output("stream", text="x\n")]
    nb.cells[3].source += "\nfrom utils.checks import nb99"
    (bundle / "img" / "neuron.png").unlink()
    nbformat.write(nb, path)
    result = run_bundle_check(bundle)
    assert result.returncode != 0
    for problem in ("enthält Ausgaben", "utils.checks.nb99 fehlt", "img/neuron.png fehlt"):
        assert problem in result.stdout, result.stdout


def test_bundles_are_deterministic(synthetic, tmp_path):
    first = make_dist.build(synthetic, tmp_path / "a")
    second = make_dist.build(synthetic, tmp_path / "b")
    assert [p.name for p in first] == ["nn-kurs-aufgaben-0.1.0.zip", "nn-kurs-loesungen-0.1.0.zip"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


REAL = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.skipif(not REAL, reason="noch keine Notebooks in solutions/")
def test_repository_bundle_has_no_solutions_and_checks_itself(tmp_path):
    # the test's own scan first (make_dist's built-in scan and freshness check come last)
    bundle, solutions = build_and_unpack(ROOT, tmp_path, check=False)
    assert sorted(p.name for p in (bundle / "notebooks").glob("*.ipynb")) == [p.name for p in REAL]
    assert sorted(p.name for p in (solutions / "solutions").glob("*.ipynb")) == [
        p.name for p in REAL]
    assert_no_solutions(bundle, ROOT / "solutions")
    result = run_bundle_check(bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    make_dist.build(ROOT, tmp_path / "checked", check=True)


# --- misspelt markers, generated placeholders, broken files ------------------------------------

NEAR_MISSES = ["    ## END SOLUTION", "    ### end solution", "    ### END SOLUTION # fertig",
               "    ### END SOLUTIONS", "    <!-- END SOLUTION ->", "    #### END SOLUTION"]


@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_miss_marker_in_a_solution_stops_make_dist(synthetic, tmp_path, line):
    """A misspelt END marker would let the solution through: make_dist refuses, naming the line."""
    course = tmp_path / "kurs"
    shutil.copytree(synthetic, course)
    path = course / "solutions" / "01_probe.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[5].source = nb.cells[5].source.replace("    ### END SOLUTION", line)
    nbformat.write(nb, path)
    with pytest.raises(course_format.MarkerError, match="01_probe.ipynb, Zelle 5, Zeile 4"):
        make_dist.solution_lines(course / "solutions")
    with pytest.raises(course_format.MarkerError):
        make_dist.build(course, tmp_path / "refused", check=True)
    assert not (tmp_path / "refused").exists()


@pytest.mark.parametrize("line", NEAR_MISSES + ["x = 1  ### BEGIN SOLUTION",
                                                "<!-- BEGIN SOLUTION -->"])
def test_near_miss_marker_in_an_exercise_is_a_leak_for_make_dist_and_check_bundle(
        synthetic, tmp_path, line):
    course = tmp_path / "kurs"
    shutil.copytree(synthetic, course)
    path = course / "notebooks" / "01_probe.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[5].source += "\n" + line
    nbformat.write(nb, path)
    files = {"notebooks/01_probe.ipynb": path.read_bytes()}
    leaks = make_dist.find_leaks(files, set())
    assert leaks and "Zelle 5" in leaks[0] and "Lösungsmarkierung" in leaks[0]
    problems, _ = check_bundle.problems_in(path, course)
    assert any("Zelle 5" in p and "Lösungsmarkierung" in p for p in problems), problems


def test_markers_mentioned_inline_in_text_files_are_no_leak():
    files = {"README.md": b"Schreiben Sie `### BEGIN SOLUTION` in eine eigene Zeile.\n",
             "scripts/x.py": b'TEXT = "### BEGIN SOLUTION"\n'}
    assert make_dist.find_leaks(files, set()) == []
    files["README.md"] += b"### BEGIN SOLUTION\n"
    assert len(make_dist.find_leaks(files, set())) == 1


def test_none_placeholders_of_top_level_exercises_are_not_leaks(tmp_path):
    """The solution may hold ``NAME = None`` inside a region: the generated placeholder line is
    the same text, and it gives nothing away."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nb = synthetic_solution()
    nb.cells.append(nbformat.v4.new_code_cell(
        "### BEGIN SOLUTION\nbest_threshold_value = None\n"
        "best_threshold_value = 0.5 * scale_factor\n### END SOLUTION\nprint(best_threshold_value)"))
    nbformat.write(nb, solutions / "01_probe.ipynb")
    secret, _ = make_dist.solution_lines(solutions)
    assert "best_threshold_value = 0.5 * scale_factor" in secret
    assert "best_threshold_value = None" not in secret
    exercise = make_exercises.build(solutions, tmp_path / "notebooks")
    text = next(iter(exercise.values()))
    assert "best_threshold_value = None" in nbformat.reads(text, 4).cells[-1].source
    assert make_dist.find_leaks({"notebooks/01_probe.ipynb": text.encode()}, secret) == []


@pytest.mark.parametrize("text", ['{"cells": [', "[]"])
def test_broken_notebook_json_is_one_german_line_naming_the_file(synthetic, tmp_path, text,
                                                                capsys):
    course = tmp_path / "kurs"
    shutil.copytree(synthetic, course)
    broken = course / "notebooks" / "02_kaputt.ipynb"
    broken.write_text(text, encoding="utf-8")
    problems, _ = check_bundle.problems_in(broken, course)
    assert len(problems) == 1 and str(broken) in problems[0] and "kein" in problems[0]
    assert check_bundle.main([str(course / "notebooks")]) == 1
    assert "02_kaputt.ipynb" in capsys.readouterr().out
    with pytest.raises(course_format.NotebookError, match="notebooks/02_kaputt.ipynb"):
        make_dist.find_leaks({"notebooks/02_kaputt.ipynb": text.encode()}, set())
    broken.unlink()
    (course / "solutions" / "02_kaputt.ipynb").write_text(text, encoding="utf-8")
    with pytest.raises(course_format.NotebookError, match="solutions/02_kaputt.ipynb"):
        make_dist.build(course, tmp_path / "refused", check=True)
