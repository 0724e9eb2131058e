"""Self-checks of notebook 03 (Training mit PyTorch).

Each check builds its own small inputs and compares the student's function with the behaviour
it must have (parameter counts, output shapes, ``train()``/``eval()`` mode, gradients, loss
averaged per sample). None of them prints or reveals a solution.

Verwendet in Notebook 03.
"""

from __future__ import annotations

import copy

import numpy as np

from utils.checks import Problem, run_check

#: 784·300 + 300 (hidden layer) + 300·10 + 10 (output layer)
PARAMS_784_300_10 = 238_510
#: the same plus γ and β of a BatchNorm1d(300)
PARAMS_WITH_BATCHNORM = PARAMS_784_300_10 + 2 * 300


def _torch():
    import torch
    from torch import nn

    return torch, nn


def _n(number: int) -> str:
    """``238510`` → ``"238 510"`` (German digit grouping)."""
    return f"{number:,}".replace(",", " ")


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _call_factory(factory, what: str, **kwargs):
    """Call a model factory; Problem unless it returns an ``nn.Module``."""
    _, nn = _torch()
    if not callable(factory):
        raise Problem(f"{what} soll eine Funktion sein, die ein Modell zurückgibt.")
    try:
        model = factory(**kwargs)
    except TypeError as exc:
        if not kwargs or "argument" not in str(exc):
            raise
        raise Problem(f"{what} muss die Argumente {', '.join(kwargs)} annehmen "
                      f"({exc}).") from None
    if model is None:
        raise NotImplementedError
    if not isinstance(model, nn.Module):
        raise Problem(f"{what}() gibt {type(model).__name__} zurück, erwartet wird ein "
                      "nn.Module (z. B. nn.Sequential).")
    return model


def _forward_images(model, n: int = 5):
    """Run ``n`` MNIST-shaped images ``(n, 1, 28, 28)`` through ``model``; returns the output."""
    torch, _ = _torch()
    torch.manual_seed(0)
    x = torch.rand(n, 1, 28, 28)
    try:
        with torch.no_grad():
            return model(x)
    except RuntimeError as exc:
        raise Problem(
            "Das Modell lässt sich nicht auf Bilder der Form (n, 1, 28, 28) anwenden "
            f"({str(exc).splitlines()[0]}). Beginnen Sie mit nn.Flatten() und prüfen Sie, ob "
            "die Größen aufeinanderfolgender Schichten zusammenpassen."
        ) from None


def _expect_logits(model, output, n: int = 5) -> None:
    torch, nn = _torch()
    if tuple(output.shape) != (n, 10):
        raise Problem(f"Für {n} Bilder liefert das Modell die Form {tuple(output.shape)}, "
                      f"erwartet wird ({n}, 10): ein Wert (Logit) pro Ziffer.")
    last = list(model.modules())[-1]
    if isinstance(last, (nn.Softmax, nn.LogSoftmax, nn.Sigmoid)):
        raise Problem("Die letzte Schicht ist eine Softmax/Sigmoid. nn.CrossEntropyLoss erwartet "
                      "Logits und wendet log-Softmax selbst an – lassen Sie sie weg.")
    if not any(isinstance(m, (nn.ReLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU))
               for m in model.modules()):
        raise Problem("Im Modell fehlt eine Aktivierungsfunktion (z. B. nn.ReLU()) zwischen den "
                      "linearen Schichten – ohne sie ist das Netz nur eine lineare Abbildung.")


def model_784_300_10(make_model) -> bool:
    """Aufgabe 1.1: ``make_model()`` returns a fresh 784-300-10 network producing logits."""

    def check():
        _, nn = _torch()
        model = _call_factory(make_model, "make_model")
        count = _count(model)
        if count == 784 * 10 + 10:
            raise Problem("Das Modell hat nur 7 850 Parameter – die verborgene Schicht mit 300 "
                          "Neuronen fehlt.")
        if count != PARAMS_784_300_10:
            raise Problem(f"Das Modell hat {_n(count)} Parameter, erwartet werden "
                          f"{_n(PARAMS_784_300_10)} (784·300 + 300 + 300·10 + 10). Prüfen Sie "
                          "die Größen der nn.Linear-Schichten.")
        _expect_logits(model, _forward_images(model))
        if make_model() is model:
            raise Problem("make_model() gibt bei jedem Aufruf dasselbe Objekt zurück; jede "
                          "Trainingsvariante braucht aber ein neues Modell.")
        layers = sum(isinstance(m, nn.Linear) for m in model.modules())
        return f"{layers} lineare Schichten, {_n(count)} Parameter."

    return run_check("Aufgabe 1.1 (Modell 784-300-10)", check)


