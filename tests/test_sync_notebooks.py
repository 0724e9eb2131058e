"""Tests of scripts/sync_notebooks.py on temporary copies (and one check of the real repository)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

import make_exercises
import sync_notebooks as sync

ROOT = Path(__file__).resolve().parent.parent

# The setup cell as authors first wrote it (before the generator existed).
OLD_SETUP = '''import sys
if "google.colab" in sys.modules:
    subprocess.run(["git", "clone", "--branch", "v0.0.1", "https://example.org/x.git"])'''
README = f"# nn-kurs\n\nText davor.\n\n{sync.TABLE_BEGIN}\nalt\n{sync.TABLE_END}\n\nText danach.\n"


def make_notebook(title: str, *cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\nEin Satz dazu."), *cells]
    for number, cell in enumerate(nb.cells):  # deterministic ids
        cell["id"] = f"cell-{number}"
    return nb


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A minimal course: course.toml, requirements.txt, README, one solution, one figure."""
    for name in ("course.toml", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "neuron.png").write_bytes(b"\x89PNG\r\n\x1a\nerstes Bild")
    (tmp_path / "solutions").mkdir()
    setup = nbformat.v4.new_code_cell(OLD_SETUP, metadata={"tags": ["setup"]})
    figure = nbformat.v4.new_markdown_cell("![*Abbildung 1:* Ein Neuron](attachment:neuron.png)")
    code = nbformat.v4.new_code_cell("def relu(x):\n    ### BEGIN SOLUTION\n    return max(x, 0)\n"
                                     "    ### END SOLUTION")
    nbformat.write(make_notebook("01 · Erstes Notebook", setup, figure, code),
                   tmp_path / "solutions" / "01_erstes.ipynb")
    return tmp_path


def run(repo: Path, *args: str) -> int:
    return sync.main(["--root", str(repo), *args])


def snapshot(repo: Path) -> dict[str, bytes]:
    return {str(p.relative_to(repo)): p.read_bytes()
            for p in sorted(repo.rglob("*")) if p.is_file()}


def test_sync_writes_setup_badges_figures_and_table(repo):
    assert run(repo, "--check") == 1
    assert run(repo) == 0
    assert run(repo, "--check") == 0
    config = sync.load_config(repo)
    nb = nbformat.read(repo / "solutions" / "01_erstes.ipynb", as_version=4)
    assert nb.cells[1].metadata.tags == ["badges"] and nb.cells[1].cell_type == "markdown"
    assert nb.cells[2].metadata.tags == ["setup"]
    assert nb.cells[2].source == sync.setup_source(config, "01_erstes.ipynb")
    assert f"--branch\", \"{config['ref']}\"" in nb.cells[2].source
    assert "v0.0.1" not in nb.cells[2].source
    colab = (f"https://colab.research.google.com/github/{config['slug']}/blob/{config['ref']}/"
             "solutions/01_erstes.ipynb")
    assert colab in nb.cells[1].source and "mybinder.org" in nb.cells[1].source
    # the figure is embedded with the bytes of img/neuron.png, nothing else changed
    uri = sync.figure_data_uri(repo / "img" / "neuron.png")
    assert uri.startswith("data:image/png;base64,iVBORw0KGg")
    assert nb.cells[3].source == f'![*Abbildung 1:* Ein Neuron]({uri} "img/neuron.png")'

    assert "attachments" not in nb.cells[3]
    assert "### BEGIN SOLUTION" in nb.cells[4].source
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# nn-kurs\n\nText davor.") and readme.endswith("Text danach.\n")
    assert "alt\n" not in readme
    row = "| 01 | Erstes Notebook | [notebooks/01_erstes.ipynb](notebooks/01_erstes.ipynb) "
    assert row in readme
    assert colab in readme and colab.replace("solutions/", "notebooks/") in readme


