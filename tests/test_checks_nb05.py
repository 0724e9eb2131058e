"""Self-checks of notebook 05, each tested three ways: right, wrong (helpful), empty."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from utils.checks import nb05


def verdict(check, *args, capsys):
    result = check(*args)
    return bool(result), capsys.readouterr().out


# --- Aufgabe 5.1 ---------------------------------------------------------------------------

def good_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


def test_conv_output_size(capsys):
    ok, out = verdict(nb05.conv_output_size, good_size, 64 * 12 * 12, capsys=capsys)
    assert ok and out.startswith("✅ Richtig!")

    def float_size(size, kernel_size, stride=1, padding=0):
        return (size + 2 * padding - kernel_size) / stride + 1
    ok, out = verdict(nb05.conv_output_size, float_size, 9216, capsys=capsys)
    assert not ok and "//" in out

    def one_sided(size, kernel_size, stride=1, padding=0):
        return (size + padding - kernel_size) // stride + 1
    ok, out = verdict(nb05.conv_output_size, one_sided, 9216, capsys=capsys)
    assert not ok and "beiden Seiten" in out

    def no_stride(size, kernel_size, stride=1, padding=0):
        return size + 2 * padding - kernel_size + 1
    ok, out = verdict(nb05.conv_output_size, no_stride, 9216, capsys=capsys)
    assert not ok and "Stride" in out

    def no_defaults(size, kernel_size, stride, padding):
        return good_size(size, kernel_size, stride, padding)
    ok, out = verdict(nb05.conv_output_size, no_defaults, 9216, capsys=capsys)
    assert not ok and "Standardwerte" in out

    ok, out = verdict(nb05.conv_output_size, good_size, 64 * 13 * 13, capsys=capsys)
    assert not ok and "flat_features" in out


def test_conv_output_size_not_done(capsys):
    def placeholder(size, kernel_size, stride=1, padding=0):
        raise NotImplementedError()
    ok, out = verdict(nb05.conv_output_size, placeholder, None, capsys=capsys)
    assert not ok and "noch offen" in out
    ok, out = verdict(nb05.conv_output_size, lambda *a: None, None, capsys=capsys)
    assert not ok and "noch offen" in out
    ok, out = verdict(nb05.conv_output_size, good_size, None, capsys=capsys)
    assert not ok and "noch offen" in out


# --- Aufgabe 5.2 ---------------------------------------------------------------------------

def good_step(model, inputs, targets, loss_fn, optimizer):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_train_step(capsys):
    ok, out = verdict(nb05.train_step, good_step, capsys=capsys)
    assert ok, out

    def no_zero_grad(model, inputs, targets, loss_fn, optimizer):
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss.item()
    ok, out = verdict(nb05.train_step, no_zero_grad, capsys=capsys)
    assert not ok and "zero_grad" in out

    def no_step(model, inputs, targets, loss_fn, optimizer):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        return loss.item()
    ok, out = verdict(nb05.train_step, no_step, capsys=capsys)
    assert not ok and "optimizer.step()" in out

    def returns_tensor(model, inputs, targets, loss_fn, optimizer):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss
    ok, out = verdict(nb05.train_step, returns_tensor, capsys=capsys)
    assert not ok and "loss.item()" in out

    def returns_nothing(model, inputs, targets, loss_fn, optimizer):
        good_step(model, inputs, targets, loss_fn, optimizer)
    ok, out = verdict(nb05.train_step, returns_nothing, capsys=capsys)
    assert not ok and "gibt nichts zurück" in out

    def loss_after_step(model, inputs, targets, loss_fn, optimizer):
        good_step(model, inputs, targets, loss_fn, optimizer)
        return loss_fn(model(inputs), targets).item()
    ok, out = verdict(nb05.train_step, loss_after_step, capsys=capsys)
    assert not ok and "vor dem Schritt" in out


def test_train_step_not_done(capsys):
    def placeholder(model, inputs, targets, loss_fn, optimizer):
        raise NotImplementedError()
    ok, out = verdict(nb05.train_step, placeholder, capsys=capsys)
    assert not ok and "noch offen" in out
    ok, out = verdict(nb05.train_step, lambda *args: None, capsys=capsys)
    assert not ok and "noch offen" in out


# --- Aufgabe 5.3 ---------------------------------------------------------------------------

def good_accuracy(model, loader, device):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            correct += int((model(inputs.to(device)).argmax(dim=1) == targets).sum())
            total += len(targets)
    return correct / total


def test_eval_accuracy(capsys):
    ok, out = verdict(nb05.eval_accuracy, good_accuracy, capsys=capsys)
    assert ok, out

    def train_mode(model, loader, device):
        model.train()
        with torch.no_grad():
            correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in loader)
        return correct / len(loader.dataset)
    ok, out = verdict(nb05.eval_accuracy, train_mode, capsys=capsys)
    assert not ok and "model.eval()" in out

    def with_grad(model, loader, device):
        model.eval()
        correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in loader)
        return correct / len(loader.dataset)
    ok, out = verdict(nb05.eval_accuracy, with_grad, capsys=capsys)
    assert not ok and "torch.no_grad()" in out

    def counts(model, loader, device):
        return good_accuracy(model, loader, device) * len(loader.dataset)
    ok, out = verdict(nb05.eval_accuracy, counts, capsys=capsys)
    assert not ok and "teilen Sie" in out

    def batch_mean(model, loader, device):
        model.eval()
        with torch.no_grad():
            accs = [float((model(x).argmax(1) == y).float().mean()) for x, y in loader]
        return sum(accs) / len(accs)
    ok, out = verdict(nb05.eval_accuracy, batch_mean, capsys=capsys)
    assert not ok and "Stapel" in out


def test_eval_accuracy_not_done(capsys):
    def placeholder(model, loader, device):
        raise NotImplementedError()
    ok, out = verdict(nb05.eval_accuracy, placeholder, capsys=capsys)
    assert not ok and "noch offen" in out
    ok, out = verdict(nb05.eval_accuracy, lambda *args: None, capsys=capsys)
    assert not ok and "noch offen" in out


# --- Aufgabe 5.4 ---------------------------------------------------------------------------

class BlockBase(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def main(self, x):
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))


def block_with(forward):
    return type("Block", (BlockBase,), {"forward": forward})


def test_residual_block(capsys):
    good = block_with(lambda self, x: self.relu(self.main(x) + self.shortcut(x)))
    ok, out = verdict(nb05.residual_block, good, capsys=capsys)
    assert ok, out

    no_relu = block_with(lambda self, x: self.main(x) + self.shortcut(x))
    ok, out = verdict(nb05.residual_block, no_relu, capsys=capsys)
    assert not ok and "ReLU" in out

    no_skip = block_with(lambda self, x: self.relu(self.main(x)))
    ok, out = verdict(nb05.residual_block, no_skip, capsys=capsys)
    assert not ok and "shortcut" in out

    relu_first = block_with(lambda self, x: self.relu(self.main(x)) + self.shortcut(x))
    ok, out = verdict(nb05.residual_block, relu_first, capsys=capsys)
    assert not ok and "hinter die Addition" in out

    plain_x = block_with(lambda self, x: self.relu(self.main(x) + x))
    ok, out = verdict(nb05.residual_block, plain_x, capsys=capsys)
    assert not ok and "self.shortcut(x)" in out

    no_bn = block_with(lambda self, x: self.relu(
        self.conv2(self.relu(self.conv1(x))) + self.shortcut(x)))
    ok, out = verdict(nb05.residual_block, no_bn, capsys=capsys)
    assert not ok and "Reihenfolge" in out


def test_residual_block_not_done(capsys):
    def placeholder(self, x):
        raise NotImplementedError()
    ok, out = verdict(nb05.residual_block, block_with(placeholder), capsys=capsys)
    assert not ok and "noch offen" in out
    ok, out = verdict(nb05.residual_block, block_with(lambda self, x: None), capsys=capsys)
    assert not ok and "noch offen" in out
