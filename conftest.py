"""pytest configuration for the whole repository (unit tests and notebooks).

- Fast mode and strict self-checks for every kernel started by the tests (kernels inherit
  this process's environment).
- The datasets are found through ``NNKURS_DATA_DIR`` (``make`` sets it, see the Makefile).
- The cells of one notebook stay on one pytest-xdist worker (``--dist loadgroup``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# TensorFlow loaded before Triton makes the first torch optimizer crash in the same process
# (TF 2.21 + torch 2.14). Loading Triton first, once per test process, avoids it for any order
# of the Keras and PyTorch tests on a worker.
if importlib.util.find_spec("triton") is not None:
    import triton  # noqa: F401

ROOT = Path(__file__).resolve().parent

os.environ["NNKURS_FAST"] = "1"
os.environ["NNKURS_STRICT_CHECKS"] = "1"
# Two test workers run at once on a 2-core machine: one math thread per kernel avoids the
# oversubscription that makes PyTorch's OpenMP threads spin (measured: 10x slower).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        path = Path(str(getattr(item, "path", item.fspath)))
        if path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.xdist_group(path.stem))
