"""Self-checks for students: a German verdict per exercise, never the solution.

Each notebook has its own module (``utils.checks.nb01`` … ``nb06``); a check prints
``✅ Richtig! …`` or ``❌ …`` with what is likely wrong (shape, dtype, value range …) and
returns a :class:`Verdict` (true when solved). An exercise that still raises ``NotImplementedError`` (the
placeholder) or returns ``None`` is reported as not yet done.

With ``NNKURS_STRICT_CHECKS=1`` (set by ``make test``) a failed check raises
:class:`CheckFailed`, so a solution notebook whose own checks fail breaks the test suite.

Usage in a notebook::

    from utils.checks import nb01 as checks
    checks.layer_3(W3, x)
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

RICHTIG = "✅ Richtig!"
FALSCH = "❌"
OFFEN = "⏳ Noch nicht bearbeitet:"


class Verdict:
    """Result of a check: true when solved; ``message`` holds the German verdict.

    Shows nothing as a cell's last value (the verdict is already printed).
    """

    def __init__(self, passed: bool, message: str):
        self.passed = passed
        self.message = message

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"Verdict(passed={self.passed!r}, message={self.message!r})"

    def _ipython_display_(self) -> None:
        pass


class CheckFailed(AssertionError):
    """Raised by a failed check in strict mode (``NNKURS_STRICT_CHECKS=1``)."""


class Problem(Exception):
    """Raised inside a check to report what is likely wrong (message in German)."""


def run_check(exercise: str, check: Callable[[], str | None]) -> Verdict:
    """Run ``check``; it returns an optional praise or raises :class:`Problem`.

    Prints the verdict and returns it as a :class:`Verdict` (true when solved).
    """
    try:
        extra = check()
    except NotImplementedError:
        return _verdict(False, f"{OFFEN} {exercise} – ersetzen Sie die Zeile »raise NotImplementedError(…)« "
                               "durch Ihre Lösung und führen Sie die Zelle aus.")
    except Problem as problem:
        return _verdict(False, f"{FALSCH} {exercise}: {problem}")
    return _verdict(True, f"{RICHTIG} {exercise}" + (f" – {extra}" if extra else ""))


def _verdict(passed: bool, message: str) -> Verdict:
    print(message)
    if not passed and os.environ.get("NNKURS_STRICT_CHECKS", "") == "1":
        raise CheckFailed(message)
    return Verdict(passed, message)


# --- small building blocks the notebook modules share --------------------------------------

def as_array(value, what: str) -> np.ndarray:
    """``value`` as NumPy array (torch tensors included); Problem if it is missing."""
    if value is None:
        raise NotImplementedError
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except Exception:  # noqa: BLE001 - any failure means: not an array
        raise Problem(f"{what} ist kein Array/Tensor, sondern {type(value).__name__}.") from None


def expect_shape(array, shape: tuple, what: str) -> None:
    actual = tuple(np.shape(array))
    if actual != tuple(shape):
        raise Problem(f"{what} hat die Form {actual}, erwartet wird {tuple(shape)}.")


def expect_finite(array, what: str) -> None:
    if not np.all(np.isfinite(array)):
        raise Problem(f"{what} enthält NaN oder unendliche Werte – prüfen Sie Divisionen und "
                      "Logarithmen (z. B. log(0)).")


def expect_range(array, low: float, high: float, what: str) -> None:
    lo, hi = float(np.min(array)), float(np.max(array))
    if lo < low or hi > high:
        raise Problem(f"Die Werte von {what} liegen zwischen {lo:.3g} und {hi:.3g}, "
                      f"erwartet wird der Bereich [{low:g}, {high:g}].")


def expect_close(actual, expected, what: str, *, rtol: float = 1e-5, atol: float = 1e-6,
                 hint: str = "") -> None:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    expect_shape(actual, expected.shape, what)
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(actual - expected)))
        raise Problem(f"{what} weicht vom erwarteten Ergebnis ab (größte Abweichung {err:.3g})."
                      + (f" {hint}" if hint else ""))
