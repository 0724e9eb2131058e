"""Self-checks of notebook 01 (Tensoroperationen).

Verwendet in Notebook 01.
"""

from __future__ import annotations

import numpy as np

from utils.checks import (Problem, as_array, call, expect_callable, expect_finite, expect_range,
                          expect_shape, exercise, torch_modules)


@exercise("1", "Bild als Vektor")
def normalized_vector(x, image) -> str:
    """Aufgabe 1: ``x`` is ``image`` (28×28, 0–255) flattened to 784 values in [0, 1], float32."""
    arr = as_array(x, "x_new")
    img = as_array(image, "Das Bild").astype(np.float64)
    expect_shape(arr, (img.size,), "x_new")
    if not np.issubdtype(arr.dtype, np.floating):
        raise Problem(f"x_new hat den Datentyp {arr.dtype}; für das Rechnen mit Gewichten "
                      "brauchen wir Gleitkommazahlen (float32).")
    values = arr.astype(np.float64)
    if values.max() > 1 and img.max() > 1:
        raise Problem("Die Werte reichen noch über 1 hinaus – bringen Sie die Pixelwerte "
                      "(0 bis 255) in den Bereich 0 bis 1.")
    if arr.dtype != np.float32:
        raise Problem(f"x_new hat den Datentyp {arr.dtype}, erwartet wird float32 "
                      "(der Standard-Datentyp von PyTorch).")
    expect_range(values, 0.0, 1.0, "x_new")
    rows = img.reshape(-1)
    if np.allclose(values, rows / 255, rtol=1e-5, atol=1e-6):
        return "784 Werte zwischen 0 und 1, Zeile für Zeile."
    if np.allclose(values, rows / 256, rtol=1e-5, atol=1e-6):
        raise Problem("Fast: Der größte mögliche Pixelwert ist 255, nicht 256 – ein weißes "
                      "Pixel soll genau 1 werden.")
    if np.allclose(values, img.T.reshape(-1) / 255, rtol=1e-5, atol=1e-6):
        raise Problem("Die Werte stimmen, aber die Reihenfolge nicht: Die Pixel sollen Zeile "
                      "für Zeile hintereinander stehen (das Bild wurde vorher transponiert).")
    raise Problem("x_new passt nicht zum ersten Testbild – haben Sie x_test[0] genommen und "
                  "jeden Pixelwert durch den größten möglichen Pixelwert geteilt?")


@exercise("2", "Schicht 784 × 3")
def layer_784x3(weights, hidden, x) -> str:
    """Aufgabe 2: a 784×3 weight matrix scaled by 1/sqrt(784) and ``hidden = relu(x @ weights)``."""
    w = as_array(weights, "w_small")
    expect_shape(w, (784, 3), "w_small")
    std = float(w.std())
    if std > 0.1:
        raise Problem(f"Die Gewichte streuen mit Standardabweichung {std:.3f} – zu stark. "
                      "Haben Sie durch sqrt(784) geteilt?")
    if std < 0.01:
        raise Problem(f"Die Gewichte streuen kaum (Standardabweichung {std:.4f}). "
                      "Zufallszahlen aus torch.randn, geteilt durch sqrt(784), streuen wie w1 "
                      "im Praxisteil.")
    h = as_array(hidden, "h_small").astype(np.float64)
    expect_shape(h, (3,), "h_small")
    expect_finite(h, "h_small")
    pre = as_array(x, "x_new").astype(np.float64) @ w.astype(np.float64)
    tolerance = {"rtol": 1e-4, "atol": 1e-5}
    if not np.allclose(h, np.maximum(pre, 0), **tolerance):
        if np.allclose(h, pre, **tolerance):
            raise Problem("h_small ist x_new @ w_small ohne Aktivierungsfunktion – ReLU fehlt.")
        if np.allclose(h, -np.maximum(pre, 0), **tolerance) or np.allclose(
                h, np.maximum(-pre, 0), **tolerance):
            raise Problem("Das Vorzeichen stimmt nicht: ReLU(z) = max(0, z) lässt positive "
                          "Werte durch und setzt negative auf 0 – nicht umgekehrt.")
        if float(h.min()) < 0:
            raise Problem("h_small enthält negative Werte; nach ReLU ist jeder Wert ≥ 0.")
        raise Problem("h_small passt nicht zu x_new und w_small – berechnen Sie die Schicht aus "
                      "genau diesen beiden (erst das Matrixprodukt, dann ReLU).")
    if getattr(weights, "requires_grad", True) is False:
        raise Problem("Die Gewichte sollen lernbar sein: requires_grad_() fehlt.")
    return "Form (784, 3), sinnvoll skaliert, ReLU angewendet."


