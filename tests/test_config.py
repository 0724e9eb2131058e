"""utils.config: fast mode sizes, device choice, seeding."""

from __future__ import annotations

import random

import numpy as np
import torch

from utils import config


def test_sizes_follow_the_mode(monkeypatch):
    monkeypatch.setenv("NNKURS_FAST", "0")
    assert config.epochs(15) == 15 and config.samples(60000) == 60000
    monkeypatch.setenv("NNKURS_FAST", "1")
    assert config.epochs(15) == config.FAST_EPOCHS
    assert config.epochs(15, fast=3) == 3
    assert config.samples(60000) == config.FAST_SAMPLES
    assert config.samples(500) == 500          # never more than the full size
    assert "Schnellmodus" in config.mode_summary()


def test_device_is_cpu_here_and_announced(capsys):
    dev = config.device()
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert dev.type == expected
    assert "Gerät:" in capsys.readouterr().out


def test_seed_everything_makes_runs_repeatable():
    config.seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    config.seed_everything(7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_fast_mode_is_read_at_call_time_and_there_is_no_stale_constant(monkeypatch):
    import utils

    assert not hasattr(config, "FAST") and not hasattr(utils, "FAST")
    for value, fast in (("1", True), ("ja", True), ("0", False), ("", False)):
        monkeypatch.setenv("NNKURS_FAST", value)
        assert config.is_fast() is fast and utils.is_fast() is fast
        assert utils.epochs(15) == (config.FAST_EPOCHS if fast else 15)