class _Probe:
    """Factory for a module that records ``training`` and grad mode at every forward call."""

    @staticmethod
    def make():
        torch, nn = _torch()

        class Probe(nn.Module):
            def __init__(self):
                super().__init__()
                self.calls: list[tuple[bool, bool]] = []

            def forward(self, x):
                self.calls.append((self.training, torch.is_grad_enabled()))
                return x

        return Probe()


def _small_model(seed: int = 0):
    torch, nn = _torch()
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), _Probe.make(), nn.ReLU(), nn.Linear(5, 3))


def _reference_step(model, x, y, loss_fn, optimizer) -> float:
    """The course's own step: ``utils.training.train_epoch`` on a single batch.

    (Not spelled out here: the exercise bundle must not contain the solution, tests/test_dist.py.)
    """
    from utils.training import train_epoch

    loss, _ = train_epoch(model, [(x, y)], loss_fn, optimizer, "cpu")
    return loss


def train_step(train_step_fn) -> bool:
    """Aufgabe 1.2: one optimisation step; compared with a reference on a small network."""

    def check():
        torch, nn = _torch()
        if not callable(train_step_fn):
            raise Problem("train_step soll eine Funktion sein.")
        torch.manual_seed(1)
        x, y = torch.randn(8, 6), torch.randint(0, 3, (8,))
        student, reference = _small_model(), _small_model()
        student.eval()  # the step has to switch to training mode itself
        loss_fn = nn.CrossEntropyLoss()
        opt_s = torch.optim.SGD(student.parameters(), lr=0.5)
        opt_r = torch.optim.SGD(reference.parameters(), lr=0.5)
        before = [p.detach().clone() for p in student.parameters()]
        for step in (1, 2):
            with torch.no_grad():
                expected_loss = loss_fn(student(x), y).item()
            probe = student[1]
            probe.calls.clear()
            result = train_step_fn(student, x, y, loss_fn, opt_s)
            if result is None and not probe.calls:
                raise NotImplementedError
            if result is None:
                raise Problem("train_step gibt nichts zurück. Geben Sie am Ende loss.item() "
                              "zurück.")
            if not probe.calls:
                raise Problem("train_step ruft das Modell nicht auf (Vorwärtsdurchlauf fehlt).")
            if not all(training for training, _ in probe.calls):
                raise Problem("Das Modell war beim Training im eval()-Modus. Rufen Sie zu Beginn "
                              "model.train() auf (Dropout und BatchNorm verhalten sich sonst "
                              "anders).")
            if isinstance(result, torch.Tensor):
                raise Problem("train_step gibt einen Tensor zurück. Geben Sie loss.item() zurück "
                              "(eine Python-Zahl): Ein gespeicherter Tensor hält den ganzen "
                              "Rechengraphen im Speicher.")
            if not isinstance(result, (float, int, np.floating)):
                raise Problem(f"train_step gibt {type(result).__name__} zurück, erwartet wird "
                              "der Verlust als Zahl (loss.item()).")
            ref_loss = _reference_step(reference, x, y, loss_fn, opt_r)
            if step == 1 and all(torch.equal(a, b) for a, b in zip(before, student.parameters())):
                raise Problem("Die Gewichte haben sich nicht verändert. Fehlen loss.backward() "
                              "oder optimizer.step()?")
            if not np.isclose(float(result), expected_loss, rtol=1e-4, atol=1e-6):
                raise Problem(f"Der zurückgegebene Verlust ({float(result):.4f}) ist nicht der "
                              f"Verlust des Stapels vor dem Schritt ({expected_loss:.4f}).")
            if not np.isclose(ref_loss, expected_loss, rtol=1e-4, atol=1e-6):
                raise Problem("Das Modell wurde außerhalb des Schritts verändert.")
            same = all(torch.allclose(a, b, atol=1e-6)
                       for a, b in zip(student.parameters(), reference.parameters()))
            if not same:
                if step == 2:
                    raise Problem("Der erste Schritt stimmt, der zweite nicht: Die Gradienten "
                                  "summieren sich auf. Rufen Sie optimizer.zero_grad() vor "
                                  "loss.backward() auf.")
                raise Problem("Die Gewichte nach dem Schritt weichen vom erwarteten Ergebnis ab. "
                              "Reihenfolge: zero_grad → Vorwärtsdurchlauf → Verlust → "
                              "backward → step.")
        return "Schritt, Verlust und train()-Modus stimmen."

    return run_check("Aufgabe 1.2 (Trainingsschritt)", check)