def _dead_case():
    """A batch of 6 'images' whose pre-activations we choose: one pixel lit per image.

    Image i lights pixel i, so its pre-activations are row i of the weights. Dead (all three
    ReLU outputs 0): images 0 (all negative), 4 (black image: pre-activation exactly 0) and
    5; images 1–3 have one, two or three active units.
    """
    torch, _ = torch_modules()
    inputs = torch.zeros(6, 784)
    for i in range(4):
        inputs[i, i] = 1.0
    inputs[5, 5] = 0.5
    weights = torch.zeros(784, 3)
    weights[:6] = torch.tensor([[-1.0, -2.0, -0.5], [0.3, -1.0, -1.0], [-0.2, 0.4, 0.1],
                                [0.5, 0.5, 0.5], [9.0, 9.0, 9.0], [-1.0, -0.1, -3.0]])
    pre = (inputs @ weights).numpy()
    return inputs, weights, pre


def _dead_shares(x) -> tuple[float, float, float]:
    """For seeds 0–999 (as in Aufgabe 3): share of initialisations with all three units of a
    784×3 layer silent for ``x``, with at least one silent, and with the first one silent."""
    torch, _ = torch_modules()
    state = torch.random.get_rng_state()
    try:
        x = torch.as_tensor(np.asarray(as_array(x, "x"), dtype=np.float32)).reshape(-1)
        silent = []
        for seed in range(1000):  # kein Leck: die Aufgabe schreibt die Startwerte 0–999 vor
            torch.manual_seed(seed)
            silent.append((x @ torch.randn(784, 3)).numpy() <= 0)
    finally:
        torch.random.set_rng_state(state)
    silent = np.array(silent)
    return (float(silent.all(axis=1).mean()), float(silent.any(axis=1).mean()),
            float(silent[:, 0].mean()))


