#!/usr/bin/env python3
"""Write the generated parts of the notebooks and the README from ``course.toml``.

For every ``solutions/*.ipynb`` (the exercise notebooks inherit all of it via
``make exercises``):

- the setup cell (tagged ``setup``): nothing but finding the course folder locally; on Colab it
  clones the pinned ``ref`` once (into a temporary folder, then renamed, so an interrupted
  clone never counts as done; a failed clone ends in one German message saying what to do)
  and installs the packages ``colab_install`` names for this notebook, with the pins of
  ``requirements.txt``, when they are missing;
- the badge row right after the title (tagged ``badges``): Colab and Binder for this notebook;
  ``make_exercises.py`` points the exercise copy at ``notebooks/``;
- figures: an image in a markdown cell that names a course figure (``../img/NAME.png``,
  ``img/NAME.png``, ``attachment:NAME.png``, an older pinned
  ``https://raw.githubusercontent.com/…/img/NAME.png`` or an already embedded one) is embedded
  as a ``data:`` URI with the bytes of ``img/NAME.png`` and the title ``"img/NAME.png"``
  (which names the file for the next sync). Why: it is the one form that shows offline in
  JupyterLab (which renders relative, attachment and ``data:`` images in Markdown; measured
  with JupyterLab 4.6), on Colab (which renders neither attachments nor relative paths) and
  in GitHub's notebook view, and it needs no pushed tag. ``img/NAME.png`` must exist, and
  ``--check`` fails when a notebook carries an older drawing;
- stored progress bars: a tqdm widget output (``HBox`` of label, ``FloatProgress`` and text)
  is replaced by its final state from the notebook's widget state, as ``text/plain`` and
  simple ``text/html`` (``utils.training.EpochProgress`` writes that form in the first place),
  so the bar reads ``15/15`` without widgets, in JupyterLab and on GitHub.

In ``README.md`` the table between ``<!-- BEGIN NOTEBOOK TABLE -->`` and
``<!-- END NOTEBOOK TABLE -->`` lists every notebook (title from its title cell), and
``environment.yml`` (Binder) gets the pins of ``requirements.txt`` except ``binder_skip``
(JupyterLab, which Binder brings itself, and the test tools).

Deterministic and idempotent: a second run changes nothing. A notebook is rewritten only
when its content changes.

    python scripts/sync_notebooks.py            # write
    python scripts/sync_notebooks.py --check    # exit 1 if anything is stale
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import sys
import tomllib
from pathlib import Path

import nbformat

import course_format as fmt  # notebook format shared with make_exercises.py (same folder)

ROOT = Path(__file__).resolve().parent.parent
TABLE_BEGIN = "<!-- BEGIN NOTEBOOK TABLE -->"
TABLE_END = "<!-- END NOTEBOOK TABLE -->"
#: Where a course figure may point before ``make sync`` (group ``name``: the file in img/).
_FIGURE_TARGET = (r"(?:attachment:|(?:\.\./)?img/"
                  r"|https://raw\.githubusercontent\.com/[^/\s]+/[^/\s]+/[^/\s]+/img/)"
                  r"(?P<name>[A-Za-z0-9_-]+\.(?:png|jpe?g|svg|gif))")
#: A figure already embedded by ``make sync`` (group ``embedded``: the file in img/).
_FIGURE_EMBEDDED = (r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]*")
#: A markdown image ``![alt](TARGET)`` or ``![alt](data:… "img/NAME.png")``, from ``](`` on.
FIGURE_MD = re.compile(
    r"\]\(\s*(?:" + _FIGURE_TARGET + r"(?:\s+\"[^\"]*\")?"
    r"|" + _FIGURE_EMBEDDED + r"\s+\"img/(?P<embedded>[A-Za-z0-9_-]+\.[a-z]+)\")\s*\)")
#: An HTML image ``src="TARGET"`` or ``src="data:…" title="img/NAME.png"``.
FIGURE_HTML = re.compile(
    r"src=(?P<q>[\"'])(?:" + _FIGURE_TARGET + r"(?P=q)"
    r"|" + _FIGURE_EMBEDDED + r"(?P=q)\s+title=[\"']img/(?P<embedded>[A-Za-z0-9_-]+\.[a-z]+)[\"'])")
FIGURE_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".svg": "image/svg+xml", ".gif": "image/gif"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
IMPORT_NAMES = {"scikit-learn": "sklearn"}  # requirement name → module, where they differ
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


class SyncError(ValueError):
    """The configuration or a notebook does not follow the conventions."""


# --- configuration ---------------------------------------------------------------------------

def load_config(root: Path = ROOT) -> dict:
    """``course.toml`` plus the pins of ``requirements.txt``, validated."""
    config = tomllib.loads((root / "course.toml").read_text(encoding="utf-8"))
    for key in ("repository", "version", "ref", "binder_ref"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise SyncError(f"course.toml: '{key}' fehlt.")
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", config["repository"])
    if not match or match.group(2).endswith(".git"):
        raise SyncError("course.toml: 'repository' muss https://github.com/OWNER/NAME sein.")
    config["slug"] = f"{match.group(1)}/{match.group(2)}"
    pins = {}
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if "==" in requirement:
            name, version = (part.strip() for part in requirement.split("==", 1))
            pins[name.lower()] = f"{name}=={version}"
        elif requirement:
            raise SyncError(f"requirements.txt: »{requirement}« ist nicht exakt festgelegt (==).")
    config["pins"] = list(pins.values())
    # colab_install: {"06" = ["rdkit"]} (notebook number → packages) or a list for every notebook
    wanted = config.get("colab_install", {})
    if isinstance(wanted, list):
        wanted = {"*": wanted}
    config["colab_pins"] = {}
    for number, names in wanted.items():
        config["colab_pins"][number] = {}
        for name in names:
            if name.lower() not in pins:
                raise SyncError(f"course.toml: '{name}' ist nicht in requirements.txt festgelegt.")
            module = IMPORT_NAMES.get(name.lower(), name.lower().replace("-", "_"))
            config["colab_pins"][number][module] = pins[name.lower()]
    return config


# --- generated text --------------------------------------------------------------------------

def colab_pins(config: dict, name: str) -> dict[str, str]:
    """Module → pin of what the setup cell of notebook ``name`` installs on Colab."""
    number = name.split("_", 1)[0]
    pins = dict(config["colab_pins"].get("*", {}))
    pins.update(config["colab_pins"].get(number, {}))
    return pins


def setup_source(config: dict, name: str = "") -> str:
    """Source of the setup cell of notebook ``name``.

    On Colab (``NNKURS_COLAB_DIR`` replaces ``/content`` for the simulated-Colab test) the clone
    goes to a temporary folder first and is renamed when complete: a half-finished
    ``/content/nn-kurs`` (interrupted cell, lost connection) is removed and cloned again.
    """
    ref, url = config["ref"], config["repository"] + ".git"
    pins = colab_pins(config, name)
    install = f"""
    _missing = [pin for module, pin in {json.dumps(pins)}.items()
                if importlib.util.find_spec(module) is None]
    if _missing:
        print("Installiere, was Colab fehlt:", *_missing)
        _pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_missing],
                              capture_output=True, text=True)
        if _pip.returncode != 0:
            raise RuntimeError(f"pip konnte {{' '.join(_missing)}} nicht installieren: "
                               f"{{_pip.stderr.strip()[-300:]}}\\nFühren Sie diese Zelle erneut "
                               "aus; hilft das nicht, wenden Sie sich an Ihre Lehrkraft.")"""
    if not pins:
        install = ""
    also = " und installiert, was Colab fehlt" if pins else ""
    return f'''\
# Einrichtung (erzeugt aus course.toml von scripts/sync_notebooks.py, nicht von Hand ändern).
# Lokal (JupyterLab, Binder) sucht diese Zelle nur den Kursordner mit `utils`.
# Auf Google Colab lädt sie einmalig den Kurs in Version {ref}{also}.
import sys
from pathlib import Path

if "google.colab" in sys.modules:
    import importlib.util
    import os
    import shutil
    import subprocess

    _root = Path(os.environ.get("NNKURS_COLAB_DIR", "/content")) / "nn-kurs"
    if not (_root / "utils" / "__init__.py").is_file():
        _download = _root.with_name("nn-kurs.download")
        for _folder in (_root, _download):  # Reste eines abgebrochenen Versuchs
            shutil.rmtree(_folder, ignore_errors=True)
        _git = subprocess.run(["git", "-c", "advice.detachedHead=false", "clone", "--quiet",
                               "--depth", "1", "--branch", "{ref}",
                               "{url}", str(_download)],
                              capture_output=True, text=True)
        if _git.returncode != 0:
            shutil.rmtree(_download, ignore_errors=True)
            raise RuntimeError(
                "Der Kurs (Version {ref}) ließ sich nicht laden: "
                + (_git.stderr.strip().splitlines() or ["git-Fehler"])[-1]
                + "\\nPrüfen Sie, ob die Colab-Laufzeit Internet hat, und führen Sie diese "
                "Zelle erneut aus. Hilft das nicht, öffnen Sie das Notebook über die Links "
                "auf {config["repository"]} und melden Sie den Fehler Ihrer Lehrkraft.")
        _download.rename(_root){install}
else:
    _root = next((p for p in [Path.cwd(), *Path.cwd().parents]
                  if (p / "utils" / "__init__.py").is_file()), None)
    if _root is None:
        raise FileNotFoundError("Kursordner mit `utils` nicht gefunden: Öffnen Sie das Notebook "
                                "aus dem Ordner nn-kurs heraus (z. B. mit `make lab`).")
if str(_root) not in sys.path:
    sys.path.insert(0, str(_root))'''


def colab_url(config: dict, path: str) -> str:
    return f"https://colab.research.google.com/github/{config['slug']}/blob/{config['ref']}/{path}"


def binder_url(config: dict, path: str) -> str:
    ref = config["binder_ref"]
    return f"https://mybinder.org/v2/gh/{config['slug']}/{ref}?urlpath=lab/tree/{path}"


def badge_source(config: dict, name: str) -> str:
    """Badge row of ``solutions/<name>`` (make_exercises.py points the copy at notebooks/)."""
    path = f"solutions/{name}"
    return (f"[![In Colab öffnen]({COLAB_BADGE})]({colab_url(config, path)}) "
            f"[![Mit Binder starten]({BINDER_BADGE})]({binder_url(config, path)})")


def notebook_table(config: dict, titles: dict[str, str], *, solutions: bool = True) -> str:
    """Markdown table of all notebooks (name → title); without the solution column for bundles."""
    badge = f"[![Binder]({BINDER_BADGE})]({binder_url(config, 'notebooks')})"
    lines = [f"Alle Notebooks in einer Binder-Sitzung (JupyterLab im Browser): {badge}", ""]
    folders = ("notebooks", "solutions") if solutions else ("notebooks",)
    header = ["Nr.", "Thema", "Aufgaben", "Lösungen"][: 2 + len(folders)]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, title in titles.items():
        number, _, topic = title.partition(" · ")
        if not topic:
            number, topic = name.split("_", 1)[0], title
        cells = [number, topic] + [
            f"[{folder}/{name}]({folder}/{name}) "
            f"[![In Colab öffnen]({COLAB_BADGE})]({colab_url(config, f'{folder}/{name}')})"
            for folder in folders]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def binder_pins(config: dict) -> list[str]:
    """The pins of requirements.txt that Binder installs: all but ``binder_skip``."""
    skip = {name.lower() for name in config.get("binder_skip", [])}
    unknown = skip - {pin.split("==")[0].lower() for pin in config["pins"]}
    if unknown:
        raise SyncError(f"course.toml: binder_skip nennt {', '.join(sorted(unknown))}, "
                        "das nicht in requirements.txt steht.")
    return [pin for pin in config["pins"] if pin.split("==")[0].lower() not in skip]


def environment_yml(config: dict) -> str:
    """environment.yml for Binder: Python 3.11 and the pins of requirements.txt it needs.

    The pins are written out (not ``-r requirements.txt``): Binder ignores requirements.txt when
    environment.yml exists, and relative paths in the pip section depend on the conda flavour.
    Left out (``binder_skip`` in course.toml): what repo2docker's base environment brings
    itself (JupyterLab with the ``notebook`` package that pins it) and the maintainers' tools.
    """
    skipped = ", ".join(config.get("binder_skip", [])) or "nichts"
    lines = [
        "# nn-kurs — Binder environment with the pins of requirements.txt. Generated by",
        "# scripts/sync_notebooks.py from requirements.txt and course.toml: change those, then",
        "# run `make sync`. Left out (binder_skip, Binder brings its own JupyterLab; test tools",
        f"# are not needed there): {skipped}.",
        "# Locally the course uses .venv (`make lab`), not conda.",
        "name: nn-kurs",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        "      # Binder has no GPU: PyTorch's CPU wheels (same versions, a fraction of the size).",
        "      - --extra-index-url https://download.pytorch.org/whl/cpu",
        *(f"      - {pin}" for pin in binder_pins(config)),
    ]
    return "\n".join(lines) + "\n"


def replace_table(readme: str, table: str, where: str = "README.md") -> str:
    """``readme`` with the text between the table markers replaced by ``table``."""
    begin, end = readme.find(TABLE_BEGIN), readme.find(TABLE_END)
    if begin < 0 or end < begin:
        raise SyncError(f"{where}: die Markierungen {TABLE_BEGIN} … {TABLE_END} fehlen.")
    return readme[: begin + len(TABLE_BEGIN)] + "\n" + table + "\n" + readme[end:]


# --- notebooks -------------------------------------------------------------------------------

def title_of(nb: nbformat.NotebookNode, name: str) -> str:
    """The title (``# NN · Titel``) of a notebook, from its first cell."""
    first = nb.cells[0] if nb.cells else None
    line = first.source.lstrip().splitlines()[0] if first and first.source.strip() else ""
    if first is None or first.cell_type != "markdown" or not line.startswith("# "):
        raise SyncError(f"{name}: Zelle 0 muss die Titelzelle »# NN · Titel« sein.")
    return line[2:].strip()


def _tagged(nb: nbformat.NotebookNode, tag: str) -> list[int]:
    return [i for i, cell in enumerate(nb.cells) if tag in cell.get("metadata", {}).get("tags", [])]


def _new_cell(nb: nbformat.NotebookNode, kind: str, tag: str, source: str):
    cell = {"cell_type": kind, "metadata": {"tags": [tag]}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        taken = {c.get("id") for c in nb.cells}
        cell["id"] = next(f"{tag}{n or ''}" for n in range(len(nb.cells) + 1)
                          if f"{tag}{n or ''}" not in taken)
    return nbformat.from_dict(cell)


def _place(nb: nbformat.NotebookNode, name: str, tag: str, kind: str, source: str, index: int):
    """Put exactly one cell tagged ``tag`` with ``source`` at ``index``."""
    found = _tagged(nb, tag)
    if len(found) > 1:
        raise SyncError(f"{name}: mehrere Zellen mit dem Tag »{tag}« (Zellen {found}).")
    cell = nb.cells.pop(found[0]) if found else _new_cell(nb, kind, tag, source)
    if cell.cell_type != kind:
        raise SyncError(f"{name}: die Zelle mit dem Tag »{tag}« muss eine {kind}-Zelle sein.")
    cell.source = source
    nb.cells.insert(index, cell)


def figure_data_uri(path: Path) -> str:
    """``data:`` URI with the bytes of a figure file."""
    mime = FIGURE_MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def link_figures(nb: nbformat.NotebookNode, name: str, config: dict, img_dir: Path) -> None:
    """Embed every course figure of a markdown cell as a ``data:`` URI (see the module doc)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        names = []

        def embedded(match: re.Match) -> str:
            file_name = match["name"] or match["embedded"]
            path = img_dir / file_name
            if not path.is_file():
                raise SyncError(f"{name}, Zelle {index}: Abbildung img/{file_name} fehlt "
                                "(`make figures`?).")
            names.append(file_name)
            if match.re is FIGURE_MD:
                return f'](' + figure_data_uri(path) + f' "img/{file_name}")'
            return f'src="{figure_data_uri(path)}" title="img/{file_name}"'

        cell.source = FIGURE_HTML.sub(embedded, FIGURE_MD.sub(embedded, cell.source))
        for file_name in names:
            cell.get("attachments", {}).pop(file_name, None)
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]


def _progress_bundle(label: str, value: float, total: float, status: str) -> dict[str, str]:
    """``text/plain`` + ``text/html`` of a finished progress bar (as utils.training writes)."""
    width = 20
    filled = round(width * value / total) if total else width
    text = f"{label} {'█' * filled}{'·' * (width - filled)} {status}".strip()
    markup = (f'<div class="nnkurs-progress">{html.escape(label)} '
              f'<progress value="{value:g}" max="{total:g}" '
              f'style="width: 12em; vertical-align: middle"></progress> '
              f'<code>{html.escape(status)}</code></div>')
    return {"text/plain": text, "text/html": markup}


def freeze_progress_widgets(nb: nbformat.NotebookNode, name: str) -> None:
    """Replace stored tqdm widgets by their final state as text (see the module doc).

    A tqdm widget is an ``HBox`` of ``HTML`` (label), ``FloatProgress`` and ``HTML`` (status);
    its last values are in the notebook's widget state. Other widgets stay as they are.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def model(model_id: str) -> dict:
        return state.get(model_id.removeprefix("IPY_MODEL_"), {})

    def plain(markup: str) -> str:
        return " ".join(html.unescape(markup).replace("\u2007", " ").split())

    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            box = model(view.get("model_id", ""))
            parts = [model(child) for child in box.get("state", {}).get("children", [])]
            kinds = [part.get("model_name") for part in parts]
            if kinds != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
                if not box and "%|" in "".join(output["data"].get("text/plain", "")):
                    raise SyncError(f"{name}, Zelle {index}: Fortschrittsbalken ohne "
                                    "gespeicherten Zustand – Notebook neu ausführen.")
                continue
            label, bar, status = (part["state"] for part in parts)
            output["data"] = _progress_bundle(plain(label.get("value", "")), bar.get("value", 0),
                                              bar.get("max", 0), plain(status.get("value", "")))
    views = [o for c in nb.cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    if not views and "widgets" in nb.metadata:
        del nb.metadata["widgets"]


def sync_notebook(nb: nbformat.NotebookNode, name: str, config: dict,
                  img_dir: Path) -> nbformat.NotebookNode:
    """A synced copy of solution notebook ``name``."""
    nb = nbformat.from_dict(nb)
    title_of(nb, name)
    _place(nb, name, "badges", "markdown", badge_source(config, name), 1)
    _place(nb, name, "setup", "code", setup_source(config, name), 2)
    link_figures(nb, name, config, img_dir)
    freeze_progress_widgets(nb, name)
    return nb


def plan(root: Path = ROOT) -> dict[Path, str]:
    """Every file that has to change → its new text."""
    config = load_config(root)
    changes, titles = {}, {}
    for path in sorted((root / "solutions").glob("*.ipynb")):
        nb = fmt.read_notebook(path)
        synced = sync_notebook(nb, path.name, config, root / "img")
        titles[path.name] = title_of(synced, path.name)
        if synced != nb:
            changes[path] = fmt.render(synced)
    env_path = root / "environment.yml"
    env_text = environment_yml(config)
    if not env_path.is_file() or env_path.read_text(encoding="utf-8") != env_text:
        changes[env_path] = env_text
    readme_path = root / "README.md"
    if not readme_path.is_file():
        raise SyncError("README.md fehlt.")
    readme = readme_path.read_text(encoding="utf-8")
    new_readme = replace_table(readme, notebook_table(config, titles))
    if new_readme != readme:
        changes[readme_path] = new_readme
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="nur prüfen, nichts schreiben")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        changes = plan(args.root)
    except (SyncError, fmt.NotebookError, OSError, tomllib.TOMLDecodeError) as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    names = [str(path.relative_to(args.root)) for path in changes]
    if args.check:
        if changes:
            print("Setup-Zellen, Badges, Abbildungen, README-Tabelle oder environment.yml sind "
                  "nicht aktuell – "
                  "bitte `make exercises` ausführen und committen:", file=sys.stderr)
            for name in names:
                print(f"  veraltet: {name}", file=sys.stderr)
            return 1
        print("Setup-Zellen, Badges, Abbildungen, README-Tabelle und environment.yml sind aktuell.")
        return 0
    for path, text in changes.items():
        path.write_text(text, encoding="utf-8")
    print(f"sync: {len(changes)} Datei(en) aktualisiert" + "".join(f"\n  {n}" for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
