#!/usr/bin/env python3
"""Check that JupyterLab from .venv starts the notebooks' kernel ``python3`` with .venv's Python.

``make lab`` runs the JupyterLab of ``.venv`` with ``JUPYTER_PATH=.venv/share/jupyter``; the
kernel ``python3`` there comes with ipykernel and says ``python``, which Jupyter replaces by its
own interpreter. Nothing is registered user-wide (a second clone or a teacher bundle keeps its
own ``.venv``). The notebooks name ``python3``, which Colab, Binder and nbconvert know too.

A ``python3`` kernel that someone registered by hand with another interpreter would win over
that; this script says so in German instead of letting the notebooks run in a foreign Python.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel


def main() -> int:
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        print("Fehler: Jupyter findet den Kernel »python3« nicht – ist ipykernel in .venv "
              "installiert (`make install`)?", file=sys.stderr)
        return 1
    command = spec.argv[0]
    own = command in {"python", "python3", f"python3.{sys.version_info[1]}"} or \
        Path(command).resolve() == Path(sys.executable).resolve()
    if not own:
        print(f"Fehler: Der Kernel »python3« in {spec.resource_dir} startet {command}, nicht die "
              f"Python-Umgebung des Kurses ({sys.prefix}). Entfernen Sie ihn mit "
              "`jupyter kernelspec remove python3` oder benennen Sie ihn um.", file=sys.stderr)
        return 1
    print(f"==> Kernel »python3« = Python aus {sys.prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
