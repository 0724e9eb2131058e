"""pytest configuration for the whole repository (unit tests and notebooks).

- Fast mode and strict self-checks for every kernel started by the tests (kernels inherit
  this process's environment).
- ``NNKURS_DATA_DIR`` defaults to ``../shared/data`` when that folder exists beside the clone.
- The cells of one notebook stay on one pytest-xdist worker (``--dist loadgroup``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

os.environ["NNKURS_FAST"] = "1"
os.environ["NNKURS_STRICT_CHECKS"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
if (ROOT.parent / "shared" / "data").is_dir():
    os.environ.setdefault("NNKURS_DATA_DIR", str(ROOT.parent / "shared" / "data"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(str(getattr(item, "path", item.fspath)))
        if path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.xdist_group(path.stem))
