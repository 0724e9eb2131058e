"""Self-checks for notebook 05 (CNN und ResNet auf Fashion-MNIST).

The checks run the student's code on small random inputs and compare it with what the
PyTorch layers themselves do; they never print a solution.
"""

from __future__ import annotations

import numpy as np

from utils.checks import Problem, call, exercise, expect_callable, torch_modules

_DIAGNOSES = {"unter", "über", "gut"}


@exercise("5.1", "Die Studie lesen")
def read_study(diagnosis):
    """Aufgabe 5.1: ``diagnosis`` maps the cases "A", "B", "C" of the study to "unter"/"über"/"gut".

    A: 2 hidden neurons, all training images (underfitting); B: 128 neurons, 1 000 images
    (overfitting); C: 128 neurons, all images (neither).
    """
    if diagnosis is None:
        raise NotImplementedError
    if not isinstance(diagnosis, dict):
        raise Problem(f"diagnosis soll ein dict sein, z. B. {{\"A\": …, \"B\": …, \"C\": …}}, ist "
                      f"aber {type(diagnosis).__name__}.")
    missing = [case for case in "ABC" if case not in diagnosis]
    if missing:
        raise Problem(f"Es fehlt eine Diagnose für {', '.join(missing)}.")
    answers = {case: str(diagnosis[case]).strip().lower().replace("ue", "ü") for case in "ABC"}
    unknown = [case for case, answer in answers.items() if answer not in _DIAGNOSES]
    if unknown:
        raise Problem(f"Erlaubt sind nur \"unter\", \"über\" und \"gut\" (Fall {', '.join(unknown)}).")
    if answers["A"] != "unter":
        raise Problem("Fall A stimmt nicht. Wie hoch ist dort schon die Genauigkeit auf den "
                      "Trainingsbildern – und wie groß ist der Abstand zur Validierung?")
    if answers["B"] != "über":
        raise Problem("Fall B stimmt nicht. Vergleichen Sie die gestrichelte und die durchgezogene "
                      "Linie derselben Farbe im linken Feld: Was sagt ein großer Abstand?")
    if answers["C"] != "gut":
        raise Problem("Fall C stimmt nicht. Vergleichen Sie ihn mit Fall B: dasselbe Netz, aber "
                      "55-mal so viele Trainingsbilder. Wie groß ist die Lücke jetzt?")
    return "Sie lesen Unter- und Überanpassung richtig aus den Lernkurven ab."


@exercise("5.2", "Ausgabegröße einer Faltung")
def conv_output_size(fn, flat_features=None):
    """Aufgabe 5.2: ``fn(size, kernel_size, stride=1, padding=0)`` and the flattened size.

    ``flat_features`` is the number of values after conv(3) → conv(3) → max-pool(2) without
    padding on a 28×28 image with 64 channels.
    """
    torch, nn = torch_modules()
    expect_callable(fn, "conv_output_size")
    cases = [(28, 3, 1, 0), (28, 3, 1, 1), (28, 5, 1, 2), (28, 3, 2, 1), (14, 2, 2, 0),
             (7, 2, 2, 0), (26, 3, 1, 0), (9, 4, 3, 1), (32, 7, 2, 3), (5, 5, 1, 0)]
    for size, kernel, stride, padding in cases:
        got = call(fn, size, kernel, stride, padding, what="conv_output_size")
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
    if int(flat_features) != stack(torch.zeros(1, 1, 28, 28)).numel():
        raise Problem(f"flat_features = {flat_features} stimmt nicht. Rechnen Sie Schicht "
                      "für Schicht: zwei Faltungen ohne Padding, dann Pooling mit Fenster 2; "
                      "am Ende Kanäle × Höhe × Breite.")
    return "Ihre Formel stimmt mit PyTorch überein – auch für Stride und Padding."


