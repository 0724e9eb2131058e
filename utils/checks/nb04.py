"""Self-checks of notebook 04 (Keras: logistische Regression bis CNN).

The checks build their own small Keras models and inputs and test properties: parameter
counts, input and output shapes, softmax outputs, the compiled loss and metric, the layout of
the weight matrix, the hidden activations and the design rules of the CNN. None of them prints
or reveals a solution.

Verwendet in Notebook 04.
"""

from __future__ import annotations

import warnings

import numpy as np

from utils.checks import (Problem, as_array, call, expect_callable, expect_shape, exercise,
                          german_number)

#: 784·10 weights + 10 biases
PARAMS_LOGREG = 7_850
#: 784·36 + 36 (hidden layer) + 36·10 + 10 (output layer)
PARAMS_MLP = 28_630
#: upper bound for the CNN so that it trains in a few minutes on a CPU
MAX_PARAMS_CNN = 300_000


def _keras():
    import keras

    return keras


def _model(factory, what: str):
    """The fresh Keras model ``factory()`` returns, with a known input shape."""
    keras = _keras()
    model = call(factory, what=what)
    if not isinstance(model, keras.Model):
        raise Problem(f"{what}() gibt {type(model).__name__} zurück, erwartet wird ein "
                      "keras.Model (z. B. keras.Sequential).")
    try:
        inputs = model.inputs if model.built else None
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise Problem("Das Modell kennt seine Eingabeform nicht. Beginnen Sie mit "
                      "keras.Input(shape=…) (statt input_shape=… an einer Schicht).")
    if factory() is model:
        raise Problem(f"{what}() gibt jedes Mal dasselbe Modell zurück; es soll bei jedem Aufruf "
                      "ein neues bauen.")
    return model


def _expect_input(model, shape: tuple) -> None:
    actual = tuple(model.inputs[0].shape)[1:]
    if actual != shape:
        raise Problem(f"Das Modell erwartet Eingaben der Form {actual}, gewünscht ist {shape} "
                      "pro Bild.")


def _expect_probabilities(model, x) -> np.ndarray:
    out = as_array(model(x, training=False), "Die Ausgabe des Modells")
    expect_shape(out, (len(x), 10), f"Die Ausgabe für {len(x)} Bilder")
    if np.any(out < 0) or not np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        raise Problem("Die Ausgaben sind keine Wahrscheinlichkeiten (nicht negativ, Summe 1 pro "
                      "Bild). Welche Aktivierungsfunktion macht aus zehn Zahlen eine "
                      "Wahrscheinlichkeitsverteilung?")
    return out


def _expect_count(model, expected: int, explanation: str) -> int:
    count = model.count_params()
    if count != expected:
        raise Problem(f"model.count_params() ergibt {german_number(count)}, erwartet werden "
                      f"{german_number(expected)} ({explanation}).")
    return count


def _layers(model, kind: str) -> list:
    """The layers of ``model`` that are ``keras.layers.<kind>`` (subclasses included)."""
    cls = getattr(_keras().layers, kind)
    return [layer for layer in model.layers if isinstance(layer, cls)]


def _is_linear(activation) -> bool:
    keras = _keras()
    return activation in (None, keras.activations.linear)


def _images(n: int, flat: bool = True) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.random((n, 28, 28), dtype=np.float32)
    return x.reshape(n, 784) if flat else x[..., None]


@exercise("1.1", "logistische Regression")
def logistic_regression(build_logistic_regression) -> str:
    """Aufgabe 1.1: one Dense(10, softmax) layer on 784 inputs, 7 850 parameters."""
    model = _model(build_logistic_regression, "build_logistic_regression")
    _expect_input(model, (784,))
    if len(_layers(model, "Dense")) > 1:
        raise Problem("Die logistische Regression hat nur eine Dense-Schicht (ohne verborgene "
                      "Schicht).")
    count = _expect_count(model, PARAMS_LOGREG, "784·10 Gewichte + 10 Verzerrungen")
    _expect_probabilities(model, _images(4))
    return f"{german_number(count)} Parameter, Softmax-Ausgabe."


