"""Self-checks of notebook 06 (Toxizität vorhersagen: Tox21 SR-MMP mit Morgan-Fingerprints).

Each check builds its own small inputs and tests the behaviour the student's function must
have (dtype and shape of the tensors, model output and Dropout, one correct optimisation
step, ROC-AUC on random scores compared with scikit-learn). None of them prints a solution.

Verwendet in Notebook 06.
"""

from __future__ import annotations

import copy

import numpy as np

from utils.checks import Problem, run_check


def _torch():
    import torch
    from torch import nn

    return torch, nn


def _callable(fn, what: str):
    if fn is None:
        raise NotImplementedError
    if not callable(fn):
        raise Problem(f"{what} soll eine Funktion sein, nicht {type(fn).__name__}.")
    return fn


# --- Aufgabe 6.1: fingerprints → tensors ---------------------------------------------------

def to_tensors(fn) -> bool:
    """``fn(features, labels)`` → ``(x, y)``: both as float32 tensors, shapes kept."""

    def check():
        torch, _ = _torch()
        _callable(fn, "to_tensors")
        rng = np.random.default_rng(6)
        features = rng.normal(size=(5, 16))  # float64, like standardised fingerprints
        labels = np.array([1, 0, 0, 1, 1], dtype=np.int64)
        result = fn(features, labels)
        if result is None:
            raise NotImplementedError
        if not isinstance(result, tuple) or len(result) != 2:
            raise Problem("to_tensors soll ein Paar (x, y) zurückgeben.")
        x, y = result
        if not (torch.is_tensor(x) and torch.is_tensor(y)):
            raise Problem(f"x und y sollen PyTorch-Tensoren sein (erhalten: {type(x).__name__}, "
                          f"{type(y).__name__}). Tipp: torch.as_tensor(…, dtype=…).")
        if x.dtype != torch.float32:
            raise Problem(f"x hat den Datentyp {x.dtype}; die Gewichte von nn.Linear sind "
                          "torch.float32, die Eingabe muss es auch sein.")
        if tuple(x.shape) != features.shape:
            raise Problem(f"x hat die Form {tuple(x.shape)}, erwartet wird {features.shape} "
                          "(ein Fingerprint pro Zeile).")
        if not np.allclose(x.detach().cpu().numpy(), features, atol=1e-6):
            raise Problem("x enthält andere Werte als features – nur den Datentyp ändern, "
                          "nicht runden oder umrechnen.")
        if y.dtype != torch.float32:
            raise Problem(f"y hat den Datentyp {y.dtype}; BCEWithLogitsLoss erwartet float32-Ziele "
                          "(0.0 oder 1.0).")
        if tuple(y.shape) != (5,):
            raise Problem(f"y hat die Form {tuple(y.shape)}, erwartet wird (5,) wie bei labels – "
                          "passend zur Ausgabe model(x).squeeze(1).")
        if not np.array_equal(y.detach().cpu().numpy(), labels.astype(np.float32)):
            raise Problem("y enthält nicht dieselben Werte wie labels.")
        # several assays per molecule, NaN = not measured
        table = np.array([[1.0, np.nan, 0.0], [0.0, 1.0, np.nan]])
        _, y2 = fn(features[:2], table)
        if tuple(y2.shape) != (2, 3) or y2.dtype != torch.float32:
            raise Problem("Für eine Label-Tabelle der Form (2, 3) soll y dieselbe Form behalten "
                          f"(erhalten: {tuple(y2.shape)}, {y2.dtype}) – nicht umformen.")
        if not np.array_equal(np.isnan(y2.detach().cpu().numpy()), np.isnan(table)):
            raise Problem("Fehlende Labels (NaN) müssen NaN bleiben – sie markieren "
                          "nicht gemessene Tests.")
        return "x und y sind float32, Formen und Werte bleiben erhalten."

    return run_check("Aufgabe 6.1 (Fingerprints als Tensoren)", check)


# --- Aufgabe 6.2: the model ----------------------------------------------------------------

