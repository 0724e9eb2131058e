"""Self-checks for notebook 01 (Tensoroperationen)."""

from __future__ import annotations

import numpy as np

from utils.checks import (Problem, as_array, expect_close, expect_finite, expect_range,
                          expect_shape, run_check)


def normalized_vector(x, image):
    """Aufgabe 1: ``x`` is ``image`` (28×28, 0–255) flattened to 784 values in [0, 1], float32."""
    def check():
        arr = as_array(x, "x")
        img = as_array(image, "image")
        expect_shape(arr, (img.size,), "x")
        if not np.issubdtype(arr.dtype, np.floating):
            raise Problem(f"x hat den Datentyp {arr.dtype}; für das Rechnen mit Gewichten "
                          "brauchen wir Gleitkommazahlen (float32).")
        if arr.dtype != np.float32:
            raise Problem(f"x hat den Datentyp {arr.dtype}, erwartet wird float32 "
                          "(der Standard-Datentyp von PyTorch).")
        expect_range(arr, 0.0, 1.0, "x")
        if np.isclose(arr.max(), img.max()) and img.max() > 1:
            raise Problem("Die Werte sind noch nicht normalisiert – teilen Sie durch 255.")
        expect_close(arr, img.reshape(-1) / 255.0, "x",
                     hint="Achten Sie auf die Reihenfolge der Pixel: Zeile für Zeile.")
        return "784 Werte zwischen 0 und 1, Zeile für Zeile."
    return run_check("Aufgabe 1 (Bild als Vektor)", check)


def layer_784x3(weights, hidden, x):
    """Aufgabe 2: a 784×3 weight matrix scaled by 1/sqrt(784) and ``hidden = relu(x @ weights)``."""
    def check():
        w = as_array(weights, "weights")
        expect_shape(w, (784, 3), "weights")
        std = float(w.std())
        if std > 0.1:
            raise Problem(f"Die Gewichte streuen mit Standardabweichung {std:.3f} – zu groß. "
                          "Haben Sie durch sqrt(784) geteilt?")
        if std < 0.01:
            raise Problem(f"Die Gewichte streuen kaum (Standardabweichung {std:.4f}). "
                          "Zufallszahlen aus torch.randn, geteilt durch sqrt(784), streuen "
                          "um etwa 0.036.")
        h = as_array(hidden, "hidden")
        expect_shape(h, (3,), "hidden")
        expect_finite(h, "hidden")
        if float(h.min()) < 0:
            raise Problem("hidden enthält negative Werte – die Aktivierungsfunktion ReLU fehlt.")
        expected = np.maximum(as_array(x, "x").astype(np.float64) @ w.astype(np.float64), 0)
        expect_close(h, expected, "hidden", rtol=1e-4, atol=1e-5,
                     hint="Berechnen Sie erst x @ weights und wenden Sie dann ReLU an.")
        if getattr(weights, "requires_grad", True) is False:
            raise Problem("Die Gewichte sollen lernbar sein: requires_grad_() fehlt.")
        return "Form (784, 3), sinnvoll skaliert, ReLU angewendet."
    return run_check("Aufgabe 2 (Schicht 784 × 3)", check)


def saturation(prediction_normal, prediction_big):
    """Aufgabe 3: with ×10 initialisation the sigmoid outputs are (almost) all saturated."""
    def check():
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
            raise Problem(f"Nur {share * 100:.0f} % der Ausgaben von prediction_big liegen nahe 0 oder 1. "
                          "Sind wirklich beide Gewichtsmatrizen mit 10 multipliziert?")
        return (f"{share * 100:.0f} % der Ausgaben sind gesättigt (bei normaler Initialisierung "
                f"{share_normal * 100:.0f} %).")
    return run_check("Aufgabe 3 (Initialisierung × 10)", check)
