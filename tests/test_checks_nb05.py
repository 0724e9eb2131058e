"""Self-checks of notebook 05, each tested three ways: right, wrong (with its hint), empty."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from utils.checks import nb05
from utils.models import ResidualBlock


def expect(verdict, status, *words):
    assert verdict.status == status, verdict.message
    for word in words:
        assert word in verdict.hint, verdict.hint


# --- Aufgabe 5.1 ---------------------------------------------------------------------------

RIGHT = {"A": "unter", "B": "über", "C": "gut"}


def test_read_study_right():
    expect(nb05.read_study.evaluate(RIGHT), "richtig")
    expect(nb05.read_study.evaluate({"A": "Unter", "B": "ueber", "C": " gut "}), "richtig")


@pytest.mark.parametrize("answer, words", [
    ({**RIGHT, "A": "über"}, ("Fall A", "Trainingsbildern")),
    ({**RIGHT, "B": "gut"}, ("Fall B", "Abstand")),
    ({**RIGHT, "C": "über"}, ("Fall C", "55-mal")),
    ({"A": "unter", "B": "über"}, ("fehlt", "C")),
    ({**RIGHT, "A": "underfitting"}, ("Erlaubt",)),
    (["unter", "über", "gut"], ("dict",)),
])
def test_read_study_wrong(answer, words):
    verdict = nb05.read_study.evaluate(answer)
    expect(verdict, "falsch", *words)
    for solution in ("unter", "über", "gut"):  # the hint never names the expected diagnosis
        assert f"»{solution}«" not in verdict.hint


def test_read_study_open():
    expect(nb05.read_study.evaluate(None), "offen")


# --- Aufgabe 5.2 ---------------------------------------------------------------------------

def good_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


def test_conv_output_size_right():
    expect(nb05.conv_output_size.evaluate(good_size, 64 * 12 * 12), "richtig")


def test_conv_output_size_wrong():
    def float_size(size, kernel_size, stride=1, padding=0):
        return (size + 2 * padding - kernel_size) / stride + 1

    def one_sided(size, kernel_size, stride=1, padding=0):
        return (size + padding - kernel_size) // stride + 1

    def no_stride(size, kernel_size, stride=1, padding=0):
        return size + 2 * padding - kernel_size + 1

    def no_defaults(size, kernel_size, stride, padding):
        return good_size(size, kernel_size, stride, padding)

    expect(nb05.conv_output_size.evaluate(float_size, 9216), "falsch", "//")
    expect(nb05.conv_output_size.evaluate(one_sided, 9216), "falsch", "beiden Seiten")
    expect(nb05.conv_output_size.evaluate(no_stride, 9216), "falsch", "Stride")
    expect(nb05.conv_output_size.evaluate(no_defaults, 9216), "falsch", "Standardwerte")
    verdict = nb05.conv_output_size.evaluate(good_size, 64 * 13 * 13)
    expect(verdict, "falsch", "flat_features")
    assert "9216" not in verdict.hint and "9 216" not in verdict.hint


def test_conv_output_size_open():
    def placeholder(size, kernel_size, stride=1, padding=0):
        raise NotImplementedError()
    expect(nb05.conv_output_size.evaluate(placeholder, None), "offen")
    expect(nb05.conv_output_size.evaluate(lambda *a: None, None), "offen")
    expect(nb05.conv_output_size.evaluate(None, None), "offen")
    expect(nb05.conv_output_size.evaluate(good_size, None), "offen")


# --- Aufgabe 5.3 ---------------------------------------------------------------------------

class BlockBase(ResidualBlock):
    """The course's block (its layers); each test gives it another ``forward``."""

    def main(self, x):
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))


def block_with(forward):
    return type("Block", (BlockBase,), {"forward": forward})


def test_residual_block_right():
    good = block_with(lambda self, x: self.relu(self.main(x) + self.shortcut(x)))
    expect(nb05.residual_block.evaluate(good), "richtig")


def test_course_block_passes_the_check():
    from utils.models import ResidualBlock

    expect(nb05.residual_block.evaluate(ResidualBlock), "richtig")


@pytest.mark.parametrize("forward, word", [
    (lambda self, x: self.main(x) + self.shortcut(x), "negative Werte"),
    (lambda self, x: self.relu(self.main(x)), "Abkürzung fehlt"),
    (lambda self, x: self.relu(self.main(x)) + self.shortcut(x), "vor oder nach der Addition"),
    (lambda self, x: self.relu(self.main(x) + x), "Ausgabe der Abkürzung"),
    (lambda self, x: self.relu(self.conv2(self.relu(self.conv1(x))) + self.shortcut(x)),
     "Reihenfolge der Formel"),
])
def test_residual_block_wrong(forward, word):
    expect(nb05.residual_block.evaluate(block_with(forward)), "falsch", word)


def test_residual_block_open():
    def placeholder(self, x):
        raise NotImplementedError()
    expect(nb05.residual_block.evaluate(block_with(placeholder)), "offen")
    expect(nb05.residual_block.evaluate(block_with(lambda self, x: None)), "offen")
    expect(nb05.residual_block.evaluate(None), "offen")


# --- Aufgabe 5.4 ---------------------------------------------------------------------------

def good_flip(images):
    mirror = torch.rand(len(images)) < 0.5
    return torch.where(mirror[:, None, None, None], images.flip(-1), images)


def test_random_flip_right():
    expect(nb05.random_flip.evaluate(good_flip), "richtig")

    def loop_flip(images):  # slower, but correct
        return torch.stack([im.flip(-1) if torch.rand(()) < 0.5 else im for im in images])
    expect(nb05.random_flip.evaluate(loop_flip), "richtig")


def in_place(images):
    mirror = torch.rand(len(images)) < 0.5
    images[mirror] = images[mirror].flip(-1)
    return images


def per_pixel(images):
    return torch.where(torch.rand(images.shape) < 0.5, images.flip(-1), images)


@pytest.mark.parametrize("fn, word", [
    (in_place, "verändert den übergebenen Stapel"),
    (lambda images: images.flip(-1), "alle oder kein"),
    (lambda images: images.clone(), "alle oder kein"),
    (lambda images: torch.where(torch.rand(len(images))[:, None, None, None] < 0.5,
                                images.flip(-2), images), "oben ↔ unten"),
    (lambda images: images.flip(0), "Reihenfolge der Bilder"),
    (per_pixel, "weder unverändert"),
    (lambda images: torch.where(torch.rand(len(images))[:, None, None, None] < 0.9,
                                images.flip(-1), images), "etwa die Hälfte"),
    (lambda images: images.numpy(), "Tensor"),
    (lambda images: images[:, :, :, ::2].clone(), "Form"),
])
def test_random_flip_wrong(fn, word):
    expect(nb05.random_flip.evaluate(fn), "falsch", word)


def test_random_flip_same_flips_every_call():
    def fixed(images):
        generator = torch.Generator().manual_seed(0)
        mirror = torch.rand(len(images), generator=generator) < 0.5
        return torch.where(mirror[:, None, None, None], images.flip(-1), images)
    expect(nb05.random_flip.evaluate(fixed), "falsch", "neu")


def test_random_flip_open():
    def placeholder(images):
        raise NotImplementedError()
    expect(nb05.random_flip.evaluate(placeholder), "offen")
    expect(nb05.random_flip.evaluate(None), "offen")