def model(make_model) -> bool:
    """``make_model(n_inputs, n_outputs=1)``: MLP with Dropout, one logit per molecule and assay."""

    def check():
        torch, nn = _torch()
        _callable(make_model, "make_model")
        torch.manual_seed(0)
        net = make_model(64)
        if net is None:
            raise NotImplementedError
        if not isinstance(net, nn.Module):
            raise Problem(f"make_model gibt {type(net).__name__} zurück, erwartet wird ein "
                          "nn.Module (z. B. nn.Sequential).")
        x = torch.rand(8, 64)
        net.eval()
        try:
            with torch.no_grad():
                out = net(x)
        except RuntimeError as exc:
            raise Problem("Das Modell lässt sich nicht auf 8 Fingerprints der Länge 64 anwenden "
                          f"({str(exc).splitlines()[0]}). Nutzen Sie n_inputs für die erste "
                          "Schicht.") from None
        if tuple(out.shape) != (8, 1):
            raise Problem(f"Für 8 Moleküle liefert das Modell die Form {tuple(out.shape)}, "
                          "erwartet wird (8, 1): ein Logit pro Molekül.")
        modules = list(net.modules())
        if isinstance(modules[-1], nn.Sigmoid):
            raise Problem("Die letzte Schicht ist eine Sigmoid. BCEWithLogitsLoss erwartet Logits "
                          "und wendet die Sigmoid selbst (numerisch stabil) an – lassen Sie sie "
                          "weg.")
        if not any(isinstance(m, (nn.ReLU, nn.GELU, nn.LeakyReLU, nn.ELU, nn.SiLU, nn.Tanh))
                   for m in modules):
            raise Problem("Es fehlt eine Aktivierungsfunktion (z. B. nn.ReLU()) zwischen den "
                          "linearen Schichten.")
        if sum(isinstance(m, nn.Linear) for m in modules) < 2:
            raise Problem("Das Modell braucht mindestens eine verborgene Schicht (zwei nn.Linear).")
        if not any(isinstance(m, nn.Dropout) and m.p > 0 for m in modules):
            raise Problem("Es fehlt nn.Dropout (mit p > 0) gegen Überanpassung.")
        with torch.no_grad():
            again = net(x)
            net.train()
            noisy = net(x)
        if not torch.equal(out, again):
            raise Problem("Im eval()-Modus liefert das Modell zweimal verschiedene Ergebnisse.")
        if torch.allclose(out, noisy):
            raise Problem("Im train()-Modus verändert Dropout die Ausgabe nicht – ist p > 0 und "
                          "liegt Dropout hinter einer verborgenen Schicht?")
        try:
            with torch.no_grad():
                other = tuple(make_model(100).eval()(torch.rand(3, 100)).shape)
        except RuntimeError:
            other = None
        if other != (3, 1):
            raise Problem("make_model(100) passt nicht zu Eingaben der Länge 100 – die "
                          "Eingabegröße darf nicht fest eingetragen sein.")
        try:
            with torch.no_grad():
                multi = tuple(make_model(64, n_outputs=12).eval()(x).shape)
        except (TypeError, RuntimeError):
            multi = None
        if multi != (8, 12):
            raise Problem("make_model(64, n_outputs=12) soll 12 Logits pro Molekül liefern "
                          f"(Form (8, 12), erhalten: {multi}) – nutzen Sie n_outputs für die "
                          "letzte Schicht.")
        params = sum(p.numel() for p in net.parameters())
        return f"{params:,} Parameter bei 64 Eingängen.".replace(",", " ")

    return run_check("Aufgabe 6.2 (Modell)", check)


# --- Aufgabe 6.3: one training step --------------------------------------------------------