def test_environment_yml_has_exactly_the_pins_of_requirements(repo):
    assert run(repo) == 0
    env = (repo / "environment.yml").read_text(encoding="utf-8")
    pins = [line.split("#")[0].strip() for line in
            (repo / "requirements.txt").read_text(encoding="utf-8").splitlines()
            if "==" in line.split("#")[0]]
    skip = sync.load_config(repo)["binder_skip"]
    assert "jupyterlab" in skip and "pytest" in skip  # Binder brings its own JupyterLab
    assert [line.strip()[2:] for line in env.splitlines() if "==" in line] == [
        pin for pin in pins if pin.split("==")[0] not in skip]
    assert "  - python=3.11" in env.splitlines() and "-r requirements.txt" not in env
    requirements = repo / "requirements.txt"
    requirements.write_text(requirements.read_text("utf-8").replace("seaborn==0.13.2",
                                                                    "seaborn==0.13.3"), "utf-8")
    assert run(repo, "--check") == 1
    assert run(repo) == 0
    assert "      - seaborn==0.13.3" in (repo / "environment.yml").read_text("utf-8")
    requirements.write_text("numpy>=2\n", "utf-8")
    assert run(repo) == 2  # an unpinned requirement is an error


def test_sync_is_idempotent_and_deterministic(repo, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(repo, other, dirs_exist_ok=True)
    assert run(repo) == 0
    first = snapshot(repo)
    assert run(repo) == 0
    assert snapshot(repo) == first
    assert run(other) == 0
    assert snapshot(other) == first


def test_check_notices_new_notebook_changed_figure_and_config(repo):
    assert run(repo) == 0
    # a notebook added later gets its cells and its row
    nbformat.write(make_notebook("02 · Zweites"), repo / "solutions" / "02_zweites.ipynb")
    assert run(repo, "--check") == 1
    assert run(repo) == 0
    readme = (repo / "README.md").read_text("utf-8")
    assert "| 02 | Zweites | [notebooks/02_zweites.ipynb]" in readme
    second = nbformat.read(repo / "solutions" / "02_zweites.ipynb", as_version=4)
    assert [c.metadata.get("tags") for c in second.cells[1:3]] == [["badges"], ["setup"]]
    # a new version in course.toml
    toml = repo / "course.toml"
    toml.write_text(toml.read_text("utf-8").replace('ref = "v0.1.0"', 'ref = "v9.9.9"'), "utf-8")
    assert run(repo, "--check") == 1
    assert run(repo) == 0
    synced = nbformat.read(repo / "solutions" / "01_erstes.ipynb", 4)
    assert "v9.9.9" in synced.cells[2].source
    # a figure drawn anew
    (repo / "img" / "neuron.png").write_bytes(b"\x89PNG\r\n\x1a\nzweites Bild")
    assert run(repo, "--check") == 1
    assert run(repo) == 0
    figure = nbformat.read(repo / "solutions" / "01_erstes.ipynb", 4).cells[3].source
    assert sync.figure_data_uri(repo / "img" / "neuron.png") in figure


@pytest.mark.parametrize("target", [
    "attachment:neuron.png", "img/neuron.png", "../img/neuron.png", '../img/neuron.png "Titel"',
    "https://raw.githubusercontent.com/nn-kurs/nn-kurs/v0.1.0/img/neuron.png",
    'data:image/png;base64,QUxU "img/neuron.png"',
    '<img src="../img/neuron.png" width="600">',
    '<img src="data:image/png;base64,QUxU" title="img/neuron.png" width="600">'])
def test_every_way_of_naming_a_figure_becomes_the_embedded_file(repo, target):
    path = repo / "solutions" / "01_erstes.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = target if target.startswith("<") else f"![Abbildung 1: …]({target})"
    nb.cells[2]["attachments"] = {"neuron.png": {"image/png": "aGFsbG8="},
                                  "anderes.png": {"image/png": "aGFsbG8="}}
    nbformat.write(nb, path)
    assert run(repo) == 0
    cell = nbformat.read(path, as_version=4).cells[3]
    uri = sync.figure_data_uri(repo / "img" / "neuron.png")
    if target.startswith("<"):
        assert cell.source == f'<img src="{uri}" title="img/neuron.png" width="600">'
    else:
        assert cell.source == f'![Abbildung 1: …]({uri} "img/neuron.png")'
    assert list(cell.attachments) == ["anderes.png"]  # only the replaced attachment goes
    assert run(repo, "--check") == 0


def test_stored_tqdm_widget_becomes_its_final_text(repo):
    path = repo / "solutions" / "01_erstes.ipynb"
    nb = nbformat.read(path, as_version=4)
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    nb.cells[3].outputs = [nbformat.v4.new_output("display_data", data={
        sync.WIDGET_VIEW: view, "text/plain": "Training:   0%|          | 0/15"})]

    def model(name, **state):
        return {"model_name": name, "state": state}

    nb.metadata["widgets"] = {sync.WIDGET_STATE: {"state": {
        "box": model("HBoxModel", children=["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"]),
        "a": model("HTMLModel", value="Training:\u2007100%"),
        "b": model("FloatProgressModel", value=15.0, max=15.0),
        "c": model("HTMLModel", value="\u200715/15\u2007[00:31&lt;00:00,\u2007loss=0.2029]")}}}
    nbformat.write(nb, path)
    assert run(repo) == 0
    synced = nbformat.read(path, as_version=4)
    data = synced.cells[4].outputs[0].data
    bar = "█" * 20
    assert data["text/plain"] == f"Training: 100% {bar} 15/15 [00:31<00:00, loss=0.2029]"
    assert '<progress value="15" max="15"' in data["text/html"]
    assert "widgets" not in synced.metadata
    del nb.metadata["widgets"]  # a widget whose state was not saved cannot be recovered
    nbformat.write(nb, path)
    assert run(repo) == 2


def test_missing_figure_is_an_error_and_prose_is_left_alone(repo, capsys):
    path = repo / "solutions" / "01_erstes.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = "Im Text steht `img/neuron.png` ohne Bild."
    nbformat.write(nb, path)
    assert run(repo) == 0
    assert nbformat.read(path, as_version=4).cells[3].source == nb.cells[2].source
    nb.cells[2].source = "![fehlt](attachment:gibt_es_nicht.png)"
    nbformat.write(nb, path)
    assert run(repo, "--check") == 2
    assert "img/gibt_es_nicht.png fehlt" in capsys.readouterr().err


def test_convention_errors_name_the_notebook(repo, capsys):
    path = repo / "solutions" / "01_erstes.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "Kein Titel"
    nbformat.write(nb, path)
    assert run(repo) == 2
    assert "01_erstes.ipynb: Zelle 0" in capsys.readouterr().err
    (repo / "README.md").write_text("# ohne Markierungen\n", encoding="utf-8")
    nb.cells[0].source = "# 01 · Titel"
    nbformat.write(nb, path)
    assert run(repo) == 2
    assert "Markierungen" in capsys.readouterr().err


def test_exercise_badges_point_to_notebooks(repo):
    assert run(repo) == 0
    exercises = make_exercises.build(repo / "solutions", repo / "notebooks")
    text = exercises[repo / "notebooks" / "01_erstes.ipynb"]
    badges = nbformat.reads(text, as_version=4).cells[1].source
    assert "solutions/" not in badges
    assert "blob/v0.1.0/notebooks/01_erstes.ipynb" in badges
    assert "lab/tree/notebooks/01_erstes.ipynb" in badges


def _exec_setup(source: str, cwd: Path, monkeypatch, colab: bool, missing=()):
    """Run the setup cell's code in ``cwd``; returns the pip commands it would have run.

    git runs for real (see :func:`colab_origin`); pip is only recorded.
    """
    commands = []
    real_run = subprocess.run

    def run(cmd, **kw):
        if "pip" in cmd:
            commands.append(cmd)
            return subprocess.CompletedProcess(cmd, 0, "", "")
        return real_run(cmd, **kw)

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(subprocess, "run", run)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in missing else real_find_spec(name, *a))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    namespace: dict = {}
    exec(compile(source, "setup", "exec"), namespace)  # noqa: S102 - our own generated cell
    return commands, namespace