def evaluate_model(evaluate_fn) -> bool:
    """Aufgabe 1.3: loss per sample and accuracy in eval mode without gradients."""

    def check():
        torch, nn = _torch()
        from torch.utils.data import DataLoader, TensorDataset

        if not callable(evaluate_fn):
            raise Problem("evaluate_model soll eine Funktion sein.")
        torch.manual_seed(2)
        x = torch.randn(10, 6)
        y = torch.randint(0, 3, (10,))
        y[-2:] = torch.tensor([0, 2])  # the short last batch differs from the rest
        loader = DataLoader(TensorDataset(x, y), batch_size=4)  # batches of 4, 4, 2
        model = nn.Sequential(nn.Linear(6, 3), _Probe.make(), nn.Dropout(0.5))
        model.train()  # evaluate_model has to switch to eval mode itself
        loss_fn = nn.CrossEntropyLoss()
        with torch.no_grad():
            logits = model[0](x)
        losses = nn.functional.cross_entropy(logits, y, reduction="none")
        per_sample = losses.mean().item()
        per_batch = np.mean([losses[i:i + 4].mean().item() for i in range(0, 10, 4)])
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()

        result = evaluate_fn(model, loader, loss_fn, torch.device("cpu"))
        if result is None:
            raise NotImplementedError
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Problem("evaluate_model soll ein Paar (verlust, genauigkeit) zurückgeben.")
        loss, acc = result
        if isinstance(loss, torch.Tensor) or isinstance(acc, torch.Tensor):
            raise Problem("Geben Sie Python-Zahlen zurück (z. B. mit .item()), keine Tensoren.")
        probe = model[1]
        if any(training for training, _ in probe.calls):
            raise Problem("Das Modell war bei der Auswertung im train()-Modus. Rufen Sie "
                          "model.eval() auf – sonst schaltet Dropout zufällig Neuronen ab.")
        if any(grad for _, grad in probe.calls):
            raise Problem("Bei der Auswertung wurden Gradienten aufgezeichnet. Umschließen Sie "
                          "die Schleife mit »with torch.no_grad():« (spart Speicher und Zeit).")
        if not probe.calls:
            raise Problem("Das Modell wurde nicht aufgerufen.")
        if accuracy > 0 and np.isclose(float(acc), accuracy * 10):
            raise Problem("Die Genauigkeit ist die Anzahl richtiger Vorhersagen – teilen Sie "
                          "durch die Anzahl der Beispiele.")
        if not np.isclose(float(acc), accuracy, atol=1e-6):
            raise Problem(f"Die Genauigkeit ({float(acc):.4f}) stimmt nicht. Vergleichen Sie "
                          "argmax der Logits (dim=1) mit den Zielen und teilen Sie durch die "
                          "Anzahl aller Beispiele.")
        if (not np.isclose(float(loss), per_sample, rtol=1e-5)
                and np.isclose(float(loss), per_batch, rtol=1e-5)):
            raise Problem("Der Verlust ist der Mittelwert der Stapel-Mittelwerte. Der letzte, "
                          "kleinere Stapel zählt dann zu viel: Gewichten Sie jeden Stapel mit "
                          "seiner Größe und teilen Sie durch die Anzahl aller Beispiele.")
        if not np.isclose(float(loss), per_sample, rtol=1e-5):
            raise Problem(f"Der mittlere Verlust ({float(loss):.4f}) weicht vom erwarteten Wert "
                          "ab. Summieren Sie loss.item() · Stapelgröße und teilen Sie durch die "
                          "Anzahl aller Beispiele.")
        return "eval()-Modus, ohne Gradienten, Verlust pro Beispiel gemittelt."

    return run_check("Aufgabe 1.3 (Auswertung)", check)


def _regularized_parts(model):
    _, nn = _torch()
    modules = list(model.modules())
    norms = [i for i, m in enumerate(modules) if isinstance(m, nn.BatchNorm1d)]
    drops = [i for i, m in enumerate(modules) if isinstance(m, nn.Dropout)]
    linears = [i for i, m in enumerate(modules) if isinstance(m, nn.Linear)]
    if not linears:
        raise Problem("Das Modell enthält keine nn.Linear-Schicht.")
    if any(i > linears[-1] for i in norms + drops):
        raise Problem("Nach der letzten linearen Schicht (den Logits) gehören weder "
                      "BatchNorm noch Dropout – die Ausgabe soll nicht verändert werden.")
    return [modules[i] for i in norms], [modules[i] for i in drops]