def train_step(fn) -> bool:
    """``fn(model, x, y, loss_fn, optimizer)``: one optimisation step, returns the loss as float."""

    def check():
        torch, nn = _torch()
        _callable(fn, "train_step")
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 1))
        x = torch.rand(10, 6)
        y = (torch.rand(10) > 0.5).float()
        loss_fn = nn.BCEWithLogitsLoss()
        reference = copy.deepcopy(net)
        initial = [p.detach().clone() for p in net.parameters()]
        optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
        for p in net.parameters():  # stale gradients from "the previous step"
            p.grad = torch.full_like(p, 100.0)
        net.eval()
        state = torch.get_rng_state()
        loss = fn(net, x, y, loss_fn, optimizer)
        if loss is None:
            raise NotImplementedError
        if torch.is_tensor(loss):
            raise Problem("train_step soll den Verlust als Python-Zahl zurückgeben "
                          "(loss.item()), nicht als Tensor – sonst hält die Liste der Verluste "
                          "den ganzen Rechengraphen fest.")
        if not isinstance(loss, float):
            raise Problem(f"train_step gibt {type(loss).__name__} zurück, erwartet wird float.")
        if not net.training:
            raise Problem("Das Modell ist nach train_step im eval()-Modus – rufen Sie "
                          "model.train() auf, damit Dropout beim Training wirkt.")
        # replay the correct step on the copy with the same random numbers (Dropout)
        torch.set_rng_state(state)
        reference.train()
        ref_opt = torch.optim.SGD(reference.parameters(), lr=0.5)
        ref_opt.zero_grad()
        ref_loss = loss_fn(reference(x).squeeze(1), y)
        ref_loss.backward()
        ref_opt.step()
        if abs(loss - ref_loss.item()) > 1e-5:
            raise Problem(f"Der zurückgegebene Verlust ({loss:.4f}) ist nicht der Verlust vor dem "
                          "Schritt. Berechnen Sie loss_fn(model(x).squeeze(1), y).")
        deltas = [float((a - b).detach().abs().max()) for a, b in
                  zip(net.parameters(), reference.parameters())]
        if all(torch.equal(p, q) for p, q in zip(net.parameters(), initial)):
            raise Problem("Die Gewichte haben sich nicht verändert – fehlt optimizer.step() "
                          "nach loss.backward()?")
        if max(deltas) > 1e-4:
            if max(deltas) > 10:
                raise Problem("Die Gewichte haben sich viel zu stark verändert – alte Gradienten "
                              "wurden mitgenommen. Rufen Sie optimizer.zero_grad() vor "
                              "loss.backward() auf.")
            raise Problem("Die Gewichte nach dem Schritt stimmen nicht: Reihenfolge "
                          "zero_grad() → Vorwärtsrechnung → Verlust → backward() → step().")
        return "zero_grad → Vorwärts → Verlust → backward → step."

    return run_check("Aufgabe 6.3 (Trainingsschritt)", check)


# --- Aufgabe 6.4: ROC-AUC ------------------------------------------------------------------

def roc_auc(fn) -> bool:
    """``fn(y_true, scores)``: ROC-AUC, the share of correctly ordered (active, inactive) pairs."""

    def check():
        from sklearn.metrics import roc_auc_score

        _callable(fn, "roc_auc")
        rng = np.random.default_rng(4)
        cases = [
            (np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])),        # 0.75
            (np.array([1, 0, 1, 0, 0]), np.array([0.9, 0.8, 0.7, 0.1, 0.2])),
            (np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.2, 0.9])),        # tie
        ]
        for n in (30, 200):
            y = rng.integers(0, 2, n)
            y[:2] = [0, 1]
            cases.append((y, rng.normal(size=n) + y * rng.uniform(0, 2)))
        cases.append((cases[-1][0], np.round(cases[-1][1], 1)))                 # many ties
        for k, (y, s) in enumerate(cases):
            value = fn(y, s)
            if value is None:
                raise NotImplementedError
            expected = roc_auc_score(y, s)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise Problem(f"roc_auc gibt {type(value).__name__} zurück, erwartet wird eine "
                              "Zahl.") from None
            if abs(value - expected) > 1e-9:
                if abs(value - (1 - expected)) < 1e-9:
                    raise Problem("Ihr Ergebnis ist 1 − ROC-AUC: Gezählt werden Paare, in denen "
                                  "das aktive Molekül den HÖHEREN Score hat.")
                tie_case = k == 2 or k == len(cases) - 1
                raise Problem(f"Für ein Testbeispiel ergibt Ihre Funktion {value:.4f}, richtig "
                              f"wäre {expected:.4f}." + (" Gleich hohe Scores zählen als halbes "
                                                        "richtig geordnetes Paar." if tie_case else
                                                        ""))
        # scores as a torch tensor must work, too
        torch, _ = _torch()
        y, s = cases[3]
        value = float(fn(torch.as_tensor(y), torch.as_tensor(s)))
        if abs(value - roc_auc_score(y, s)) > 1e-6:
            raise Problem("Mit Tensoren als Eingabe weicht das Ergebnis ab – wandeln Sie zu Beginn "
                          "mit np.asarray um.")
        return "stimmt mit sklearn.metrics.roc_auc_score überein, auch bei Gleichständen."

    return run_check("Aufgabe 6.4 (ROC-AUC)", check)
