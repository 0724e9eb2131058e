"""Self-checks of notebook 04 (Keras: logistische Regression bis CNN).

The checks build their own small Keras models and inputs and test properties: parameter
counts, input and output shapes, softmax outputs, the compiled loss and metric, the layout of
the weight matrix and the hidden activations. None of them prints or reveals a solution.

Verwendet in Notebook 04.
"""

from __future__ import annotations

import warnings

import numpy as np

from utils.checks import Problem, run_check

#: 784·10 weights + 10 biases
PARAMS_LOGREG = 7_850
#: 784·36 + 36 (hidden layer) + 36·10 + 10 (output layer)
PARAMS_MLP = 28_630
#: upper bound for the CNN so that it trains in a few minutes on a CPU
MAX_PARAMS_CNN = 300_000


def _n(number: int) -> str:
    """``28630`` → ``"28 630"`` (German digit grouping)."""
    return f"{number:,}".replace(",", " ")


def _keras():
    import keras

    return keras


def _build(factory, what: str):
    keras = _keras()
    if not callable(factory):
        raise Problem(f"{what} soll eine Funktion sein, die ein Keras-Modell zurückgibt.")
    model = factory()
    if model is None:
        raise NotImplementedError
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
    return model


def _expect_input(model, shape: tuple) -> None:
    actual = tuple(model.inputs[0].shape)[1:]
    if actual != shape:
        raise Problem(f"Das Modell erwartet Eingaben der Form {actual}, gewünscht ist {shape} "
                      "pro Bild.")


def _expect_probabilities(model, x) -> np.ndarray:
    out = np.asarray(model(x, training=False))
    if out.shape != (len(x), 10):
        raise Problem(f"Für {len(x)} Bilder liefert das Modell die Form {out.shape}, "
                      f"erwartet wird ({len(x)}, 10).")
    if np.any(out < 0) or not np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        raise Problem("Die Ausgaben sind keine Wahrscheinlichkeiten (nicht negativ, Summe 1 pro "
                      "Bild). Verwenden Sie in der Ausgabeschicht activation=\"softmax\".")
    return out


def _expect_count(model, expected: int, explanation: str) -> int:
    count = model.count_params()
    if count != expected:
        raise Problem(f"model.count_params() ergibt {_n(count)}, erwartet werden {_n(expected)} "
                      f"({explanation}).")
    return count


def _dense_layers(model):
    keras = _keras()
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def _images(n: int, flat: bool = True) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.random((n, 28, 28), dtype=np.float32)
    return x.reshape(n, 784) if flat else x[..., None]


def logistic_regression(build_logistic_regression) -> bool:
    """Aufgabe 1.1: one Dense(10, softmax) layer on 784 inputs, 7 850 parameters."""

    def check():
        model = _build(build_logistic_regression, "build_logistic_regression")
        _expect_input(model, (784,))
        if len(_dense_layers(model)) > 1:
            raise Problem("Die logistische Regression hat nur eine Dense-Schicht (ohne "
                          "verborgene Schicht).")
        count = _expect_count(model, PARAMS_LOGREG, "784·10 Gewichte + 10 Verzerrungen")
        _expect_probabilities(model, _images(4))
        if build_logistic_regression() is model:
            raise Problem("build_logistic_regression() gibt jedes Mal dasselbe Modell zurück.")
        return f"{_n(count)} Parameter, Softmax-Ausgabe."

    return run_check("Aufgabe 1.1 (logistische Regression)", check)


