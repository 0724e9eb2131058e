"""Fixtures shared by the tests in tests/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _lenient_checks(request, monkeypatch):
    """In the self-check tests (test_checks_*.py) a failed check returns a false verdict instead
    of raising, as in a student's notebook; strict mode (``make test``'s notebooks) is tested
    explicitly where a test sets ``NNKURS_STRICT_CHECKS=1`` itself."""
    if request.module.__name__.rsplit(".", 1)[-1].startswith("test_checks_"):
        monkeypatch.setenv("NNKURS_STRICT_CHECKS", "0")
