"""Tests of utils.checks.nb03: every check passes a correct answer, explains a wrong one and
reports an untouched placeholder as not yet done."""

from __future__ import annotations

import pytest
import torch
from torch import nn, optim

from utils.checks import nb03


def verdict(capsys, check, *args):
    passed = check(*args)
    return passed, capsys.readouterr().out


def placeholder(*args, **kwargs):
    raise NotImplementedError()


# --- Aufgabe 1.1 --------------------------------------------------------------------------

def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10))


def test_model_correct(capsys):
    passed, out = verdict(capsys, nb03.model_784_300_10, make_model)
    assert passed and "Richtig" in out and "238 510" in out


@pytest.mark.parametrize("factory, hint", [
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), "verborgene Schicht"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10),
                           nn.Softmax(dim=1)), "Logits"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.Linear(300, 10)),
     "Aktivierungsfunktion"),
    (lambda: nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10)), "nn.Flatten"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10)),
     "238 510"),
    (lambda: "kein Modell", "nn.Module"),
])
def test_model_wrong(capsys, factory, hint):
    passed, out = verdict(capsys, nb03.model_784_300_10, factory)
    assert not passed and "❌" in out and hint in out


def test_model_same_object_every_call(capsys):
    shared = make_model()
    passed, out = verdict(capsys, nb03.model_784_300_10, lambda: shared)
    assert not passed and "neues Modell" in out


def test_model_placeholder(capsys):
    passed, out = verdict(capsys, nb03.model_784_300_10, placeholder)
    assert not passed and "noch offen" in out


def test_model_strict_mode_raises(monkeypatch):
    from utils.checks import CheckFailed

    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed):
        nb03.model_784_300_10(lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)))


# --- Aufgabe 1.2 --------------------------------------------------------------------------

