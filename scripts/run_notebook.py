#!/usr/bin/env python3
"""Execute notebooks in a fresh kernel (used by ``make bench``, ``make test-full`` and tests).

    python scripts/run_notebook.py solutions/02_eigenes_framework.ipynb [--save] [--until-placeholder]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
from make_exercises import PLACEHOLDER_MARK  # noqa: E402  (same folder)


def kernel_config():
    """Kernels talk to us over IPC sockets (files readable only by this user), not local TCP.

    ipykernel warns "Kernel is running over TCP without encryption" at every TCP start;
    ``make lab`` passes the same setting (``--KernelManager.transport=ipc``). The socket files
    get an absolute, unique name in Jupyter's runtime folder (mode 0700): without it they would
    be ``kernel-ipc-N`` relative to the working directory, which differs between us and a
    kernel started in the notebook's folder.
    """
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets.config import Config

    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    ip = str(runtime / f"nbclient-{uuid.uuid4().hex[:12]}")
    return Config({"KernelManager": {"transport": "ipc", "ip": ip}})


def first_placeholder(nb) -> int | None:
    """Index of the first code cell that still holds an exercise placeholder."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and PLACEHOLDER_MARK in cell.source:
            return index
    return None


def execute(path: Path, *, env: dict | None = None, timeout: int = 3600,
            until_placeholder: bool = False):
    """Run ``path`` in a fresh kernel; returns ``(notebook, seconds, placeholder_error)``.

    With ``until_placeholder`` only the cells up to and including the first placeholder run;
    that cell must fail with ``NotImplementedError`` (anything else before it is an error).
    """
    nb = nbformat.read(path, as_version=4)
    placeholder_error = None
    stop = first_placeholder(nb) if until_placeholder else None
    if stop is not None:
        nb.cells = nb.cells[: stop + 1]
    old_env = dict(os.environ)
    os.environ.update(env or {})
    # A non-interactive backend in the environment (e.g. MPLBACKEND=Agg from a shell) would
    # replace the notebook's inline backend: the stored notebook would carry no figures.
    os.environ.pop("MPLBACKEND", None)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), old_env.get("PYTHONPATH", "")) if p)
    start = time.perf_counter()
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                config=kernel_config(),
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        except Exception as exc:  # noqa: BLE001 - re-raised unless it is the expected stop
            name = getattr(exc, "ename", "")
            if stop is None or name != "NotImplementedError":
                raise
            placeholder_error = exc
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    return nb, time.perf_counter() - start, placeholder_error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--save", action="store_true", help="Ausgaben in das Notebook schreiben")
    parser.add_argument("--fast", action="store_true", help="Schnellmodus (NNKURS_FAST=1)")
    args = parser.parse_args()
    for path in args.notebooks:
        env = {"NNKURS_FAST": "1" if args.fast else "0", "NNKURS_NOTEBOOK": path.stem}
        nb, seconds, _ = execute(path, env=env)
        print(f"{path}: {seconds:.1f} s")
        if args.save:
            nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