@pytest.fixture
def colab_origin(tmp_path, monkeypatch) -> Path:
    """A local repository standing in for GitHub (tag ``ref``), a stand-in for /content."""
    config = sync.load_config(ROOT)
    origin = tmp_path / "origin"
    (origin / "utils").mkdir(parents=True)
    (origin / "utils" / "__init__.py").write_text("")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("NNKURS_COLAB_DIR", str(tmp_path / "content"))
    (tmp_path / "content").mkdir()

    def git(*args, cwd=origin):
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "kurs")
    git("tag", config["ref"])
    git("config", "--global", f"url.file://{origin}.insteadOf", config["repository"] + ".git",
        cwd=home)
    return tmp_path / "content"


def test_setup_cell_locally_only_finds_the_course(tmp_path, monkeypatch):
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "notebooks").mkdir()
    source = sync.setup_source(sync.load_config(ROOT), "01_x.ipynb")
    commands, namespace = _exec_setup(source, tmp_path / "notebooks", monkeypatch, colab=False)
    assert commands == []
    assert sys.path[0] == str(tmp_path) and namespace["_root"] == tmp_path
    monkeypatch.chdir("/")
    with pytest.raises(FileNotFoundError, match="Kursordner"):
        exec(compile(source, "setup", "exec"), {})  # noqa: S102