@exercise("5.3", "ResidualBlock.forward")
def residual_block(block_class):
    """Aufgabe 5.3: ``ResidualBlock.forward`` = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""
    torch, nn = torch_modules()
    expect_callable(block_class, "ResidualBlock")
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
                                  f"stride={stride} passen die Formen nicht zusammen. Was "
                                  "addieren Sie zum Hauptzweig – die Eingabe selbst oder die "
                                  "Ausgabe der Abkürzung?") from None
                raise
            if out is None:
                raise NotImplementedError
            side = 12 // stride
            if tuple(out.shape) != (2, c_out, side, side):
                raise Problem(f"Die Ausgabe hat die Form {tuple(out.shape)}, erwartet wird "
                              f"{(2, c_out, side, side)}.")
            main = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
            skip = block.shortcut(x)
            if torch.allclose(out, torch.relu(main + skip), atol=1e-5):
                continue
            if torch.allclose(out, main + skip, atol=1e-5):
                raise Problem("Die Ausgabe enthält negative Werte. Welche Schicht fehlt am Ende?")
            if torch.allclose(out, torch.relu(main), atol=1e-5):
                raise Problem("Die Ausgabe hängt nur vom Hauptzweig ab – die Abkürzung fehlt.")
            if torch.allclose(out, torch.relu(main) + skip, atol=1e-5):
                raise Problem("Die Reihenfolge am Ende stimmt nicht: Schauen Sie in der Formel "
                              "nach, ob die letzte ReLU vor oder nach der Addition kommt.")
            raise Problem("Die Ausgabe stimmt nicht. Gehen Sie den Hauptzweig in der Reihenfolge "
                          "der Formel durch (Faltung, BatchNorm, ReLU, …).")
    return "Hauptzweig + Abkürzung, auch wenn Stride und Kanalzahl sich ändern."


@exercise("5.4", "Spiegeln für einen ganzen Stapel")
def random_flip(fn):
    """Aufgabe 5.4: ``fn(images)`` mirrors each image of ``(n, c, h, w)`` left–right with p = 1/2."""
    torch, _ = torch_modules()
    expect_callable(fn, "random_flip")
    torch.manual_seed(0)
    images = torch.randn(400, 2, 5, 7)
    original = images.clone()
    out = call(fn, images, what="random_flip")
    if not torch.is_tensor(out):
        raise Problem(f"random_flip gibt {type(out).__name__} zurück, erwartet wird ein Tensor.")
    if not torch.equal(images, original):
        raise Problem("random_flip verändert den übergebenen Stapel. Geben Sie einen neuen Tensor "
                      "zurück und lassen Sie images unverändert.")
    if tuple(out.shape) != tuple(images.shape):
        raise Problem(f"Die Ausgabe hat die Form {tuple(out.shape)}, erwartet wird dieselbe Form "
                      f"wie die Eingabe {tuple(images.shape)}.")
    same = (out == images).flatten(1).all(dim=1)
    mirrored = (out == images.flip(-1)).flatten(1).all(dim=1)
    if (out == images.flip(-2)).flatten(1).all(dim=1).any() and not mirrored.any():
        raise Problem("Die Bilder werden auf den Kopf gestellt (oben ↔ unten). Gespiegelt werden "
                      "soll waagerecht: links ↔ rechts. Welche Dimension ist die Breite?")
    if not bool((same | mirrored).all()):
        if (out == images.flip(0)).all():
            raise Problem("Die Reihenfolge der Bilder im Stapel wurde umgedreht – gespiegelt "
                          "werden soll jedes Bild in sich (links ↔ rechts).")
        raise Problem("Manche Bilder sind weder unverändert noch waagerecht gespiegelt. Jedes Bild "
                      "soll ganz (alle Kanäle) entweder gespiegelt werden oder nicht.")
    share = float(mirrored.float().mean())
    if share in (0.0, 1.0):
        raise Problem("Es werden immer alle oder kein Bild gespiegelt. Jedes Bild soll "
                      "unabhängig mit Wahrscheinlichkeit 1/2 gespiegelt werden.")
    if not 0.4 <= share <= 0.6:
        raise Problem(f"Von 400 Bildern wurden {share:.0%} gespiegelt, erwartet wird etwa die "
                      "Hälfte. Prüfen Sie die Wahrscheinlichkeit.")
    if torch.equal(call(fn, images, what="random_flip"), out):
        raise Problem("Zwei Aufrufe spiegeln genau dieselben Bilder. Würfeln Sie bei jedem "
                      "Aufruf neu.")
    return "Jedes Bild unabhängig gespiegelt, ganz ohne Schleife über den Stapel."
