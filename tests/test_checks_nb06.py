"""Self-checks of notebook 06: each passes on a correct answer, fails with a helpful message on
a wrong one and reports "noch nicht bearbeitet" on an empty one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from utils.checks import CheckFailed, nb06


def verdict(capsys, check, answer):
    passed = check(answer)
    return passed, capsys.readouterr().out


def not_implemented(*args, **kwargs):
    raise NotImplementedError()


def returns_none(*args, **kwargs):
    return None


# --- 6.1 to_tensors ---------------------------------------------------------------------------

def to_tensors_ok(features, labels):
    return (torch.as_tensor(features, dtype=torch.float32),
            torch.as_tensor(labels, dtype=torch.float32))


def test_to_tensors_passes(capsys):
    passed, out = verdict(capsys, nb06.to_tensors, to_tensors_ok)
    assert passed and "✅" in out


def test_to_tensors_numpy_route_passes(capsys):
    def numpy_route(features, labels):
        return (torch.from_numpy(np.asarray(features, dtype=np.float32)),
                torch.from_numpy(np.asarray(labels, dtype=np.float32)))

    assert verdict(capsys, nb06.to_tensors, numpy_route)[0]


@pytest.mark.parametrize("wrong, message", [
    (lambda f, l: (torch.as_tensor(f), torch.as_tensor(l).float()), "torch.float32"),
    (lambda f, l: (torch.as_tensor(f).half().float(), torch.as_tensor(l).float()),
     "andere Werte"),
    (lambda f, l: (torch.as_tensor(f).float(), torch.as_tensor(l)), "float32-Ziele"),
    (lambda f, l: (torch.as_tensor(f).float(), torch.as_tensor(l).float().reshape(len(l), -1)),
     "Form"),
    (lambda f, l: (torch.as_tensor(f).float(), torch.as_tensor(l).float().reshape(-1)),
     "Label-Tabelle"),
    (lambda f, l: (torch.as_tensor(f).float(), torch.nan_to_num(torch.as_tensor(l).float())),
     "NaN"),
    (lambda f, l: (torch.as_tensor(f).float().T, torch.as_tensor(l).float()), "Form"),
    (lambda f, l: (np.asarray(f, dtype=np.float32), l), "PyTorch-Tensoren"),
    (lambda f, l: torch.as_tensor(f), "Paar"),
])
def test_to_tensors_fails_helpfully(capsys, wrong, message):
    passed, out = verdict(capsys, nb06.to_tensors, wrong)
    assert not passed and "❌" in out and message in out, out


@pytest.mark.parametrize("empty", [not_implemented, returns_none, None])
def test_to_tensors_not_done(capsys, empty):
    passed, out = verdict(capsys, nb06.to_tensors, empty)
    assert not passed and "noch offen" in out


# --- 6.2 model ------------------------------------------------------------------------------

def make_model_ok(n_inputs, n_outputs=1):
    return nn.Sequential(nn.Dropout(0.2), nn.Linear(n_inputs, 32), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(32, n_outputs))


def test_model_passes(capsys):
    passed, out = verdict(capsys, nb06.model, make_model_ok)
    assert passed and "Parameter" in out


@pytest.mark.parametrize("wrong, message", [
    (lambda n: nn.Sequential(nn.Linear(n, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 1),
                             nn.Sigmoid()), "Sigmoid"),
    (lambda n: nn.Sequential(nn.Linear(n, 32), nn.ReLU(), nn.Linear(32, 1)), "Dropout"),
    (lambda n: nn.Sequential(nn.Linear(n, 32), nn.Dropout(0.5), nn.Linear(32, 1)),
     "Aktivierungsfunktion"),
    (lambda n: nn.Sequential(nn.Dropout(0.3), nn.Linear(n, 1), nn.ReLU()), "verborgene Schicht"),
    (lambda n: nn.Sequential(nn.Linear(n, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 2)),
     "(8, 2)"),
    (lambda n: nn.Sequential(nn.Linear(2048, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 1)),
     "nicht auf 8 Fingerprints"),
    (lambda n: nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 1)),
     "fest eingetragen"),
    (lambda n: "MLP", "nn.Module"),
    (lambda n, n_outputs=1: nn.Sequential(nn.Linear(n, 32), nn.ReLU(), nn.Dropout(0.5),
                                          nn.Linear(32, 1)), "n_outputs=12"),
])
def test_model_fails_helpfully(capsys, wrong, message):
    passed, out = verdict(capsys, nb06.model, wrong)
    assert not passed and message in out, out


@pytest.mark.parametrize("empty", [not_implemented, returns_none])
def test_model_not_done(capsys, empty):
    passed, out = verdict(capsys, nb06.model, empty)
    assert not passed and "noch offen" in out


# --- 6.3 train_step -------------------------------------------------------------------------

def train_step_ok(model, x, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x).squeeze(1), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_train_step_passes(capsys):
    passed, out = verdict(capsys, nb06.train_step, train_step_ok)
    assert passed and "✅" in out


def _no_zero_grad(model, x, y, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(x).squeeze(1), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _no_step(model, x, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x).squeeze(1), y)
    loss.backward()
    return loss.item()


def _no_train_mode(model, x, y, loss_fn, optimizer):
    optimizer.zero_grad()
    loss = loss_fn(model(x).squeeze(1), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _returns_tensor(model, x, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x).squeeze(1), y)
    loss.backward()
    optimizer.step()
    return loss


def _loss_after_step(model, x, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x).squeeze(1), y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        return loss_fn(model(x).squeeze(1), y).item()


@pytest.mark.parametrize("wrong, message", [
    (_no_zero_grad, "zero_grad"),
    (_no_step, "optimizer.step()"),
    (_no_train_mode, "model.train()"),
    (_returns_tensor, "loss.item()"),
    (_loss_after_step, "vor dem Schritt"),
])
def test_train_step_fails_helpfully(capsys, wrong, message):
    passed, out = verdict(capsys, nb06.train_step, wrong)
    assert not passed and message in out, out


@pytest.mark.parametrize("empty", [not_implemented, returns_none])
def test_train_step_not_done(capsys, empty):
    passed, out = verdict(capsys, nb06.train_step, empty)
    assert not passed and "noch offen" in out


# --- 6.4 roc_auc ----------------------------------------------------------------------------

def roc_auc_ok(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def test_roc_auc_passes(capsys):
    passed, out = verdict(capsys, nb06.roc_auc, roc_auc_ok)
    assert passed and "sklearn" in out


def _ignores_ties(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    diff = scores[y_true == 1][:, None] - scores[y_true == 0][None, :]
    return float((diff > 0).mean())


def _inverted(y_true, scores):
    return 1 - roc_auc_ok(y_true, scores)


def _accuracy(y_true, scores):
    return float(np.mean((np.asarray(scores) > 0.5) == np.asarray(y_true)))


@pytest.mark.parametrize("wrong, message", [
    (_ignores_ties, "halbes"),
    (_inverted, "1 − ROC-AUC"),
    (_accuracy, "richtig wäre"),
    (lambda y, s: "0.8", "richtig wäre"),
    (lambda y, s: [1, 2], "Zahl"),
])
def test_roc_auc_fails_helpfully(capsys, wrong, message):
    passed, out = verdict(capsys, nb06.roc_auc, wrong)
    assert not passed and message in out, out


@pytest.mark.parametrize("empty", [not_implemented, returns_none])
def test_roc_auc_not_done(capsys, empty):
    passed, out = verdict(capsys, nb06.roc_auc, empty)
    assert not passed and "noch offen" in out


def test_strict_mode_raises(monkeypatch, capsys):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed):
        nb06.roc_auc(_inverted)
