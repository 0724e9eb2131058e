"""Self-checks for notebook 05 (CNN und ResNet auf Fashion-MNIST).

The checks run the student's code on small random inputs and compare it with what the
PyTorch layers themselves do; they never print a solution.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from utils.checks import Problem, run_check


def _torch():
    import torch
    from torch import nn

    return torch, nn


def conv_output_size(fn, flat_features=None):
    """Aufgabe 5.1: ``fn(size, kernel_size, stride=1, padding=0)`` and the source's flat size.

    ``flat_features`` is the number of values after conv(3) → conv(3) → max-pool(2) without
    padding on a 28×28 image with 64 channels (the input size of the source's ``fc1``).
    """
    def check():
        torch, nn = _torch()
        cases = [(28, 3, 1, 0), (28, 3, 1, 1), (28, 5, 1, 2), (28, 3, 2, 1), (14, 2, 2, 0),
                 (7, 2, 2, 0), (26, 3, 1, 0), (9, 4, 3, 1), (32, 7, 2, 3), (5, 5, 1, 0)]
        for size, kernel, stride, padding in cases:
            try:
                got = fn(size, kernel, stride, padding)
            except TypeError as exc:
                raise Problem("Die Funktion muss sich als conv_output_size(size, kernel_size, "
                              f"stride, padding) aufrufen lassen ({exc}).") from None
            if got is None:
                raise NotImplementedError
            layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
            expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
            if isinstance(got, float) and got.is_integer():
                raise Problem(f"Für size={size}, kernel_size={kernel}, stride={stride}, "
                              f"padding={padding} kommt {got} heraus – eine Kommazahl. Eine "
                              "Bildgröße ist eine ganze Zahl: Verwenden Sie die ganzzahlige "
                              "Division // (sie rundet ab).")
            if not isinstance(got, (int, np.integer)):
                raise Problem(f"Die Funktion gibt {type(got).__name__} zurück, erwartet wird "
                              "eine ganze Zahl (int).")
            if got != expected:
                hint = ""
                if padding and got in ((size + padding - kernel) // stride + 1,
                                       (size - kernel) // stride + 1):
                    hint = " Haben Sie das Padding auf beiden Seiten berücksichtigt (2 · padding)?"
                elif stride > 1:
                    hint = " Prüfen Sie die Rolle des Stride: Er teilt die Zahl der Schritte."
                raise Problem(f"Für size={size}, kernel_size={kernel}, stride={stride}, "
                              f"padding={padding} liefert Ihre Funktion {got}, PyTorch ergibt "
                              f"{expected}.{hint}")
        try:
            default = fn(28, 3)
        except TypeError:
            raise Problem("stride und padding sollen Standardwerte haben (stride=1, "
                          "padding=0).") from None
        if default != 26:
            raise Problem("Mit den Standardwerten (stride=1, padding=0) stimmt das Ergebnis "
                          "nicht – prüfen Sie die Standardwerte der Parameter.")
        if flat_features is None:
            raise NotImplementedError
        stack = nn.Sequential(nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3), nn.MaxPool2d(2))
        expected_flat = stack(torch.zeros(1, 1, 28, 28)).numel()
        if int(flat_features) != expected_flat:
            raise Problem(f"flat_features = {flat_features} stimmt nicht. Rechnen Sie Schicht "
                          "für Schicht: zwei Faltungen ohne Padding, dann Pooling mit Fenster 2; "
                          "am Ende Kanäle × Höhe × Breite.")
        return "Ihre Formel stimmt mit PyTorch überein – auch für Stride und Padding."
    return run_check("Aufgabe 5.1 (Ausgabegröße einer Faltung)", check)


def train_step(fn):
    """Aufgabe 5.2: ``fn(model, inputs, targets, loss_fn, optimizer)`` does one step, returns a float."""
    def check():
        torch, nn = _torch()
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
        inputs, targets = torch.randn(8, 6), torch.randint(0, 3, (8,))
        loss_fn = nn.CrossEntropyLoss()
        reference = copy.deepcopy(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        ref_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
        # Stale gradients from an earlier step: a step without zero_grad() would add them.
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        with torch.no_grad():
            expected_loss = loss_fn(reference(inputs), targets).item()
        ref_optimizer.zero_grad()
        loss_fn(reference(inputs), targets).backward()
        ref_optimizer.step()
        before = [p.detach().clone() for p in model.parameters()]
        result = fn(model, inputs, targets, loss_fn, optimizer)
        if result is None:
            unchanged = all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
            if unchanged:
                raise NotImplementedError
            raise Problem("Die Funktion gibt nichts zurück – geben Sie den Verlust dieses "
                          "Stapels als Zahl zurück (loss.item()).")
        if hasattr(result, "requires_grad"):
            raise Problem("Geben Sie den Verlust als Python-Zahl zurück (loss.item()), nicht "
                          "als Tensor: Ein Tensor hält den ganzen Rechengraphen im Speicher fest.")
        if not isinstance(result, (float, int)):
            raise Problem(f"Die Funktion gibt {type(result).__name__} zurück, erwartet wird "
                          "der Verlust als float.")
        if all(torch.equal(a, p) for a, p in zip(before, model.parameters())):
            raise Problem("Die Gewichte haben sich nicht verändert – fehlt loss.backward() "
                          "oder optimizer.step()?")
        if not math.isclose(float(result), expected_loss, rel_tol=1e-5, abs_tol=1e-6):
            raise Problem(f"Der zurückgegebene Verlust ({float(result):.4f}) ist nicht der "
                          f"Verlust des Stapels vor dem Schritt ({expected_loss:.4f}). Berechnen "
                          "Sie ihn aus model(inputs) und targets mit loss_fn.")
        same = all(torch.allclose(p, r, atol=1e-6)
                   for p, r in zip(model.parameters(), reference.parameters()))
        if not same:
            raise Problem("Der Schritt verändert die Gewichte anders als erwartet. Häufigste "
                          "Ursache: optimizer.zero_grad() fehlt oder steht nach backward() – "
                          "dann werden alte Gradienten mitaddiert.")
        return "zero_grad → Vorwärtsdurchlauf → Verlust → backward → step, Verlust als Zahl."
    return run_check("Aufgabe 5.2 (Trainingsschritt)", check)


def eval_accuracy(fn):
    """Aufgabe 5.3: ``fn(model, loader, device)`` returns the accuracy in eval mode without grads."""
    def check():
        torch, nn = _torch()
        from torch.utils.data import DataLoader, TensorDataset

        class Probe(nn.Module):
            """Dropout + BatchNorm; remembers the mode and whether gradients were tracked."""

            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(),
                                         nn.Dropout(0.5), nn.Linear(16, 3))
                self.seen_training, self.seen_grad = set(), set()

            def forward(self, x):
                self.seen_training.add(self.training)
                self.seen_grad.add(torch.is_grad_enabled())
                return self.net(x)

        torch.manual_seed(0)
        model = Probe()
        model.train()
        with torch.no_grad():  # some training-mode batches give BatchNorm running statistics
            for _ in range(20):
                model(torch.randn(64, 4) * 2 + 1)
        model.seen_training.clear()
        model.seen_grad.clear()
        inputs = torch.randn(250, 4) * 2 + 1
        targets = torch.randint(0, 3, (250,))
        # Labels a fixed model predicts, so the accuracy is clearly different from chance.
        model.eval()
        with torch.no_grad():
            targets[:200] = model(inputs[:200]).argmax(dim=1)
        model.seen_training.clear()
        model.seen_grad.clear()
        model.train()
        state = copy.deepcopy(model.state_dict())
        loader = DataLoader(TensorDataset(inputs, targets), batch_size=64)
        result = fn(model, loader, torch.device("cpu"))
        if result is None:
            raise NotImplementedError
        if hasattr(result, "item"):
            result = result.item()
        if not isinstance(result, (float, int, np.floating)):
            raise Problem(f"Die Funktion gibt {type(result).__name__} zurück, erwartet wird "
                          "eine Zahl zwischen 0 und 1.")
        if True in model.seen_training:
            raise Problem("Das Modell lief bei der Auswertung im Trainingsmodus: Rufen Sie "
                          "model.eval() auf, bevor Sie Vorhersagen berechnen – sonst würfelt "
                          "Dropout weiter und BatchNorm nimmt die Statistik des Stapels.")
        if True in model.seen_grad:
            raise Problem("Bei der Auswertung wurden Gradienten mitgeführt. Rechnen Sie in "
                          "einem »with torch.no_grad():«-Block – das spart Speicher und Zeit.")
        for key, value in model.state_dict().items():
            if not torch.equal(value, state[key]):
                raise Problem(f"Die Auswertung hat das Modell verändert ({key}). Bei der "
                              "Auswertung darf kein Optimierer laufen.")
        model.eval()
        with torch.no_grad():
            expected = float((model(inputs).argmax(dim=1) == targets).float().mean())
            batch_mean = float(np.mean([(model(x).argmax(dim=1) == y).float().mean().item()
                                        for x, y in loader]))
        if not math.isclose(float(result), expected, abs_tol=1e-6):
            if 1 < float(result) <= len(targets):
                raise Problem(f"Ihr Ergebnis ({result}) sieht nach der Zahl der richtigen "
                              "Vorhersagen aus – teilen Sie durch die Zahl aller Beispiele.")
            if math.isclose(float(result), batch_mean, abs_tol=1e-6):
                raise Problem("Ihr Ergebnis weicht ab – mitteln Sie nicht die Genauigkeiten der "
                              "Stapel (der letzte ist kleiner), sondern zählen Sie alle richtigen "
                              "Vorhersagen und teilen Sie durch die Zahl aller Beispiele.")
            raise Problem(f"Die Genauigkeit ({float(result):.4f}) stimmt nicht "
                          f"(erwartet {expected:.4f}). Vergleichen Sie argmax der Ausgaben mit "
                          "den Zielklassen und teilen Sie durch die Zahl aller Beispiele.")
        return "eval()-Modus, ohne Gradienten, richtig gemittelt."
    return run_check("Aufgabe 5.3 (Auswertung im eval()-Modus)", check)


def residual_block(block_class):
    """Aufgabe 5.4: ``ResidualBlock.forward`` = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""
    def check():
        torch, nn = _torch()
        torch.manual_seed(0)
        for c_in, c_out, stride in ((8, 8, 1), (8, 16, 2)):
            block = block_class(c_in, c_out, stride)
            # Non-trivial BatchNorm statistics, evaluation mode: the result is deterministic.
            for module in block.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.running_mean.uniform_(-0.5, 0.5)
                    module.running_var.uniform_(0.5, 2.0)
                    module.weight.data.uniform_(0.5, 1.5)
                    module.bias.data.uniform_(-0.5, 0.5)
            block.eval()
            x = torch.randn(2, c_in, 12, 12)
            with torch.no_grad():
                try:
                    out = block(x)
                except RuntimeError as exc:
                    if "size" in str(exc) or "shape" in str(exc):
                        raise Problem(f"Bei in_channels={c_in}, out_channels={c_out}, "
                                      f"stride={stride} passen die Formen nicht zusammen "
                                      f"({exc}). Addieren Sie self.shortcut(x), nicht x "
                                      "selbst.") from None
                    raise
                if out is None:
                    raise NotImplementedError
                side = 12 // stride
                if tuple(out.shape) != (2, c_out, side, side):
                    raise Problem(f"Die Ausgabe hat die Form {tuple(out.shape)}, erwartet wird "
                                  f"{(2, c_out, side, side)}.")
                main = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
                skip = block.shortcut(x)
                expected = torch.relu(main + skip)
                if torch.allclose(out, expected, atol=1e-5):
                    continue
                if torch.allclose(out, main + skip, atol=1e-5):
                    raise Problem("Nach der Addition fehlt die ReLU: Die Ausgabe enthält "
                                  "negative Werte.")
                if torch.allclose(out, torch.relu(main), atol=1e-5):
                    raise Problem("Die Abkürzung (shortcut) fehlt: Addieren Sie "
                                  "self.shortcut(x) vor der letzten ReLU.")
                if torch.allclose(out, torch.relu(main) + skip, atol=1e-5):
                    raise Problem("Die ReLU gehört hinter die Addition: erst main + shortcut, "
                                  "dann ReLU.")
                raise Problem("Die Ausgabe stimmt nicht. Reihenfolge im Hauptzweig: conv1 → "
                              "bn1 → ReLU → conv2 → bn2; dann shortcut(x) addieren und zum "
                              "Schluss ReLU.")
        return "Hauptzweig + Abkürzung, auch wenn Stride und Kanalzahl sich ändern."
    return run_check("Aufgabe 5.4 (ResidualBlock.forward)", check)
