#!/usr/bin/env python3
"""Write the generated parts of the notebooks and the README from ``course.toml``.

For every ``solutions/*.ipynb`` (the exercise notebooks inherit all of it via
``make exercises``):

- the setup cell (tagged ``setup``): nothing but finding the course folder locally; on Colab it
  clones the pinned ``ref`` once and installs ``colab_install`` with the pins of
  ``requirements.txt`` when they are missing;
- the badge row right after the title (tagged ``badges``): Colab and Binder for this notebook;
  ``make_exercises.py`` points the exercise copy at ``notebooks/``;
- figures: an image in a markdown cell that points at a course figure (``attachment:NAME.png``,
  ``img/NAME.png``, ``../img/NAME.png`` or an older pinned URL) is pointed at
  ``https://raw.githubusercontent.com/OWNER/REPO/<ref>/img/NAME.png``: the one form that
  JupyterLab, Colab and GitHub all show (Colab ignores cell attachments, JupyterLab strips
  ``data:`` images, relative paths break on Colab). ``img/NAME.png`` must exist.

In ``README.md`` the table between ``<!-- BEGIN NOTEBOOK TABLE -->`` and
``<!-- END NOTEBOOK TABLE -->`` lists every notebook (title from its title cell), and
``environment.yml`` (conda, Binder) gets exactly the pins of ``requirements.txt``.

Deterministic and idempotent: a second run changes nothing. A notebook is rewritten only
when its content changes.

    python scripts/sync_notebooks.py            # write
    python scripts/sync_notebooks.py --check    # exit 1 if anything is stale
"""

from __future__ import annotations

import argparse
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
#: An image target (markdown ``](…)`` or HTML ``src="…"``) that names a course figure.
FIGURE = re.compile(
    r"(?P<lead>\]\(\s*|src=[\"'])"
    r"(?P<path>attachment:|(?:\.\./)?img/"
    r"|https://raw\.githubusercontent\.com/[^/\s]+/[^/\s]+/[^/\s]+/img/)"
    r"(?P<name>[A-Za-z0-9_-]+\.(?:png|jpe?g|svg|gif))")
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
    config["colab_pins"] = {}
    for name in config.get("colab_install", []):
        if name.lower() not in pins:
            raise SyncError(f"course.toml: '{name}' ist nicht in requirements.txt festgelegt.")
        module = IMPORT_NAMES.get(name.lower(), name.lower().replace("-", "_"))
        config["colab_pins"][module] = pins[name.lower()]
    return config


# --- generated text --------------------------------------------------------------------------

def setup_source(config: dict) -> str:
    """Source of the setup cell."""
    ref, url = config["ref"], config["repository"] + ".git"
    return f'''\
# Einrichtung (erzeugt aus course.toml von scripts/sync_notebooks.py, nicht von Hand ändern).
# Lokal (JupyterLab, Binder) sucht diese Zelle nur den Kursordner mit `utils`.
# Auf Google Colab lädt sie einmalig den Kurs in Version {ref} und installiert, was Colab fehlt.
import sys
from pathlib import Path

if "google.colab" in sys.modules:
    import importlib.util
    import subprocess

    _root = Path("/content/nn-kurs")
    if not (_root / "utils" / "__init__.py").is_file():
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", "{ref}",
                        "{url}", str(_root)], check=True)
    _missing = [pin for module, pin in {json.dumps(config["colab_pins"])}.items()
                if importlib.util.find_spec(module) is None]
    if _missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_missing], check=True)
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


def environment_yml(config: dict) -> str:
    """environment.yml for conda and Binder: Python 3.11 and exactly the pins of requirements.txt.

    The pins are written out (not ``-r requirements.txt``): Binder ignores requirements.txt when
    environment.yml exists, and relative paths in the pip section depend on the conda flavour.
    """
    lines = [
        "# nn-kurs — conda environment with the pins of requirements.txt. Generated by",
        "# scripts/sync_notebooks.py: change requirements.txt, then run `make sync`.",
        "# Binder builds from this file; locally: `conda env create -f environment.yml`,",
        "# then `conda activate nn-kurs` (the course's own way is `make lab`, which uses .venv).",
        "name: nn-kurs",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        "      # Binder has no GPU: PyTorch's CPU wheels (same versions, a fraction of the size).",
        "      - --extra-index-url https://download.pytorch.org/whl/cpu",
        *(f"      - {pin}" for pin in config["pins"]),
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


def figure_url(config: dict, file_name: str) -> str:
    """Where a figure of ``img/`` is served for the pinned version."""
    return f"https://raw.githubusercontent.com/{config['slug']}/{config['ref']}/img/{file_name}"


def link_figures(nb: nbformat.NotebookNode, name: str, config: dict, img_dir: Path) -> None:
    """Point every course figure in a markdown cell at its pinned URL (see the module doc)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        names = []

        def pinned(match: re.Match) -> str:
            names.append(match["name"])
            return match["lead"] + figure_url(config, match["name"])

        cell.source = FIGURE.sub(pinned, cell.source)
        for file_name in names:
            if not (img_dir / file_name).is_file():
                raise SyncError(f"{name}, Zelle {index}: Abbildung img/{file_name} fehlt "
                                "(`make figures`?).")
            cell.get("attachments", {}).pop(file_name, None)
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]


def sync_notebook(nb: nbformat.NotebookNode, name: str, config: dict,
                  img_dir: Path) -> nbformat.NotebookNode:
    """A synced copy of solution notebook ``name``."""
    nb = nbformat.from_dict(nb)
    title_of(nb, name)
    _place(nb, name, "badges", "markdown", badge_source(config, name), 1)
    _place(nb, name, "setup", "code", setup_source(config), 2)
    link_figures(nb, name, config, img_dir)
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
