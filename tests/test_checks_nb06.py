"""Self-checks of notebook 06, each tested three ways: right ("richtig"), wrong with the hint
meant for that wrong answer ("falsch"), empty ("offen")."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score
from torch import nn

from utils.checks import CheckFailed, nb06


def not_implemented(*args, **kwargs):
    raise NotImplementedError("Ersetzen Sie diese Zeile durch Ihre Lösung.")


def returns_none(*args, **kwargs):
    return None


EMPTY = [None, not_implemented, returns_none]


def assert_right(verdict):
    assert verdict.status == "richtig", verdict.message


def assert_wrong(verdict, words):
    assert verdict.status == "falsch", verdict.message
    assert words in verdict.hint, verdict.hint


# --- 6.1 roc_auc ----------------------------------------------------------------------------

def roc_auc_ok(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    diff = scores[y_true == 1][:, None] - scores[y_true == 0][None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def roc_auc_loops(y_true, scores):
    y_true, scores = list(np.asarray(y_true)), list(np.asarray(scores, dtype=float))
    pairs = [(p, n) for p, yp in zip(scores, y_true) if yp == 1
             for n, yn in zip(scores, y_true) if yn == 0]
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


@pytest.mark.parametrize("right", [roc_auc_ok, roc_auc_loops])
def test_roc_auc_right(right):
    verdict = nb06.roc_auc.evaluate(right)
    assert_right(verdict)
    assert "sklearn" in verdict.hint


def _ignores_ties(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    diff = scores[y_true == 1][:, None] - scores[y_true == 0][None, :]
    return float((diff > 0).mean())


def _inverted(y_true, scores):
    return 1 - roc_auc_ok(y_true, scores)


def _count_not_share(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    diff = scores[y_true == 1][:, None] - scores[y_true == 0][None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).sum())


def _accuracy(y_true, scores):
    return float(np.mean((np.asarray(scores) > 0.5) == np.asarray(y_true)))


def _zipped_pairs(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    n = min(len(pos), len(neg))
    diff = pos[:n] - neg[:n]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def _first_fifty(y_true, scores):  # "for speed" only part of the molecules
    return roc_auc_ok(np.asarray(y_true)[:50], np.asarray(scores)[:50])


def _numpy_only(y_true, scores):
    if isinstance(scores, torch.Tensor):
        raise TypeError("tensor")
    return roc_auc_ok(y_true, scores)


@pytest.mark.parametrize("wrong, words", [
    (_ignores_ties, "gleich hohen Scores"),
    (_inverted, "1 − ROC-AUC"),
    (_count_not_share, "Anteil"),
    (_accuracy, "von Hand"),
    (_zipped_pairs, "4 Paare"),
    (_first_fifty, "alle n₊ · n₋ Paare"),
    (lambda y, s: [1, 2], "Zahl"),
    (_numpy_only, "PyTorch-Tensoren"),
])
def test_roc_auc_wrong(wrong, words):
    verdict = nb06.roc_auc.evaluate(wrong)
    assert_wrong(verdict, words)
    assert "0.7500" not in verdict.hint  # the value asked for is never shown


@pytest.mark.parametrize("empty", EMPTY)
def test_roc_auc_open(empty):
    assert nb06.roc_auc.evaluate(empty).status == "offen"


# --- 6.3 masked_bce -------------------------------------------------------------------------

F = nn.functional


def masked_ok(logits, targets):
    measured = ~torch.isnan(targets)
    losses = F.binary_cross_entropy_with_logits(
        logits, torch.where(measured, targets, torch.zeros_like(targets)), reduction="none")
    return (losses * measured).sum() / measured.sum()


def masked_by_indexing(logits, targets):
    measured = ~torch.isnan(targets)
    return F.binary_cross_entropy_with_logits(logits[measured], targets[measured])


@pytest.mark.parametrize("right", [masked_ok, masked_by_indexing])
def test_masked_bce_right(right):
    assert_right(nb06.masked_bce.evaluate(right))


def _nan_times_mask(logits, targets):
    measured = ~torch.isnan(targets)
    losses = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    return (losses * measured).sum() / measured.sum()


def _nanmean(logits, targets):
    return torch.nanmean(F.binary_cross_entropy_with_logits(logits, targets, reduction="none"))


def _all_entries(logits, targets):
    measured = ~torch.isnan(targets)
    losses = F.binary_cross_entropy_with_logits(logits, torch.nan_to_num(targets),
                                                reduction="none")
    return (losses * measured).mean()


def _missing_as_zero(logits, targets):
    return F.binary_cross_entropy_with_logits(logits, torch.nan_to_num(targets))


def _double_sigmoid(logits, targets):
    return masked_ok(torch.sigmoid(logits), targets)


def _item(logits, targets):
    return masked_ok(logits, targets).item()


def _per_entry(logits, targets):
    measured = ~torch.isnan(targets)
    return F.binary_cross_entropy_with_logits(logits, torch.nan_to_num(targets),
                                              reduction="none") * measured


def _detached(logits, targets):
    return masked_ok(logits.detach(), targets)


def _in_place(logits, targets):
    measured = ~torch.isnan(targets)
    targets[~measured] = 0.0
    losses = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    return (losses * measured).sum() / measured.sum()


@pytest.mark.parametrize("wrong, words", [
    (_nan_times_mask, "NaN"),
    (_nanmean, "Gradienten enthalten NaN"),
    (_all_entries, "aller Einträge"),
    (_missing_as_zero, "als inaktiv"),
    (_double_sigmoid, "Sigmoid zweimal"),
    (_item, "PyTorch-Tensor"),
    (_per_entry, "einzige Zahl"),
    (_detached, "Rechengraph"),
    (_in_place, "verändert die übergebenen targets"),
    (lambda logits: logits.sum(), "Parameter"),
])
def test_masked_bce_wrong(wrong, words):
    assert_wrong(nb06.masked_bce.evaluate(wrong), words)


@pytest.mark.parametrize("empty", EMPTY)
def test_masked_bce_open(empty):
    assert nb06.masked_bce.evaluate(empty).status == "offen"


# --- 6.4 choose_threshold -------------------------------------------------------------------

def threshold_ok(y_true, scores):
    y, s = np.asarray(y_true), np.asarray(scores, dtype=float)
    candidates = np.unique(s)
    quality = [balanced_accuracy_score(y, s >= t) for t in candidates]
    return float(candidates[int(np.argmax(quality))])


def threshold_roc_curve(y_true, scores):
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(y_true, scores)
    return thresholds[np.argmax(tpr - fpr)]


@pytest.mark.parametrize("right", [threshold_ok, threshold_roc_curve])
def test_choose_threshold_right(right):
    verdict = nb06.choose_threshold.evaluate(right)
    assert_right(verdict)


def _fixed(y_true, scores):
    return 0.5


def _index(y_true, scores):
    y, s = np.asarray(y_true), np.asarray(scores, dtype=float)
    candidates = np.unique(s)
    return int(np.argmax([balanced_accuracy_score(y, s >= t) for t in candidates])) + 2


def _strictly_greater(y_true, scores):
    y, s = np.asarray(y_true), np.asarray(scores, dtype=float)
    candidates = np.unique(s)
    return float(candidates[int(np.argmax([balanced_accuracy_score(y, s > t)
                                           for t in candidates]))])


def _max_accuracy(y_true, scores):
    y, s = np.asarray(y_true), np.asarray(scores, dtype=float)
    candidates = np.unique(s)
    return float(candidates[int(np.argmax([np.mean((s >= t) == y) for t in candidates]))])


def _grid(y_true, scores):
    y, s = np.asarray(y_true), np.asarray(scores, dtype=float)
    grid = np.linspace(s.min(), s.max(), 7)
    return float(grid[int(np.argmax([balanced_accuracy_score(y, s >= t) for t in grid]))])


def _median(y_true, scores):
    return float(np.median(scores))


@pytest.mark.parametrize("wrong, words", [
    (_fixed, "0,5"),
    (_index, "Index"),
    (_strictly_greater, "Score ≥ t"),
    (_max_accuracy, "nicht die balancierte Genauigkeit"),
    (_median, "deutlich kleiner"),
    (lambda y, s: "hoch", "eine Zahl"),
])
def test_choose_threshold_wrong(wrong, words):
    assert_wrong(nb06.choose_threshold.evaluate(wrong), words)


def test_choose_threshold_coarse_grid_gets_a_hint():
    verdict = nb06.choose_threshold.evaluate(_grid)
    assert verdict.status == "falsch"
    assert "Kandidaten" in verdict.hint


@pytest.mark.parametrize("empty", EMPTY)
def test_choose_threshold_open(empty):
    assert nb06.choose_threshold.evaluate(empty).status == "offen"


# --- framework integration --------------------------------------------------------------------

def test_ids_and_notebook():
    assert [(c.notebook, c.exercise) for c in (nb06.roc_auc, nb06.masked_bce,
                                                nb06.choose_threshold)] == [
        ("06", "6.1"), ("06", "6.3"), ("06", "6.4")]


def test_strict_mode_raises(monkeypatch, capsys):
    monkeypatch.setenv("NNKURS_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed):
        nb06.roc_auc(_inverted)
    assert "1 − ROC-AUC" in capsys.readouterr().out