@exercise("3", "Drei ReLU-Neuronen")
def dead_relu(all_zero, dead_share, x) -> str:
    """Aufgabe 3: ``all_zero(inputs, weights)`` marks the images whose three ReLU units are all 0;
    ``dead_share`` is the share of 1000 seeded initialisations for which that happens for ``x``."""
    expect_callable(all_zero, "all_zero")
    inputs, weights, pre = _dead_case()
    result = as_array(call(all_zero, inputs, weights, what="all_zero"), "Das Ergebnis von all_zero")
    if result.shape == pre.shape:
        raise Problem("all_zero liefert einen Wert pro Bild und Neuron; gefragt ist ein "
                      "Wahrheitswert pro Bild: Sind alle drei Aktivierungen 0?")
    expect_shape(result, (len(pre),), "Das Ergebnis von all_zero für 6 Bilder")
    if not np.all(np.isin(result.astype(np.float64), (0.0, 1.0))):
        raise Problem("all_zero soll Wahrheitswerte liefern (True/False), keine Aktivierungen.")
    got = result.astype(bool)
    expected = (pre <= 0).all(axis=1)
    if not np.array_equal(got, expected):
        if np.array_equal(got, (pre <= 0).any(axis=1)):
            raise Problem("all_zero meldet schon Bilder, bei denen nur ein Neuron 0 ist; gefragt "
                          "ist, ob alle drei 0 sind.")
        if np.array_equal(got, ~expected):
            raise Problem("all_zero liefert genau das Gegenteil: True soll für die Bilder stehen, "
                          "bei denen alle drei Aktivierungen 0 sind.")
        if np.array_equal(got, (pre < 0).all(axis=1)):
            raise Problem("Ein ganz schwarzes Bild hat die Voraktivierung 0, und ReLU(0) = 0 – "
                          "auch dann sind alle drei Aktivierungen 0. Vergleichen Sie die "
                          "Aktivierungen nach ReLU mit 0, nicht die Voraktivierungen mit < 0.")
        raise Problem("all_zero markiert nicht die richtigen Bilder. Berechnen Sie für jedes Bild "
                      "die drei ReLU-Aktivierungen inputs @ weights und prüfen Sie, ob alle "
                      "drei 0 sind.")
    share = as_array(dead_share, "dead_share")
    if share.size != 1:
        raise Problem("dead_share soll eine einzelne Zahl sein (ein Anteil).")
    share = float(share.reshape(-1)[0])
    if not 0 <= share <= 1:
        raise Problem("dead_share soll ein Anteil zwischen 0 und 1 sein, keine Anzahl: Teilen "
                      "Sie durch die Zahl der Initialisierungen.")
    all_three, at_least_one, first_only = _dead_shares(x)
    close = 0.025  # about 2.5 standard errors of a share estimated from 1000 draws
    if abs(share - all_three) <= close:
        return "Funktion und Anteil stimmen – passt der Anteil zu Ihrer Überlegung?"
    if min(abs(share - (1 - all_three)), abs(share - at_least_one)) <= close:
        # Both "at least one unit active" and "at least one unit silent" give about 7/8.
        raise Problem("dead_share ist viel zu groß: Zählen Sie nur die Initialisierungen, bei "
                      "denen alle drei Neuronen 0 sind – nicht die, bei denen mindestens eines "
                      "aktiv oder mindestens eines 0 ist.")
    if abs(share - first_only) <= close:
        raise Problem("dead_share passt zu einem einzelnen Neuron; gefragt ist, dass alle drei "
                      "Neuronen gleichzeitig 0 sind.")
    raise Problem("dead_share passt nicht zu 1000 Initialisierungen mit den Startwerten 0 bis "
                  "999: Erzeugen Sie für jeden Startwert eine neue Matrix 784 × 3 und prüfen Sie "
                  "mit all_zero das Trainingsbild x.")


@exercise("4", "Initialisierung × 10")
def saturation(prediction_normal, prediction_big) -> str:
    """Aufgabe 4: with ×10 initialisation the sigmoid outputs are (almost) all saturated."""
    normal = as_array(prediction_normal, "prediction_normal")
    big = as_array(prediction_big, "prediction_big")
    for arr, name in ((normal, "prediction_normal"), (big, "prediction_big")):
        expect_shape(arr, (10,), name)
        expect_range(arr, 0.0, 1.0, name)
    if np.allclose(normal, big):
        raise Problem("Beide Vorhersagen sind gleich – verwenden Sie für prediction_big die "
                      "mit 10 multiplizierten Gewichte.")
    share = float(np.mean((big < 0.01) | (big > 0.99)))
    share_normal = float(np.mean((normal < 0.01) | (normal > 0.99)))
    if share <= share_normal or share < 0.5:
        raise Problem(f"Nur {share * 100:.0f} % der Ausgaben von prediction_big liegen nahe 0 "
                      "oder 1. Sind wirklich beide Gewichtsmatrizen mit 10 multipliziert?")
    return (f"{share * 100:.0f} % der Ausgaben sind nahe 0 oder 1 (bei normaler Initialisierung "
            f"{share_normal * 100:.0f} %).")
