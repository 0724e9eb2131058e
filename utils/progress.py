"""A progress display whose stored form is its final state.

tqdm's notebook widget is stored without its state: a saved notebook (GitHub, a fresh
JupyterLab, the solution bundle) shows its text fallback ``Training: 0%| | 0/15`` forever.
:class:`Progress` instead updates one display in place (``display_id``): while a cell runs the
student sees it grow, and what is saved in the notebook is the last update, e.g.
``Training: 15/15 Epochen (32 s) – loss 0.0213, acc 0.9934``, as plain text and simple HTML
that GitHub renders too. Outside a notebook the final line is printed.

Verwendet von :func:`utils.training.fit` (Notebooks 03, 05, 06).
"""

from __future__ import annotations

import html
import sys
import time


def _in_notebook() -> bool:
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60:02d} s"


class Progress:
    """``Progress(15, "Training", "Epochen")``; call :meth:`update` after each step.

    ``enabled=False`` shows nothing. Use as a context manager or call :meth:`close`.
    """

    def __init__(self, total: int, desc: str = "Training", unit: str = "Epochen",
                 enabled: bool = True):
        self.total, self.desc, self.unit, self.enabled = total, desc, unit, enabled
        self.done, self.info = 0, ""
        self.start = time.perf_counter()
        self._handle = None
        if enabled and _in_notebook():
            from IPython.display import display

            self._handle = display(self._bundle(), raw=True, display_id=True)

    def text(self) -> str:
        line = f"{self.desc}: {self.done}/{self.total} {self.unit} " \
               f"({_duration(time.perf_counter() - self.start)})"
        return line + (f" – {self.info}" if self.info else "")

    def _bundle(self) -> dict:
        bar = f'<progress value="{self.done}" max="{max(self.total, 1)}"></progress>'
        return {"text/plain": self.text(),
                "text/html": f"<div>{bar} <code>{html.escape(self.text())}</code></div>"}

    def update(self, steps: int = 1, **info) -> None:
        """Count ``steps`` more; ``info`` (e.g. ``loss="0.1234"``) is shown after the count."""
        self.done += steps
        if info:
            self.info = ", ".join(f"{key} {value}" for key, value in info.items())
        if self._handle is not None:
            self._handle.update(self._bundle(), raw=True)

    def close(self) -> None:
        if self.enabled and self._handle is None:
            print(self.text())
        self.enabled = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
