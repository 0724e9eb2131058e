"""utils.config.native_stderr_silenced: hides native writes to fd 2, restores it afterwards."""

from __future__ import annotations

import os

import pytest

from utils import config


def test_native_stderr_is_silenced_and_restored(capfd):
    os.write(2, b"before\n")
    with config.native_stderr_silenced():
        os.write(2, b"hidden native message\n")
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "before" in err and "after" in err
    assert "hidden" not in err


def test_exceptions_propagate_and_fd_is_restored(capfd):
    with pytest.raises(ImportError):
        with config.native_stderr_silenced():
            raise ImportError("kein Modul")
    os.write(2, b"still visible\n")
    assert "still visible" in capfd.readouterr().err
