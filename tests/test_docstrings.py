"""The "Verwendet in …" line of every ``utils`` module names exactly the notebooks that use it.

A notebook uses ``utils.X`` when a code cell of its solution mentions ``utils.X``, imports it
(``from utils import X``) or, for :mod:`utils.config`, calls a helper the package re-exports
(``utils.epochs`` …). When this fails, fix the docstring (or the notebook), not the test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import course_format as fmt
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb"))
ALL = {p.name[:2] for p in NOTEBOOKS}
MODULES = sorted(p for p in (ROOT / "utils").glob("*.py") if p.name != "__init__.py")
REEXPORTED = {"config": ["epochs", "samples", "device", "seed_everything", "is_fast"]}


def claimed(doc: str) -> set[str] | None:
    """Notebook numbers a module docstring names (``None``: it names none)."""
    match = re.search(r"Verwendet in (allen Notebooks|den Notebooks ([^.]*)|Notebook (\d\d))",
                      doc)
    if match is None:
        return None
    if match[1] == "allen Notebooks":
        return set(ALL)
    if match[3]:
        return {match[3]}
    numbers = set()
    for first, last in re.findall(r"(\d\d)(?:\s*[–-]\s*(\d\d))?", match[2]):
        numbers.update(f"{n:02d}" for n in range(int(first), int(last or first) + 1))
    return numbers


def users(module: str) -> set[str]:
    pattern = re.compile(rf"\butils\.{module}\b|from utils import [\w, ]*\b{module}\b"
                         + "".join(rf"|\butils\.{name}\(" for name in REEXPORTED.get(module, [])))
    return {path.name[:2] for path in NOTEBOOKS
            if any(cell.cell_type == "code" and pattern.search(cell.source)
                   for cell in fmt.read_notebook(path).cells)}


def test_claim_parser():
    assert claimed("x\nVerwendet in den Notebooks 02–06.") == {"02", "03", "04", "05", "06"}
    assert claimed("Verwendet in den Notebooks 03 und 05.") == {"03", "05"}
    assert claimed("Verwendet in Notebook 04 (``import keras``).") == {"04"}
    assert claimed("nichts") is None


@pytest.mark.skipif(not NOTEBOOKS, reason="keine Notebooks")
@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_module_docstring_names_the_notebooks_that_use_it(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    names = claimed(doc)
    if names is None:
        pytest.skip(f"utils/{path.name} nennt keine Notebooks")
    actual = users(path.stem)
    assert names == actual, (f"utils/{path.name}: der Docstring nennt {sorted(names)}, "
                             f"benutzt wird das Modul in {sorted(actual)}")