def compiled(compile_model) -> bool:
    """Aufgabe 1.2: ``compile_model(model)`` sets an optimizer, sparse CE on probabilities and accuracy."""

    def check():
        keras = _keras()
        if not callable(compile_model):
            raise Problem("compile_model soll eine Funktion sein.")
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
        result = compile_model(model)
        if result is not None and result is not model:
            raise Problem("compile_model soll das Modell kompilieren (model.compile(…)) und "
                          "nichts anderes zurückgeben.")
        if not getattr(model, "compiled", False) or model.optimizer is None:
            if result is None:
                raise NotImplementedError
            raise Problem("Das Modell ist nicht kompiliert. Rufen Sie model.compile(…) auf.")
        x = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]], dtype="float32")
        y = np.array([0, 2])
        probs = np.asarray(model(x, training=False))
        expected = float(-np.mean(np.log(probs[np.arange(2), y])))
        logits_hint = ("Das Modell gibt schon Softmax-Wahrscheinlichkeiten aus – verwenden Sie "
                       "SparseCategoricalCrossentropy mit from_logits=False (Voreinstellung).")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                scores = model.evaluate(x, y, verbose=0, return_dict=True)
        except Exception as exc:  # noqa: BLE001 - any failure: loss does not fit the labels
            if "from_logits" in str(exc):
                raise Problem(logits_hint) from None
            raise Problem("Mit dieser Verlustfunktion lässt sich das Modell nicht auf "
                          "Klassennummern auswerten "
                          f"({type(exc).__name__}). Verwenden Sie "
                          "keras.losses.SparseCategoricalCrossentropy().") from None
        if any("from_logits" in str(w.message) for w in caught):
            raise Problem(logits_hint)
        accuracy = [v for k, v in scores.items() if "acc" in k]
        if not accuracy:
            raise Problem("Beim Kompilieren fehlt metrics=[\"accuracy\"] – sonst zeigt fit() "
                          "keine Genauigkeit an.")
        loss = float(scores["loss"])
        if not np.isclose(loss, expected, rtol=1e-3, atol=1e-4):
            raise Problem(
                f"Der Verlust ({loss:.4f}) ist nicht die Kreuzentropie mit Klassennummern "
                f"({expected:.4f}). Verwenden Sie keras.losses.SparseCategoricalCrossentropy() – "
                "mit from_logits=False, weil das Modell schon Softmax-Wahrscheinlichkeiten "
                "ausgibt.")
        return f"Optimierer {type(model.optimizer).__name__}, Kreuzentropie, Genauigkeit."

    return run_check("Aufgabe 1.2 (compile)", check)


def weight_images(weight_images_fn) -> bool:
    """Aufgabe 1.3: the Dense kernel ``(784, 10)`` as ten 28×28 images ``(10, 28, 28)``."""

    def check():
        keras = _keras()
        if not callable(weight_images_fn):
            raise Problem("weight_images soll eine Funktion sein.")
        model = keras.Sequential([keras.Input(shape=(784,)),
                                  keras.layers.Dense(10, activation="softmax")])
        rng = np.random.default_rng(3)
        kernel = rng.normal(size=(784, 10)).astype("float32")
        bias = np.arange(10, dtype="float32")
        model.layers[-1].set_weights([kernel, bias])
        result = weight_images_fn(model)
        if result is None:
            raise NotImplementedError
        result = np.asarray(result)
        if result.shape != (10, 28, 28):
            raise Problem(f"Das Ergebnis hat die Form {result.shape}, erwartet wird "
                          "(10, 28, 28): ein 28×28-Bild pro Ziffer.")
        if np.allclose(result, kernel.reshape(10, 28, 28)):
            raise Problem("Die Gewichtsmatrix hat in Keras die Form (784, 10) – eine Spalte pro "
                          "Ziffer. Transponieren Sie sie, bevor Sie in (10, 28, 28) umformen.")
        if not np.allclose(result, kernel.T.reshape(10, 28, 28)):
            raise Problem("Die Bilder stimmen nicht mit den Gewichten überein. Nehmen Sie die "
                          "Gewichtsmatrix (nicht die Verzerrungen) aus get_weights().")
        return "Bild k zeigt die Gewichte aller 784 Pixel zur Ziffer k."

    return run_check("Aufgabe 1.3 (Gewichte als Bilder)", check)


