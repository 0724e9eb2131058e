"""Self-checks for students: a German verdict per exercise, never the solution.

Each notebook has its own module (``utils.checks.nb01`` … ``nb06``). A check is a plain function
decorated with :func:`exercise`; it receives the student's objects, raises :class:`Problem`
with a German hint when something is likely wrong (shape, dtype, value range, behaviour …) and
may return a short praise::

    @exercise("1.1", "Modell 784-300-10")
    def model_784_300_10(make_model):
        model = call(make_model, what="make_model")
        ...
        raise Problem("Das Modell hat zu wenige Parameter …")

Calling the check in a notebook shows one line and returns a :class:`Verdict`:

- ``✅ Richtig! Aufgabe 1.1 (Modell 784-300-10) – …``
- ``❌ Aufgabe 1.1 (Modell 784-300-10): <Hinweis>``
- ``⏳ Aufgabe 1.1 (Modell 784-300-10) ist noch offen – …`` when the student's object is
  ``None`` or the check (or a student function it calls) raises ``NotImplementedError``.

In a notebook the line carries a second, machine-readable part with the MIME type
:data:`MIME_TYPE` (notebook, exercise id, title, status, hint, message): ``make auswerten``
reads the verdicts of a whole class from it. Outside IPython the line is printed.

With ``NNKURS_STRICT_CHECKS=1`` (set for the solution notebooks' tests) every verdict but
"richtig" raises :class:`CheckFailed`, so a solution notebook whose own checks fail (or find
nothing) breaks the test suite. Without it nothing raises: an exercise notebook with open
exercises runs to its end. Tests of the checks use :meth:`Exercise.evaluate`, which neither
shows nor raises.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable

import numpy as np

MIME_TYPE = "application/vnd.nnkurs.check+json"
RICHTIG, FALSCH, OFFEN = "richtig", "falsch", "offen"
SYMBOLS = {RICHTIG: "✅", FALSCH: "❌", OFFEN: "⏳"}
STRICT_VARIABLE = "NNKURS_STRICT_CHECKS"


class Problem(Exception):
    """Raised inside a check to report what is likely wrong (message in German)."""


class CheckFailed(AssertionError):
    """Raised in strict mode (``NNKURS_STRICT_CHECKS=1``) by every verdict but "richtig"."""


class Verdict:
    """The result of one check: ``status`` is ``"richtig"``, ``"falsch"`` or ``"offen"``.

    True when solved. ``message`` is the German line the student sees, ``hint`` the part
    after the exercise's name (the praise, the hint, or what to do next).
    """

    def __init__(self, notebook: str, exercise: str, title: str, status: str, hint: str = ""):
        if status not in SYMBOLS:
            raise ValueError(f"unknown status {status!r}")
        self.notebook, self.exercise, self.title = notebook, exercise, title
        self.status, self.hint = status, hint

    @property
    def passed(self) -> bool:
        return self.status == RICHTIG

    def __bool__(self) -> bool:
        return self.passed

    @property
    def label(self) -> str:
        return f"Aufgabe {self.exercise} ({self.title})" if self.title else f"Aufgabe {self.exercise}"

    @property
    def message(self) -> str:
        symbol = SYMBOLS[self.status]
        if self.status == RICHTIG:
            return f"{symbol} Richtig! {self.label}" + (f" – {self.hint}" if self.hint else "")
        if self.status == OFFEN:
            return f"{symbol} {self.label} ist noch offen – {self.hint}"
        return f"{symbol} {self.label}: {self.hint}"

    def to_json(self) -> dict:
        """The machine-readable form (the grader's input)."""
        return {"notebook": self.notebook, "exercise": self.exercise, "title": self.title,
                "status": self.status, "hint": self.hint, "message": self.message}

    def show(self) -> None:
        """Display the line; in a notebook together with the machine-readable part."""
        if "IPython" in sys.modules:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                display({"text/plain": self.message, MIME_TYPE: self.to_json()}, raw=True)
                return
        print(self.message)

    def __repr__(self) -> str:
        return (f"Verdict({self.notebook}/{self.exercise}, status={self.status!r}, "
                f"hint={self.hint!r})")

    def _ipython_display_(self) -> None:
        """Shows nothing as a cell's last value: the line has been shown already."""


OPEN_HINT = ("ersetzen Sie die Zeile »raise NotImplementedError(…)« durch Ihre Lösung und führen "
             "Sie die Zelle aus, dann diese Selbstkontrolle.")


def strict() -> bool:
    """Whether every verdict but "richtig" raises :class:`CheckFailed` (``NNKURS_STRICT_CHECKS=1``)."""
    return os.environ.get(STRICT_VARIABLE, "") == "1"


class Exercise:
    """A check bound to its exercise id; made by :func:`exercise`."""

    def __init__(self, func: Callable[..., str | None], notebook: str, exercise_id: str,
                 title: str):
        functools.update_wrapper(self, func)
        self.func, self.notebook, self.exercise, self.title = func, notebook, exercise_id, title

    def evaluate(self, *args: Any, **kwargs: Any) -> Verdict:
        """Run the check; return its :class:`Verdict` without showing or raising it."""
        try:
            praise = self.func(*args, **kwargs)
        except NotImplementedError:
            return self._verdict(OFFEN, OPEN_HINT)
        except Problem as problem:
            return self._verdict(FALSCH, str(problem))
        return self._verdict(RICHTIG, praise or "")

    def __call__(self, *args: Any, **kwargs: Any) -> Verdict:
        """Run the check, show the verdict, and in strict mode raise unless it is solved."""
        verdict = self.evaluate(*args, **kwargs)
        verdict.show()
        if not verdict.passed and strict():
            raise CheckFailed(verdict.message)
        return verdict

    def _verdict(self, status: str, hint: str) -> Verdict:
        return Verdict(self.notebook, self.exercise, self.title, status, hint)

    def __repr__(self) -> str:
        return f"<Selbstkontrolle Aufgabe {self.exercise} ({self.title})>"


def _notebook_of(module: str) -> str:
    """``utils.checks.nb03`` → ``"03"``; anything else → ``""``."""
    last = module.rsplit(".", 1)[-1]
    return last[2:] if last.startswith("nb") and last[2:].isdigit() else ""


def exercise(exercise_id: str, title: str) -> Callable[[Callable[..., str | None]], Exercise]:
    """Decorator: make ``func`` the self-check of exercise ``exercise_id`` ("1.1")."""
    def wrap(func: Callable[..., str | None]) -> Exercise:
        return Exercise(func, _notebook_of(func.__module__), exercise_id, title)
    return wrap


def run_check(label: str, check: Callable[[], str | None]) -> Verdict:
    """Old style, kept until every module uses :func:`exercise`: ``label`` is
    ``"Aufgabe 1.1 (Titel)"``; ``check`` takes no arguments."""
    number, _, title = label.removeprefix("Aufgabe ").partition(" (")
    caller = sys._getframe(1).f_globals.get("__name__", "")
    return Exercise(check, _notebook_of(caller), number, title.removesuffix(")"))()


# --- expectations the notebook modules share ---------------------------------------------------

def as_array(value, what: str) -> np.ndarray:
    """``value`` as NumPy array (torch tensors included); ``None`` means: not done yet."""
    if value is None:
        raise NotImplementedError
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # TensorFlow/Keras
        value = value.numpy()
    try:
        return np.asarray(value)
    except Exception:  # noqa: BLE001 - any failure means: not an array
        raise Problem(f"{what} ist kein Array/Tensor, sondern {type(value).__name__}.") from None


def expect_shape(array, shape: tuple, what: str) -> None:
    actual = tuple(np.shape(array))
    if actual != tuple(shape):
        raise Problem(f"{what} hat die Form {actual}, erwartet wird {tuple(shape)}.")


def expect_dtype(array, kind: str, what: str) -> None:
    """``kind`` is ``"float"``, ``"int"`` or ``"bool"`` (any width)."""
    parents = {"float": np.floating, "int": np.integer, "bool": np.bool_}
    words = {"float": "Gleitkommazahlen", "int": "ganze Zahlen", "bool": "Wahrheitswerte"}
    dtype = np.asarray(array).dtype
    if not np.issubdtype(dtype, parents[kind]):
        raise Problem(f"{what} hat den Datentyp {dtype}, erwartet werden {words[kind]}.")


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


def expect_callable(obj, what: str) -> Callable:
    """``obj`` itself; ``None`` means not done yet, anything else must be callable."""
    if obj is None:
        raise NotImplementedError
    if not callable(obj):
        raise Problem(f"{what} soll eine Funktion sein, ist aber {type(obj).__name__}.")
    return obj


def call(func, *args, what: str, none_is_open: bool = True, **kwargs):
    """Call the student's ``func``; a call with the wrong arguments becomes a German hint.

    ``NotImplementedError`` (the placeholder) passes through, so the exercise counts as open;
    so does a ``None`` result unless ``none_is_open=False``.
    """
    expect_callable(func, what)
    try:
        result = func(*args, **kwargs)
    except TypeError as exc:
        text = str(exc)
        if "argument" not in text:
            raise
        raise Problem(f"{what} lässt sich nicht wie vorgesehen aufrufen ({text}). Prüfen Sie "
                      "die Parameter der Funktion.") from None
    if result is None and none_is_open:
        raise NotImplementedError
    return result


def torch_modules():
    """``(torch, torch.nn)``, imported only when a check needs them."""
    import torch
    from torch import nn

    return torch, nn


def expect_module(obj, what: str):
    """``obj`` must be a PyTorch ``nn.Module``; returns it."""
    if obj is None:
        raise NotImplementedError
    _, nn = torch_modules()
    if not isinstance(obj, nn.Module):
        raise Problem(f"{what} ist {type(obj).__name__}, erwartet wird ein nn.Module "
                      "(z. B. nn.Sequential).")
    return obj


def german_number(number: float) -> str:
    """``238510`` → ``"238 510"`` (German digit grouping with a space)."""
    return f"{number:,}".replace(",", " ")