def regularized_model(make_regularized_model) -> bool:
    """Aufgabe 2.1: 784-300-10 with optional BatchNorm1d and Dropout in the hidden layer."""

    def check():
        torch, _ = _torch()
        model = _call_factory(make_regularized_model, "make_regularized_model")
        norms, drops = _regularized_parts(model)
        if not norms:
            raise Problem("Im Modell fehlt nn.BatchNorm1d(300) nach der ersten linearen Schicht "
                          "(make_regularized_model() soll sie standardmäßig enthalten).")
        if not drops:
            raise Problem("Im Modell fehlt nn.Dropout(dropout) nach der ReLU.")
        count = _count(model)
        if count != PARAMS_WITH_BATCHNORM:
            raise Problem(f"Das Modell hat {_n(count)} Parameter, erwartet werden "
                          f"{_n(PARAMS_WITH_BATCHNORM)}: die 238 510 des Modells aus Aufgabe 1.1 "
                          "und je 300 Werte γ und β der BatchNorm.")
        if any(abs(d.p - 0.2) > 1e-12 for d in drops):
            raise Problem(f"Die Dropout-Rate ist {drops[0].p}, erwartet wird der Wert des "
                          "Arguments dropout (voreingestellt 0.2).")
        model.train()
        _expect_logits(model, _forward_images(model))
        model.eval()
        first, second = _forward_images(model), _forward_images(model)
        if not torch.equal(first, second):
            raise Problem("Im eval()-Modus liefert das Modell für dieselben Bilder verschiedene "
                          "Ausgaben – ist eine eigene Zufallsschicht eingebaut?")
        if make_regularized_model() is model:
            raise Problem("make_regularized_model() gibt bei jedem Aufruf dasselbe Objekt "
                          "zurück; jede Variante braucht ein neues Modell.")

        plain = _call_factory(make_regularized_model, "make_regularized_model",
                              batchnorm=False)
        norms, drops = _regularized_parts(plain)
        if norms:
            raise Problem("make_regularized_model(batchnorm=False) enthält trotzdem BatchNorm.")
        if not drops:
            raise Problem("make_regularized_model(batchnorm=False) soll Dropout behalten.")
        if _count(plain) != PARAMS_784_300_10:
            raise Problem("make_regularized_model(batchnorm=False) soll die 238 510 Parameter "
                          f"des Modells aus Aufgabe 1.1 haben, nicht {_n(_count(plain))}.")
        _expect_logits(plain, _forward_images(plain))

        _, drops = _regularized_parts(
            _call_factory(make_regularized_model, "make_regularized_model", dropout=0.5))
        if not drops or any(abs(d.p - 0.5) > 1e-12 for d in drops):
            raise Problem("make_regularized_model(dropout=0.5) soll nn.Dropout(0.5) enthalten – "
                          "verwenden Sie das Argument dropout statt einer festen Zahl.")
        return f"{_n(count)} Parameter, BatchNorm und Dropout an der richtigen Stelle."

    return run_check("Aufgabe 2.1 (Dropout und BatchNorm)", check)


def adam_optimizer(make_adam) -> bool:
    """Aufgabe 2.2: ``make_adam(model)`` returns ``optim.Adam`` over all parameters, sane lr."""

    def check():
        torch, nn = _torch()
        if not callable(make_adam):
            raise Problem("make_adam soll eine Funktion sein, die einen Optimierer zurückgibt.")
        model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
        optimizer = make_adam(model)
        if optimizer is None:
            raise NotImplementedError
        if not isinstance(optimizer, torch.optim.Adam):
            raise Problem(f"make_adam gibt {type(optimizer).__name__} zurück, erwartet wird "
                          "torch.optim.Adam.")
        handed = {id(p) for group in optimizer.param_groups for p in group["params"]}
        wanted = {id(p) for p in model.parameters()}
        if handed != wanted:
            raise Problem("Der Optimierer kennt nicht genau die Parameter des übergebenen Modells. "
                          "Übergeben Sie model.parameters() des Arguments »model«.")
        lr = float(optimizer.param_groups[0]["lr"])
        if lr > 0.01:
            raise Problem(f"Die Lernrate {lr:g} ist für Adam zu groß: Adam skaliert jeden Schritt "
                          "auf etwa die Lernrate, Werte um 1e-3 sind üblich.")
        if lr < 1e-5:
            raise Problem(f"Die Lernrate {lr:g} ist so klein, dass das Training kaum vorankommt.")
        return f"Adam mit Lernrate {lr:g}."

    return run_check("Aufgabe 2.2 (Adam)", check)
