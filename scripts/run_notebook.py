#!/usr/bin/env python3
"""Execute notebooks in a fresh kernel (used by ``make bench``, ``make test-full`` and tests).

    python scripts/run_notebook.py solutions/02_eigenes_framework.ipynb [--save] [--fast]

The settings reach the kernel as its environment (``NNKURS_FAST``, ``NNKURS_NOTEBOOK`` …);
this process's own environment is never changed. :func:`execute` can also stop at the first
exercise placeholder (``until_placeholder=True``, used by ``check_bundle.py --run``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from nbclient import NotebookClient

import course_format as fmt  # same folder

ROOT = Path(__file__).resolve().parent.parent


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
        if fmt.is_exercise_cell(cell):
            return index
    return None


def kernel_env(env: dict | None = None, base: dict | None = None) -> dict[str, str]:
    """The kernel's environment: ``base`` (default: this process's) updated with ``env``.

    The course folder comes first on ``PYTHONPATH`` (``import utils``). ``MPLBACKEND`` is
    dropped: a non-interactive backend from a shell (e.g. ``MPLBACKEND=Agg``) would replace
    the notebook's inline backend, and the stored notebook would carry no figures.
    """
    result = dict(os.environ if base is None else base)
    result.update({key: str(value) for key, value in (env or {}).items()})
    result.pop("MPLBACKEND", None)
    result["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), result.get("PYTHONPATH", "")) if p)
    return result


def execute(path: Path, *, env: dict | None = None, timeout: int = 3600,
            until_placeholder: bool = False):
    """Run ``path`` in a fresh kernel; returns ``(notebook, seconds, placeholder_error)``.

    ``env`` holds settings for the kernel on top of this process's environment (see
    :func:`kernel_env`). With ``until_placeholder`` only the cells up to and including the first
    placeholder run; that cell must fail with ``NotImplementedError`` (anything else before it
    is an error).
    """
    nb = fmt.read_notebook(path)
    placeholder_error = None
    stop = first_placeholder(nb) if until_placeholder else None
    if stop is not None:
        nb.cells = nb.cells[: stop + 1]
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", config=kernel_config(),
                            resources={"metadata": {"path": str(Path(path).parent)}})
    try:
        client.execute(env=kernel_env(env))
    except Exception as exc:  # noqa: BLE001 - re-raised unless it is the expected stop
        name = getattr(exc, "ename", "")
        if stop is None or name != "NotImplementedError":
            raise
        placeholder_error = exc
    return nb, time.perf_counter() - start, placeholder_error


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--save", action="store_true", help="Ausgaben in das Notebook schreiben")
    parser.add_argument("--fast", action="store_true", help="Schnellmodus (NNKURS_FAST=1)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        env = {"NNKURS_FAST": "1" if args.fast else "0", "NNKURS_NOTEBOOK": path.stem}
        try:
            nb, seconds, _ = execute(path, env=env)
        except fmt.NotebookError as exc:
            print(f"Fehler: {exc}", file=sys.stderr)
            return 2
        print(f"{path}: {seconds:.1f} s")
        if args.save:
            nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
