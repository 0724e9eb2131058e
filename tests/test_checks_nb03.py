"""Tests of utils.checks.nb03: every check accepts a correct answer, gives each planted wrong
answer the hint meant for it, and reports an untouched placeholder (or ``None``) as open."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from utils.checks import CheckFailed, nb03


def placeholder(*args, **kwargs):
    raise NotImplementedError()


def assert_right(verdict):
    assert verdict.status == "richtig", verdict.message
    assert verdict.exercise and verdict.notebook == "03"


def assert_wrong(verdict, hint):
    assert verdict.status == "falsch", verdict.message
    assert hint in verdict.hint, verdict.hint


def assert_open(verdict):
    assert verdict.status == "offen", verdict.message


# --- Aufgabe 1.1 --------------------------------------------------------------------------

def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10))


def test_model_right():
    verdict = nb03.model_784_300_10.evaluate(make_model)
    assert_right(verdict)
    assert verdict.exercise == "1.1" and "238 510" in verdict.hint


@pytest.mark.parametrize("factory, hint", [
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), "verborgene Schicht"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10),
                           nn.Softmax(dim=1)), "Logits"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.Linear(300, 10)),
     "Aktivierungsfunktion"),
    (lambda: nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10)), "nn.Flatten"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10)),
     "in_features"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 300, bias=False), nn.ReLU(),
                           nn.Linear(300, 10, bias=False)), "Verzerrungen"),
    (lambda: "kein Modell", "nn.Module"),
    (lambda size: make_model(), "Parameter der Funktion"),
])
def test_model_wrong(factory, hint):
    assert_wrong(nb03.model_784_300_10.evaluate(factory), hint)


def test_model_wrong_never_shows_the_expected_count():
    wrong = lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.ReLU(),  # noqa: E731
                                  nn.Linear(200, 10))
    verdict = nb03.model_784_300_10.evaluate(wrong)
    assert "238 510" not in verdict.message and "238510" not in verdict.message


def test_model_same_object_every_call():
    shared = make_model()
    assert_wrong(nb03.model_784_300_10.evaluate(lambda: shared), "neues Modell")


@pytest.mark.parametrize("answer", [placeholder, lambda: None, None])
def test_model_open(answer):
    assert_open(nb03.model_784_300_10.evaluate(answer))


def test_model_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed):
        nb03.model_784_300_10(lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)))


def test_model_open_raises_only_in_strict_mode(monkeypatch, capsys):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed):
        nb03.model_784_300_10(placeholder)  # strict: nothing but "richtig" passes
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "0")
    assert nb03.model_784_300_10(placeholder).status == "offen"
    assert "noch offen" in capsys.readouterr().out


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


def step_with_own_loss(model, images, labels, loss_fn, optimizer):
    return train_step(model, images, labels, nn.CrossEntropyLoss(), optimizer)


def step_returning_loss_after(model, images, labels, loss_fn, optimizer):
    train_step(model, images, labels, loss_fn, optimizer)
    with torch.no_grad():
        return loss_fn(model(images), labels).item()


def step_twice(model, images, labels, loss_fn, optimizer):
    loss = train_step(model, images, labels, loss_fn, optimizer)
    train_step(model, images, labels, loss_fn, optimizer)
    return loss


def test_train_step_right():
    assert_right(nb03.train_step.evaluate(train_step))


@pytest.mark.parametrize("fn, hint", [
    (step_without_zero_grad, "summieren sich"),
    (step_without_train_mode, "model.train()"),
    (step_returning_tensor, "Tensor"),
    (step_without_update, "optimizer.step()"),
    (step_with_own_loss, "übergebenen Verlustfunktion"),
    (step_returning_loss_after, "vor dem Schritt"),
    (step_twice, "genau ein step"),
    (lambda *args: str(train_step(*args)), "als Zahl"),
    (lambda model, images: 0.0, "Parameter der Funktion"),
])
def test_train_step_wrong(fn, hint):
    assert_wrong(nb03.train_step.evaluate(fn), hint)


@pytest.mark.parametrize("answer", [placeholder, lambda *args: None, None])
def test_train_step_open(answer):
    assert_open(nb03.train_step.evaluate(answer))


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


def _body(model, loader, loss_fn, device):
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        outputs = model(images.to(device))
        total_loss += loss_fn(outputs, labels).item() * len(labels)
        correct += (outputs.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    return total_loss / seen, correct / seen


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


def evaluate_argmax_wrong_axis(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            outputs = model(images)
            total_loss += loss_fn(outputs, labels).item() * len(labels)
            correct += (outputs.argmax() == labels).sum().item()  # no dim
            seen += len(labels)
    return total_loss / seen, correct / seen


def test_evaluate_right():
    assert_right(nb03.evaluate_model.evaluate(evaluate_model))


@pytest.mark.parametrize("fn, hint", [
    (evaluate_mean_of_batches, "Stapel-Mittelwerte"),
    (evaluate_without_eval_mode, "model.eval()"),
    (evaluate_with_gradients, "torch.no_grad()"),
    (evaluate_counting, "teilen Sie"),
    (evaluate_argmax_wrong_axis, "größten Logit"),
    (lambda *args: 0.5, "Paar"),
])
def test_evaluate_wrong(fn, hint):
    assert_wrong(nb03.evaluate_model.evaluate(fn), hint)


@pytest.mark.parametrize("answer", [placeholder, lambda *args: None, None])
def test_evaluate_open(answer):
    assert_open(nb03.evaluate_model.evaluate(answer))


# --- Aufgabe 1.4 --------------------------------------------------------------------------

def full_batch_step(model, loader, loss_fn, optimizer, device):
    model.train()
    optimizer.zero_grad()
    n_total = len(loader.dataset)
    total = 0.0
    for images, labels in loader:
        loss = loss_fn(model(images.to(device)), labels.to(device))
        (loss * len(labels) / n_total).backward()
        total += loss.item() * len(labels)
    optimizer.step()
    return total / n_total


def _accumulate(model, loader, loss_fn, optimizer, *, weight, zero_each=False, step_each=False,
                zero_first=True, train=True, mean_of_means=False):
    """Variants of the accumulated step with one planted mistake each."""
    if train:
        model.train()
    if zero_first:
        optimizer.zero_grad()
    n_total, n_batches = len(loader.dataset), len(loader)
    total, means = 0.0, []
    for images, labels in loader:
        if zero_each:
            optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        (loss * weight(len(labels), n_total, n_batches)).backward()
        total += loss.item() * len(labels)
        means.append(loss.item())
        if step_each:
            optimizer.step()
    if not step_each:
        optimizer.step()
    return sum(means) / len(means) if mean_of_means else total / n_total


def _right_weight(size, n_total, n_batches):
    return size / n_total


def step_per_batch(*args):
    return _accumulate(*args[:4], weight=_right_weight, zero_each=True, step_each=True)


def step_last_batch_only(*args):
    return _accumulate(*args[:4], weight=_right_weight, zero_each=True)


def step_unweighted(*args):
    return _accumulate(*args[:4], weight=lambda size, n, k: 1.0)


def step_equal_batches(*args):
    return _accumulate(*args[:4], weight=lambda size, n, k: 1.0 / k)


def step_no_zero_grad(*args):
    return _accumulate(*args[:4], weight=_right_weight, zero_first=False)


def step_no_train_mode(*args):
    return _accumulate(*args[:4], weight=_right_weight, train=False)


def step_returns_mean_of_means(*args):
    return _accumulate(*args[:4], weight=_right_weight, mean_of_means=True)


def step_all_at_once(model, loader, loss_fn, optimizer, device):
    images = torch.cat([x for x, _ in loader])
    labels = torch.cat([y for _, y in loader])
    return train_step(model, images, labels, loss_fn, optimizer)


def step_returns_tensor(*args):
    return torch.tensor(full_batch_step(*args))


def test_full_batch_step_right():
    verdict = nb03.full_batch_step.evaluate(full_batch_step)
    assert_right(verdict)
    assert verdict.exercise == "1.4"


@pytest.mark.parametrize("fn, hint", [
    (step_per_batch, "nach jedem Stapel"),
    (step_last_batch_only, "Nur der letzte Stapel"),
    (step_unweighted, "einfach addiert"),
    (step_equal_batches, "gleich viel"),
    (step_no_zero_grad, "vorigen Aufrufs"),
    (step_no_train_mode, "model.train()"),
    (step_returns_mean_of_means, "Stapel-Mittelwerte"),
    (step_all_at_once, "Stapel von loader einzeln"),
    (step_returns_tensor, "Tensor"),
])
def test_full_batch_step_wrong(fn, hint):
    assert_wrong(nb03.full_batch_step.evaluate(fn), hint)


@pytest.mark.parametrize("answer", [placeholder, lambda *args: None, None])
def test_full_batch_step_open(answer):
    assert_open(nb03.full_batch_step.evaluate(answer))


# --- Aufgabe 2.1 --------------------------------------------------------------------------

def make_regularized_model(batchnorm=True, dropout=0.2):
    layers = [nn.Flatten(), nn.Linear(784, 300)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(300))
    layers += [nn.ReLU(), nn.Dropout(dropout), nn.Linear(300, 10)]
    return nn.Sequential(*layers)


def test_regularized_right():
    verdict = nb03.regularized_model.evaluate(make_regularized_model)
    assert_right(verdict)
    assert "239 110" in verdict.hint


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
        nn.Linear(300, 10)), "γ und β"),
    (_without_flag, "batchnorm=False"),
    (_fixed_rate, "dropout=0.5"),
    (lambda: make_regularized_model(), "Parameter der Funktion"),
])
def test_regularized_wrong(factory, hint):
    assert_wrong(nb03.regularized_model.evaluate(factory), hint)


def test_regularized_wrong_never_shows_the_count_of_1_1():
    verdict = nb03.regularized_model.evaluate(
        lambda batchnorm=True, dropout=0.2: nn.Sequential(
            nn.Flatten(), nn.Linear(784, 300), nn.BatchNorm1d(10), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(300, 10)))
    assert "238 510" not in verdict.message


@pytest.mark.parametrize("answer", [placeholder, lambda **kwargs: None, None])
def test_regularized_open(answer):
    assert_open(nb03.regularized_model.evaluate(answer))
