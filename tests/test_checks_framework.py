"""The self-check framework itself (utils.checks): verdicts, display, strict mode, shared
expectations. The notebook modules' checks are tested in test_checks_nbNN.py."""

from __future__ import annotations

import numpy as np
import pytest

from utils import checks
from utils.checks import (MIME_TYPE, CheckFailed, Problem, Verdict, as_array, call,
                          expect_callable, expect_dtype, exercise, german_number)


@exercise("2.3", "Quadrat")
def square_check(square):
    """Example check: ``square(3)`` must be 9."""
    value = call(square, 3, what="square")
    if value == 6:
        raise Problem("Sie verdoppeln statt zu quadrieren.")
    if value != 9:
        raise Problem("square(3) liefert nicht das Quadrat.")
    return "square rechnet richtig."


def placeholder(x):
    raise NotImplementedError("Ersetzen Sie diese Zeile durch Ihre Lösung.")


def test_three_statuses_with_hints():
    right = square_check.evaluate(lambda x: x * x)
    assert right.status == "richtig" and right.passed and bool(right)
    assert right.message == "✅ Richtig! Aufgabe 2.3 (Quadrat) – square rechnet richtig."
    wrong = square_check.evaluate(lambda x: 2 * x)
    assert wrong.status == "falsch" and not wrong
    assert wrong.message == "❌ Aufgabe 2.3 (Quadrat): Sie verdoppeln statt zu quadrieren."
    for empty in (None, placeholder, lambda x: None):
        verdict = square_check.evaluate(empty)
        assert verdict.status == "offen", empty
        assert verdict.message.startswith("⏳ Aufgabe 2.3 (Quadrat) ist noch offen – ")


def test_ids_come_from_decorator_and_module():
    verdict = square_check.evaluate(lambda x: x * x)
    # this test module is no nbNN module, so the notebook is unknown
    assert (verdict.notebook, verdict.exercise, verdict.title) == ("", "2.3", "Quadrat")
    assert checks._notebook_of("utils.checks.nb05") == "05"
    assert square_check.__doc__.startswith("Example check")


def test_machine_readable_form():
    data = square_check.evaluate(lambda x: 2 * x).to_json()
    assert data == {"notebook": "", "exercise": "2.3", "title": "Quadrat", "status": "falsch",
                    "hint": "Sie verdoppeln statt zu quadrieren.",
                    "message": "❌ Aufgabe 2.3 (Quadrat): Sie verdoppeln statt zu quadrieren."}


def test_call_prints_outside_ipython(capsys, monkeypatch):
    monkeypatch.delenv("NNKURS_STRICT_CHECKS", raising=False)
    verdict = square_check(lambda x: 2 * x)
    assert isinstance(verdict, Verdict) and verdict.status == "falsch"
    assert capsys.readouterr().out == verdict.message + "\n"


def test_call_displays_mime_bundle_in_ipython(monkeypatch):
    shown = []
    import IPython
    import IPython.display

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw: shown.append((obj, raw)))
    monkeypatch.delenv("NNKURS_STRICT_CHECKS", raising=False)
    verdict = square_check(lambda x: x * x)
    (bundle, raw), = shown
    assert raw is True
    assert bundle["text/plain"] == verdict.message
    assert bundle[MIME_TYPE]["status"] == "richtig"


@pytest.mark.parametrize("student, raises", [(lambda x: x * x, False), (lambda x: 2 * x, True),
                                             (None, True)])
def test_strict_mode_raises_unless_solved(monkeypatch, capsys, student, raises):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    if raises:
        with pytest.raises(CheckFailed, match="Aufgabe 2.3"):
            square_check(student)
    else:
        assert square_check(student)


def test_lenient_mode_never_raises(monkeypatch, capsys):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "0")
    assert square_check(lambda x: 2 * x).status == "falsch"
    assert square_check(None).status == "offen"


def test_call_turns_argument_errors_into_hints():
    def no_args():
        return 9

    verdict = square_check.evaluate(no_args)
    assert verdict.status == "falsch" and "lässt sich nicht wie vorgesehen aufrufen" in verdict.hint


def test_call_lets_other_type_errors_through():
    def broken(x):
        return x + "a"

    with pytest.raises(TypeError):
        call(broken, 1, what="broken")


def test_call_none_result_can_be_allowed():
    assert call(lambda: None, what="f", none_is_open=False) is None


def test_expectations():
    with pytest.raises(NotImplementedError):
        as_array(None, "x")
    with pytest.raises(NotImplementedError):
        expect_callable(None, "f")
    with pytest.raises(Problem, match="soll eine Funktion sein"):
        expect_callable(3, "f")
    with pytest.raises(Problem, match="Gleitkommazahlen"):
        expect_dtype(np.arange(3), "float", "x")
    expect_dtype(np.arange(3.0), "float", "x")
    assert german_number(238510) == "238 510"


def test_verdict_rejects_unknown_status():
    with pytest.raises(ValueError):
        Verdict("01", "1", "t", "vielleicht")
