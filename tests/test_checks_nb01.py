"""Self-checks of notebook 01, each tested three ways: right, wrong (helpful), empty."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from utils.checks import CheckFailed, nb01


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(28, 28), dtype=np.uint8)


def verdict(check, *args, capsys):
    result = check(*args)
    return bool(result), capsys.readouterr().out


def test_normalized_vector(image, capsys):
    x = torch.from_numpy(image).flatten() / 255
    ok, out = verdict(nb01.normalized_vector, x, image, capsys=capsys)
    assert ok and out.startswith("✅ Richtig!")
    ok, out = verdict(nb01.normalized_vector, torch.from_numpy(image).flatten(), image,
                      capsys=capsys)
    assert not ok and "Gleitkommazahlen" in out
    ok, out = verdict(nb01.normalized_vector, torch.from_numpy(image).flatten().float(), image,
                      capsys=capsys)
    assert not ok and "liegen zwischen" in out
    ok, out = verdict(nb01.normalized_vector, torch.from_numpy(image.T.copy()).flatten() / 255,
                      image, capsys=capsys)
    assert not ok and "Zeile für Zeile" in out
    ok, out = verdict(nb01.normalized_vector, (torch.from_numpy(image) / 255), image,
                      capsys=capsys)
    assert not ok and "Form (28, 28)" in out
    ok, out = verdict(nb01.normalized_vector, None, image, capsys=capsys)
    assert not ok and "noch offen" in out


def test_layer_784x3(capsys):
    torch.manual_seed(0)
    x = torch.rand(784)
    w = (torch.randn(784, 3) / math.sqrt(784)).requires_grad_()
    ok, out = verdict(nb01.layer_784x3, w, (x @ w).relu(), x, capsys=capsys)
    assert ok, out
    ok, out = verdict(nb01.layer_784x3, w, x @ w, x, capsys=capsys)
    assert not ok and ("ReLU" in out)
    big = torch.randn(784, 3).requires_grad_()
    ok, out = verdict(nb01.layer_784x3, big, (x @ big).relu(), x, capsys=capsys)
    assert not ok and "sqrt(784)" in out
    w20 = torch.randn(784, 20) / math.sqrt(784)
    ok, out = verdict(nb01.layer_784x3, w20, (x @ w20).relu(), x, capsys=capsys)
    assert not ok and "(784, 20)" in out
    frozen = torch.randn(784, 3) / math.sqrt(784)
    ok, out = verdict(nb01.layer_784x3, frozen, (x @ frozen).relu(), x, capsys=capsys)
    assert not ok and "requires_grad_" in out

    ok, out = verdict(nb01.layer_784x3, None, None, x, capsys=capsys)
    assert not ok and "noch offen" in out


def test_saturation(capsys):
    torch.manual_seed(0)
    x = torch.rand(784)
    w1, w2 = torch.randn(784, 20) / math.sqrt(784), torch.randn(20, 10) / math.sqrt(20)
    normal = ((x @ w1).relu() @ w2).sigmoid()
    big = ((x @ (10 * w1)).relu() @ (10 * w2)).sigmoid()
    ok, out = verdict(nb01.saturation, normal, big, capsys=capsys)
    assert ok and "gesättigt" in out
    ok, out = verdict(nb01.saturation, normal, normal, capsys=capsys)
    assert not ok and "gleich" in out
    only_first = ((x @ (10 * w1)).relu() @ w2).sigmoid()   # forgot the second matrix
    ok, out = verdict(nb01.saturation, normal, only_first, capsys=capsys)
    assert not ok and "beide Gewichtsmatrizen" in out
    ok, out = verdict(nb01.saturation, None, None, capsys=capsys)
    assert not ok and "noch offen" in out


def test_strict_mode_raises(monkeypatch, image):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed, match="Aufgabe 1"):
        nb01.normalized_vector(torch.zeros(5), image)