def train_step(model, images, labels, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_without_zero_grad(model, images, labels, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_without_train_mode(model, images, labels, loss_fn, optimizer):
    optimizer.zero_grad()
    loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_returning_tensor(model, images, labels, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss


def step_without_update(model, images, labels, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(images), labels)
    loss.backward()
    return loss.item()


def test_train_step_correct(capsys):
    passed, out = verdict(capsys, nb03.train_step, train_step)
    assert passed and "Richtig" in out


@pytest.mark.parametrize("fn, hint", [
    (step_without_zero_grad, "zero_grad"),
    (step_without_train_mode, "model.train()"),
    (step_returning_tensor, "loss.item()"),
    (step_without_update, "optimizer.step()"),
])
def test_train_step_wrong(capsys, fn, hint):
    passed, out = verdict(capsys, nb03.train_step, fn)
    assert not passed and "❌" in out and hint in out


def test_train_step_placeholder(capsys):
    passed, out = verdict(capsys, nb03.train_step, placeholder)
    assert not passed and "noch offen" in out


def test_train_step_returning_none_is_not_done(capsys):
    passed, out = verdict(capsys, nb03.train_step, lambda *args: None)
    assert not passed and "noch offen" in out


# --- Aufgabe 1.3 --------------------------------------------------------------------------

def evaluate_model(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            total_loss += loss_fn(outputs, labels).item() * len(labels)
            correct += (outputs.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
    return total_loss / seen, correct / seen


def evaluate_mean_of_batches(model, loader, loss_fn, device):
    model.eval()
    losses, correct, seen = [], 0, 0
    with torch.no_grad():
        for images, labels in loader:
            outputs = model(images.to(device))
            losses.append(loss_fn(outputs, labels).item())
            correct += (outputs.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
    return sum(losses) / len(losses), correct / seen


def evaluate_without_eval_mode(model, loader, loss_fn, device):
    model.train()
    with torch.no_grad():
        return _body(model, loader, loss_fn, device)


def evaluate_with_gradients(model, loader, loss_fn, device):
    model.eval()
    return _body(model, loader, loss_fn, device)


def evaluate_counting(model, loader, loss_fn, device):
    loss, acc = evaluate_model(model, loader, loss_fn, device)
    return loss, acc * len(loader.dataset)


def _body(model, loader, loss_fn, device):
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        outputs = model(images.to(device))
        total_loss += loss_fn(outputs, labels).item() * len(labels)
        correct += (outputs.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    return total_loss / seen, correct / seen


def test_evaluate_correct(capsys):
    passed, out = verdict(capsys, nb03.evaluate_model, evaluate_model)
    assert passed and "Richtig" in out


@pytest.mark.parametrize("fn, hint", [
    (evaluate_mean_of_batches, "Stapel-Mittelwerte"),
    (evaluate_without_eval_mode, "model.eval()"),
    (evaluate_with_gradients, "torch.no_grad()"),
    (evaluate_counting, "teilen Sie"),
    (lambda *args: 0.5, "Paar"),
])
def test_evaluate_wrong(capsys, fn, hint):
    passed, out = verdict(capsys, nb03.evaluate_model, fn)
    assert not passed and "❌" in out and hint in out


def test_evaluate_placeholder(capsys):
    passed, out = verdict(capsys, nb03.evaluate_model, placeholder)
    assert not passed and "noch offen" in out


# --- Aufgabe 2.1 --------------------------------------------------------------------------

def make_regularized_model(batchnorm=True, dropout=0.2):
    layers = [nn.Flatten(), nn.Linear(784, 300)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(300))
    layers += [nn.ReLU(), nn.Dropout(dropout), nn.Linear(300, 10)]
    return nn.Sequential(*layers)


def test_regularized_correct(capsys):
    passed, out = verdict(capsys, nb03.regularized_model, make_regularized_model)
    assert passed and "Richtig" in out and "239 110" in out


def _without_flag(batchnorm=True, dropout=0.2):
    return make_regularized_model(True, dropout)


def _fixed_rate(batchnorm=True, dropout=0.2):
    return make_regularized_model(batchnorm, 0.2)


def _dropout_after_logits(batchnorm=True, dropout=0.2):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.BatchNorm1d(300), nn.ReLU(),
                         nn.Linear(300, 10), nn.Dropout(dropout))


@pytest.mark.parametrize("factory, hint", [
    (lambda batchnorm=True, dropout=0.2: make_model(), "BatchNorm1d"),
    (lambda batchnorm=True, dropout=0.5: make_regularized_model(batchnorm, dropout),
     "Dropout-Rate"),
    (_dropout_after_logits, "letzten linearen"),
    (lambda batchnorm=True, dropout=0.2: nn.Sequential(
        nn.Flatten(), nn.Linear(784, 300), nn.BatchNorm1d(10), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(300, 10)), "Parameter"),
    (_without_flag, "batchnorm=False"),
    (_fixed_rate, "dropout=0.5"),
    (lambda: make_regularized_model(), "Argumente"),
])
def test_regularized_wrong(capsys, factory, hint):
    passed, out = verdict(capsys, nb03.regularized_model, factory)
    assert not passed and "❌" in out and hint in out


def test_regularized_placeholder(capsys):
    passed, out = verdict(capsys, nb03.regularized_model, placeholder)
    assert not passed and "noch offen" in out


# --- Aufgabe 2.2 --------------------------------------------------------------------------

def test_adam_correct(capsys):
    passed, out = verdict(capsys, nb03.adam_optimizer,
                          lambda model: optim.Adam(model.parameters(), lr=1e-3))
    assert passed and "Richtig" in out


@pytest.mark.parametrize("factory, hint", [
    (lambda model: optim.SGD(model.parameters(), lr=0.1), "torch.optim.Adam"),
    (lambda model: optim.Adam(model.parameters(), lr=0.1), "zu groß"),
    (lambda model: optim.Adam(list(model.parameters())[:2], lr=1e-3), "Parameter"),
    (lambda model: optim.Adam(nn.Linear(2, 2).parameters(), lr=1e-3), "Parameter"),
])
def test_adam_wrong(capsys, factory, hint):
    passed, out = verdict(capsys, nb03.adam_optimizer, factory)
    assert not passed and "❌" in out and hint in out


def test_adam_placeholder(capsys):
    passed, out = verdict(capsys, nb03.adam_optimizer, placeholder)
    assert not passed and "noch offen" in out