def mlp(build_mlp) -> bool:
    """Aufgabe 2: 784 → Dense(36, non-linear) → Dense(10, softmax), 28 630 parameters."""

    def check():
        keras = _keras()
        model = _build(build_mlp, "build_mlp")
        _expect_input(model, (784,))
        dense = _dense_layers(model)
        if len(dense) != 2:
            raise Problem(f"Das Modell hat {len(dense)} Dense-Schichten, erwartet werden zwei: "
                          "die verborgene mit 36 Neuronen und die Ausgabeschicht.")
        if dense[0].units != 36:
            raise Problem(f"Die verborgene Schicht hat {dense[0].units} Neuronen statt 36.")
        if dense[0].activation in (None, keras.activations.linear):
            raise Problem("Die verborgene Schicht hat keine Aktivierungsfunktion – dann ist das "
                          "Netz wieder linear. Setzen Sie activation=\"relu\".")
        count = _expect_count(model, PARAMS_MLP, "784·36 + 36 + 36·10 + 10")
        _expect_probabilities(model, _images(4))
        return f"{_n(count)} Parameter."

    return run_check("Aufgabe 2 (verborgene Schicht)", check)


def hidden_activations(hidden_activations_fn) -> bool:
    """Aufgabe 2.2: activations of the hidden layer via ``keras.Model(inputs, layer.output)``."""

    def check():
        keras = _keras()
        if not callable(hidden_activations_fn):
            raise Problem("hidden_activations soll eine Funktion sein.")
        keras.utils.set_random_seed(7)
        hidden = keras.layers.Dense(36, activation="relu")  # kein Leck: so steht es in Aufgabe 2
        model = keras.Sequential([keras.Input(shape=(784,)), hidden,
                                  keras.layers.Dense(10, activation="softmax")])
        x = _images(3)
        result = hidden_activations_fn(model, x)
        if result is None:
            raise NotImplementedError
        result = np.asarray(result)
        if result.shape == (3, 10):
            raise Problem("Das sind die Ausgaben der letzten Schicht. Gesucht ist die Ausgabe der "
                          "ersten, verborgenen Schicht (36 Werte pro Bild).")
        if result.shape != (3, 36):
            raise Problem(f"Für 3 Bilder hat das Ergebnis die Form {result.shape}, erwartet wird "
                          "(3, 36): eine Aktivierung pro Neuron der verborgenen Schicht.")
        kernel, bias = model.layers[0].get_weights()
        pre = x @ kernel + bias
        if np.allclose(result, pre, atol=1e-4) and not np.allclose(pre, np.maximum(pre, 0)):
            raise Problem("Die ReLU fehlt – nehmen Sie die Ausgabe der Schicht (layer.output), "
                          "nicht nur die lineare Transformation.")
        if not np.allclose(result, np.maximum(pre, 0), atol=1e-4):
            raise Problem("Die Aktivierungen stimmen nicht mit der verborgenen Schicht des "
                          "übergebenen Modells überein.")
        return f"{int((result > 0).sum())} von {result.size} Aktivierungen sind positiv."

    return run_check("Aufgabe 2.2 (Aktivierungen)", check)


def cnn(build_cnn) -> bool:
    """Extra: a small CNN with Conv2D layers on ``(28, 28, 1)`` images."""

    def check():
        keras = _keras()
        model = _build(build_cnn, "build_cnn")
        _expect_input(model, (28, 28, 1))
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        if not convs:
            raise Problem("Im Modell fehlt eine keras.layers.Conv2D-Schicht.")
        count = model.count_params()
        if count > MAX_PARAMS_CNN:
            raise Problem(f"Das Modell hat {_n(count)} Parameter – für ein Training in wenigen "
                          f"Minuten auf der CPU sind höchstens {_n(MAX_PARAMS_CNN)} sinnvoll. "
                          "Verkleinern Sie mit MaxPooling2D vor der Dense-Schicht.")
        _expect_probabilities(model, _images(4, flat=False))
        return f"{len(convs)} Faltungsschichten, {_n(count)} Parameter."

    return run_check("Extra (CNN)", check)
