"""Tests of utils.checks.nb04: every check passes a correct answer, explains a wrong one with
the hint meant for it and reports an untouched placeholder as open."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# (Triton is loaded before TensorFlow by the root conftest.py, see there.)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils.checks import nb04  # noqa: E402

layers = keras.layers


def placeholder(*args, **kwargs):
    raise NotImplementedError()


def sequential(*stack, shape=(784,)):
    return keras.Sequential([keras.Input(shape=shape), *stack])


def assert_right(verdict, *words):
    assert verdict.status == "richtig", verdict.message
    assert verdict.passed and verdict.message.startswith("✅")
    for word in words:
        assert word in verdict.message


def assert_wrong(verdict, hint):
    assert verdict.status == "falsch", verdict.message
    assert hint in verdict.hint, verdict.hint


@pytest.mark.parametrize("check, exercise", [
    (nb04.logistic_regression, "1.1"), (nb04.compiled, "1.2"), (nb04.weight_images, "1.3"),
    (nb04.mlp, "2.1"), (nb04.hidden_activations, "2.2"), (nb04.cnn, "3"),
])
def test_open_exercise(check, exercise):
    for empty in (placeholder, None):
        verdict = check.evaluate(empty)
        assert verdict.status == "offen", verdict.message
        assert verdict.exercise == exercise and verdict.notebook == "04"
        assert "noch offen" in verdict.message


# --- Aufgabe 1.1 --------------------------------------------------------------------------

def build_logistic_regression():
    return sequential(layers.Dense(10, activation="softmax"))


def test_logistic_regression_right():
    assert_right(nb04.logistic_regression.evaluate(build_logistic_regression), "7 850")


SHARED_MODEL = sequential(layers.Dense(10, activation="softmax"))


@pytest.mark.parametrize("factory, hint", [
    (lambda: sequential(layers.Dense(10)), "Wahrscheinlichkeit"),
    (lambda: sequential(layers.Dense(10, activation="softmax"), shape=(28, 28)), "(784,)"),
    (lambda: sequential(layers.Dense(10, activation="softmax", use_bias=False)), "7 850"),
    (lambda: sequential(layers.Dense(36, activation="relu"),
                        layers.Dense(10, activation="softmax")), "nur eine Dense"),
    (lambda: keras.Sequential([layers.Dense(10, activation="softmax")]), "keras.Input"),
    (lambda: "Modell", "keras.Model"),
    (lambda: SHARED_MODEL, "neues"),
    (lambda size: sequential(layers.Dense(10, activation="softmax")), "Parameter"),
])
def test_logistic_regression_wrong(factory, hint):
    assert_wrong(nb04.logistic_regression.evaluate(factory), hint)


def test_logistic_regression_hint_does_not_name_the_activation():
    verdict = nb04.logistic_regression.evaluate(lambda: sequential(layers.Dense(10)))
    assert "softmax" not in verdict.hint.lower()


# --- Aufgabe 1.2 --------------------------------------------------------------------------

def compile_model(model):
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])


def test_compiled_right():
    assert_right(nb04.compiled.evaluate(compile_model), "Adam")


def test_compiled_accepts_strings_and_other_optimizers():
    def compile_with_strings(model):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])

    assert_right(nb04.compiled.evaluate(compile_with_strings), "SGD")


@pytest.mark.parametrize("fn, hint", [
    (lambda m: m.compile(optimizer="adam", loss="sparse_categorical_crossentropy"),
     "Genauigkeit"),
    (lambda m: m.compile(optimizer="adam",
                         loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                         metrics=["accuracy"]), "from_logits"),
    (lambda m: m.compile(optimizer="adam", loss="mse", metrics=["accuracy"]),
     "Klassennummern"),
    (lambda m: m.compile(optimizer="adam", loss="categorical_crossentropy",
                         metrics=["accuracy"]), "Klassennummern"),
    (lambda m: "kompiliert", "zurückgeben"),
    (lambda: None, "Parameter"),
])
def test_compiled_wrong(fn, hint):
    assert_wrong(nb04.compiled.evaluate(fn), hint)


def test_compiled_without_compile_call_is_open():
    assert nb04.compiled.evaluate(lambda m: None).status == "offen"


# --- Aufgabe 1.3 --------------------------------------------------------------------------

def weight_images(model):
    kernel, _ = model.layers[-1].get_weights()
    return kernel.T.reshape(10, 28, 28)


def test_weight_images_right():
    assert_right(nb04.weight_images.evaluate(weight_images), "Ziffer k")


@pytest.mark.parametrize("fn, hint", [
    (lambda m: m.layers[-1].get_weights()[0].reshape(10, 28, 28), "Spalte"),
    (lambda m: m.layers[-1].get_weights()[0].T, "(10, 28, 28)"),
    (lambda m: np.tile(m.layers[-1].get_weights()[1][:, None, None], (1, 28, 28)),
     "Verzerrungen"),
])
def test_weight_images_wrong(fn, hint):
    assert_wrong(nb04.weight_images.evaluate(fn), hint)


def test_weight_images_hint_does_not_spell_the_solution():
    verdict = nb04.weight_images.evaluate(
        lambda m: m.layers[-1].get_weights()[0].reshape(10, 28, 28))
    assert "transpon" not in verdict.hint.lower() and ".T" not in verdict.hint


# --- Aufgabe 2.1 --------------------------------------------------------------------------

def build_mlp():
    return sequential(layers.Dense(36, activation="relu"), layers.Dense(10, activation="softmax"))


def test_mlp_right():
    assert_right(nb04.mlp.evaluate(build_mlp), "28 630")


def test_mlp_accepts_gelu():
    assert_right(nb04.mlp.evaluate(
        lambda: sequential(layers.Dense(36, activation="gelu"),
                           layers.Dense(10, activation="softmax"))))


@pytest.mark.parametrize("factory, hint", [
    (lambda: sequential(layers.Dense(36), layers.Dense(10, activation="softmax")),
     "Aktivierungsfunktion"),
    (lambda: sequential(layers.Dense(32, activation="relu"),
                        layers.Dense(10, activation="softmax")), "36"),
    (build_logistic_regression, "zwei"),
    (lambda: sequential(layers.Dense(36, activation="relu"), layers.Dense(10)),
     "Wahrscheinlichkeit"),
])
def test_mlp_wrong(factory, hint):
    assert_wrong(nb04.mlp.evaluate(factory), hint)


# --- Aufgabe 2.2 --------------------------------------------------------------------------

def hidden_activations(model, images):
    hidden = keras.Model(model.inputs[0], model.layers[0].output)
    return np.asarray(hidden(images, training=False))


def test_hidden_activations_right():
    assert_right(nb04.hidden_activations.evaluate(hidden_activations), "positiv")


def _pre_activation(model, images):
    kernel, bias = model.layers[0].get_weights()
    return images @ kernel + bias


def _fresh_model(model, images):
    other = sequential(layers.Dense(36, activation="relu"))
    return np.asarray(other(images))


@pytest.mark.parametrize("fn, hint", [
    (lambda model, images: np.asarray(model(images)), "letzten Schicht"),
    (_pre_activation, "vor der Aktivierungsfunktion"),
    (_fresh_model, "kein neues"),
    (lambda model, images: np.zeros(36), "(3, 36)"),
    (lambda model: model, "Parameter"),
])
def test_hidden_activations_wrong(fn, hint):
    assert_wrong(nb04.hidden_activations.evaluate(fn), hint)


# --- Aufgabe 3: CNN -----------------------------------------------------------------------

def conv(filters, size=3, activation="relu"):
    return layers.Conv2D(filters, size, activation=activation)


def head(*hidden):
    return [layers.Flatten(), *hidden, layers.Dense(10, activation="softmax")]


def test_cnn_right():
    def build():
        return sequential(conv(16), layers.MaxPooling2D(), conv(32), layers.MaxPooling2D(),
                          *head(), shape=(28, 28, 1))

    assert_right(nb04.cnn.evaluate(build), "2 Faltungsschichten")


def test_cnn_right_with_dense_and_dropout():
    def build():
        return sequential(conv(32), layers.MaxPooling2D(), conv(64), layers.MaxPooling2D(),
                          *head(layers.Dropout(0.3), layers.Dense(128, activation="relu"),
                                layers.Dropout(0.3)), shape=(28, 28, 1))

    assert_right(nb04.cnn.evaluate(build), "225 034")


@pytest.mark.parametrize("build, hint", [
    (build_mlp, "(28, 28, 1)"),
    (lambda: sequential(conv(8), layers.MaxPooling2D(), *head(), shape=(28, 28, 1)),
     "mindestens zwei"),
    (lambda: sequential(conv(8, 5), layers.MaxPooling2D(), conv(8), layers.MaxPooling2D(),
                        *head(), shape=(28, 28, 1)), "3 × 3"),
    (lambda: sequential(conv(8, activation=None), layers.MaxPooling2D(), conv(8),
                        layers.MaxPooling2D(), *head(), shape=(28, 28, 1)),
     "Aktivierungsfunktion"),
    (lambda: sequential(conv(8), conv(8), layers.MaxPooling2D(), *head(), shape=(28, 28, 1)),
     "Pooling"),
    (lambda: sequential(conv(8), layers.MaxPooling2D(), conv(8), layers.MaxPooling2D(),
                        *head(layers.Dense(32, activation="relu"),
                              layers.Dense(32, activation="relu")), shape=(28, 28, 1)),
     "höchstens eine"),
    (lambda: sequential(conv(32), layers.MaxPooling2D(), conv(64), layers.MaxPooling2D(),
                        *head(layers.Dense(256, activation="relu")), shape=(28, 28, 1)),
     "erlaubt sind 300 000"),
    (lambda: sequential(conv(8), layers.MaxPooling2D(), conv(8), layers.MaxPooling2D(),
                        layers.Flatten(), layers.Dense(10), shape=(28, 28, 1)),
     "Wahrscheinlichkeit"),
])
def test_cnn_wrong(build, hint):
    assert_wrong(nb04.cnn.evaluate(build), hint)
