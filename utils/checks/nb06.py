"""Self-checks of notebook 06 (Toxizität vorhersagen: Tox21 SR-MMP mit Morgan-Fingerprints).

Each check builds its own small inputs and tests the behaviour the student's function must
have: the ROC-AUC against scikit-learn, the masked multitask loss (value and gradients) against
:func:`utils.chem.masked_bce_with_logits`, the threshold by the balanced accuracy it reaches.
None of them shows the value the student is asked to compute.

Verwendet in Notebook 06.
"""

from __future__ import annotations

import math

import numpy as np

from utils.checks import Problem, call, exercise, expect_callable, torch_modules

# --- Aufgabe 6.1: ROC-AUC ------------------------------------------------------------------

_SMALL_Y, _SMALL_S = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]


def _roc_auc_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(labels, scores, what is special) – the first is small enough to count by hand."""
    rng = np.random.default_rng(4)
    cases = [
        (np.array(_SMALL_Y), np.array(_SMALL_S), "klein"),
        (np.array([1, 0, 1, 0, 0]), np.array([0.9, 0.8, 0.7, 0.1, 0.2]), "klein"),
        (np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.2, 0.9]), "Gleichstand"),
    ]
    for n in (30, 200):
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        cases.append((y, rng.normal(size=n) + y * rng.uniform(0, 2), "zufällig"))
    cases.append((cases[-1][0], np.round(cases[-1][1], 1), "Gleichstand"))
    cases.append((np.array([0, 1, 1, 0, 1]), np.full(5, 0.3), "Gleichstand"))
    return cases


@exercise("6.1", "ROC-AUC")
def roc_auc(fn):
    """``fn(y_true, scores)``: ROC-AUC, the share of correctly ordered (active, inactive) pairs."""
    from sklearn.metrics import roc_auc_score

    expect_callable(fn, "roc_auc")
    for y, s, kind in _roc_auc_cases():
        value = call(fn, y, s, what="roc_auc")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise Problem(f"roc_auc gibt {type(value).__name__} zurück, erwartet wird eine "
                          "Zahl.") from None
        expected = roc_auc_score(y, s)
        if abs(value - expected) <= 1e-9:
            continue
        if abs(value - (1 - expected)) <= 1e-9:
            raise Problem("Ihr Ergebnis ist 1 − ROC-AUC: Gezählt werden die Paare, in denen "
                          "das aktive Molekül den HÖHEREN Score hat.")
        if kind == "Gleichstand":
            raise Problem("Bei gleich hohen Scores stimmt Ihr Ergebnis nicht: Wie zählt ein "
                          "Paar aus einem aktiven und einem inaktiven Molekül mit demselben "
                          "Score? (Sind alle Scores gleich, muss 0,5 herauskommen.)")
        if not 0 <= value <= 1:
            raise Problem(f"Ihr Ergebnis {value:.4g} ist kein Anteil zwischen 0 und 1 – teilen "
                          "Sie die Zahl der richtig geordneten Paare durch die Zahl aller Paare.")
        if kind == "klein":
            raise Problem(f"Für y = {_SMALL_Y} und scores = {_SMALL_S} liefert Ihre Funktion "
                          f"{value:.4f}. Zählen Sie die Paare (aktiv, inaktiv) dort von Hand "
                          "nach: Es gibt 2 · 2 = 4 Paare.")
        raise Problem("Bei kleinen Beispielen stimmt Ihr Ergebnis, bei vielen Molekülen nicht: "
                      "Vergleichen Sie wirklich jedes aktive mit jedem inaktiven Molekül, also "
                      "alle n₊ · n₋ Paare?")
    torch, _ = torch_modules()
    y, s, _ = _roc_auc_cases()[3]
    try:
        value = float(fn(torch.as_tensor(y), torch.as_tensor(s)))
    except (TypeError, RuntimeError, IndexError) as exc:
        raise Problem("Mit PyTorch-Tensoren als Eingabe bricht Ihre Funktion ab "
                      f"({type(exc).__name__}) – wandeln Sie die Eingaben zu Beginn in "
                      "NumPy-Arrays um.") from None
    if abs(value - roc_auc_score(y, s)) > 1e-6:
        raise Problem("Mit PyTorch-Tensoren als Eingabe weicht das Ergebnis ab – wandeln Sie "
                      "die Eingaben zu Beginn in NumPy-Arrays um.")
    return "stimmt mit sklearn.metrics.roc_auc_score überein, auch bei Gleichständen."


# --- Aufgabe 6.3: loss with missing labels -------------------------------------------------

def _masked_inputs():
    torch, _ = torch_modules()
    generator = torch.Generator().manual_seed(6)
    logits = torch.randn(8, 5, generator=generator) * 2
    targets = (torch.rand(8, 5, generator=generator) > 0.7).float()
    missing = torch.rand(8, 5, generator=generator) < 0.4
    missing[0, :] = False  # every column measured at least once, and a few gaps for sure
    missing[1:4, 0] = True
    targets[missing] = float("nan")
    return logits, targets


@exercise("6.3", "Verlust mit fehlenden Labels")
def masked_bce(fn):
    """``fn(logits, targets)``: mean BCE over measured entries (``NaN`` = not measured)."""
    from utils.chem import masked_bce_with_logits

    torch, nn = torch_modules()
    functional = nn.functional
    expect_callable(fn, "masked_bce")
    logits, targets = _masked_inputs()
    leaf = logits.clone().requires_grad_(True)
    given_targets = targets.clone()
    loss = call(fn, leaf, given_targets, what="masked_bce")
    if not torch.is_tensor(loss):
        raise Problem(f"masked_bce gibt {type(loss).__name__} zurück, erwartet wird ein "
                      "PyTorch-Tensor – nur durch ihn kann backward() Gradienten schicken "
                      "(kein .item(), kein NumPy).")
    if loss.numel() != 1:
        raise Problem(f"masked_bce liefert einen Tensor der Form {tuple(loss.shape)}; erwartet "
                      "wird eine einzige Zahl, der Mittelwert.")
    if not torch.equal(torch.isnan(given_targets), torch.isnan(targets)):
        raise Problem("masked_bce verändert die übergebenen targets – die Label-Tabelle wird in "
                      "jeder Epoche wieder gebraucht. Arbeiten Sie mit einer Kopie.")
    if not loss.requires_grad:
        raise Problem("Der Verlust hängt nicht mehr von den Logits ab (kein Rechengraph) – "
                      "rechnen Sie durchgehend mit PyTorch, ohne .detach(), .item() oder NumPy.")
    value = float(loss.detach())
    if math.isnan(value):
        raise Problem("Das Ergebnis ist NaN: Die fehlenden Labels (NaN) gehen in die Rechnung "
                      "ein, und jede Rechnung mit NaN ergibt NaN – auch 0 · NaN.")
    measured = ~torch.isnan(targets)
    filled = torch.nan_to_num(targets)
    expected = float(masked_bce_with_logits(logits, targets))
    per_entry = functional.binary_cross_entropy_with_logits(logits, filled, reduction="none")
    wrong_answers = [
        (float((per_entry * measured).sum() / targets.numel()),
         "Sie teilen durch die Zahl aller Einträge; gemittelt wird nur über die gemessenen."),
        (float(per_entry.mean()),
         "Nicht gemessene Einträge zählen bei Ihnen als inaktiv (Label 0) mit – sie sollen "
         "gar nicht zählen."),
        (float(per_entry.sum() / measured.sum()),
         "Nicht gemessene Einträge zählen bei Ihnen als inaktiv (Label 0) mit – sie sollen "
         "gar nicht zählen."),
        (float(masked_bce_with_logits(torch.sigmoid(logits), targets)),
         "Sie wenden die Sigmoid zweimal an: Die Kreuzentropie aus Logits tut das schon selbst."),
    ]
    if abs(value - expected) > 1e-5 * max(1.0, abs(expected)):
        for wrong, hint in wrong_answers:
            if abs(value - wrong) <= 1e-5 * max(1.0, abs(wrong)):
                raise Problem(hint)
        raise Problem("Der Wert ist nicht die mittlere binäre Kreuzentropie über die gemessenen "
                      "Einträge. Prüfen Sie: Kreuzentropie aus Logits, pro Eintrag, nur "
                      "gemessene Einträge, durch deren Zahl geteilt.")
    loss.backward()
    if leaf.grad is None:
        raise Problem("Nach backward() haben die Logits keinen Gradienten – ist der Verlust "
                      "mit ihnen verbunden?")
    grad = leaf.grad.detach()
    if not torch.isfinite(grad).all():
        raise Problem("Der Wert stimmt, aber die Gradienten enthalten NaN: Beim Rückwärtsrechnen "
                      "gelangen die NaN-Labels in die Ableitung (0 · NaN = NaN). Ersetzen Sie die "
                      "fehlenden Labels, bevor Sie die Kreuzentropie berechnen.")
    if grad[~measured].abs().max() > 0:
        raise Problem("Nicht gemessene Einträge bekommen Gradienten – sie dürfen das Training "
                      "nicht beeinflussen.")
    reference = logits.clone().requires_grad_(True)
    masked_bce_with_logits(reference, targets).backward()
    if not torch.allclose(grad, reference.grad, rtol=1e-4, atol=1e-7):
        raise Problem("Der Wert stimmt, die Gradienten aber nicht – hängt der Verlust auf "
                      "ungewöhnliche Weise von den Logits ab?")
    return "Mittel über die gemessenen Einträge; Lücken bekommen keinen Gradienten."


# --- Aufgabe 6.4: threshold chosen on validation data ---------------------------------------

def _threshold_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(63)
    cases = [(np.array([0, 0, 0, 1, 0, 1, 1, 0]),
              np.array([0.1, 0.2, 0.2, 0.2, 0.3, 0.35, 0.9, 0.05]))]
    for n, share in ((300, 0.16), (120, 0.5)):
        y = (rng.random(n) < share).astype(int)
        logit = rng.normal(size=n) + 1.6 * y - 1.8
        cases.append((y, np.round(1 / (1 + np.exp(-logit)), 3)))
    y = (rng.random(80) < 0.2).astype(int)
    cases.append((y, rng.normal(size=80) * 3 + 2 * y))  # scores need not lie in [0, 1]
    return cases


def _balanced(y: np.ndarray, predicted: np.ndarray) -> float:
    positive, negative = y == 1, y == 0
    return 0.5 * (np.mean(predicted[positive]) + np.mean(~predicted[negative]))


@exercise("6.4", "Schwelle auf den Validierungsdaten")
def choose_threshold(fn):
    """``fn(y_true, scores)``: a threshold t maximising the balanced accuracy of ``scores >= t``."""
    expect_callable(fn, "choose_threshold")
    for y, s in _threshold_cases():
        result = call(fn, y.copy(), s.copy(), what="choose_threshold")
        try:
            t = float(result)
        except (TypeError, ValueError):
            raise Problem(f"choose_threshold gibt {type(result).__name__} zurück, erwartet wird "
                          "eine Zahl: die Schwelle.") from None
        values = np.unique(s)
        best = max(_balanced(y, s >= c) for c in values)
        reached = _balanced(y, s >= t)
        if reached >= best - 1e-12:
            continue
        if t == 0.5:
            raise Problem("Ihre Funktion gibt 0,5 zurück – die Schwelle soll aus den Daten "
                          "gewählt werden, nicht fest sein.")
        if t.is_integer() and not s.min() <= t <= s.max():
            raise Problem("Ihre Schwelle liegt außerhalb aller Scores und sieht aus wie eine "
                          "Position – geben Sie die Schwelle selbst zurück, nicht ihren Index.")
        if _balanced(y, s > t) >= best - 1e-12:
            raise Problem("Fast: Ihre Schwelle wäre richtig für die Regel „Score > t“. Verlangt "
                          "ist „Score ≥ t“ – ein Molekül mit Score genau t zählt als aktiv.")
        accuracy = np.mean((s >= t) == (y == 1))
        if accuracy >= max(np.mean((s >= c) == (y == 1)) for c in values) - 1e-12:
            raise Problem("Ihre Schwelle macht die Genauigkeit so groß wie möglich, nicht die "
                          "balancierte Genauigkeit. Bei seltenen Aktiven gewinnt die Genauigkeit, "
                          "wenn fast alles „inaktiv“ heißt.")
        if best - reached < 0.03:
            raise Problem("Knapp daneben: Eine andere Schwelle erreicht eine etwas höhere "
                          "balancierte Genauigkeit. Prüfen Sie alle Scores, die vorkommen, als "
                          "Kandidaten statt eines festen Rasters.")
        raise Problem("Bei Ihrer Schwelle ist die balancierte Genauigkeit deutlich kleiner als "
                      "möglich. Berechnen Sie für jeden Kandidaten Sensitivität und Spezifität "
                      "und nehmen Sie den Kandidaten mit dem größten Mittelwert der beiden.")
    return "bei Ihrer Schwelle ist die balancierte Genauigkeit so groß wie möglich."
