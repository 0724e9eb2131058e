"""requirements.txt pins every third-party package the course imports directly.

A package that only arrives as a dependency of another one (threadpoolctl via scikit-learn,
Pillow via matplotlib) can change or vanish with that package's next release; what a notebook,
``utils`` or a script imports itself is pinned itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import course_format as fmt

ROOT = Path(__file__).resolve().parent.parent
#: Import name → distribution name, where they differ.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "PIL": "pillow", "IPython": "ipython",
                 "jupyter_client": "jupyter-client", "jupyter_core": "jupyter-core"}
LOCAL = {"utils"} | {p.stem for p in (ROOT / "scripts").glob("*.py")}


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(fmt.python_source(source))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules


def course_imports() -> dict[str, set[str]]:
    """Third-party module → files importing it (solutions, utils, scripts)."""
    found: dict[str, set[str]] = {}
    sources = [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8"))
               for p in sorted([*(ROOT / "utils").rglob("*.py"), *(ROOT / "scripts").glob("*.py")])]
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        sources += [(f"{path.name}, Zelle {i}", cell.source)
                    for i, cell in enumerate(fmt.read_notebook(path).cells)
                    if cell.cell_type == "code"]
    for where, source in sources:
        for module in imported_modules(source) - LOCAL - set(sys.stdlib_module_names):
            found.setdefault(module, set()).add(where)
    return found


#: requirements.txt for .venv; the browser test's own small venv (scripts/browser_test.py).
REQUIREMENTS = [ROOT / "requirements.txt", ROOT / "tests" / "browser-requirements.txt"]


def pinned() -> set[str]:
    names = set()
    lines = [line for path in REQUIREMENTS for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        requirement = line.split("#", 1)[0].strip()
        if "==" in requirement:
            names.add(requirement.split("==")[0].strip().lower())
    return names


def test_imported_modules_parser():
    assert imported_modules("import numpy as np\nfrom sklearn.metrics import f1\n"
                            "from . import x\n%matplotlib inline") == {"numpy", "sklearn"}


def test_every_directly_imported_package_is_pinned():
    pins = pinned()
    missing = {module: sorted(where)[:3] for module, where in course_imports().items()
               if DISTRIBUTIONS.get(module, module).lower() not in pins}
    assert not missing, ("nicht in requirements.txt festgelegt (Paket == Version, mit Kommentar):"
                         + "".join(f"\n  {m} (importiert in {', '.join(w)})"
                                   for m, w in sorted(missing.items())))