@exercise("1.2", "compile")
def compiled(compile_model) -> str:
    """Aufgabe 1.2: ``compile_model(model)`` sets an optimizer, sparse CE on probabilities and
    accuracy."""
    keras = _keras()
    expect_callable(compile_model, "compile_model")
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(3, activation="softmax")])
    result = call(compile_model, model, what="compile_model", none_is_open=False)
    if result is not None and result is not model:
        raise Problem("compile_model soll das Modell kompilieren (model.compile(…)) und nichts "
                      "anderes zurückgeben.")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        if result is None:
            raise NotImplementedError
        raise Problem("Das Modell ist nicht kompiliert. Rufen Sie model.compile(…) auf.")
    x = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]], dtype="float32")
    y = np.array([0, 2])
    probs = np.asarray(model(x, training=False))
    expected = float(-np.mean(np.log(probs[np.arange(2), y])))
    logits_hint = ("Das Modell gibt schon Softmax-Wahrscheinlichkeiten aus, keine Logits – "
                   "prüfen Sie das Argument from_logits der Verlustfunktion.")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scores = model.evaluate(x, y, verbose=0, return_dict=True)
    except Exception as exc:  # noqa: BLE001 - any failure: the loss does not fit the labels
        if "from_logits" in str(exc):
            raise Problem(logits_hint) from None
        raise Problem("Mit dieser Verlustfunktion lässt sich das Modell nicht auf Klassennummern "
                      f"auswerten ({type(exc).__name__}). Die Labels sind Klassennummern 0 … 9, "
                      "keine One-Hot-Vektoren.") from None
    if any("from_logits" in str(w.message) for w in caught):
        raise Problem(logits_hint)
    if not any("acc" in key for key in scores):
        raise Problem("Beim Kompilieren fehlt die Metrik Genauigkeit – sonst zeigt fit() keine "
                      "Genauigkeit an.")
    loss = float(scores["loss"])
    if not np.isclose(loss, expected, rtol=1e-3, atol=1e-4):
        hint = (logits_hint if np.isclose(loss, _logits_loss(probs, y), rtol=1e-3, atol=1e-4)
                else "Verwenden Sie die Kreuzentropie für Klassennummern (die »sparse« "
                     "Variante), wie in der Aufgabe angegeben.")
        raise Problem(f"Der Verlust ist nicht die Kreuzentropie der Wahrscheinlichkeiten mit "
                      f"den Klassennummern. {hint}")
    return f"Optimierer {type(model.optimizer).__name__}, Kreuzentropie, Genauigkeit."


def _logits_loss(values: np.ndarray, labels: np.ndarray) -> float:
    """Cross-entropy if ``values`` were (wrongly) taken as logits."""
    shifted = values - values.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_softmax[np.arange(len(labels)), labels]))


