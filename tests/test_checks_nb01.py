"""Self-checks of notebook 01, each tested three ways: right, wrong (with the hint meant for that
mistake), empty."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from utils.checks import CheckFailed, nb01


def expect(verdict, status, *words):
    assert verdict.status == status, verdict.message
    for word in words:
        assert word in verdict.hint, verdict.message


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(28, 28), dtype=np.uint8)


# --- Aufgabe 1 ---------------------------------------------------------------------------------

def test_normalized_vector_right(image):
    x = torch.from_numpy(image).flatten() / 255
    expect(nb01.normalized_vector.evaluate(x, image), "richtig")


@pytest.mark.parametrize("make, words", [
    (lambda img: torch.from_numpy(img).flatten(), ["Gleitkommazahlen"]),
    (lambda img: torch.from_numpy(img).flatten().float(), ["0 bis 1"]),
    (lambda img: torch.from_numpy(img).flatten() / 256, ["255, nicht 256"]),
    (lambda img: torch.from_numpy(img.T.copy()).flatten() / 255, ["Zeile für Zeile"]),
    (lambda img: torch.from_numpy(img) / 255, ["Form (28, 28)"]),
    (lambda img: torch.from_numpy(img).flatten().double() / 255, ["float32"]),
    (lambda img: torch.from_numpy(img[::-1].copy()).flatten() / 255, ["x_test[0]"]),
])
def test_normalized_vector_wrong(image, make, words):
    expect(nb01.normalized_vector.evaluate(make(image), image), "falsch", *words)


def test_normalized_vector_hint_does_not_reveal_values(image):
    verdict = nb01.normalized_vector.evaluate(torch.from_numpy(image).flatten() / 256, image)
    assert "0.0" not in verdict.hint


def test_normalized_vector_empty(image):
    expect(nb01.normalized_vector.evaluate(None, image), "offen")


# --- Aufgabe 2 ---------------------------------------------------------------------------------

@pytest.fixture
def layer():
    torch.manual_seed(0)
    x = torch.rand(784)
    for seed in range(100):  # pre-activations of both signs, so that ReLU makes a difference
        torch.manual_seed(seed)
        w = (torch.randn(784, 3) / math.sqrt(784)).requires_grad_()
        pre = x @ w
        if pre.min() < 0 < pre.max():
            return x, w
    raise AssertionError("no mixed-sign layer found")


def test_layer_784x3_right(layer):
    x, w = layer
    expect(nb01.layer_784x3.evaluate(w, (x @ w).relu(), x), "richtig")


def test_layer_784x3_wrong(layer):
    x, w = layer
    expect(nb01.layer_784x3.evaluate(w, x @ w, x), "falsch", "ReLU fehlt")
    for wrong_sign in (-(x @ w).relu(), (-(x @ w)).relu()):
        verdict = nb01.layer_784x3.evaluate(w, wrong_sign, x)
        expect(verdict, "falsch", "Vorzeichen")
        assert "ReLU fehlt" not in verdict.hint
    big = torch.randn(784, 3).requires_grad_()
    expect(nb01.layer_784x3.evaluate(big, (x @ big).relu(), x), "falsch", "sqrt(784)")
    w20 = torch.randn(784, 20) / math.sqrt(784)
    expect(nb01.layer_784x3.evaluate(w20, (x @ w20).relu(), x), "falsch", "(784, 20)")
    frozen = torch.randn(784, 3) / math.sqrt(784)
    expect(nb01.layer_784x3.evaluate(frozen, (x @ frozen).relu(), x), "falsch", "requires_grad_")
    other = torch.rand(784)
    expect(nb01.layer_784x3.evaluate(w, (other @ w).relu(), x), "falsch", "passt nicht")


def test_layer_784x3_empty(layer):
    x, _ = layer
    expect(nb01.layer_784x3.evaluate(None, None, x), "offen")


# --- Aufgabe 3 ---------------------------------------------------------------------------------

def all_zero(inputs, weights):
    return (inputs @ weights).relu().amax(dim=1) == 0


def share_for(x, mask):
    """The share over seeds 0–999, computed as a student would, with ``mask(inputs, weights)``."""
    hits = 0
    for seed in range(1000):
        torch.manual_seed(seed)
        hits += int(mask(x.reshape(1, -1), torch.randn(784, 3) / math.sqrt(784))[0])
    return hits / 1000


@pytest.fixture(scope="module")
def digit():
    return torch.from_numpy(np.random.default_rng(3).random(784).astype(np.float32))


@pytest.fixture(scope="module")
def shares(digit):
    """Shares a student would compute: right, "at least one unit silent", "first unit silent"."""
    return {"right": share_for(digit, all_zero),
            "any": share_for(digit, lambda i, w: (i @ w).relu().amin(dim=1) == 0),
            "first": share_for(digit, lambda i, w: (i @ w)[:, 0] <= 0)}


def test_dead_relu_right(digit, shares):
    share = shares["right"]
    assert 0.09 < share < 0.16  # about (1/2)**3
    verdict = nb01.dead_relu.evaluate(all_zero, share, digit)
    expect(verdict, "richtig")
    assert f"{share}" not in verdict.message and f"{share:.1%}" not in verdict.message


def test_dead_relu_leaves_the_random_state_alone(digit, shares):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    nb01.dead_relu.evaluate(all_zero, shares["right"], digit)
    torch.manual_seed(123)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("mask, words", [
    (lambda i, w: (i @ w).relu().amin(dim=1) == 0, ["nur ein Neuron", "alle drei"]),
    (lambda i, w: (i @ w).relu().amax(dim=1) > 0, ["Gegenteil"]),
    (lambda i, w: (i @ w < 0).all(dim=1), ["schwarzes Bild"]),
    (lambda i, w: (i @ w).relu() == 0, ["ein Wahrheitswert pro Bild"]),
    (lambda i, w: (i @ w).relu().sum(dim=1), ["Wahrheitswerte"]),
    (lambda i, w: (i @ w)[:, 0] <= 0, ["richtigen Bilder"]),
])
def test_dead_relu_wrong_function(digit, mask, words):
    expect(nb01.dead_relu.evaluate(mask, 0.125, digit), "falsch", *words)


def test_dead_relu_wrong_share(digit, shares):
    right = shares["right"]
    expect(nb01.dead_relu.evaluate(all_zero, right * 1000, digit), "falsch", "keine Anzahl")
    expect(nb01.dead_relu.evaluate(all_zero, 1 - right, digit), "falsch", "viel zu groß", "alle drei")
    expect(nb01.dead_relu.evaluate(all_zero, shares["any"], digit), "falsch", "viel zu groß", "alle drei")
    expect(nb01.dead_relu.evaluate(all_zero, shares["first"], digit), "falsch", "einzelnen Neuron")
    expect(nb01.dead_relu.evaluate(all_zero, 0.3, digit), "falsch", "Startwerten 0 bis 999")


def test_dead_relu_empty(digit):
    def placeholder(inputs, weights):
        raise NotImplementedError()

    expect(nb01.dead_relu.evaluate(None, None, digit), "offen")
    expect(nb01.dead_relu.evaluate(placeholder, None, digit), "offen")
    expect(nb01.dead_relu.evaluate(all_zero, None, digit), "offen")


# --- Aufgabe 4 ---------------------------------------------------------------------------------

def test_saturation():
    torch.manual_seed(0)
    x = torch.rand(784)
    w1, w2 = torch.randn(784, 20) / math.sqrt(784), torch.randn(20, 10) / math.sqrt(20)
    normal = ((x @ w1).relu() @ w2).sigmoid()
    big = ((x @ (10 * w1)).relu() @ (10 * w2)).sigmoid()
    expect(nb01.saturation.evaluate(normal, big), "richtig")
    expect(nb01.saturation.evaluate(normal, normal), "falsch", "gleich")
    only_first = ((x @ (10 * w1)).relu() @ w2).sigmoid()   # forgot the second matrix
    expect(nb01.saturation.evaluate(normal, only_first), "falsch", "beide Gewichtsmatrizen")
    expect(nb01.saturation.evaluate(None, None), "offen")


def test_verdicts_carry_notebook_and_exercise(image):
    verdict = nb01.normalized_vector.evaluate(torch.zeros(5), image)
    assert (verdict.notebook, verdict.exercise) == ("01", "1")
    assert nb01.dead_relu.exercise == "3" and nb01.saturation.exercise == "4"


def test_strict_mode_raises(monkeypatch, image):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed, match="Aufgabe 1"):
        nb01.normalized_vector(torch.zeros(5), image)