def test_setup_cell_on_colab_clones_pinned_ref_once(colab_origin, monkeypatch, capfd):
    config = sync.load_config(ROOT)
    source = sync.setup_source(config, "01_x.ipynb")
    course = colab_origin / "nn-kurs"
    # a half-finished folder from an interrupted first run does not count
    (course / "halb").mkdir(parents=True)
    commands, namespace = _exec_setup(source, colab_origin, monkeypatch, colab=True)
    assert namespace["_root"] == course and sys.path[0] == str(course)
    assert (course / "utils" / "__init__.py").is_file() and not (course / "halb").exists()
    assert sorted(p.name for p in colab_origin.iterdir()) == ["nn-kurs"]
    assert commands == []  # notebook 01 installs nothing
    assert capfd.readouterr().err == ""  # no "detached HEAD" advice, no git chatter
    # second run: nothing to do (the clone is not repeated)
    (course / "utils" / "marke").write_text("")
    _exec_setup(source, colab_origin, monkeypatch, colab=True)
    assert (course / "utils" / "marke").is_file()


def test_setup_cell_on_colab_failed_clone_says_what_to_do(colab_origin, monkeypatch):
    config = sync.load_config(ROOT)
    broken = dict(config, ref="v0.0.0-gibt-es-nicht")
    source = sync.setup_source(broken, "01_x.ipynb")
    with pytest.raises(RuntimeError) as error:
        _exec_setup(source, colab_origin, monkeypatch, colab=True)
    message = str(error.value)
    assert "ließ sich nicht laden" in message and "v0.0.0-gibt-es-nicht" in message
    assert "führen Sie diese Zelle erneut aus" in message
    assert list(colab_origin.iterdir()) == []  # nothing half-finished left behind
    # once the tag exists, running the cell again works
    _exec_setup(sync.setup_source(config, "01_x.ipynb"), colab_origin, monkeypatch, colab=True)
    assert (colab_origin / "nn-kurs" / "utils" / "__init__.py").is_file()


def test_setup_cell_on_colab_installs_only_what_the_notebook_needs(colab_origin, monkeypatch):
    config = sync.load_config(ROOT)
    pins = [line.split()[0] for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.startswith("rdkit==")]
    assert "rdkit" not in sync.setup_source(config, "01_tensoroperationen.ipynb")
    source = sync.setup_source(config, "06_tox21_fingerprints.ipynb")
    commands, _ = _exec_setup(source, colab_origin, monkeypatch, colab=True)
    assert commands == []  # rdkit is importable here
    commands, _ = _exec_setup(source, colab_origin, monkeypatch, colab=True, missing={"rdkit"})
    assert len(commands) == 1 and commands[0][-1] == pins[0]
    assert "wget" not in source and "curl" not in source


def test_one_version_everywhere():
    """course.toml is the one place for the version: pyproject.toml and utils do not repeat it."""
    import tomllib

    import utils

    config = sync.load_config(ROOT)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert not hasattr(utils, "__version__")
    assert config["ref"].lstrip("v") == config["version"]


def test_repository_is_in_sync():
    """The committed notebooks and README match course.toml and img/ (CI: `make check-sync`)."""
    assert sync.plan(ROOT) == {}, "bitte `make exercises` ausführen und committen"


def test_broken_notebook_json_is_one_german_line_naming_the_file(repo, capsys):
    broken = repo / "solutions" / "02_kaputt.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    assert sync.main(["--root", str(repo)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(broken) in err and "kein gültiges Notebook" in err