@exercise("1.3", "Gewichte als Bilder")
def weight_images(weight_images_fn) -> str:
    """Aufgabe 1.3: the Dense kernel ``(784, 10)`` as ten 28×28 images ``(10, 28, 28)``."""
    keras = _keras()
    expect_callable(weight_images_fn, "weight_images")
    model = keras.Sequential([keras.Input(shape=(784,)),
                              keras.layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(784, 10)).astype("float32")
    bias = np.arange(10, dtype="float32")
    model.layers[-1].set_weights([kernel, bias])
    result = as_array(call(weight_images_fn, model, what="weight_images"),
                      "Das Ergebnis von weight_images")
    expect_shape(result, (10, 28, 28), "Das Ergebnis (ein 28×28-Bild pro Ziffer)")
    if np.allclose(result, kernel.reshape(10, 28, 28)):
        raise Problem("Die Bilder mischen die Gewichte verschiedener Ziffern: Der kernel hat in "
                      "Keras die Form (784, 10) – die Gewichte einer Ziffer stehen in einer "
                      "Spalte, nicht in einer Zeile.")
    if not np.allclose(result, kernel.T.reshape(10, 28, 28)):
        raise Problem("Die Bilder stimmen nicht mit den Gewichten überein. Nehmen Sie die "
                      "Gewichtsmatrix (nicht die Verzerrungen) aus get_weights().")
    return "Bild k zeigt die Gewichte aller 784 Pixel zur Ziffer k."


@exercise("2.1", "verborgene Schicht")
def mlp(build_mlp) -> str:
    """Aufgabe 2.1: 784 → Dense(36, non-linear) → Dense(10, softmax), 28 630 parameters."""
    model = _model(build_mlp, "build_mlp")
    _expect_input(model, (784,))
    dense = _layers(model, "Dense")
    if len(dense) != 2:
        raise Problem(f"Das Modell hat {len(dense)} Dense-Schichten, erwartet werden zwei: die "
                      "verborgene mit 36 Neuronen und die Ausgabeschicht.")
    if dense[0].units != 36:
        raise Problem(f"Die verborgene Schicht hat {dense[0].units} Neuronen statt 36.")
    if _is_linear(dense[0].activation):
        raise Problem("Die verborgene Schicht hat keine Aktivierungsfunktion – dann ist das "
                      "ganze Netz wieder linear.")
    count = _expect_count(model, PARAMS_MLP, "784·36 + 36 + 36·10 + 10")
    _expect_probabilities(model, _images(4))
    return f"{german_number(count)} Parameter."


@exercise("2.2", "Aktivierungen")
def hidden_activations(hidden_activations_fn) -> str:
    """Aufgabe 2.2: activations of the hidden layer via ``keras.Model(inputs, layer.output)``."""
    keras = _keras()
    expect_callable(hidden_activations_fn, "hidden_activations")
    keras.utils.set_random_seed(7)
    hidden = keras.layers.Dense(36, activation="relu")  # kein Leck: so steht es in Aufgabe 2.1
    model = keras.Sequential([keras.Input(shape=(784,)), hidden,
                              keras.layers.Dense(10, activation="softmax")])
    x = _images(3)
    result = as_array(call(hidden_activations_fn, model, x, what="hidden_activations"),
                      "Das Ergebnis von hidden_activations")
    if result.shape == (3, 10):
        raise Problem("Das sind die Ausgaben der letzten Schicht. Gesucht ist die Ausgabe der "
                      "ersten, verborgenen Schicht (36 Werte pro Bild).")
    expect_shape(result, (3, 36), "Das Ergebnis für 3 Bilder")
    kernel, bias = model.layers[0].get_weights()
    pre = x @ kernel + bias
    if np.allclose(result, pre, atol=1e-4):
        raise Problem("Das sind die Werte vor der Aktivierungsfunktion (nur x·W + b). Gesucht "
                      "ist die Ausgabe der Schicht selbst.")
    if not np.allclose(result, np.maximum(pre, 0), atol=1e-4):
        raise Problem("Die Aktivierungen stimmen nicht mit der verborgenen Schicht des "
                      "übergebenen Modells überein – verwenden Sie dessen Schichten, kein neues "
                      "Modell.")
    return f"{int((result > 0).sum())} von {result.size} Aktivierungen sind positiv."


@exercise("3", "kleines CNN")
def cnn(build_cnn) -> str:
    """Aufgabe 3: an own small CNN on ``(28, 28, 1)`` images within the stated design rules."""
    model = _model(build_cnn, "build_cnn")
    _expect_input(model, (28, 28, 1))
    convs = _layers(model, "Conv2D")
    if len(convs) < 2:
        raise Problem(f"Das Modell hat {len(convs)} Conv2D-Schicht(en), verlangt sind "
                      "mindestens zwei.")
    if any(tuple(conv.kernel_size) != (3, 3) for conv in convs):
        raise Problem("Verwenden Sie in allen Faltungsschichten 3 × 3-Filter (kernel_size).")
    if any(_is_linear(conv.activation) for conv in convs):
        raise Problem("Mindestens eine Faltungsschicht hat keine Aktivierungsfunktion – dann "
                      "fallen zwei Faltungen zu einer einzigen linearen zusammen.")
    pools = _layers(model, "MaxPooling2D")
    if len(pools) < len(convs):
        raise Problem(f"Nach jeder Faltung gehört ein Pooling-Schritt: {len(convs)} Faltungen, "
                      f"aber {len(pools)} MaxPooling2D-Schicht(en).")
    if len(_layers(model, "Dense")) > 2:
        raise Problem("Nach Flatten ist höchstens eine verborgene Dense-Schicht vorgesehen "
                      "(plus die Ausgabeschicht).")
    count = model.count_params()
    if count > MAX_PARAMS_CNN:
        raise Problem(f"Das Modell hat {german_number(count)} Parameter, erlaubt sind "
                      f"{german_number(MAX_PARAMS_CNN)}. Rechnen Sie nach, welche Schicht die "
                      "meisten hat.")
    _expect_probabilities(model, _images(4, flat=False))
    return f"{len(convs)} Faltungsschichten, {german_number(count)} Parameter."
